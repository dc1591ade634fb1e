"""Properties (with office hours) and units over the API."""

from decimal import Decimal

import pytest

from properties.models import OfficeHours, Property, Unit
from properties.phone import PHONE_INVALID
from tests.api.conftest import assert_error, bearer_client
from tests.factories import MembershipFactory, PropertyFactory, UnitFactory

pytestmark = pytest.mark.django_db

NEW_PROPERTY = {
    "name": "Harbor View Apartments",
    "address_line": "1 Harbor Way",
    "city": "San Francisco",
    "state": "CA",
    "postal_code": "94105",
    "timezone": "America/Los_Angeles",
    "leasing_phone": "(415) 555-0100",
    "amenities": ["Pool", "Gym"],
    "office_hours": [
        {"weekday": 0, "opens_at": "09:00", "closes_at": "18:00"},
        {"weekday": 5, "opens_at": "10:00", "closes_at": "17:00"},
    ],
}


@pytest.fixture
def user():
    return MembershipFactory().user  # an organization admin: may add properties


@pytest.fixture
def client(user):
    return bearer_client(user)


def test_property_create_with_office_hours_owned_by_the_caller(client, user):
    response = client.post("/api/v1/properties", NEW_PROPERTY, format="json")

    assert response.status_code == 201, response.content
    data = response.json()
    prop = Property.objects.get(pk=data["id"])
    assert prop.organization.memberships.get().user == user
    assert data["leasing_phone"] == "+14155550100"
    assert data["amenities"] == ["Pool", "Gym"]
    assert data["office_hours"] == [
        {"weekday": 0, "opens_at": "09:00", "closes_at": "18:00"},
        {"weekday": 5, "opens_at": "10:00", "closes_at": "17:00"},
    ]
    assert prop.office_hours.count() == 2


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"leasing_phone": "12345"}, "leasing_phone"),
        ({"name": ""}, "name"),
        ({"tour_slot_minutes": 1}, "tour_slot_minutes"),
        ({"application_fee": "-1"}, "application_fee"),
        (
            {"office_hours": [{"weekday": 0, "opens_at": "18:00", "closes_at": "09:00"}]},
            "office_hours",
        ),
        (
            {"office_hours": [{"weekday": 7, "opens_at": "09:00", "closes_at": "10:00"}]},
            "office_hours",
        ),
    ],
)
def test_property_create_rejects_invalid_fields(client, change, field):
    response = client.post("/api/v1/properties", {**NEW_PROPERTY, **change}, format="json")

    body = assert_error(response, 400, "validation_error")
    assert list(body["details"]) == [field]


def test_property_create_rejects_invalid_phone_with_the_e164_message(client):
    response = client.post(
        "/api/v1/properties", {**NEW_PROPERTY, "leasing_phone": "555"}, format="json"
    )
    assert assert_error(response, 400, "validation_error")["details"] == {
        "leasing_phone": [PHONE_INVALID]
    }


def test_property_create_rejects_overlapping_office_hours(client):
    hours = [
        {"weekday": 1, "opens_at": "09:00", "closes_at": "13:00"},
        {"weekday": 1, "opens_at": "12:00", "closes_at": "18:00"},
    ]
    response = client.post(
        "/api/v1/properties", {**NEW_PROPERTY, "office_hours": hours}, format="json"
    )
    body = assert_error(response, 400, "validation_error")
    assert body["details"]["office_hours"] == ["Office hours on the same day must not overlap."]


def test_property_leasing_phone_taken_by_any_property_is_a_409(client):
    PropertyFactory(leasing_phone="+14155550100")  # another user's

    response = client.post("/api/v1/properties", NEW_PROPERTY, format="json")

    body = assert_error(response, 409, "conflict")
    assert body["details"] == {
        "leasing_phone": ["Another property already uses this leasing number."]
    }


def test_property_patch_replaces_office_hours_only_when_given(client, user):
    prop = PropertyFactory(owner=user)  # Mon-Fri 9-17

    renamed = client.patch(f"/api/v1/properties/{prop.pk}", {"name": "New"}, format="json")
    assert renamed.status_code == 200
    assert len(renamed.json()["office_hours"]) == 5

    hours = [{"weekday": 6, "opens_at": "11:00", "closes_at": "15:00"}]
    replaced = client.patch(f"/api/v1/properties/{prop.pk}", {"office_hours": hours}, format="json")
    assert replaced.json()["office_hours"] == hours
    assert list(OfficeHours.objects.filter(property=prop).values_list("weekday", flat=True)) == [6]
    assert replaced.json()["name"] == "New"


def test_property_put_requires_the_address(client, user):
    prop = PropertyFactory(owner=user)
    body = assert_error(
        client.put(f"/api/v1/properties/{prop.pk}", {"name": "X"}, format="json"),
        400,
        "validation_error",
    )
    assert set(body["details"]) == {"address_line", "city", "state", "postal_code"}


def test_property_list_filters_and_searches(client, user):
    PropertyFactory(owner=user, name="Cedar Park", city="Austin")
    PropertyFactory(owner=user, name="Harbor View", city="San Francisco")

    by_city = client.get("/api/v1/properties", {"city": "austin"}).json()
    by_search = client.get("/api/v1/properties", {"search": "harbor"}).json()

    assert [p["name"] for p in by_city["results"]] == ["Cedar Park"]
    assert [p["name"] for p in by_search["results"]] == ["Harbor View"]
    assert by_city["count"] == 1


def test_property_delete_removes_its_units(client, user):
    unit = UnitFactory(property__owner=user)

    assert client.delete(f"/api/v1/properties/{unit.property_id}").status_code == 204
    assert not Unit.objects.filter(pk=unit.pk).exists()


def test_unit_create_update_and_duplicate_number(client, user):
    prop = PropertyFactory(owner=user)
    new = {
        "property": prop.pk,
        "unit_number": "101",
        "bedrooms": 0,
        "bathrooms": "1.0",
        "monthly_rent": "1850.00",
        "available_from": "2026-12-01",
    }

    created = client.post("/api/v1/units", new, format="json")
    duplicate = client.post("/api/v1/units", new, format="json")
    updated = client.patch(
        f"/api/v1/units/{created.json()['id']}",
        {"monthly_rent": "1900", "status": "on_notice"},
        format="json",
    )

    assert created.status_code == 201, created.content
    assert created.json()["property"] == prop.pk
    assert_error(duplicate, 409, "conflict")
    assert updated.status_code == 200
    unit = Unit.objects.get(pk=created.json()["id"])
    assert (unit.monthly_rent, unit.status) == (Decimal("1900.00"), "on_notice")


def test_unit_update_cannot_move_the_unit_to_another_property(client, user):
    unit = UnitFactory(property__owner=user)
    other = PropertyFactory(owner=user)

    client.patch(f"/api/v1/units/{unit.pk}", {"property": other.pk}, format="json")

    unit.refresh_from_db()
    assert unit.property_id != other.pk


def test_unit_list_filters(client, user):
    prop = PropertyFactory(owner=user)
    cheap = UnitFactory(property=prop, monthly_rent=Decimal("1500"), bedrooms=1)
    UnitFactory(property=prop, monthly_rent=Decimal("2500"), bedrooms=2)
    UnitFactory(property=prop, monthly_rent=Decimal("1400"), status=Unit.Status.OCCUPIED)

    response = client.get(
        "/api/v1/units", {"property": prop.pk, "max_rent": "2000", "status": "available"}
    )

    assert [u["id"] for u in response.json()["results"]] == [cheap.pk]


def test_unit_list_orders_by_rent(client, user):
    prop = PropertyFactory(owner=user)
    high = UnitFactory(property=prop, monthly_rent=Decimal("3000"))
    low = UnitFactory(property=prop, monthly_rent=Decimal("1000"))

    ids = [
        u["id"] for u in client.get("/api/v1/units", {"ordering": "monthly_rent"}).json()["results"]
    ]

    assert ids == [low.pk, high.pk]
