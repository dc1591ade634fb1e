"""Opt-outs heard on a call (calling-compliance.md §7 rules 8-10, 12, 16): every channel writes
the organization's Suppression row while the delivery is handled, for the customer's number."""

from datetime import timedelta

import pytest
from django.db import DatabaseError

from leads.compliance.gate import call_permission
from leads.compliance.models import CallDecision, Suppression
from tests.factories import LeadFactory, OrganizationFactory, PropertyFactory
from tests.voice.webhook_helpers import (
    CALLER,
    post_vapi,
    world_fixture,  # noqa: F401 - pytest fixture `world`
)
from voice.webhooks.tools import OPT_OUT_CONFIRMED, OPT_OUT_NOT_RECORDED

pytestmark = pytest.mark.django_db


def _deliver(client, world, name, **values):
    message = world.fixture(name, **values)
    response = post_vapi(client, message)
    assert response.status_code == 200
    return response.json()


def _transcript(client, world, text, *, role="user", name="transcript__opt_out"):
    message = world.fixture(name)
    message["message"].update(role=role, transcript=text)
    assert post_vapi(client, message).status_code == 200


def _the_row(world, source):
    row = Suppression.objects.get()
    assert (row.organization, row.number, row.source, row.vapi_call_id) == (
        world.property.organization,
        CALLER,
        source,
        world.call_id,
    )
    return row


def test_a_final_transcript_line_from_the_caller_suppresses_at_once(client, world):
    _deliver(client, world, "transcript__opt_out")

    row = _the_row(world, Suppression.Source.SPOKEN)
    assert "take me off your list" in row.note


@pytest.mark.parametrize("role", ["user", "customer"])
def test_both_spellings_of_the_callers_role_count(client, world, role):
    _transcript(client, world, "Stop calling me.", role=role)
    _the_row(world, Suppression.Source.SPOKEN)


def test_the_assistants_own_opt_out_offer_and_harmless_lines_do_not(client, world):
    _transcript(
        client, world, "Say 'stop calling' or press 9 any time to be removed.", role="assistant"
    )
    _transcript(client, world, "Can you stop by Tuesday?")
    partial = world.fixture("transcript__opt_out")
    partial["message"]["transcriptType"] = "partial"
    post_vapi(client, partial)

    assert not Suppression.objects.exists()


def test_keypad_nine_suppresses(client, world):
    # With keypadInputPlan the digits reach us as the caller's input (no keypress message type in
    # the OpenAPI ServerMessage union): "9", "9#", "DTMF: 9" are all read as the opt-out key.
    _deliver(client, world, "transcript__dtmf")

    _the_row(world, Suppression.Source.DTMF)


def test_the_stop_calling_tool_suppresses_then_says_confirm_once_and_end(client, world):
    answer = _deliver(client, world, "tool_calls__stop_calling")

    (result,) = answer["results"]
    assert result == {
        "toolCallId": "call_stop_01",
        "name": "stop_calling",
        "result": OPT_OUT_CONFIRMED,
    }
    assert "Confirm once" in result["result"]
    assert "then end the call with endCall" in result["result"]
    _the_row(world, Suppression.Source.TOOL)


def test_the_tool_without_a_caller_number_still_ends_the_call_politely(client, world):
    message = world.fixture("tool_calls__stop_calling")
    message["message"]["call"].pop("customer")
    message["message"].pop("customer")

    (result,) = post_vapi(client, message).json()["results"]

    assert "end the call with endCall" in result["result"]
    assert not Suppression.objects.exists()


def test_the_structured_output_in_the_report_suppresses(client, world):
    _deliver(client, world, "end_of_call_report__opt_out")

    _the_row(world, Suppression.Source.STRUCTURED_OUTPUT)


def test_a_callers_line_in_the_report_suppresses_even_if_the_analysis_says_no(client, world):
    message = world.fixture("end_of_call_report__structured_outputs")
    messages = message["message"]["artifact"]["messages"]
    messages.append({"role": "user", "message": "Please take me off your list.", "time": 1})

    post_vapi(client, message)

    _the_row(world, Suppression.Source.SPOKEN)


def test_a_callers_line_in_the_plain_transcript_suppresses(client, world):
    message = world.fixture("end_of_call_report")
    message["message"]["artifact"]["messages"] = []
    message["message"]["artifact"]["transcript"] += "\nUser: Remove my number, please."

    post_vapi(client, message)

    _the_row(world, Suppression.Source.SPOKEN)


def test_an_ordinary_report_suppresses_nothing(client, world):
    _deliver(client, world, "end_of_call_report__structured_outputs")
    _deliver(client, world, "end_of_call_report")

    assert not Suppression.objects.exists()


def test_every_channel_in_one_call_leaves_one_row_the_first(client, world):
    for name in (
        "transcript__opt_out",
        "transcript__dtmf",
        "tool_calls__stop_calling",
        "end_of_call_report__opt_out",
    ):
        _deliver(client, world, name)

    _the_row(world, Suppression.Source.SPOKEN)


def test_an_outbound_call_suppresses_the_dialled_number(client, world):
    message = world.fixture("transcript__opt_out", caller="+12065550142")
    message["message"]["call"]["type"] = "outboundPhoneCall"

    post_vapi(client, message)

    assert Suppression.objects.get().number == "+12065550142"


def test_the_row_outlives_the_lead(client, world):
    lead = LeadFactory(property=world.property, phone=CALLER)
    _deliver(client, world, "transcript__opt_out")
    assert Suppression.objects.get().lead == lead

    lead.delete()

    row = Suppression.objects.get()
    assert (row.number, row.lead) == (CALLER, None)


def test_one_stop_covers_every_property_of_the_organization_only(client, world, calling_hours):
    _deliver(client, world, "transcript__opt_out")
    sister = PropertyFactory(organization=world.property.organization)
    other_org = PropertyFactory(organization=OrganizationFactory())
    same_org_lead = LeadFactory(property=sister, phone=CALLER)
    other_org_lead = LeadFactory(property=other_org, phone=CALLER)

    refused = call_permission(
        organization=sister.organization,
        number=CALLER,
        purpose="marketing",
        path=CallDecision.Path.API,
        lead=same_org_lead,
    )
    allowed = call_permission(
        organization=other_org.organization,
        number=CALLER,
        purpose="marketing",
        path=CallDecision.Path.API,
        lead=other_org_lead,
    )

    assert (refused.allowed, refused.reason) == (False, "opted_out")
    assert allowed.reason != "opted_out"


def test_a_suppressed_caller_is_still_answered(client, world):
    _deliver(client, world, "transcript__opt_out")

    answer = _deliver(client, world, "assistant_request")

    assert answer["assistantId"] == world.assistant.vapi_assistant_id


def test_a_failed_stop_still_ends_the_call_and_the_report_records_it(client, world, monkeypatch):
    def broken(**kwargs):
        raise DatabaseError("the database went away")

    monkeypatch.setattr("voice.webhooks.tools.call_opt_out_record", broken)

    (answer,) = _deliver(client, world, "tool_calls__stop_calling")["results"]

    assert answer["error"] == OPT_OUT_NOT_RECORDED
    assert "call back" not in answer["error"]
    assert not Suppression.objects.exists()
    monkeypatch.undo()
    _deliver(client, world, "end_of_call_report__opt_out")
    _the_row(world, Suppression.Source.STRUCTURED_OUTPUT)


def test_a_stop_at_ten_refuses_the_call_queued_for_two(client, world, clock, calling_hours):
    # §7 rule 8's test: "stop calling me" at 10:00; the call planned for 14:00 is refused.
    lead = LeadFactory(property=world.property, phone=CALLER)
    clock.move_to(calling_hours - timedelta(hours=1))
    _transcript(client, world, "Stop calling me.")
    clock.move_to(calling_hours + timedelta(hours=3))

    permission = call_permission(
        organization=world.property.organization,
        number=CALLER,
        purpose="marketing",
        path=CallDecision.Path.API,
        lead=lead,
    )

    assert (permission.allowed, permission.reason) == (False, "opted_out")
