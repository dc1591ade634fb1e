"""Tours on the Sundays US clocks change, in a Pacific and an Eastern property.

Each test moves the suite's clock to the Wednesday before the change (tests/clock.py), so these
dates are always in the future for the booking rules. Sunday hours are 1-4 AM (spanning the
changed hour) and 10 AM-4 PM.
"""

from datetime import UTC, date, datetime, time, timedelta, timezone
from itertools import pairwise

import pytest

from leads.models import Tour
from leads.selectors import tour_slots_free
from leads.services import tour_schedule
from properties.models import OfficeHours
from tests.clock import EASTERN, PACIFIC, at
from tests.factories import LeadFactory, PropertyFactory

pytestmark = pytest.mark.django_db

SPRING = [date(2027, 3, 14), date(2028, 3, 12)]
FALL = [date(2027, 11, 7), date(2026, 11, 1)]
# Hours east of UTC that day, for 10 AM: daylight time after spring forward, standard after fall.
OFFSETS = {(PACIFIC, "spring"): -7, (PACIFIC, "fall"): -8, (EASTERN, "spring"): -4}
OFFSETS[(EASTERN, "fall")] = -5
ZONES = [pytest.param(PACIFIC, id="pacific"), pytest.param(EASTERN, id="eastern")]


def _property(tz, **extra):
    prop = PropertyFactory(timezone=tz.key, tour_slot_minutes=30, tours_per_slot=1, **extra)
    for opens, closes in ((time(1), time(4)), (time(10), time(16))):
        OfficeHours.objects.create(property=prop, weekday=6, opens_at=opens, closes_at=closes)
    return prop


@pytest.fixture
def before(clock):
    """Put the suite's clock at noon on the Wednesday before `day`, at the property."""

    def move(day: date, tz) -> datetime:
        now = at(day - timedelta(days=4), 12, zone=tz)
        clock.move_to(now)
        return now

    return move


def _walls(instants, tz):
    return [i.astimezone(tz).strftime("%H:%M %Z") for i in instants]


@pytest.mark.parametrize("tz", ZONES)
@pytest.mark.parametrize(
    ("season", "day"), [("spring", d) for d in SPRING] + [("fall", d) for d in FALL]
)
def test_a_ten_oclock_tour_on_a_dst_sunday_is_ten_local(before, tz, season, day):
    prop = _property(tz)
    before(day, tz)
    booking = tour_schedule(
        property_id=prop.pk,
        lead=LeadFactory(property=prop),
        starts_at=datetime.combine(day, time(10)),
    )
    assert booking.created
    stored = Tour.objects.get().starts_at
    offset = OFFSETS[(tz, season)]
    assert stored.astimezone(UTC) == datetime.combine(day, time(10 - offset), UTC)
    local = stored.astimezone(tz)
    assert (local.date(), local.time()) == (day, time(10))
    assert local.utcoffset() == timedelta(hours=offset)
    activity = booking.tour.lead.activities.get(kind="tour_scheduled")
    assert f"{day:%a %b %d, %Y} 10:00" in activity.text


@pytest.mark.parametrize("tz", ZONES)
@pytest.mark.parametrize("day", SPRING)
def test_a_time_in_the_missing_hour_is_refused_with_real_times_nearby(before, tz, day):
    prop = _property(tz)
    before(day, tz)
    booking = tour_schedule(
        property_id=prop.pk,
        lead=LeadFactory(property=prop),
        starts_at=datetime.combine(day, time(2, 30)),
    )
    assert (booking.rejection, booking.tour) == ("missing_time", None)
    assert booking.asked.gap == (datetime.combine(day, time(2)), datetime.combine(day, time(3)))
    assert not Tour.objects.exists()
    # Nearest to the jump: 1:30 standard time is 30 real minutes before it, 3:00 is the jump.
    standard, daylight = ("PST", "PDT") if tz is PACIFIC else ("EST", "EDT")
    assert _walls(booking.alternatives, tz) == [
        f"01:30 {standard}",
        f"03:00 {daylight}",
        f"03:30 {daylight}",
    ]


@pytest.mark.parametrize("tz", ZONES)
@pytest.mark.parametrize("day", FALL)
def test_a_naive_time_in_the_doubled_hour_is_never_booked_silently(before, tz, day):
    prop = _property(tz)
    lead = LeadFactory(property=prop)
    before(day, tz)
    asked = tour_schedule(
        property_id=prop.pk, lead=lead, starts_at=datetime.combine(day, time(1, 30))
    )
    assert asked.rejection == "ambiguous_time"
    assert not Tour.objects.exists()
    daylight, standard = OFFSETS[(tz, "spring")], OFFSETS[(tz, "fall")]
    assert [c.astimezone(UTC) for c in asked.choices] == [
        datetime.combine(day, time(1 - daylight, 30), UTC),
        datetime.combine(day, time(1 - standard, 30), UTC),
    ]

    # With the offset the caller chose, each of the two is a distinct, bookable instant.
    for offset in (standard, daylight):
        booking = tour_schedule(
            property_id=prop.pk,
            lead=lead,
            starts_at=datetime.combine(day, time(1, 30)),
            utc_offset=timedelta(hours=offset),
        )
        assert booking.created, booking.rejection
        chosen = datetime.combine(day, time(1, 30), timezone(timedelta(hours=offset)))
        assert booking.tour.starts_at.astimezone(UTC) == chosen.astimezone(UTC)
    stored = list(Tour.objects.order_by("starts_at").values_list("starts_at", flat=True))
    assert _walls(stored, tz) == _walls(asked.choices, tz)
    assert stored[1] - stored[0] == timedelta(hours=1)


@pytest.mark.parametrize("tz", ZONES)
def test_a_doubled_time_with_only_one_reading_in_hours_still_asks(before, tz):
    day = date(2027, 11, 7)
    prop = PropertyFactory(timezone=tz.key)
    # Open 0:30-1:45, closing the first time clocks show 1:45: a 30-minute tour at the earlier
    # 1:00 fits, the later 1:00 comes after closing.
    OfficeHours.objects.create(
        property=prop, weekday=6, opens_at=time(0, 30), closes_at=time(1, 45)
    )
    before(day, tz)
    lead = LeadFactory(property=prop)
    booking = tour_schedule(
        property_id=prop.pk, lead=lead, starts_at=datetime.combine(day, time(1))
    )
    assert booking.rejection == "ambiguous_time"
    assert _walls(booking.choices, tz) == [f"01:00 {'PDT' if tz is PACIFIC else 'EDT'}"]
    outside = tour_schedule(
        property_id=prop.pk, lead=lead, starts_at=datetime.combine(day, time(3))
    )
    assert outside.rejection == "closed"


@pytest.mark.parametrize("tz", ZONES)
@pytest.mark.parametrize("day", SPRING)
def test_slots_across_spring_forward_are_real_distinct_and_in_order(before, tz, day):
    prop = _property(tz)
    now = before(day, tz)
    slots = tour_slots_free(property=prop, around=at(day, 0, zone=tz), now=now, days=0, limit=50)
    night = [s for s in slots if s.astimezone(tz).hour < 5]
    assert [s.astimezone(tz).strftime("%H:%M") for s in night] == [
        "01:00",
        "01:30",
        "03:00",
        "03:30",
    ]
    assert all(b - a == timedelta(minutes=30) for a, b in pairwise(night))
    assert len(slots) == 4 + 12  # 1-4 AM is two real hours tonight; 10 AM-4 PM is six
    assert slots == sorted(set(slots))


@pytest.mark.parametrize("tz", ZONES)
@pytest.mark.parametrize("day", FALL)
def test_slots_across_fall_back_are_real_distinct_and_in_order(before, tz, day):
    prop = _property(tz)
    now = before(day, tz)
    slots = tour_slots_free(property=prop, around=at(day, 0, zone=tz), now=now, days=0, limit=50)
    night = [s for s in slots if s.astimezone(tz).hour < 5]
    daylight, standard = ("PDT", "PST") if tz is PACIFIC else ("EDT", "EST")
    assert _walls(night, tz) == [
        f"01:00 {daylight}",
        f"01:30 {daylight}",
        f"01:00 {standard}",
        f"01:30 {standard}",
        *(f"{h:02d}:{m:02d} {standard}" for h in (2, 3) for m in (0, 30)),
    ]
    assert all(b - a == timedelta(minutes=30) for a, b in pairwise(night))
    assert len(slots) == 8 + 12  # 1-4 AM is four real hours tonight
    assert slots == sorted(set(slots))


@pytest.mark.parametrize("tz", ZONES)
def test_a_full_doubled_hour_slot_blocks_only_its_own_instant(before, tz):
    day = date(2027, 11, 7)
    prop = _property(tz)
    lead = LeadFactory(property=prop)
    before(day, tz)
    first = tour_schedule(property_id=prop.pk, lead=lead, starts_at=datetime.combine(day, time(1)))
    (earlier, later) = first.choices
    assert tour_schedule(property_id=prop.pk, lead=lead, starts_at=earlier).created
    other = tour_schedule(property_id=prop.pk, lead=LeadFactory(property=prop), starts_at=earlier)
    assert other.rejection == "full"
    assert earlier not in other.alternatives
    assert later in other.alternatives


@pytest.mark.parametrize("tz", ZONES)
@pytest.mark.parametrize(("season", "day"), [("spring", SPRING[0]), ("fall", FALL[0])])
def test_an_offset_the_property_clocks_do_not_show_is_refused(before, tz, season, day):
    # 10 AM with the offset of the other season: a model using today's offset for that Sunday.
    other = OFFSETS[(tz, "fall" if season == "spring" else "spring")]
    prop = _property(tz)
    before(day, tz)
    booking = tour_schedule(
        property_id=prop.pk,
        lead=LeadFactory(property=prop),
        starts_at=datetime.combine(day, time(10)),
        utc_offset=timedelta(hours=other),
    )
    assert booking.rejection == "offset_mismatch"
    assert not Tour.objects.exists()
    right = tour_schedule(
        property_id=prop.pk,
        lead=LeadFactory(property=prop),
        starts_at=datetime.combine(day, time(10)),
        utc_offset=timedelta(hours=OFFSETS[(tz, season)]),
    )
    assert right.tour.starts_at.astimezone(tz).time() == time(10)
