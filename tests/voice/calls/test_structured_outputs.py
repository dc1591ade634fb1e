"""A call's analysis from structured outputs (vapi-reference.md §12.4), with the deprecated
`analysis` as the fallback for calls made before the switch: the mapping, and the lead it updates
through the webhook (one fixture per report shape)."""

from decimal import Decimal

import pytest
from django.utils import timezone

from leads.models import Lead, LeadActivity
from tests.voice.webhook_helpers import (
    CALLER,
    post_vapi,
    world_fixture,  # noqa: F401 - pytest fixture `world`
)
from voice.calls.analysis import call_analysis_fields, structured_output_results
from voice.calls.mapping import call_log_fields_from_vapi
from voice.models import CallLog, StructuredOutput, WebhookEvent
from voice.structured_outputs import CALL_SUMMARY, LEASING_CALL, OPT_OUT

pytestmark = pytest.mark.django_db

LEASING_CALL_ID = "7f1c9a52-3b0e-4d7a-9c41-2f6b8e0d5a11"


def _no_lookup() -> dict[str, str]:
    raise AssertionError("the database was asked although every name is ours")


@pytest.mark.parametrize("name", ["end_of_call_report", "end_of_call_report__structured_outputs"])
def test_both_report_shapes_give_the_same_columns(world, name):
    report = world.fixture(name)["message"]
    fields = call_log_fields_from_vapi(call=report["call"], report=report)
    assert fields["summary"].startswith("Jordan Lee called about a 2-bedroom")
    assert fields["success_evaluation"] == "true"
    assert fields["structured_data"]["budget"] == 4500
    assert fields["structured_data"]["pets"] == "one cat"
    # The opt-out verdict only exists as a structured output.
    assert fields["structured_data"].get("opt_out") is (
        False if name.endswith("structured_outputs") else None
    )


def test_structured_outputs_win_over_the_default_analysis(world):
    report = world.fixture("end_of_call_report__structured_outputs")["message"]
    assert (
        report["analysis"]["summary"]
        != report["artifact"]["structuredOutputs"]["0b6e2d94-8a1f-4c3e-b5d7-91e4f2a6c803"]["result"]
    )
    fields = call_analysis_fields(call=report["call"], report=report, names_by_id=_no_lookup)
    assert fields["summary"].startswith("Jordan Lee called")


def test_outputs_are_matched_by_stored_id_when_renamed_in_the_dashboard(world):
    StructuredOutput.objects.create(
        name=LEASING_CALL,
        vapi_id=LEASING_CALL_ID,
        definition_hash="x",
        target="y",
        synced_at=timezone.now(),
    )
    report = world.fixture("end_of_call_report__structured_outputs")["message"]
    report["artifact"]["structuredOutputs"][LEASING_CALL_ID]["name"] = "Lead details (old)"
    results = structured_output_results(call=report["call"], report=report)
    assert results[LEASING_CALL]["first_name"] == "Jordan"
    assert "Lead details (old)" not in results


def test_outputs_on_the_call_object_are_read_too(world):
    """GET /call and sync_calls see them at call.artifact.structuredOutputs."""
    report = world.fixture("end_of_call_report__structured_outputs")["message"]
    call = {**report["call"], "status": "ended", "artifact": report["artifact"]}
    fields = call_log_fields_from_vapi(call=call)
    assert fields["structured_data"]["email"] == "jordan.lee@example.com"
    assert fields["success_evaluation"] == "true"


def test_other_outputs_and_odd_results_are_tolerated():
    call = {
        "id": "c1",
        "artifact": {
            "structuredOutputs": {
                "someone-elses": {"name": "nps_score", "result": 9},
                "a": {"name": LEASING_CALL, "result": '{"bedrooms": 1}'},  # a JSON string
                "b": {"name": CALL_SUMMARY, "result": None},  # timed out
                "c": {"name": OPT_OUT, "result": True},
                "d": "not an entry",
            }
        },
        "analysis": {"summary": "Default summary.", "successEvaluation": "false"},
    }
    fields = call_analysis_fields(call=call, names_by_id=dict)
    assert fields == {
        "summary": "Default summary.",
        "structured_data": {"bedrooms": 1, "opt_out": True},
        "success_evaluation": "false",
    }


@pytest.mark.parametrize("name", ["end_of_call_report", "end_of_call_report__structured_outputs"])
def test_report_updates_the_lead(client, world, name):
    """Acceptance: the lead is updated from structured outputs, and still from an old-style
    report (analysis.structuredData)."""
    assert post_vapi(client, world.fixture(name)).status_code == 200
    assert WebhookEvent.objects.get().status == "processed"

    call_log = CallLog.objects.get()
    lead = Lead.objects.get()
    assert call_log.lead == lead
    assert (lead.first_name, lead.last_name, lead.phone) == ("Jordan", "Lee", CALLER)
    assert lead.email == "jordan.lee@example.com"
    assert (lead.desired_bedrooms, lead.budget, lead.pets) == (2, Decimal("4500.00"), "one cat")
    assert lead.move_in_date == world.move_in_date
    ended = LeadActivity.objects.get(kind="call_ended")
    assert "Jordan Lee called about a 2-bedroom" in ended.text
    assert ended.data["success_evaluation"] == "true"
