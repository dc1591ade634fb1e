"""Recording by the called person's state, end to end (calling-compliance.md §4, §7 rule 15):
our code → the Vapi simulator → our webhook, as in test_end_to_end.py."""

import pytest

from leads.demo import demo_data_load
from leads.models import CallDecision, Lead
from properties.models import Property
from tests.factories import LeadFactory, consent_for
from voice.assistants.services import create_property_assistant
from voice.calls.outbound import call_place_outbound
from voice.models import CallLog
from voice.simulator.server import RunningSimulator

pytestmark = pytest.mark.django_db(transaction=True)

CA_NOT_RECORDED = "not recorded: California requires all-party consent and none was given"


@pytest.fixture
def harbor_view() -> Property:
    demo_data_load()
    return Property.objects.get(name="Harbor View Apartments")


def _call(vapi: RunningSimulator, prop: Property, lead: Lead, scenario: str = "book_tour"):
    assistant = create_property_assistant(property=prop)
    placed = call_place_outbound(
        assistant=assistant,
        phone_number=lead.phone,
        lead=lead,
        metadata={"simScenario": scenario},
        path=CallDecision.Path.API,
    )
    assert vapi.app.wait_for_calls(timeout=60), "the simulated call did not finish"
    (sent,) = vapi.app.state.calls.values()
    return CallLog.objects.get(pk=placed.pk), sent


def _texas_lead(prop: Property) -> Lead:
    lead = LeadFactory(property=prop, phone="+15125550147", state="TX", first_name="Dana")
    consent_for(lead)
    return lead


def test_a_california_lead_is_not_recorded_and_the_log_says_why(calling_hours, vapi, harbor_view):
    lead = Lead.objects.get(phone="+14155550123")

    call_log, sent = _call(vapi, harbor_view, lead)

    assert sent["assistantOverrides"]["artifactPlan"]["recordingEnabled"] is False
    # The rest of the assistant's artifactPlan comes along (structured outputs still run).
    assert sent["assistantOverrides"]["artifactPlan"]["structuredOutputIds"]
    assert "recordingUrl" not in sent["artifact"]
    assert call_log.status == CallLog.Status.ENDED
    assert call_log.summary  # the call itself went on
    assert (call_log.recording_url, call_log.stereo_recording_url) == ("", "")
    assert call_log.recorded is False
    assert call_log.recording_basis == CA_NOT_RECORDED


def test_a_texas_lead_is_recorded_and_the_log_says_why(calling_hours, vapi, harbor_view):
    call_log, sent = _call(vapi, harbor_view, _texas_lead(harbor_view))

    assert "artifactPlan" not in sent["assistantOverrides"]
    assert "compliancePlan" not in sent["assistantOverrides"]
    assert call_log.recording_url.endswith("-mono.wav")
    assert call_log.recorded is True
    assert call_log.recording_basis == "recorded: a one-party state (Texas)"


@pytest.mark.parametrize("plan", ["verbal", "stay-on-line"])
def test_with_a_consent_plan_a_california_lead_who_consents_is_recorded(
    calling_hours, vapi, harbor_view, settings, plan
):
    settings.VAPI_RECORDING_CONSENT_PLAN = plan
    lead = Lead.objects.get(phone="+14155550123")

    call_log, sent = _call(vapi, harbor_view, lead, scenario="recording_consent")

    consent_plan = sent["assistantOverrides"]["compliancePlan"]["recordingConsentPlan"]
    assert consent_plan["type"] == plan
    assert consent_plan["message"]
    assert "artifactPlan" not in sent["assistantOverrides"]
    assert sent["compliance"]["recordingConsent"]["grantedAt"]
    assert call_log.recording_url.endswith("-mono.wav")
    assert call_log.recorded is True
    assert call_log.recording_basis.startswith(f"recorded after {plan} consent at ")
    assert call_log.recording_basis.endswith(": California requires all-party consent")


@pytest.mark.parametrize("plan", ["verbal", "stay-on-line"])
def test_with_a_consent_plan_a_california_lead_who_declines_is_not_recorded(
    calling_hours, vapi, harbor_view, settings, plan
):
    settings.VAPI_RECORDING_CONSENT_PLAN = plan
    lead = Lead.objects.get(phone="+14155550123")

    call_log, sent = _call(vapi, harbor_view, lead, scenario="recording_declined")

    assert sent["compliance"]["recordingConsent"] == {"type": plan}
    assert "recordingUrl" not in sent["artifact"]
    assert call_log.recording_url == ""
    assert call_log.recorded is False
    assert call_log.recording_basis == CA_NOT_RECORDED
