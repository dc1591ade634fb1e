"""Shared pieces for the webhook tests: fixture loading, signed posts, a small leasing world.

Import the pytest fixtures you need into a test module (`from tests.voice.webhook_helpers import
world_fixture  # noqa: F401` provides `world`); tests/voice/conftest.py belongs to the Vapi-client
tests.
"""

import json
import threading
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as dtime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.db import close_old_connections, connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from properties.models import OfficeHours, Property
from tests.factories import AssistantFactory, PropertyFactory, UnitFactory
from voice.models import Assistant
from voice.webhooks.auth import webhook_signature

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "vapi"
SECRET = "test-secret"  # config/settings/test.py
CALLER = "+14155550177"


def webhook_url() -> str:
    return reverse("voice:webhook")


def load_vapi_fixture(name: str, **values: Any) -> dict[str, Any]:
    """A fresh dict from tests/fixtures/vapi/<name>.json with `{{key}}` placeholders filled."""
    text = (FIXTURES / f"{name}.json").read_text()
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", str(value))
    return json.loads(text)


def signed_headers(body: bytes, *, secret: str = SECRET, timestamp: str | None = None) -> dict:
    """Headers Vapi would send with `body` (HMAC credential, vapi-reference.md §9)."""
    timestamp = timestamp or str(int(timezone.now().timestamp() * 1000))
    return {
        "x-timestamp": timestamp,
        "x-signature": webhook_signature(secret=secret, timestamp=timestamp, body=body),
    }


def post_vapi(client: Any, payload: dict[str, Any] | bytes, **header_overrides: str) -> Any:
    """POST a delivery signed the way Vapi's HMAC credential signs it (ms timestamp)."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = {**signed_headers(body), **header_overrides}
    return client.post(webhook_url(), data=body, content_type="application/json", headers=headers)


def next_weekday_at(tz: Any, *, weekday: int = 2, hour: int = 14, min_days: int = 2) -> datetime:
    """The next `weekday` (0=Mon) at `hour` local time, at least `min_days` ahead."""
    day = timezone.now().astimezone(tz).date() + timedelta(days=min_days)
    while day.weekday() != weekday:
        day += timedelta(days=1)
    return datetime.combine(day, dtime(hour, 0), tzinfo=tz)


@dataclass
class World:
    """A property with units, office hours and a pushed assistant, plus fixture values."""

    property: Property
    assistant: Assistant
    call_id: str
    tour_start: datetime
    move_in_date: date

    def values(self, **extra: Any) -> dict[str, Any]:
        return {
            "call_id": self.call_id,
            "property_id": self.property.pk,
            "vapi_assistant_id": self.assistant.vapi_assistant_id,
            "leasing_phone": self.property.leasing_phone,
            "caller": CALLER,
            "tour_start": self.tour_start.strftime("%Y-%m-%dT%H:%M"),
            "move_in_date": self.move_in_date.isoformat(),
            **extra,
        }

    def fixture(self, name: str, **extra: Any) -> dict[str, Any]:
        return load_vapi_fixture(name, **self.values(**extra))


def world_build(*, call_id: str = "call-book-tour-1") -> World:
    prop = PropertyFactory(
        name="Harbor View Apartments",
        timezone="America/Los_Angeles",
        leasing_phone="+14155550100",
        transfer_phone="+14155550101",
        tours_per_slot=1,
        pets_allowed=True,
        with_office_hours=False,
    )
    for weekday in range(7):  # open every day so tests don't depend on today's weekday
        OfficeHours.objects.create(
            property=prop, weekday=weekday, opens_at=dtime(9), closes_at=dtime(18)
        )
    today = timezone.now().astimezone(prop.tz).date()
    UnitFactory(property=prop, unit_number="101", bedrooms=0, monthly_rent=Decimal("2450"))
    UnitFactory(property=prop, unit_number="204", bedrooms=1, monthly_rent=Decimal("3150"))
    UnitFactory(
        property=prop,
        unit_number="312",
        bedrooms=2,
        bathrooms=Decimal("2.0"),
        monthly_rent=Decimal("4250"),
        available_from=today,
    )
    UnitFactory(
        property=prop,
        unit_number="315",
        bedrooms=2,
        bathrooms=Decimal("2.0"),
        monthly_rent=Decimal("4350"),
        available_from=today + timedelta(days=45),
    )
    UnitFactory(
        property=prop,
        unit_number="401",
        bedrooms=3,
        monthly_rent=Decimal("5600"),
        status="occupied",
    )
    assistant = AssistantFactory(property=prop, vapi_assistant_id="asst-harbor-1")
    return World(
        property=prop,
        assistant=assistant,
        call_id=call_id,
        tour_start=next_weekday_at(prop.tz).replace(tzinfo=None),
        move_in_date=today + timedelta(days=20),
    )


@pytest.fixture(name="world")
def world_fixture(db: Any) -> World:
    return world_build()


class CommitCounter:
    """Counts COMMITs a block causes: explicit ones (atomic blocks) plus writes run in autocommit
    mode, each of which the database commits (and flushes) on its own."""

    def __init__(self) -> None:
        self.commits = 0
        self._original = connection.commit

    def __enter__(self) -> "CommitCounter":
        def commit() -> None:
            self.commits += 1
            self._original()

        def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
            writes = sql.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE", "WITH"))
            if connection.get_autocommit() and not connection.in_atomic_block and writes:
                self.commits += 1
            return execute(sql, params, many, context)

        connection.commit = commit
        self._wrapper = connection.execute_wrapper(wrapper)
        self._wrapper.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._wrapper.__exit__(*exc)
        connection.commit = self._original


def capture(callable_: Any) -> tuple[Any, list[str], int]:
    """Run `callable_()`; return its result, the SQL it ran and the number of commits."""
    with CaptureQueriesContext(connection) as queries, CommitCounter() as commits:
        result = callable_()
    return result, [q["sql"] for q in queries.captured_queries], commits.commits


def post_concurrently(bodies: list[bytes]) -> list[tuple[int, dict]]:
    """POST every body from its own thread (own DB connection), released together by a barrier;
    returns (status, JSON answer) per body, in completion order. For PostgreSQL race tests."""
    barrier = threading.Barrier(len(bodies))
    results: list[tuple[int, dict]] = []
    lock = threading.Lock()

    def send(body: bytes) -> None:
        try:
            barrier.wait()
            response = Client().post(
                webhook_url(), data=body, content_type="application/json",
                headers=signed_headers(body),
            )  # fmt: skip
            with lock:
                results.append((response.status_code, response.json()))
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=send, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == len(bodies)
    return results
