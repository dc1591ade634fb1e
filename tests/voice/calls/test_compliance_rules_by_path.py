"""calling-compliance.md §7, rule by rule, through every outbound path (acceptance item 1).

`CASES` is the table: each case builds its world (leads, consents, suppressions, registry
snapshots, earlier attempts) at a stated local instant (the suite's clock, moved with an explicit
IANA zone and frozen: consent is dated from "now", so the clock moves first), names the number
to dial and whether a lead goes with it, and expects either an allowed call or the gate's reason
code. Every case runs through each outbound path (the API, the admin's "Call with AI assistant"
action, the place_call command), and through the admin's test call, which rings staff phones only.

For every run: a refusal sends nothing to Vapi (the simulator counts POST /call) and the path
shows the reason (API: 409 with `error` = the code; command: `Refused (code)`; admin: the gate's
sentence), an allowed call sends exactly one POST /call, and each decision writes exactly one
CallDecision with the path (rule 19).

`SENT` is the second table: what an allowed call sends to Vapi (rules 11 and 15).

Rules that are not gate decisions and are not checked here:
- 12 (opt-out action: suppression, then endCall) and 8's "written before hang-up": the spoken and
  keypad opt-outs end to end are tests/voice/test_opt_out_end_to_end.py;
- 13 (voicemail text) and 11's config validation: leads/compliance/disclosures.py and
  voice/assistants/validation.py, with their own tests; nothing per call to check here;
- 14 (truthful AI) and 20-22, 24 (fair housing on the call): prompt-only (the system prompt and
  fixed replies), not enforced by code on the outbound paths;
- 17 (reassigned numbers, `number_reassigned`): not encoded; the gate has no RND query and no
  such reason code;
- 23 (scoring whitelist): not an outbound-path rule.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from io import StringIO

import httpx
import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.urls import reverse

from leads.compliance.disclosures import OPT_OUT_OFFER, says_ai
from leads.compliance.gate import Reason, call_permission
from leads.compliance.services import suppression_add
from leads.models import CallDecision, Consent, Lead, Suppression
from properties.models import Property
from tests.api.conftest import assert_error, bearer_client
from tests.clock import at
from tests.factories import (
    ConsentFactory,
    DncSnapshotFactory,
    LeadFactory,
    PropertyFactory,
    StaffPhoneFactory,
    UserFactory,
    consent_for,
)
from voice.assistants.services import create_property_assistant
from voice.models import Assistant, CallLog
from voice.simulator.state import DEMO_PHONE_NUMBERS

pytestmark = pytest.mark.django_db

THURSDAY = date(2027, 3, 4)
FRIDAY = date(2027, 3, 5)
SUNDAY = date(2027, 3, 7)
JULY_4 = date(2027, 7, 4)  # Independence Day (a Sunday in 2027)
CHICAGO = "America/Chicago"
NEW_YORK = "America/New_York"
LOS_ANGELES = "America/Los_Angeles"
# Consent given long before any case (the suite's clock never decides whether it is live).
LONG_AGO = datetime(2027, 1, 4, 12, tzinfo=UTC)

ALLOWED = "allowed"
PATHS = ("api", "admin_action", "command")


# The world of each case. `prop` is the property whose assistant places the call; `now` the
# case's instant. Each returns the lead the call is about (None: no lead).

Setup = Callable[[Property, datetime], Lead | None]


def _lead(prop: Property, phone: str, state: str = "", **fields) -> Lead:
    """A lead of `prop` with written consent (PEWC, web form) for its number, given LONG_AGO."""
    consent = fields.pop("consent", True)
    lead = LeadFactory(property=prop, phone=phone, state=state, consent=False, **fields)
    if consent:
        consent_for(lead, given_at=LONG_AGO)
    return lead


def lead(phone: str, state: str = "", **fields) -> Setup:
    return lambda prop, now: _lead(prop, phone, state, **fields)


def informational_only(prop, now):
    lead = _lead(prop, "+13125550100", "IL", consent=False)
    consent_for(lead, kind=Consent.Kind.PEC_INFORMATIONAL, source="inbound_call", given_at=LONG_AGO)
    return lead


def consent_on_another_number(prop, now):
    """The lead's phone changed after it consented: the consent stays with the old number."""
    lead = _lead(prop, "+13125550100", "IL", consent=False)
    consent_for(lead, number="+13125550111", given_at=LONG_AGO)
    return lead


def no_lead(prop, now):
    return None


def no_lead_consented(prop, now):
    ConsentFactory(organization=prop.organization, number="+13125550100", given_at=LONG_AGO)


def three_attempts(prop, now):
    """A Florida lead (305) called at 10:00, 10:01 and 10:02 New York time on THURSDAY."""
    lead = _lead(prop, "+13055550100", "FL")
    first = at(THURSDAY, 10, 0, zone=NEW_YORK)
    for minutes in range(3):
        permission = call_permission(
            organization=prop.organization,
            number=lead.phone,
            purpose=CallDecision.Purpose.MARKETING,
            path=CallDecision.Path.API,
            lead=lead,
            at=first + timedelta(minutes=minutes),
        )
        assert permission.allowed, permission.message
    return lead


def snapshot_days_old(days: int, *, listed: bool = False, pewc: bool = True) -> Setup:
    def setup(prop, now):
        lead = _lead(prop, "+13125550100", "IL", consent=pewc)
        if not pewc:
            consent_for(lead, kind=Consent.Kind.PEC_INFORMATIONAL, given_at=LONG_AGO)
        snapshot = DncSnapshotFactory(area_code="312", downloaded_at=now - timedelta(days=days))
        if listed:
            snapshot.numbers.create(number=lead.phone)
        return lead

    return setup


def opted_out_at_sister_property(prop, now):
    """ "Take me off your list" said on property A's call; now property B (same organization)
    calls the same person, a lead of B with its own written consent."""
    sister = PropertyFactory(organization=prop.organization)
    at_a = _lead(sister, "+13125550100", "IL")
    suppression_add(
        organization=prop.organization,
        number=at_a.phone,
        source=Suppression.Source.SPOKEN,
        lead=at_a,
        vapi_call_id="call-at-property-a",
    )
    return _lead(prop, "+13125550100", "IL")


def opted_out_at_another_organization(prop, now):
    other = PropertyFactory()
    at_other = _lead(other, "+13125550100", "IL")
    suppression_add(
        organization=other.organization, number=at_other.phone, source=Suppression.Source.SPOKEN
    )
    return _lead(prop, "+13125550100", "IL")


def washington(source: str) -> Setup:
    def setup(prop, now):
        lead = _lead(prop, "+12065550100", "WA", consent=False)
        consent_for(lead, source=source, given_at=LONG_AGO)
        return lead

    return setup


@dataclass(frozen=True)
class Case:
    id: str
    rules: str  # §7 rule numbers
    setup: Setup
    when: tuple[date, int, int, str]  # local day, hour, minute, IANA zone
    expected: str  # ALLOWED or the refusal's reason code
    number: str = ""  # what to dial; blank: the lead's phone
    with_lead: bool = True  # False: the call names no lead (the admin action always does)
    purpose: str = CallDecision.Purpose.MARKETING  # the admin action always calls to market
    paths: tuple[str, ...] = field(default=PATHS)
    says: str = ""  # a part of the gate's sentence: the rule that refused
    zones: tuple[str, ...] = ()  # candidate zones the decision must have checked (rule 3)


INDIANA_219 = (CHICAGO, "America/Indiana/Indianapolis")  # no address: all 219's zones
NO_ADMIN = ("api", "command")  # no lead, another number than the lead's, or informational

CASES = [
    # Rule 1: written consent for this exact number and organization.
    Case("no-consent", "1", lead("+13125550100", "IL", consent=False), (THURSDAY, 11, 0, CHICAGO),
         Reason.NO_WRITTEN_CONSENT),
    Case("informational-consent-marketing-call", "1", informational_only,
         (THURSDAY, 11, 0, CHICAGO), Reason.NO_WRITTEN_CONSENT),
    Case("informational-consent-informational-call", "1", informational_only,
         (THURSDAY, 11, 0, CHICAGO), ALLOWED, purpose=CallDecision.Purpose.INFORMATIONAL,
         paths=NO_ADMIN),
    Case("lead-consented-on-its-old-number", "1", consent_on_another_number,
         (THURSDAY, 11, 0, CHICAGO), Reason.CONSENT_OTHER_NUMBER),
    Case("consented-lead-another-number-dialled", "1", lead("+13125550100", "IL"),
         (THURSDAY, 11, 0, CHICAGO), Reason.CONSENT_OTHER_NUMBER, number="+13125550122",
         paths=NO_ADMIN),
    Case("no-lead-unconsented-number", "1", no_lead, (THURSDAY, 11, 0, CHICAGO),
         Reason.NO_WRITTEN_CONSENT, number="+13125550100", with_lead=False, paths=NO_ADMIN),
    Case("no-lead-consented-number", "1", no_lead_consented, (THURSDAY, 11, 0, CHICAGO), ALLOWED,
         number="+13125550100", with_lead=False, paths=NO_ADMIN),
    # Rule 2: quiet hours (federal 08-21, stricter states).
    Case("illinois-2030", "2", lead("+13125550100", "IL"), (THURSDAY, 20, 30, CHICAGO), ALLOWED),
    Case("illinois-2100", "2", lead("+13125550100", "IL"), (THURSDAY, 21, 0, CHICAGO),
         Reason.QUIET_HOURS, says="(federal rules end calls at 21:00)"),
    Case("illinois-0759", "2", lead("+13125550100", "IL"), (THURSDAY, 7, 59, CHICAGO),
         Reason.QUIET_HOURS, says="(federal rules start calls at 08:00)"),
    Case("illinois-0800", "2", lead("+13125550100", "IL"), (THURSDAY, 8, 0, CHICAGO), ALLOWED),
    Case("florida-panhandle-2030-central", "2,3", lead("+18505550100", "FL"),
         (THURSDAY, 20, 30, CHICAGO), Reason.QUIET_HOURS, says="Florida rules end calls at 20:00",
         zones=(CHICAGO, NEW_YORK)),
    Case("texas-sunday-1130", "2,5", lead("+15125550100", "TX"), (SUNDAY, 11, 30, CHICAGO),
         Reason.QUIET_HOURS, says="Texas rules start calls at 12:00"),
    Case("texas-sunday-1300", "2,5", lead("+15125550100", "TX"), (SUNDAY, 13, 0, CHICAGO),
         ALLOWED),
    # Rule 3: every candidate zone must be in its window; none known → refused.
    Case("219-no-address-0730-chicago", "3", lead("+12195550100"), (THURSDAY, 7, 30, CHICAGO),
         Reason.QUIET_HOURS, says="07:30 on Thursday in America/Chicago", zones=INDIANA_219),
    Case("219-no-address-2030-chicago", "3", lead("+12195550100"), (THURSDAY, 20, 30, CHICAGO),
         Reason.QUIET_HOURS, says="21:30 on Thursday in America/New_York", zones=INDIANA_219),
    Case("219-no-address-1930-chicago", "3", lead("+12195550100"), (THURSDAY, 19, 30, CHICAGO),
         ALLOWED, zones=INDIANA_219),
    Case("toll-free-no-address", "3", lead("+18005550100"), (THURSDAY, 11, 0, CHICAGO),
         Reason.UNKNOWN_TIMEZONE),
    # Rule 4: the address state and the area-code state, the stricter of each.
    Case("georgia-resident-305-1930", "4", lead("+13055550100", "GA"),
         (THURSDAY, 19, 30, NEW_YORK), ALLOWED),
    Case("georgia-resident-305-2000", "4", lead("+13055550100", "GA"),
         (THURSDAY, 20, 0, NEW_YORK), Reason.QUIET_HOURS, says="Florida rules end calls at 20:00"),
    # Rule 5: Sunday and holiday blackouts.
    Case("rhode-island-sunday-1400", "5", lead("+14015550100", "RI"), (SUNDAY, 14, 0, NEW_YORK),
         Reason.STATE_SUNDAY, says="Rhode Island rules ban calls on Sundays"),
    Case("pennsylvania-july-4", "5", lead("+12155550100", "PA"), (JULY_4, 11, 0, NEW_YORK),
         Reason.STATE_HOLIDAY, says="It is Independence Day"),
    # Rule 6: three attempts per rolling 24 hours.
    Case("fourth-attempt-in-24h", "6", three_attempts, (THURSDAY, 10, 3, NEW_YORK),
         Reason.DAILY_CAP, says="3 calls to this number in the last 24 hours"),
    Case("24h-and-1min-after-the-first", "6", three_attempts, (FRIDAY, 10, 1, NEW_YORK), ALLOWED),
    # Rule 7: registry snapshots at most 31 days old; a listed number needs PEWC.
    Case("dnc-snapshot-32-days-old", "7", snapshot_days_old(32), (THURSDAY, 11, 0, CHICAGO),
         Reason.DNC_SNAPSHOT_STALE),
    Case("dnc-snapshot-30-days-old", "7", snapshot_days_old(30), (THURSDAY, 11, 0, CHICAGO),
         ALLOWED),
    Case("dnc-listed-without-written-consent", "7",
         snapshot_days_old(1, listed=True, pewc=False), (THURSDAY, 11, 0, CHICAGO),
         Reason.DNC_REGISTRY),
    Case("dnc-listed-with-written-consent", "7", snapshot_days_old(1, listed=True),
         (THURSDAY, 11, 0, CHICAGO), ALLOWED),
    # Rules 8 and 10: one stop covers every property of the organization, and only it.
    Case("opted-out-at-a-sister-property", "8,10", opted_out_at_sister_property,
         (THURSDAY, 11, 0, CHICAGO), Reason.OPTED_OUT),
    Case("opted-out-at-another-organization", "8,10", opted_out_at_another_organization,
         (THURSDAY, 11, 0, CHICAGO), ALLOWED),
    # Rule 9: any channel revokes, the lead's do-not-call box included.
    Case("lead-do-not-call-box", "9", lead("+13125550100", "IL", do_not_call=True),
         (THURSDAY, 11, 0, CHICAGO), Reason.OPTED_OUT),
    # Rule 18: Washington calls only people who asked to be contacted.
    Case("washington-purchased-list", "18", washington(Consent.Source.PURCHASED_LIST),
         (THURSDAY, 11, 0, LOS_ANGELES), Reason.STATE_ADAD_RESTRICTED),
    Case("washington-web-form", "18", washington(Consent.Source.WEB_FORM),
         (THURSDAY, 11, 0, LOS_ANGELES), ALLOWED),
]  # fmt: skip

assert len({case.id for case in CASES}) == len(CASES)


# Fixtures and drivers.


@pytest.fixture(autouse=True)
def _no_throttle_history():
    # The voice_call throttle counts per user id, and ids repeat between rolled-back tests.
    cache.clear()


@pytest.fixture
def owner():
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def assistant(vapi_settings, simulator, owner) -> Assistant:
    """A pushed assistant of a property on the simulator's leasing number; calls are accepted
    and recorded by the simulator but not played (nothing here needs the conversation)."""
    simulator.app.config.play_calls = False
    prop = PropertyFactory(leasing_phone=DEMO_PHONE_NUMBERS[0], owner=owner)
    return create_property_assistant(property=prop)


def _move_to(clock, when: tuple[date, int, int, str]) -> datetime:
    day, hour, minute, zone = when
    moment = at(day, hour, minute, zone=zoneinfo.ZoneInfo(zone))
    clock.move_to(moment, tick=False)
    return moment


def _posted(simulator) -> int:
    return simulator.app.state.count_requests("POST", "/call")


def _new_decision(before: set[int]) -> CallDecision:
    """The one CallDecision the path wrote (rule 19: exactly one per decision)."""
    (decision,) = CallDecision.objects.exclude(pk__in=before)
    return decision


def _call_api(client, assistant, number, lead, purpose):
    body = {"assistant_id": assistant.pk, "phone_number": number, "purpose": purpose}
    if lead is not None:
        body["lead_id"] = lead.pk
    return client.post("/api/v1/voice/call", body, format="json")


def _drive(path, *, assistant, owner, client, number, lead, purpose) -> Callable[[str], None]:
    """Place the call on `path`; returns the check of what the path showed, given the decision's
    reason code ('' when allowed) and message."""
    if path == "api":
        response = _call_api(bearer_client(owner), assistant, number, lead, purpose)

        def shown(reason: str, message: str) -> None:
            if not reason:
                assert response.status_code == 201, response.content
                return
            error = assert_error(response, 409, reason)
            assert error["detail"] == message

        return shown
    if path == "command":
        args = ["place_call", "--assistant", str(assistant.pk), "--to", number]
        args += ["--purpose", purpose] + (["--lead", str(lead.pk)] if lead is not None else [])
        out = StringIO()
        try:
            call_command(*args, stdout=out)
        except CommandError as exc:
            error = str(exc)
        else:
            error = ""

        def shown(reason: str, message: str) -> None:
            if not reason:
                assert not error, error
                assert out.getvalue().startswith("Call "), out.getvalue()
                return
            assert error == f"Refused ({reason}): {message}"

        return shown
    if path == "admin_action":
        # The action calls the selected leads at their own numbers, to market.
        assert lead is not None
        assert (number, purpose) == (lead.phone, "marketing")
        client.force_login(owner)
        data = {"action": "call_with_ai_assistant", ACTION_CHECKBOX_NAME: [lead.pk], "post": "yes"}
        response = client.post(reverse("admin:leads_lead_changelist"), data, follow=True)
        [message] = [m.message for m in response.context["messages"]]

        def shown(reason: str, gate_message: str) -> None:
            if not reason:
                assert message.startswith(f"{lead}: Called by {assistant.name}"), message
                return
            assert message == f"{lead}: {gate_message}"

        return shown
    raise AssertionError(path)


def _path_params():
    for case in CASES:
        for path in case.paths:
            yield pytest.param(case, path, id=f"rule{case.rules}-{case.id}-{path}")


@pytest.mark.parametrize(("case", "path"), list(_path_params()))
def test_rule_case_on_outbound_path(case, path, clock, simulator, assistant, owner, client):
    now = _move_to(clock, case.when)
    lead = case.setup(assistant.property, now)
    number = case.number or lead.phone
    given = lead if case.with_lead else None
    before = set(CallDecision.objects.values_list("pk", flat=True))
    posted = _posted(simulator)

    shown = _drive(
        path, assistant=assistant, owner=owner, client=client, number=number, lead=given,
        purpose=case.purpose,
    )  # fmt: skip

    decision = _new_decision(before)
    assert (decision.path, decision.purpose, decision.number) == (path, case.purpose, number)
    assert decision.lead == given
    assert decision.created_at == now
    assert set(case.zones) <= {zone["zone"] for zone in decision.timezones}
    if path != "command":
        assert decision.requested_by == owner
    if case.expected == ALLOWED:
        assert (decision.decision, decision.reason) == ("allowed", ""), decision.message
        assert _posted(simulator) == posted + 1
        assert CallLog.objects.filter(customer_number=number, lead=given).count() == 1
        shown("", decision.message)
    else:
        assert (decision.decision, decision.reason) == ("refused", case.expected), decision.message
        assert case.expected in decision.rules
        assert case.says in decision.message
        assert _posted(simulator) == posted
        assert not CallLog.objects.exists()
        shown(case.expected, decision.message)


# The admin's test call (purpose test) rings registered staff phones only, whatever the world.


def _test_call(client, owner, assistant, number: str) -> str:
    client.force_login(owner)
    data = {
        "action": "place_test_call",
        ACTION_CHECKBOX_NAME: [assistant.pk],
        "apply": "1",
        "phone_number": number,
    }
    response = client.post(reverse("admin:voice_assistant_changelist"), data, follow=True)
    [message] = [m.message for m in response.context["messages"]]
    return message


@pytest.mark.parametrize("case", CASES, ids=lambda case: f"rule{case.rules}-{case.id}")
def test_a_test_call_to_a_case_number_rings_no_one(
    case, clock, simulator, assistant, owner, client
):
    now = _move_to(clock, case.when)
    lead = case.setup(assistant.property, now)
    number = case.number or lead.phone
    before = set(CallDecision.objects.values_list("pk", flat=True))

    message = _test_call(client, owner, assistant, number)

    decision = _new_decision(before)
    assert (decision.path, decision.purpose, decision.decision, decision.reason) == (
        "test_call", "test", "refused", Reason.NOT_STAFF_PHONE,
    )  # fmt: skip
    assert decision.requested_by == owner
    assert decision.message in message
    assert _posted(simulator) == 0


@pytest.mark.parametrize(
    ("suppressed", "expected"),
    [(False, ALLOWED), (True, Reason.OPTED_OUT)],
    ids=["staff", "staff-suppressed"],
)
def test_a_test_call_rings_a_staff_phone_unless_it_opted_out(
    suppressed, expected, clock, simulator, assistant, owner, client
):
    # Any hour: staff phones are not called parties (23:00 in Chicago).
    _move_to(clock, (THURSDAY, 23, 0, CHICAGO))
    org = assistant.property.organization
    StaffPhoneFactory(organization=org, number="+13125550177")
    if suppressed:
        # A stop request sticks for every number, a staff phone's too.
        suppression_add(organization=org, number="+13125550177", source=Suppression.Source.STAFF)

    message = _test_call(client, owner, assistant, "+13125550177")

    decision = CallDecision.objects.get()
    assert (decision.path, decision.purpose) == ("test_call", "test")
    if expected == ALLOWED:
        assert decision.decision == "allowed"
        assert _posted(simulator) == 1
        assert "Test call placed" in message
    else:
        assert (decision.decision, decision.reason) == ("refused", expected)
        assert _posted(simulator) == 0
        assert decision.message in message


# Rules 11 and 15: what an allowed call sends to Vapi, on every path.


# The gate does not locate a staff phone (test calls skip the TCPA rules), so a test call's
# person has no known state and is never recorded without consent (the stricter default).
UNKNOWN_STATE = "the caller's state is unknown, so all-party consent applies"


def _greeting_names_seller_property_ai_and_opt_out(body, assistant, path):
    greeting = body["assistantOverrides"]["firstMessage"]
    prop = assistant.property
    assert prop.organization.legal_name in greeting
    assert prop.name in greeting
    assert says_ai(greeting)
    assert "I'm an AI assistant" in greeting
    assert OPT_OUT_OFFER in greeting


def _recording_off_in_california(body, assistant, path):
    overrides = body["assistantOverrides"]
    assert overrides["metadata"]["recording"] == "off"
    assert overrides["metadata"]["recordingReason"] == (
        UNKNOWN_STATE if path == "test_call" else "California requires all-party consent"
    )
    assert overrides["artifactPlan"]["recordingEnabled"] is False
    assert "compliancePlan" not in overrides


def _recording_consent_plan_in_california(body, assistant, path):
    overrides = body["assistantOverrides"]
    assert overrides["metadata"]["recording"] == "consent"
    plan = overrides["compliancePlan"]["recordingConsentPlan"]
    assert plan["type"] == "verbal"
    assert plan["firstMessageMode"] == "assistant-waits-for-user"
    assert "artifactPlan" not in overrides


def _recorded_in_a_one_party_state(body, assistant, path):
    overrides = body["assistantOverrides"]
    if path == "test_call":
        assert overrides["metadata"]["recording"] == "off"
        assert overrides["metadata"]["recordingReason"] == UNKNOWN_STATE
        return
    assert overrides["metadata"]["recording"] == "on"
    assert "artifactPlan" not in overrides
    assert "compliancePlan" not in overrides


@dataclass(frozen=True)
class Sent:
    id: str
    rules: str
    phone: str
    state: str
    when: tuple[date, int, int, str]
    check: Callable
    consent_plan: str = ""  # settings.VAPI_RECORDING_CONSENT_PLAN


SENT = [
    Sent("opening-line", "11", "+13125550100", "IL", (THURSDAY, 11, 0, CHICAGO),
         _greeting_names_seller_property_ai_and_opt_out),
    Sent("california-415-recording-off", "15", "+14155550100", "CA",
         (THURSDAY, 11, 0, LOS_ANGELES), _recording_off_in_california),
    Sent("california-415-recording-consent-plan", "15", "+14155550100", "CA",
         (THURSDAY, 11, 0, LOS_ANGELES), _recording_consent_plan_in_california,
         consent_plan="verbal"),
    Sent("new-york-212-recorded", "15", "+12125550100", "NY", (THURSDAY, 11, 0, NEW_YORK),
         _recorded_in_a_one_party_state),
]  # fmt: skip


@pytest.mark.parametrize("path", [*PATHS, "test_call"])
@pytest.mark.parametrize("sent", SENT, ids=lambda s: f"rule{s.rules}-{s.id}")
def test_what_an_allowed_call_sends_to_vapi(
    sent, path, clock, settings, simulator, assistant, owner, client
):
    settings.VAPI_RECORDING_CONSENT_PLAN = sent.consent_plan
    _move_to(clock, sent.when)
    lead = _lead(assistant.property, sent.phone, sent.state)
    if path == "test_call":
        StaffPhoneFactory(organization=assistant.property.organization, number=sent.phone)
        _test_call(client, owner, assistant, sent.phone)
    else:
        _drive(
            path, assistant=assistant, owner=owner, client=client, number=lead.phone, lead=lead,
            purpose="marketing",
        )("", "")  # fmt: skip
    assert CallDecision.objects.get().decision == "allowed"
    assert _posted(simulator) == 1
    (body,) = simulator.app.state.calls.values()
    assert body["customer"]["number"] == sent.phone
    sent.check(body, assistant, path)


# Rule 16: inbound calls have no consent gate, and answering one places no call.


@pytest.mark.django_db(transaction=True)
def test_an_inbound_call_from_a_suppressed_number_is_answered_and_not_returned(clock, vapi):
    clock.move_to(at(THURSDAY, 11, 0, zone=zoneinfo.ZoneInfo(LOS_ANGELES)))  # time flows
    prop = PropertyFactory(leasing_phone=DEMO_PHONE_NUMBERS[0])
    create_property_assistant(property=prop)
    caller = "+12065550177"
    suppression_add(organization=prop.organization, number=caller, source=Suppression.Source.SMS)

    response = httpx.post(
        f"{vapi.url}/_simulator/inbound",
        json={"to": prop.leasing_phone, "from": caller, "scenario": "book_tour"},
        headers={"Authorization": "Bearer test-key"},
    )
    assert response.status_code == 201, response.text
    assert vapi.app.wait_for_calls(timeout=60), "the simulated call did not finish"

    call_log = CallLog.objects.get(vapi_call_id=response.json()["id"])
    assert (call_log.direction, call_log.customer_number) == ("inbound", caller)
    assert call_log.ended_reason == "customer-ended-call"
    assert vapi.app.state.count_requests("POST", "/call") == 0
    assert not CallDecision.objects.exists()
    assert Suppression.objects.filter(number=caller).count() == 1
