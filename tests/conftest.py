from datetime import datetime, timedelta

import holidays
import pytest
import time_machine
from django.db import connection

from tests.clock import PACIFIC, SUITE_NOW, at, next_weekday, today_in


@pytest.fixture(autouse=True)
def clock():
    """Every test starts at SUITE_NOW (tests/clock.py) and time flows from there.

    Yields the time-machine traveller: `clock.move_to(...)` puts the test at another instant.
    """
    with time_machine.travel(SUITE_NOW, tick=True) as traveller:
        yield traveller


@pytest.fixture
def calling_hours(clock) -> datetime:
    """Move to a moment every US calling rule allows (leads/compliance/rules.py): the next
    Wednesday that is no holiday, 11:00 in Los Angeles (14:00 in New York, 09:00 in Honolulu).

    For tests that place outbound calls: the compliance gate refuses calls at night, and the
    suite's clock may stand at any hour.
    """
    day = next_weekday(today_in(PACIFIC), 2)
    while day in holidays.country_holidays("US", years=day.year):
        day += timedelta(days=7)
    moment = at(day, 11, zone=PACIFIC)
    clock.move_to(moment)
    return moment


def pytest_collection_modifyitems(config, items):
    """Skip tests marked `postgres` when the suite runs on SQLite."""
    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)
