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
        available_from=date(2027, 3, 1),
    )
    UnitFactory(
        property=prop, unit_number="D", bedrooms=3, monthly_rent=Decimal(900), status="occupied"
    )
    return prop


def test_unit_list_available_filters_and_orders(prop):
    assert [u.unit_number for u in unit_list_available(property_id=prop.pk)] == ["A", "C", "B"]
    two = unit_list_available(property_id=prop.pk, bedrooms=2, move_in_date=date(2027, 1, 1))
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
