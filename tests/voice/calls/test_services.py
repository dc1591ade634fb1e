"""The Vapi Call -> CallLog mapping, shared by the webhook and a GET /call sync."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from leads.models import LeadActivity
from tests.factories import AssistantFactory, CallLogFactory, LeadFactory, PropertyFactory
from voice.calls.mapping import call_log_fields_from_vapi, structured_answers
from voice.calls.services import call_log_apply_outcome, call_log_upsert_from_vapi
from voice.models import CallLog

# A GET /call/{id} object (vapi-reference.md §3.2): transcript and recording under artifact.
API_CALL = {
    "id": "call-api-1",
    "orgId": "org-1",
    "type": "outboundPhoneCall",
    "status": "ended",
    "endedReason": "voicemail",
    "startedAt": "2026-12-01T18:00:00.000Z",
    "endedAt": "2026-12-01T18:00:42.500Z",
    "cost": 0.08,
    "customer": {"number": "+12065550123"},
    "assistantId": "asst-api-1",
    "assistantOverrides": {"metadata": {"leadId": "0", "propertyId": "0"}},
    "artifact": {
        "transcript": "AI: Hi, this is Ava from Harbor View...",
        "messages": [{"role": "bot", "message": "Hi"}],
        "recording": {"stereoUrl": "https://r/s.wav", "mono": {"combinedUrl": "https://r/m.wav"}},
    },
    "analysis": {"summary": "Left a voicemail.", "successEvaluation": False},
}


def test_mapping_of_a_get_call_object():
    fields = call_log_fields_from_vapi(call=API_CALL)
    assert fields == {
        "status": "ended",
        "ended_reason": "voicemail",
        "customer_number": "+12065550123",
        "started_at": datetime(2026, 12, 1, 18, 0, tzinfo=UTC),
        "ended_at": datetime(2026, 12, 1, 18, 0, 42, 500000, tzinfo=UTC),
        "duration_seconds": 43,  # 42.5 s, rounded half up
        "transcript": "AI: Hi, this is Ava from Harbor View...",
        "messages": [{"role": "bot", "message": "Hi"}],
        "recording_url": "https://r/m.wav",
        "stereo_recording_url": "https://r/s.wav",
        "summary": "Left a voicemail.",
        "success_evaluation": "false",  # a boolean verdict is kept as "true"/"false"
        "cost": Decimal("0.0800"),
    }


def test_mapping_reads_legacy_top_level_fields_and_skips_junk():
    fields = call_log_fields_from_vapi(
        call={
            "id": "c",
            "status": "not-found",
            "transcript": "old style",
            "recordingUrl": "javascript:alert(1)",
            "summary": {"not": "text"},
            "cost": "NaN",
        }
    )
    assert fields == {"transcript": "old style"}


def test_report_fields_win_over_the_call():
    report = {"endedReason": "customer-ended-call", "cost": 1.5, "analysis": {"summary": "new"}}
    fields = call_log_fields_from_vapi(call=API_CALL, report=report)
    assert (fields["ended_reason"], fields["cost"], fields["summary"]) == (
        "customer-ended-call",
        Decimal("1.5000"),
        "new",
    )


@pytest.mark.django_db
def test_upsert_from_a_get_call_object_links_property_and_lead():
    assistant = AssistantFactory(vapi_assistant_id="asst-api-1")
    lead = LeadFactory(property=assistant.property, phone="+12065550123")
    upsert = call_log_upsert_from_vapi(call=API_CALL)
    log = upsert.call_log
    assert upsert.created
    assert (log.direction, log.property, log.assistant, log.lead) == (
        "outbound",
        assistant.property,
        assistant,
        lead,
    )
    assert log.duration_seconds == 43
    # A second sync with fresher data overwrites: an ended call with artifact is authoritative.
    newer = {**API_CALL, "analysis": {"summary": "Voicemail left, asked to call back."}}
    again = call_log_upsert_from_vapi(call=newer)
    assert not again.created
    assert CallLog.objects.get().summary == "Voicemail left, asked to call back."


@pytest.mark.django_db
def test_status_only_moves_forward_and_live_updates_only_fill_blanks():
    log = CallLogFactory(status="in-progress", summary="kept", customer_number="+12065550100")
    call = {"id": log.vapi_call_id, "status": "ringing", "customer": {"number": "+12065550999"}}
    upsert = call_log_upsert_from_vapi(call=call, status="ringing")
    log.refresh_from_db()
    assert (log.status, log.customer_number, upsert.previous_status) == (
        "in-progress",
        "+12065550100",
        "in-progress",
    )
    call_log_upsert_from_vapi(call={"id": log.vapi_call_id}, status="forwarding")
    log.refresh_from_db()
    assert log.status == "forwarding"


@pytest.mark.django_db
def test_inbound_call_is_routed_by_the_number_called():
    prop = PropertyFactory(leasing_phone="+14155550100")
    call = {"id": "in-1", "type": "inboundPhoneCall", "customer": {"number": "+12065550100"}}
    log = call_log_upsert_from_vapi(call=call, phone_number="+1 415 555 0100").call_log
    assert log.property == prop
    assert log.lead is None


@pytest.mark.django_db
def test_call_without_id_is_refused():
    with pytest.raises(ValueError, match="needs an id"):
        call_log_upsert_from_vapi(call={"status": "queued"})


@pytest.mark.django_db
def test_outcome_creates_a_phone_lead_from_structured_data():
    prop = PropertyFactory()
    log = CallLogFactory(
        property=prop,
        customer_number="+12065550188",
        transcript="AI: hi",
        summary="Wants a studio.",
        structured_data={"first_name": "Sam", "bedrooms": "0", "budget": "$2,100", "pets": None},
        ended_reason="customer-ended-call",
        duration_seconds=61,
    )
    lead = call_log_apply_outcome(call_log=log)
    assert (lead.first_name, lead.source, lead.status) == ("Sam", "phone", "contacted")
    assert (lead.desired_bedrooms, lead.budget) == (0, Decimal("2100.00"))
    ended = LeadActivity.objects.get(kind="call_ended")
    assert ended.text == "Call ended (customer-ended-call, 61s). Wants a studio."
    call_log_apply_outcome(call_log=log)  # idempotent
    assert LeadActivity.objects.filter(kind__in=["call_started", "call_ended"]).count() == 2


@pytest.mark.django_db
def test_outcome_without_a_number_or_data_makes_no_lead():
    log = CallLogFactory(customer_number="", structured_data={})
    assert call_log_apply_outcome(call_log=log) is None


def test_structured_answers_drop_what_does_not_parse():
    assert structured_answers(
        {"bedrooms": "two", "budget": -5, "move_in_date": "2026-12-01", "has_pets": "yes"}
    ) == {"move_in_date": datetime(2026, 12, 1).date(), "has_pets": True}
