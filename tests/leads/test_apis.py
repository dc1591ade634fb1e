"""Leads (activities, notes) and tours over the API."""

import pytest

from leads.models import Lead, LeadActivity, Tour
from properties.phone import PHONE_INVALID
from tests.api.conftest import assert_error, bearer_client
from tests.factories import (
    LeadActivityFactory,
    LeadFactory,
    PropertyFactory,
    TourFactory,
    UnitFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def user():
    return UserFactory()


@pytest.fixture
def client(user):
    return bearer_client(user)


@pytest.fixture
def prop(user):
    return PropertyFactory(owner=user)


def test_lead_create_normalizes_phone_and_records_consent(client, prop):
    response = client.post(
        "/api/v1/leads",
        {
            "property": prop.pk,
            "first_name": "Maya",
            "phone": "(415) 555-0123",
            "source": "website",
            "consent_to_call": True,
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    data = response.json()
    assert data["phone"] == "+14155550123"
    assert data["full_name"] == "Maya"
    assert data["consent_recorded_at"] is not None
    assert data["status"] == "new"


@pytest.mark.parametrize("phone", ["12345", "not a phone", "+1 415 555 01234567"])
def test_lead_create_rejects_invalid_phone(client, prop, phone):
    response = client.post("/api/v1/leads", {"property": prop.pk, "phone": phone}, format="json")

    body = assert_error(response, 400, "validation_error")
    assert body["details"] == {"phone": [PHONE_INVALID]}
    assert not Lead.objects.exists()


def test_lead_create_rejects_a_phone_the_property_already_has(client, prop):
    LeadFactory(property=prop, phone="+14155550123")

    response = client.post(
        "/api/v1/leads", {"property": prop.pk, "phone": "+14155550123"}, format="json"
    )

    # A valid request that clashes with an existing lead: 409 (config/errors.py).
    body = assert_error(response, 409, "conflict")
    assert body["details"] == {
        "phone": ["A lead with this phone number already exists for this property."]
    }


def test_lead_create_requires_a_property(client):
    body = assert_error(client.post("/api/v1/leads", {}, format="json"), 400, "validation_error")
    assert body["details"] == {"property": ["This field is required."]}


def test_lead_status_change_is_recorded_as_an_activity(client, prop):
    lead = LeadFactory(property=prop)

    response = client.patch(f"/api/v1/leads/{lead.pk}", {"status": "qualified"}, format="json")

    assert response.status_code == 200
    activity = lead.activities.get()
    assert activity.kind == LeadActivity.Kind.STATUS_CHANGED
    assert activity.data == {"from": "new", "to": "qualified"}


def test_lead_do_not_call_records_and_clears_the_opt_out_time(client, prop):
    lead = LeadFactory(property=prop)

    opted_out = client.patch(f"/api/v1/leads/{lead.pk}", {"do_not_call": True}, format="json")
    opted_in = client.patch(f"/api/v1/leads/{lead.pk}", {"do_not_call": False}, format="json")

    assert opted_out.json()["opted_out_at"] is not None
    assert opted_in.json()["opted_out_at"] is None


def test_lead_note_is_added_and_shown_in_the_detail(client, prop):
    lead = LeadFactory(property=prop)
    LeadActivityFactory(lead=lead, kind=LeadActivity.Kind.CALL_ENDED, text="Call ended.")
    tour = TourFactory(lead=lead)

    note = client.post(f"/api/v1/leads/{lead.pk}/notes", {"text": "Wants a view."}, format="json")
    detail = client.get(f"/api/v1/leads/{lead.pk}").json()

    assert note.status_code == 201
    assert note.json()["kind"] == "note"
    assert [a["text"] for a in detail["activities"]] == ["Wants a view.", "Call ended."]
    assert [t["id"] for t in detail["tours"]] == [tour.pk]


def test_lead_note_needs_text(client, prop):
    lead = LeadFactory(property=prop)
    response = client.post(f"/api/v1/leads/{lead.pk}/notes", {"text": ""}, format="json")
    assert assert_error(response, 400, "validation_error")["details"]["text"]


def test_lead_list_filters_by_status_and_searches(client, prop):
    maya = LeadFactory(property=prop, first_name="Maya", status=Lead.Status.QUALIFIED)
    LeadFactory(property=prop, first_name="Omar", status=Lead.Status.NEW)
    LeadFactory(property=prop, first_name="Maya", status=Lead.Status.LOST)

    response = client.get("/api/v1/leads", {"status": ["qualified", "new"], "search": "maya"})

    assert [lead["id"] for lead in response.json()["results"]] == [maya.pk]


def test_lead_list_rejects_unknown_status(client):
    body = assert_error(client.get("/api/v1/leads", {"status": "bogus"}), 400, "validation_error")
    assert list(body["details"]) == ["status"]


def test_lead_delete(client, prop):
    lead = LeadFactory(property=prop)
    assert client.delete(f"/api/v1/leads/{lead.pk}").status_code == 204
    assert not Lead.objects.filter(pk=lead.pk).exists()


def test_tour_create_at_the_leads_property_with_an_activity(client, prop):
    lead = LeadFactory(property=prop)
    unit = UnitFactory(property=prop)

    response = client.post(
        "/api/v1/tours",
        {
            "lead": lead.pk,
            "unit": unit.pk,
            "starts_at": "2026-12-01T14:00:00-08:00",
            "kind": "self_guided",
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    tour = Tour.objects.get(pk=response.json()["id"])
    assert (tour.property_id, tour.unit_id, tour.kind) == (prop.pk, unit.pk, "self_guided")
    assert response.json()["starts_at"] == "2026-12-01T22:00:00Z"
    activity = lead.activities.get(kind=LeadActivity.Kind.TOUR_SCHEDULED)
    assert "2026-12-01 14:00" in activity.text  # in the property's time zone


def test_tour_unit_must_be_at_the_leads_property(client, user, prop):
    lead = LeadFactory(property=prop)
    elsewhere = UnitFactory(property=PropertyFactory(owner=user))
    tour = TourFactory(lead=lead)

    created = client.post(
        "/api/v1/tours",
        {"lead": lead.pk, "unit": elsewhere.pk, "starts_at": "2026-12-01T14:00:00Z"},
        format="json",
    )
    patched = client.patch(f"/api/v1/tours/{tour.pk}", {"unit": elsewhere.pk}, format="json")

    for response in (created, patched):
        body = assert_error(response, 409, "conflict")
        assert body["details"] == {"unit": ["This unit is not at the lead's property."]}


def test_tour_can_be_cancelled_and_filtered(client, prop):
    lead = LeadFactory(property=prop)
    tour = TourFactory(lead=lead)
    TourFactory(lead=lead)

    client.patch(f"/api/v1/tours/{tour.pk}", {"status": "cancelled"}, format="json")
    cancelled = client.get("/api/v1/tours", {"status": "cancelled", "lead": lead.pk}).json()

    assert [t["id"] for t in cancelled["results"]] == [tour.pk]


def test_tour_list_date_range(client, prop):
    lead = LeadFactory(property=prop)
    early = TourFactory(lead=lead, starts_at="2026-12-01T10:00:00Z")
    TourFactory(lead=lead, starts_at="2026-12-05T10:00:00Z")

    response = client.get(
        "/api/v1/tours",
        {"starts_after": "2026-11-30T00:00:00Z", "starts_before": "2026-12-02T00:00:00-08:00"},
    )

    assert [t["id"] for t in response.json()["results"]] == [early.pk]
