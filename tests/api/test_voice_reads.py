"""Read endpoints of the voice API: call logs (filters, cursor pages, detail) and assistants."""

from datetime import UTC, datetime

import pytest

from tests.api.conftest import assert_error, bearer_client
from tests.factories import (
    AssistantFactory,
    CallLogFactory,
    LeadFactory,
    PropertyFactory,
    UserFactory,
)
from voice.models import CallLog

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


def _call(prop, when: datetime, **kwargs) -> CallLog:
    call = CallLogFactory(property=prop, **kwargs)
    CallLog.objects.filter(pk=call.pk).update(created_at=when)
    return call


def test_call_list_filters(client, prop):
    lead = LeadFactory(property=prop)
    assistant = AssistantFactory(property=prop)
    match = _call(
        prop,
        datetime(2026, 3, 2, tzinfo=UTC),
        lead=lead,
        assistant=assistant,
        direction="outbound",
        status="ended",
    )
    _call(prop, datetime(2026, 3, 2, tzinfo=UTC), direction="inbound", status="ended")
    _call(prop, datetime(2026, 2, 1, tzinfo=UTC), lead=lead, direction="outbound")

    response = client.get(
        "/api/v1/voice/calls",
        {
            "property": prop.pk,
            "assistant": assistant.pk,
            "lead": lead.pk,
            "direction": "outbound",
            "status": "ended",
            "created_after": "2026-03-01T00:00:00Z",
            "created_before": "2026-03-03T00:00:00Z",
        },
    )

    assert response.status_code == 200, response.content
    assert [c["id"] for c in response.json()["results"]] == [match.pk]


def test_call_list_is_cursor_paginated_newest_first(client, prop):
    calls = [_call(prop, datetime(2026, 1, day, tzinfo=UTC)) for day in range(1, 6)]

    first = client.get("/api/v1/voice/calls", {"page_size": 2}).json()
    second = client.get(first["next"]).json()
    oldest_first = client.get("/api/v1/voice/calls", {"ordering": "created_at"}).json()

    assert [c["id"] for c in first["results"]] == [calls[4].pk, calls[3].pk]
    assert [c["id"] for c in second["results"]] == [calls[2].pk, calls[1].pk]
    assert "count" not in first
    assert [c["id"] for c in oldest_first["results"]] == [c.pk for c in calls]


def test_call_list_bad_cursor_is_404(client):
    assert_error(client.get("/api/v1/voice/calls", {"cursor": "nonsense"}), 404, "not_found")


def test_call_detail_has_the_transcript_and_the_list_does_not(client, prop):
    call = CallLogFactory(
        property=prop,
        transcript="AI: Hello\nUser: Hi",
        summary="Booked a tour.",
        messages=[{"role": "bot", "message": "Hello"}],
    )

    listed = client.get("/api/v1/voice/calls").json()["results"][0]
    detail = client.get(f"/api/v1/voice/calls/{call.pk}").json()

    assert "transcript" not in listed
    assert listed["summary"] == "Booked a tour."
    assert detail["transcript"] == "AI: Hello\nUser: Hi"
    assert detail["messages"] == [{"role": "bot", "message": "Hello"}]
    assert detail["vapi_call_id"] == call.vapi_call_id
    assert detail["recording_url"] == ""


def test_call_without_a_property_belongs_to_no_one(client, prop):
    orphan = CallLogFactory(property=None)

    assert client.get("/api/v1/voice/calls").json()["results"] == []
    assert_error(client.get(f"/api/v1/voice/calls/{orphan.pk}"), 404, "not_found")


def test_assistant_list_and_detail(client, prop):
    assistant = AssistantFactory(property=prop, name="Harbor")
    AssistantFactory(property=PropertyFactory(owner=UserFactory()))

    listed = client.get("/api/v1/voice/assistants", {"property": prop.pk}).json()
    detail = client.get(f"/api/v1/voice/assistants/{assistant.pk}").json()

    assert [a["id"] for a in listed["results"]] == [assistant.pk]
    assert detail["name"] == "Harbor"
    assert detail["push_state"] == "never"
