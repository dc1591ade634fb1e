"""Property selectors: offerable units, alternatives, office hours in the property's zone."""

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest

from properties.models import OfficeHours
from properties.selectors import (
    local_time_phrase,
    office_hours_on,
    property_get_by_leasing_phone,
    property_is_open,
    property_next_opening,
    unit_list_alternatives,
    unit_list_available,
)
from tests.clock import EASTERN, PACIFIC, at, today_in
from tests.factories import PropertyFactory, UnitFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def prop():
    prop = PropertyFactory(timezone="America/Chicago", leasing_phone="+15125550142")
    UnitFactory(property=prop, unit_number="A", bedrooms=1, monthly_rent=Decimal(1400))
    UnitFactory(property=prop, unit_number="B", bedrooms=2, monthly_rent=Decimal(1800))
    UnitFactory(
        property=prop,
        unit_number="C",
        bedrooms=2,
        monthly_rent=Decimal(1700),
        status="on_notice",
        available_from=today_in(prop.tz) + timedelta(days=90),
    )
    UnitFactory(
        property=prop, unit_number="D", bedrooms=3, monthly_rent=Decimal(900), status="occupied"
    )
    return prop


def test_unit_list_available_filters_and_orders(prop):
    assert [u.unit_number for u in unit_list_available(property_id=prop.pk)] == ["A", "C", "B"]
    in_a_month = today_in(prop.tz) + timedelta(days=30)
    two = unit_list_available(property_id=prop.pk, bedrooms=2, move_in_date=in_a_month)
    assert [u.unit_number for u in two] == ["B"]
    cheap = unit_list_available(property_id=prop.pk, max_rent=Decimal(1500))
    assert [u.unit_number for u in cheap] == ["A"]


def test_unit_list_alternatives_ranks_by_closeness(prop):
    alternatives = unit_list_alternatives(
        property_id=prop.pk, bedrooms=3, max_rent=Decimal(1000), limit=2
    )
    assert [u.unit_number for u in alternatives] == ["C", "B"]


def test_office_hours_in_the_property_time_zone(prop):
    monday = date(2026, 11, 30)
    (window,) = office_hours_on(property=prop, day=monday)
    assert window.opens_at == datetime(2026, 11, 30, 9, tzinfo=prop.tz)
    # 15:30 UTC is 9:30 in Chicago (open); 14:30 UTC is 8:30 (closed).
    assert property_is_open(property=prop, at=datetime(2026, 11, 30, 15, 30, tzinfo=UTC))
    assert not property_is_open(property=prop, at=datetime(2026, 11, 30, 14, 30, tzinfo=UTC))
    friday_night = datetime(2026, 12, 4, 20, tzinfo=prop.tz)
    assert property_next_opening(property=prop, after=friday_night) == datetime(
        2026, 12, 7, 9, tzinfo=prop.tz
    )


def test_office_hours_are_loaded_once(prop, django_assert_num_queries):
    start = datetime(2026, 11, 28, 20, tzinfo=prop.tz)
    with django_assert_num_queries(1):
        property_next_opening(property=prop, after=start)
        property_is_open(property=prop, at=start + timedelta(days=1))


def test_no_office_hours_means_never_open():
    prop = PropertyFactory(with_office_hours=False)
    OfficeHours.objects.filter(property=prop).delete()
    assert property_next_opening(property=prop, after=datetime(2026, 1, 1, tzinfo=UTC)) is None


def test_property_by_leasing_phone(prop):
    assert property_get_by_leasing_phone(phone="+15125550142") == prop
    assert property_get_by_leasing_phone(phone="") is None


def test_local_time_phrase():
    assert [local_time_phrase(time(h, m)) for h, m in ((9, 0), (14, 30), (0, 5), (12, 0))] == [
        "9 AM",
        "2:30 PM",
        "12:05 AM",
        "12 PM",
    ]


# Daylight-saving Sundays (US): 2027-03-14 springs forward, 2027-11-07 falls back --------------

DST_ZONES = [pytest.param(PACIFIC, id="pacific"), pytest.param(EASTERN, id="eastern")]


def _sunday_property(tz, *hours):
    prop = PropertyFactory(timezone=tz.key)
    for opens, closes in hours:
        OfficeHours.objects.create(property=prop, weekday=6, opens_at=opens, closes_at=closes)
    return prop


@pytest.mark.parametrize("tz", DST_ZONES)
def test_office_hours_over_the_changed_hour_keep_their_real_length(tz):
    prop = _sunday_property(tz, (time(1), time(4)), (time(10), time(16)))
    spring, fall = date(2027, 3, 14), date(2027, 11, 7)
    night, day = office_hours_on(property=prop, day=spring)
    assert night.closes_at - night.opens_at == timedelta(hours=2)
    assert day.closes_at - day.opens_at == timedelta(hours=6)
    night, _ = office_hours_on(property=prop, day=fall)
    assert night.closes_at - night.opens_at == timedelta(hours=4)
    # Opening at 1 AM on the fall-back night is the first 1 AM (daylight time).
    assert night.opens_at.astimezone(tz).strftime("%H:%M %z") == at(fall, 1, zone=tz).strftime(
        "%H:%M %z"
    )
    assert night.opens_at.astimezone(tz).dst() == timedelta(hours=1)


@pytest.mark.parametrize("tz", DST_ZONES)
def test_open_during_both_doubled_hours_and_closed_at_the_real_closing(tz):
    prop = _sunday_property(tz, (time(1), time(4)))
    fall = date(2027, 11, 7)
    first_half_past_one = at(fall, 1, 30, zone=tz).astimezone(UTC)  # fold=0: daylight time
    # An hour later in UTC (in the zone, + 1 hour would be wall-clock 2:30).
    second_half_past_one = first_half_past_one + timedelta(hours=1)
    assert second_half_past_one.astimezone(tz).strftime("%H:%M") == "01:30"
    assert property_is_open(property=prop, at=first_half_past_one)
    assert property_is_open(property=prop, at=second_half_past_one)
    four = at(fall, 4, zone=tz)
    assert not property_is_open(property=prop, at=four)
    assert property_is_open(property=prop, at=four - timedelta(minutes=1))


@pytest.mark.parametrize("tz", DST_ZONES)
def test_hours_inside_the_missing_hour_never_open(tz):
    spring = date(2027, 3, 14)
    prop = _sunday_property(tz, (time(2), time(2, 45)), (time(2, 30), time(5)))
    missing, late = office_hours_on(property=prop, day=spring)
    assert missing.opens_at == missing.closes_at  # 2:00-2:45 never happens that night
    # "Opens at 2:30" opens when the clocks jump to 3:00.
    assert late.opens_at.astimezone(tz).strftime("%H:%M") == "03:00"
    saturday_night = at(spring - timedelta(days=1), 22, zone=tz)
    assert property_next_opening(property=prop, after=saturday_night) == late.opens_at
    assert not property_is_open(property=prop, at=late.opens_at - timedelta(seconds=1))
    assert property_is_open(property=prop, at=late.opens_at)


@pytest.mark.parametrize("tz", DST_ZONES)
def test_next_opening_after_a_dst_sunday_is_monday_nine_local(tz):
    prop = PropertyFactory(timezone=tz.key)  # Mon-Fri 9-17
    for sunday in (date(2027, 3, 14), date(2027, 11, 7)):
        opening = property_next_opening(property=prop, after=at(sunday, 12, zone=tz))
        local = opening.astimezone(tz)
        assert (local.date(), local.hour) == (sunday + timedelta(days=1), 9)
