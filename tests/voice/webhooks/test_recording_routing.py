"""Inbound calls follow the recording rule too (calling-compliance.md §7 rules 15-16): the
assistant-request answer turns recording off for a caller whose area code is in an all-party
state, or whose state is unknown, and leaves it on elsewhere."""

from datetime import date

import pytest

from leads.compliance.recording import recording_rule, recording_rule_for_number
from tests.clock import at
from tests.factories import LeadFactory
from tests.voice.webhook_helpers import (
    post_vapi,
    world_fixture,  # noqa: F401 - pytest fixture `world`
)
from voice.models import CallLog

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("states", "record", "basis"),
    [
        (["OR"], True, "a one-party state (Oregon)"),
        (["TX", "OR"], True, "one-party states (Oregon and Texas)"),
        (["OR", "CA"], False, "California requires all-party consent"),
        (["CA", "WA"], False, "California and Washington require all-party consent"),
        (["NV"], False, "Nevada requires all-party consent"),  # treated as all-party (§4 sec.)
        ([], False, "the caller's state is unknown, so all-party consent applies"),
    ],
)
def test_the_recording_rule(states, record, basis):
    rule = recording_rule(states)
    assert (rule.record, rule.basis) == (record, basis)


def test_the_rule_for_a_number_adds_the_address_state():
    assert recording_rule_for_number("+15035550147").record is True
    assert recording_rule_for_number("+15035550147", state="CA").record is False
    assert recording_rule_for_number("+18005550100").record is False  # toll-free: unknown
    assert recording_rule_for_number("not a number").record is False


def test_the_rule_for_a_number_adds_the_zip_state():
    assert recording_rule_for_number("+12125550147").record is True  # New York: one-party
    rule = recording_rule_for_number("+12125550147", postal_code="94103")
    assert (rule.record, rule.basis) == (False, "California requires all-party consent")
    assert recording_rule_for_number("+12125550147", postal_code="10001").record is True
    assert recording_rule_for_number("+12125550147", postal_code="nope").record is True
    assert recording_rule_for_number("not a number", postal_code="10001").record is True


def test_a_new_york_number_whose_lead_lives_in_san_francisco_is_not_recorded(client, world, clock):
    """The caller's 212 area code says New York (one-party), the lead's ZIP 94103 says
    California (all-party): any all-party candidate state decides (§7 rule 15)."""
    clock.move_to(at(date(2027, 3, 4), 11, zone="America/New_York"), tick=False)
    LeadFactory(property=world.property, phone="+12125550147", postal_code="94103")

    answer = post_vapi(client, world.fixture("assistant_request", caller="+12125550147")).json()

    overrides = answer["assistantOverrides"]
    assert overrides["artifactPlan"]["recordingEnabled"] is False
    assert overrides["metadata"]["recording"] == "off"
    assert overrides["metadata"]["recordingReason"] == "California requires all-party consent"
    call_log = CallLog.objects.get()
    assert call_log.recorded is False
    assert call_log.recording_basis == "not recorded: California requires all-party consent"


def test_a_california_caller_is_answered_without_recording(client, world):
    answer = post_vapi(client, world.fixture("assistant_request")).json()  # caller 415

    overrides = answer["assistantOverrides"]
    assert overrides["artifactPlan"]["recordingEnabled"] is False
    assert overrides["metadata"]["recording"] == "off"
    call_log = CallLog.objects.get()
    assert call_log.recorded is False
    assert call_log.recording_basis == "not recorded: California requires all-party consent"


def test_an_oregon_caller_is_recorded_as_the_assistant_says(client, world):
    answer = post_vapi(client, world.fixture("assistant_request", caller="+15035550147")).json()

    overrides = answer["assistantOverrides"]
    assert "artifactPlan" not in overrides
    assert overrides["metadata"]["recording"] == "on"
    call_log = CallLog.objects.get()
    assert call_log.recorded is True
    assert call_log.recording_basis == "recorded: a one-party state (Oregon)"


def test_with_a_consent_plan_a_california_caller_is_asked(client, world, settings):
    settings.VAPI_RECORDING_CONSENT_PLAN = "verbal"
    answer = post_vapi(client, world.fixture("assistant_request")).json()

    plan = answer["assistantOverrides"]["compliancePlan"]["recordingConsentPlan"]
    assert plan["type"] == "verbal"
    assert "firstMessageMode" not in plan  # inbound: the consent message comes first
    assert CallLog.objects.get().recording_basis == (
        "recording only after consent: California requires all-party consent"
    )
