"""Whole calls replayed as Vapi would deliver them (the simulator's job, done with fixtures)."""

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from leads.models import Lead, LeadActivity, Tour
from tests.factories import LeadFactory
from tests.voice.webhook_helpers import (
    CALLER,
    post_concurrently,
    post_vapi,
    world_build,
    world_fixture,  # noqa: F401 - pytest fixture `world`
)
from voice.models import CallLog, TranscriptLine, WebhookEvent

pytestmark = pytest.mark.django_db

BOOK_A_TOUR = [
    "assistant_request",
    "status_update__queued",
    "status_update__ringing",
    "status_update__in_progress",
    "transcript__final_type",
    "transcript__partial",
    "transcript__final",
    "tool_calls__check_availability",
    "tool_calls__qualify_lead",
    "tool_calls__schedule_tour",
    "status_update__ended",
    "end_of_call_report",
]


def test_book_a_tour_call_end_to_end(client, world):
    answers = {name: post_vapi(client, world.fixture(name)) for name in BOOK_A_TOUR}
    assert {response.status_code for response in answers.values()} == {200}
    assert not WebhookEvent.objects.filter(status="failed").exists()

    routed = answers["assistant_request"].json()
    assert routed["assistantId"] == world.assistant.vapi_assistant_id
    assert routed["assistantOverrides"]["metadata"]["propertyId"] == str(world.property.pk)
    assert routed["assistantOverrides"]["variableValues"]["propertyName"] == world.property.name

    availability = answers["tool_calls__check_availability"].json()["results"][0]
    assert availability["result"].startswith("Available: unit 312, 2 bed 2 bath, $4,250 a month")
    booked = answers["tool_calls__schedule_tour"].json()["results"][0]["result"]
    assert booked.startswith("Booked: in person tour on ")

    call_log = CallLog.objects.get()
    assert call_log.vapi_call_id == world.call_id
    assert call_log.direction == "inbound"
    assert call_log.status == "ended"
    assert call_log.ended_reason == "customer-ended-call"
    assert call_log.property == world.property
    assert call_log.assistant == world.assistant
    assert call_log.transcript.startswith("AI: Thanks for calling Harbor View")
    # The caller's area code (415) is in California, an all-party-consent state: routing asked
    # for no recording, so the report's recording URLs are not kept (§7 rule 15).
    assert routed["assistantOverrides"]["artifactPlan"]["recordingEnabled"] is False
    assert call_log.recording_url == ""
    assert call_log.stereo_recording_url == ""
    assert call_log.recorded is False
    assert call_log.recording_basis == (
        "not recorded: California requires all-party consent and none was given"
    )
    assert call_log.summary.startswith("Jordan Lee called about a 2-bedroom")
    assert call_log.cost == Decimal("0.4127")
    assert call_log.duration_seconds == 278
    assert call_log.structured_data["budget"] == 4500
    assert call_log.success_evaluation == "true"
    assert len(call_log.messages) == 5

    lead = Lead.objects.get()
    assert call_log.lead == lead
    assert (lead.first_name, lead.last_name, lead.phone) == ("Jordan", "Lee", CALLER)
    assert lead.source == Lead.Source.PHONE
    assert lead.status == Lead.Status.TOUR_SCHEDULED
    assert lead.score is not None
    assert lead.score >= 50
    assert set(lead.score_factors) == {"move_in", "unit_type", "budget", "pets", "engagement"}
    assert lead.email == "jordan.lee@example.com"
    assert (lead.desired_bedrooms, lead.budget, lead.pets) == (2, Decimal("4500.00"), "one cat")
    assert lead.move_in_date == world.move_in_date

    tour = Tour.objects.get()
    assert (tour.lead, tour.property, tour.vapi_call_id) == (lead, world.property, world.call_id)
    assert tour.starts_at == world.tour_start.replace(tzinfo=world.property.tz)

    kinds = sorted(LeadActivity.objects.values_list("kind", flat=True))
    assert kinds == ["call_ended", "call_started", "qualified", "tour_scheduled"]
    ended = LeadActivity.objects.get(kind="call_ended")
    assert "Jordan Lee called about a 2-bedroom" in ended.text
    assert TranscriptLine.objects.filter(vapi_call_id=world.call_id).count() == 2


def test_known_caller_is_linked_on_first_sight(client, world):
    lead = LeadFactory(property=world.property, phone=CALLER, source=Lead.Source.WEBSITE)
    post_vapi(client, world.fixture("status_update__queued"))
    assert CallLog.objects.get().lead == lead
    assert LeadActivity.objects.filter(kind="call_started", lead=lead).count() == 1
    post_vapi(client, world.fixture("status_update__in_progress"))
    assert LeadActivity.objects.filter(kind="call_started").count() == 1
    post_vapi(client, world.fixture("end_of_call_report"))
    lead.refresh_from_db()
    assert lead.source == Lead.Source.WEBSITE  # first-touch attribution stays
    assert lead.status == Lead.Status.CONTACTED


def test_outbound_call_links_the_lead_from_metadata(client, world):
    lead = LeadFactory(property=world.property, phone="+12065550111")
    message = world.fixture("status_update__queued")
    call = message["message"]["call"]
    call["type"] = "outboundPhoneCall"
    call["assistantOverrides"] = {
        "metadata": {"leadId": str(lead.pk), "propertyId": str(world.property.pk)}
    }
    post_vapi(client, message)
    call_log = CallLog.objects.get()
    assert (call_log.direction, call_log.lead, call_log.property) == (
        "outbound",
        lead,
        world.property,
    )
    assert call_log.metadata["leadId"] == str(lead.pk)


def test_status_never_moves_back_from_ended(client, world):
    for name in ("status_update__ended", "status_update__in_progress", "status_update__queued"):
        post_vapi(client, world.fixture(name))
    assert CallLog.objects.get().status == "ended"


# Acceptance 4: status-update(ended) and end-of-call-report in either order -----------------------

FINAL_FIELDS = [
    "status",
    "ended_reason",
    "started_at",
    "ended_at",
    "duration_seconds",
    "transcript",
    "messages",
    "recording_url",
    "stereo_recording_url",
    "summary",
    "structured_data",
    "success_evaluation",
    "cost",
    "direction",
    "customer_number",
    "property_id",
    "assistant_id",
    "metadata",
]


def _final_state(client, world, order):
    for name in ["status_update__in_progress", *order]:
        post_vapi(client, world.fixture(name))
    call_log = CallLog.objects.get(vapi_call_id=world.call_id)
    state = {name: getattr(call_log, name) for name in FINAL_FIELDS}
    for name in ("recording_url", "stereo_recording_url"):  # they embed the call id
        state[name] = state[name].replace(world.call_id, "<call>")
    state["lead"] = (call_log.lead.first_name, call_log.lead.status) if call_log.lead else None
    state["activities"] = sorted(
        LeadActivity.objects.filter(vapi_call_id=world.call_id).values_list("kind", "text")
    )
    return state


def test_ended_and_report_in_either_order_give_the_same_call_log(client, db):
    first = world_build(call_id="call-order-a")
    a = _final_state(client, first, ["status_update__ended", "end_of_call_report"])
    b = _final_state(
        client,
        first.__class__(**{**first.__dict__, "call_id": "call-order-b"}),
        ["end_of_call_report", "status_update__ended"],
    )
    assert a == b
    assert a["status"] == "ended"
    assert a["ended_at"] == datetime(2026, 12, 1, 18, 4, 40, tzinfo=UTC)
    assert a["summary"]


def test_status_update_ended_alone_closes_the_call(client, world):
    post_vapi(client, world.fixture("status_update__in_progress"))
    post_vapi(client, world.fixture("status_update__ended"))
    call_log = CallLog.objects.get()
    assert call_log.status == "ended"
    assert call_log.ended_reason == "customer-ended-call"
    assert call_log.started_at is not None
    assert call_log.ended_at is not None
    assert call_log.duration_seconds == 278


# Acceptance 3: the same deliveries 50 times at once ----------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_copies_of_each_delivery_have_one_effect():
    world = world_build(call_id="call-concurrent-1")
    names = [
        "status_update__in_progress",
        "tool_calls__check_availability",
        "tool_calls__qualify_lead",
        "tool_calls__schedule_tour",
        "end_of_call_report",
    ]
    answers: dict[str, list] = {}
    for name in names:
        body = json.dumps(world.fixture(name)).encode()
        answers[name] = post_concurrently([body] * 50)

    for name in names:
        statuses = {status for status, _ in answers[name]}
        assert statuses == {200}, name
        bodies = {json.dumps(body, sort_keys=True) for _, body in answers[name]}
        assert len(bodies) == 1, (name, bodies)
    assert "Booked" in answers["tool_calls__schedule_tour"][0][1]["results"][0]["result"]
    assert WebhookEvent.objects.count() == len(names)
    assert not WebhookEvent.objects.filter(status="failed").exists()
    assert CallLog.objects.count() == 1
    assert Lead.objects.count() == 1
    assert Tour.objects.count() == 1
    kinds = sorted(LeadActivity.objects.values_list("kind", flat=True))
    assert kinds == ["call_ended", "call_started", "qualified", "tour_scheduled"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_first_sightings_of_one_call_create_one_log():
    world = world_build(call_id="call-race-1")
    LeadFactory(property=world.property, phone=CALLER)
    names = ["status_update__queued", "status_update__ringing", "status_update__in_progress"]
    bodies = []
    for n in range(18):
        message = world.fixture(names[n % 3])
        message["message"]["timestamp"] += n  # distinct deliveries, not duplicates
        bodies.append(json.dumps(message).encode())
    statuses = [status for status, _ in post_concurrently(bodies)]
    assert statuses == [200] * len(bodies)
    assert not WebhookEvent.objects.filter(status="failed").exists()
    call_log = CallLog.objects.get()
    assert call_log.status == "in-progress"
    assert call_log.lead is not None
    assert LeadActivity.objects.filter(kind="call_started").count() == 1
