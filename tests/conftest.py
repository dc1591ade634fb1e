import pytest
import time_machine
from django.db import connection

from tests.clock import SUITE_NOW


@pytest.fixture(autouse=True)
def clock():
    """Every test starts at SUITE_NOW (tests/clock.py) and time flows from there.

    Yields the time-machine traveller: `clock.move_to(...)` puts the test at another instant.
    """
    with time_machine.travel(SUITE_NOW, tick=True) as traveller:
        yield traveller


def pytest_collection_modifyitems(config, items):
    """Skip tests marked `postgres` when the suite runs on SQLite."""
    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)
