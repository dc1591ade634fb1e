"""The suite's one clock: every test starts at the same instant, `SUITE_NOW`.

`SUITE_NOW` is read once, from the process clock, when the suite starts (or from `TEST_NOW`, an
ISO 8601 instant, to replay a failure: `TEST_NOW=2027-03-14T09:30:00Z make test`). Each test then
runs inside `time_machine.travel(SUITE_NOW, tick=True)` (the autouse `clock` fixture), so:

- every date a test or factory derives from "now" comes from the same instant, whichever day the
  suite runs on: `.ci/run` runs the whole suite again under shifted process clocks to prove it;
- time still flows inside a test (ordering by `created_at`, timeouts, token lifetimes);
- a test that needs a particular instant says so: `clock.move_to(at(...))`.

Local dates ("today at the property") always need a zone: `today_in(zone)`.
"""

import os
import zoneinfo
from datetime import UTC, date, datetime, time, timedelta

PACIFIC = zoneinfo.ZoneInfo("America/Los_Angeles")
EASTERN = zoneinfo.ZoneInfo("America/New_York")


def _suite_now() -> datetime:
    override = os.environ.get("TEST_NOW", "").strip()
    if override:
        value = datetime.fromisoformat(override.replace("Z", "+00:00"))
        if value.tzinfo is None:
            raise ValueError("TEST_NOW needs an offset or Z, e.g. 2027-03-14T09:30:00Z")
        return value.astimezone(UTC)
    # The one deliberate read of the real (possibly faketime-shifted) clock.
    return datetime.now(UTC)


SUITE_NOW: datetime = _suite_now()


def now() -> datetime:
    """The current instant as the tests see it (frozen start + elapsed), aware, UTC."""
    return datetime.now(UTC)


def today_in(zone: str | zoneinfo.ZoneInfo) -> date:
    """Today's calendar date in `zone` at the current (test) instant."""
    tz = zoneinfo.ZoneInfo(zone) if isinstance(zone, str) else zone
    return datetime.now(tz).date()


def at(
    day: date, hour: int, minute: int = 0, *, zone: str | zoneinfo.ZoneInfo = PACIFIC
) -> datetime:
    """A local wall-clock time in `zone`, as an aware datetime (for `clock.move_to`)."""
    tz = zoneinfo.ZoneInfo(zone) if isinstance(zone, str) else zone
    return datetime.combine(day, time(hour, minute), tzinfo=tz)


def next_weekday(after: date, weekday: int = 1) -> date:
    """The first `weekday` (Monday 0) strictly after `after`."""
    return after + timedelta(days=(weekday - after.weekday() - 1) % 7 + 1)
