"""call_place_outbound: one POST /call, then the CallLog at once; nothing written on failure."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from leads.compliance.gate import CallRefusedError
from leads.models import CallDecision
from tests.factories import (
    AssistantFactory,
    CallLogFactory,
    ConsentFactory,
    LeadFactory,
    PropertyFactory,
    UserFactory,
)
from voice.assistants.services import create_property_assistant
from voice.calls.outbound import (
    call_log_record_outbound,
    call_place_outbound,
    call_wait_for_end,
)
from voice.models import CallLog
from voice.simulator.state import DEMO_PHONE_NUMBERS, Fault, phone_number_id
from voice.vapi.errors import VapiBadRequestError, VapiServerError, VoiceError

pytestmark = pytest.mark.django_db

LEASING_NUMBER = DEMO_PHONE_NUMBERS[0]  # seeded in the simulator
API = CallDecision.Path.API
CONSENTED = "+12065550100"  # a number (without a lead) with written consent to AI calls


@pytest.fixture
def assistant(vapi_settings, simulator, calling_hours):
    prop = PropertyFactory(leasing_phone=LEASING_NUMBER, transfer_phone="+14155550101")
    ConsentFactory(organization=prop.organization, number=CONSENTED)
    return create_property_assistant(property=prop)


def _posted_call(simulator) -> dict:
    (call,) = simulator.app.state.calls.values()
    return call


def test_call_place_outbound_records_the_call_at_once(assistant, simulator):
    lead = LeadFactory(
        property=assistant.property,
        phone="+12065550142",
        first_name="Maximiliana Josephine",
        last_name="Bartholomew-Featherstonehaugh",
    )

    call_log = call_place_outbound(
        assistant=assistant,
        phone_number="(206) 555-0142",
        lead=lead,
        metadata={"simScenario": "no_answer", "leadId": "spoofed"},
        path=API,
    )

    remote = _posted_call(simulator)
    assert call_log.vapi_call_id == remote["id"]
    assert call_log.direction == CallLog.Direction.OUTBOUND
    assert call_log.status == CallLog.Status.QUEUED
    assert call_log.customer_number == "+12065550142"
    assert call_log.lead == lead
    assert call_log.property == assistant.property
    assert call_log.assistant == assistant
    expected_metadata = {
        "leadId": str(lead.pk),
        "propertyId": str(assistant.property.pk),
        "assistantId": str(assistant.pk),
        "simScenario": "no_answer",
        # Washington (206) is an all-party-consent state (calling-compliance.md §4).
        "recording": "off",
        "recordingReason": "Washington requires all-party consent",
        # Ours alone, one per attempt (voice/calls/reconcile.py finds a lost answer's call by it).
        "attemptId": call_log.metadata["attemptId"],
    }
    assert len(call_log.metadata["attemptId"]) == 36
    assert call_log.metadata == expected_metadata
    # What Vapi got (HELPERS.md call metadata contract; vapi-reference.md §3.1, §10.7).
    assert remote["assistantId"] == assistant.vapi_assistant_id
    assert remote["phoneNumberId"] == phone_number_id(LEASING_NUMBER)
    assert remote["assistantOverrides"]["metadata"] == expected_metadata
    assert remote["assistantOverrides"]["firstMessageMode"] == "assistant-waits-for-user"
    assert remote["customer"]["number"] == "+12065550142"
    assert remote["customer"]["name"] == "Maximiliana Josephine Bartholomew-Feathe"
    assert len(remote["customer"]["name"]) <= 40
    assert remote["customer"]["externalId"] == f"lead-{lead.pk}"
    assert len(remote["name"]) <= 40
    assert simulator.app.state.count_requests("POST", "/call") == 1


def test_assistant_phone_number_id_wins(assistant, simulator):
    assistant.vapi_phone_number_id = phone_number_id(DEMO_PHONE_NUMBERS[1])
    assistant.save()
    call_place_outbound(assistant=assistant, phone_number=CONSENTED, path=API)
    assert _posted_call(simulator)["phoneNumberId"] == phone_number_id(DEMO_PHONE_NUMBERS[1])
    assert simulator.app.state.count_requests("GET", "/phone-number") == 0


def test_no_vapi_number_for_the_property_is_a_voice_error(assistant, simulator):
    prop = assistant.property
    prop.leasing_phone = "+15035550199"
    prop.save()
    with pytest.raises(VoiceError, match="No Vapi phone number"):
        call_place_outbound(assistant=assistant, phone_number=CONSENTED, path=API)
    assert simulator.app.state.count_requests("POST", "/call") == 0
    assert not CallLog.objects.exists()


def test_vapi_500_leaves_no_call_log_and_is_sent_once(assistant, simulator):
    simulator.app.state.add_fault(
        Fault(status=500, method="POST", path_prefix="/call", remaining=3)
    )
    with pytest.raises(VapiServerError):
        call_place_outbound(assistant=assistant, phone_number=CONSENTED, path=API)
    assert simulator.app.state.count_requests("POST", "/call") == 1
    assert not CallLog.objects.exists()


# Over Vapi's concurrency limit (vapi-reference.md §1): the docs allow both a 400 and a 201 whose
# call has already ended with call.start.error-subscription-concurrency-limit-reached.
CONCURRENCY_BLOCKED = "call.start.error-subscription-concurrency-limit-reached"


def test_a_concurrency_limit_400_leaves_no_call_log_and_is_sent_once(assistant, simulator):
    simulator.app.state.add_fault(
        Fault(
            status=400,
            method="POST",
            path_prefix="/call",
            message="Couldn't Create Call. Subscription Concurrency Limit Reached.",
        )
    )
    with pytest.raises(VapiBadRequestError, match="Concurrency Limit Reached"):
        call_place_outbound(assistant=assistant, phone_number=CONSENTED, path=API)
    assert simulator.app.state.count_requests("POST", "/call") == 1
    assert not CallLog.objects.exists()


def test_a_call_refused_for_the_concurrency_limit_is_recorded_ended(assistant, simulator):
    simulator.app.state.concurrency_limit = 1
    simulator.app.state.call_began("a-call-placed-elsewhere")  # the one slot is taken

    call_log = call_place_outbound(assistant=assistant, phone_number=CONSENTED, path=API)

    remote = _posted_call(simulator)
    assert (remote["status"], remote["endedReason"]) == ("ended", CONCURRENCY_BLOCKED)
    assert call_log.vapi_call_id == remote["id"]
    assert call_log.status == CallLog.Status.ENDED
    assert simulator.app.state.count_requests("POST", "/call") == 1


def test_an_assistant_not_on_vapi_cannot_call(vapi_settings, simulator):
    with pytest.raises(VoiceError, match="not on Vapi"):
        call_place_outbound(assistant=AssistantFactory(), phone_number=CONSENTED, path=API)


@pytest.mark.parametrize(
    ("lead_fields", "reason"),
    [
        ({"consent_to_call": False}, "no_written_consent"),
        ({"do_not_call": True}, "opted_out"),
        ({"opted_out_at": timezone.now()}, "opted_out"),
    ],
)
def test_leads_without_consent_are_not_called(assistant, simulator, lead_fields, reason):
    lead = LeadFactory(property=assistant.property, **lead_fields)
    with pytest.raises(CallRefusedError) as exc_info:
        call_place_outbound(assistant=assistant, phone_number=lead.phone, lead=lead, path=API)
    assert exc_info.value.reason == reason
    assert simulator.app.state.count_requests("POST", "/call") == 0
    (decision,) = CallDecision.objects.all()
    assert (decision.decision, decision.reason, decision.lead) == ("refused", reason, lead)


def test_a_consented_lead_at_another_number_is_refused(assistant, simulator):
    lead = LeadFactory(property=assistant.property, phone="+12065550142")
    with pytest.raises(CallRefusedError) as exc_info:
        call_place_outbound(assistant=assistant, phone_number="+12065550143", lead=lead, path=API)
    assert exc_info.value.reason == "consent_other_number"
    assert simulator.app.state.count_requests("POST", "/call") == 0


def test_do_not_call_numbers_are_refused_even_without_the_lead(assistant, simulator):
    LeadFactory(property=assistant.property, phone="+12065550111", do_not_call=True)
    with pytest.raises(CallRefusedError, match="asked not to be called"):
        call_place_outbound(assistant=assistant, phone_number="+1 206 555 0111", path=API)
    assert simulator.app.state.count_requests("POST", "/call") == 0


def test_calls_outside_calling_hours_are_refused(assistant, simulator, clock, calling_hours):
    clock.move_to(calling_hours.replace(hour=22))  # 22:00 Pacific (UTC offset kept)
    with pytest.raises(CallRefusedError) as exc_info:
        call_place_outbound(assistant=assistant, phone_number=CONSENTED, path=API)
    assert exc_info.value.reason == "quiet_hours"
    assert exc_info.value.next_allowed_at is not None
    assert simulator.app.state.count_requests("POST", "/call") == 0


def test_an_allowed_call_is_recorded_once_with_who_asked(assistant, simulator):
    user = UserFactory()
    call_place_outbound(assistant=assistant, phone_number=CONSENTED, path=API, requested_by=user)
    (decision,) = CallDecision.objects.all()
    assert (decision.decision, decision.path, decision.number) == ("allowed", API, CONSENTED)
    assert decision.requested_by == user
    assert decision.consent_ref is not None


def test_lead_of_another_property_and_bad_numbers(assistant, simulator):
    with pytest.raises(ValidationError, match="another property"):
        call_place_outbound(
            assistant=assistant, phone_number=CONSENTED, lead=LeadFactory(), path=API
        )
    with pytest.raises(CallRefusedError, match="valid phone number"):
        call_place_outbound(assistant=assistant, phone_number="not a number", path=API)
    assert simulator.app.state.count_requests("POST", "/call") == 0


def test_a_webhook_that_raced_ahead_is_completed_not_duplicated(assistant):
    """status-update may arrive before POST /call returns (vapi-reference.md §10.4)."""
    lead = LeadFactory(property=assistant.property)
    CallLogFactory(
        vapi_call_id="call-raced",
        property=None,
        direction=CallLog.Direction.OUTBOUND,
        status=CallLog.Status.IN_PROGRESS,
        customer_number="",
        metadata={"fromWebhook": "yes"},
    )

    call_log = call_log_record_outbound(
        vapi_call_id="call-raced",
        assistant=assistant,
        lead=lead,
        customer_number="+12065550100",
        status=CallLog.Status.QUEUED,
        metadata={"leadId": str(lead.pk)},
    )

    assert CallLog.objects.count() == 1
    assert call_log.status == CallLog.Status.IN_PROGRESS  # never moves backwards
    assert call_log.lead == lead
    assert call_log.assistant == assistant
    assert call_log.property == assistant.property
    assert call_log.customer_number == "+12065550100"
    assert call_log.metadata == {"leadId": str(lead.pk), "fromWebhook": "yes"}


def test_call_wait_for_end_returns_the_finished_call(assistant, simulator):
    call_log = call_place_outbound(
        assistant=assistant, phone_number=CONSENTED, metadata={"simScenario": "no_answer"}, path=API
    )
    ended = call_wait_for_end(vapi_call_id=call_log.vapi_call_id, poll_seconds=0.02)
    assert ended["endedReason"] == "customer-did-not-answer"


def test_call_wait_for_end_gives_up(assistant, simulator):
    simulator.app.config.play_calls = False
    call_log = call_place_outbound(assistant=assistant, phone_number=CONSENTED, path=API)
    with pytest.raises(VoiceError, match="had not ended"):
        call_wait_for_end(
            vapi_call_id=call_log.vapi_call_id, timeout_seconds=0.05, poll_seconds=0.01
        )
