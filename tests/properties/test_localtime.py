"""Wall-clock times at a property and the instants they name, on US daylight-saving nights."""

import zoneinfo
from datetime import UTC, date, datetime, timedelta

import pytest

from properties.localtime import (
    local_day_start,
    local_time_first_reached,
    local_time_resolve,
    local_today,
)
from tests.clock import EASTERN, PACIFIC

# (zone, spring-forward Sunday, fall-back Sunday, standard offset in hours)
ZONES = [
    pytest.param(PACIFIC, date(2027, 3, 14), date(2027, 11, 7), -8, id="pacific-2027"),
    pytest.param(EASTERN, date(2027, 3, 14), date(2027, 11, 7), -5, id="eastern-2027"),
    pytest.param(PACIFIC, date(2028, 3, 12), date(2026, 11, 1), -8, id="pacific-2026-2028"),
    pytest.param(EASTERN, date(2028, 3, 12), date(2026, 11, 1), -5, id="eastern-2026-2028"),
]


def _utc(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(("tz", "spring", "fall", "standard"), ZONES)
def test_an_ordinary_time_names_one_instant(tz, spring, fall, standard):
    # 10:00 on either Sunday: daylight time (standard + 1) in spring, standard time in fall.
    for day, offset in ((spring, standard + 1), (fall, standard)):
        resolved = local_time_resolve(wall=datetime(day.year, day.month, day.day, 10), tz=tz)
        assert not resolved.missing
        assert not resolved.ambiguous
        assert resolved.instant == _utc(day, 10 - offset)


@pytest.mark.parametrize(("tz", "spring", "fall", "standard"), ZONES)
def test_the_spring_forward_gap_names_no_instant(tz, spring, fall, standard):
    wall = datetime(spring.year, spring.month, spring.day, 2, 30)
    resolved = local_time_resolve(wall=wall, tz=tz)
    assert resolved.missing
    assert resolved.instants == ()
    assert resolved.gap == (wall.replace(minute=0), wall.replace(hour=3, minute=0))
    with pytest.raises(ValueError, match="does not exist"):
        _ = resolved.instant
    # The clocks reach "2:30 or later" when they jump to 3:00 daylight time.
    jump = _utc(spring, 2 - standard)
    assert local_time_first_reached(wall=wall, tz=tz) == jump
    assert jump.astimezone(tz).strftime("%H:%M %z") == f"03:00 {standard + 1:+03d}00"


@pytest.mark.parametrize(("tz", "spring", "fall", "standard"), ZONES)
def test_the_fall_back_hour_names_two_instants(tz, spring, fall, standard):
    wall = datetime(fall.year, fall.month, fall.day, 1, 30)
    resolved = local_time_resolve(wall=wall, tz=tz)
    assert resolved.ambiguous
    first, second = resolved.instants
    assert first == _utc(fall, 1 - (standard + 1), 30)  # daylight time
    assert second == _utc(fall, 1 - standard, 30)  # an hour later, standard time
    assert [i.astimezone(tz).strftime("%H:%M") for i in resolved.instants] == ["01:30"] * 2
    with pytest.raises(ValueError, match="happens twice"):
        _ = resolved.instant
    assert local_time_first_reached(wall=wall, tz=tz) == first


@pytest.mark.parametrize(("tz", "spring", "fall", "standard"), ZONES)
def test_local_days_have_their_real_length(tz, spring, fall, standard):
    def length(day: date) -> timedelta:
        return local_day_start(day=day + timedelta(days=1), tz=tz) - local_day_start(day=day, tz=tz)

    assert length(spring) == timedelta(hours=23)
    assert length(fall) == timedelta(hours=25)
    assert length(spring - timedelta(days=1)) == timedelta(hours=24)


def test_a_zone_that_skips_midnight_starts_its_day_at_one():
    tz = zoneinfo.ZoneInfo("America/Santiago")  # Chile springs forward at midnight
    start = local_day_start(day=date(2027, 9, 5), tz=tz)
    assert start.astimezone(tz).strftime("%Y-%m-%d %H:%M") == "2027-09-05 01:00"


def test_local_today_is_the_property_calendar_day():
    late_evening_pacific = datetime(2027, 11, 8, 7, 30, tzinfo=UTC)  # Nov 7, 23:30 PST
    assert local_today(tz=PACIFIC, now=late_evening_pacific) == date(2027, 11, 7)
    assert local_today(tz=EASTERN, now=late_evening_pacific) == date(2027, 11, 8)


def test_an_aware_time_is_refused():
    with pytest.raises(ValueError, match="naive"):
        local_time_resolve(wall=datetime(2027, 3, 14, 10, tzinfo=UTC), tz=PACIFIC)
