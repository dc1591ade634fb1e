"""Voice admin actions, posted through the admin (intermediate pages included) against the
simulator: the outcome, one message per object, and nothing half-written when Vapi fails."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Permission
from django.urls import reverse

from leads.compliance.gate import call_permission
from leads.models import CallDecision, Lead
from properties.models import Membership
from tests.clock import at, today_in
from tests.factories import (
    AssistantFactory,
    CallLogFactory,
    LeadFactory,
    MembershipFactory,
    PropertyFactory,
    StaffPhoneFactory,
    UnitFactory,
    consent_for,
)
from voice.admin import MAX_LEADS_PER_BATCH, TOO_MANY_LEADS
from voice.assistants.services import create_property_assistant
from voice.batch import NOT_PUSHED
from voice.calls.operations import SKIP_IN_CALL, SKIP_NO_PHONE, leads_call_plan
from voice.models import Assistant, CallLog
from voice.simulator.state import DEMO_PHONE_NUMBERS, Fault

pytestmark = pytest.mark.django_db

LA = ZoneInfo("America/Los_Angeles")
UNREACHABLE = "http://127.0.0.1:9"  # discard port: connection refused


def _post(client, model: str, action: str, objects, **extra):
    """Post an action the way the changelist (or an intermediate page) does."""
    app = "properties" if model == "property" else "leads" if model == "lead" else "voice"
    data = {"action": action, ACTION_CHECKBOX_NAME: [obj.pk for obj in objects], **extra}
    return client.post(reverse(f"admin:{app}_{model}_changelist"), data, follow=True)


def _messages(response) -> list[tuple[str, str]]:
    """(level tag, text) of every message the page shows."""
    return [(m.level_tag, m.message) for m in response.context["messages"]]


def _assert_changelist(response) -> None:
    assert response.status_code == 200
    assert response.redirect_chain, "the action should redirect back to the changelist"


@pytest.fixture
def harbor(vapi_settings):
    prop = PropertyFactory(name="Harbor View", leasing_phone=DEMO_PHONE_NUMBERS[0])
    UnitFactory(property=prop, bedrooms=2, monthly_rent=Decimal("4250"))
    return prop


@pytest.fixture
def cedar(vapi_settings):
    return PropertyFactory(
        name="Cedar Park", leasing_phone=DEMO_PHONE_NUMBERS[1], timezone="America/Chicago"
    )


@pytest.fixture
def pushed(harbor, simulator):
    return create_property_assistant(property=harbor)


def _remote(simulator, assistant: Assistant) -> dict:
    return simulator.app.state.assistants[assistant.vapi_assistant_id]


def _prompt(remote: dict) -> str:
    return remote["model"]["messages"][0]["content"]


# Properties: "Create or update voice assistant" ----------------------------------------------


def test_property_action_creates_an_assistant_from_the_property_data(
    admin_client, harbor, simulator
):
    response = _post(admin_client, "property", "create_or_update_assistant", [harbor])

    _assert_changelist(response)
    assistant = Assistant.objects.get(property=harbor)
    remote = _remote(simulator, assistant)
    assert "$4,250 a month" in _prompt(remote)
    assert remote["metadata"]["propertyId"] == str(harbor.pk)
    assert _messages(response) == [
        (
            "success",
            f"Harbor View: Created assistant “{assistant.name}” from the property data "
            f"(Vapi id {assistant.vapi_assistant_id}).",
        )
    ]


def test_property_action_pushes_the_existing_assistant(admin_client, harbor, pushed, simulator):
    harbor.units.update(monthly_rent=Decimal("3999"))

    response = _post(admin_client, "property", "create_or_update_assistant", [harbor])

    _assert_changelist(response)
    assert Assistant.objects.count() == 1
    assert "$3,999 a month" in _prompt(_remote(simulator, pushed))
    assert simulator.app.state.count_requests("PATCH", f"/assistant/{pushed.vapi_assistant_id}")
    assert _messages(response) == [("success", f"{pushed.name}: Configuration pushed to Vapi.")]


def test_property_action_reports_each_property_when_vapi_fails_for_one(
    admin_client, harbor, cedar, simulator
):
    simulator.app.state.add_fault(Fault(status=500, method="POST", path_prefix="/assistant"))

    response = _post(admin_client, "property", "create_or_update_assistant", [harbor, cedar])

    _assert_changelist(response)
    shown = _messages(response)
    # Properties are handled in the changelist's order (name); the first POST gets the 500.
    assert shown[0] == (
        "error",
        "Cedar Park: Vapi had an internal error (HTTP 500); could not create the assistant.",
    )
    assert shown[1][0] == "success"
    assert shown[1][1].startswith("Harbor View: Created assistant")
    assert shown[2] == ("error", "Done: 1 created, 1 failed.")
    # Nothing half-written: no row for the property Vapi refused, one at Vapi for the other.
    assert list(Assistant.objects.values_list("property__name", flat=True)) == ["Harbor View"]
    assert len(simulator.app.state.assistants) == 1


def test_property_action_with_vapi_unreachable_writes_nothing(
    admin_client, harbor, cedar, settings
):
    settings.VAPI_BASE_URL = UNREACHABLE

    response = _post(admin_client, "property", "create_or_update_assistant", [harbor, cedar])

    _assert_changelist(response)
    # The structured outputs are synced first (the config references them), so that fails.
    error = "Could not reach Vapi; could not list structured outputs."
    assert _messages(response) == [
        ("error", f"Cedar Park: {error}"),
        ("warning", f"Harbor View: Not tried: {error}"),
        ("error", "Done: 1 skipped, 1 failed."),
    ]
    assert not Assistant.objects.exists()


def test_property_action_needs_a_role_that_configures_assistants(client, harbor):
    # The role decides (properties/access.py), not Django's model permissions.
    agent = MembershipFactory(organization=harbor.organization, role=Membership.Role.AGENT).user
    agent.is_staff = True
    agent.save()
    agent.user_permissions.set(Permission.objects.all())
    client.force_login(agent)
    page = client.get(reverse("admin:properties_property_changelist"))
    assert page.status_code == 200
    assert "create_or_update_assistant" not in page.content.decode()

    Membership.objects.filter(user=agent).update(role=Membership.Role.MANAGER)
    page = client.get(reverse("admin:properties_property_changelist"))
    assert "Create or update voice assistant" in page.content.decode()


# Assistants: push, refresh knowledge, test call -------------------------------------------------


def test_push_creates_the_new_and_patches_the_pushed(admin_client, harbor, pushed, simulator):
    fresh = AssistantFactory(property=harbor, name="Harbor nights")
    pushed.first_message = "Ahoy from the harbor!"
    pushed.save()

    response = _post(admin_client, "assistant", "push_to_vapi", [pushed, fresh])

    _assert_changelist(response)
    fresh.refresh_from_db()
    assert fresh.push_state == Assistant.PushState.OK
    assert _remote(simulator, fresh)["name"] == "Harbor nights"
    assert _remote(simulator, pushed)["firstMessage"] == "Ahoy from the harbor!"
    assert sorted(_messages(response)) == sorted(
        [
            (
                "success",
                f"Harbor View / Harbor nights: Created at Vapi (id {fresh.vapi_assistant_id}).",
            ),
            ("success", f"{pushed.name}: Configuration pushed to Vapi."),
            ("info", "Done: 1 created, 1 updated."),
        ]
    )


def test_push_failure_is_shown_and_recorded_without_changing_the_config(
    admin_client, pushed, simulator
):
    config_before = pushed.last_pushed_config
    simulator.app.state.add_fault(Fault(status=503, method="PATCH", remaining=3))
    pushed.first_message = "Never reaches Vapi"
    pushed.save()

    response = _post(admin_client, "assistant", "push_to_vapi", [pushed])

    _assert_changelist(response)
    assert _messages(response) == [
        (
            "error",
            f"{pushed.name}: Vapi had an internal error (HTTP 503); "
            "could not update the assistant.",
        )
    ]
    pushed.refresh_from_db()
    assert pushed.push_state == Assistant.PushState.FAILED
    assert pushed.last_pushed_config == config_before
    assert _remote(simulator, pushed)["firstMessage"] != "Never reaches Vapi"


def test_refresh_knowledge_pushes_current_rents_and_hours(admin_client, harbor, pushed, simulator):
    harbor.units.update(monthly_rent=Decimal("3875"))
    harbor.office_hours.filter(weekday=0).update(closes_at="19:00")

    response = _post(admin_client, "assistant", "refresh_knowledge", [pushed])

    _assert_changelist(response)
    prompt = _prompt(_remote(simulator, pushed))
    assert "$3,875 a month" in prompt
    assert "Monday: 9:00 AM-7:00 PM" in prompt
    assert _messages(response) == [
        (
            "success",
            f"{pushed.name}: Knowledge refreshed: units, rents, availability, "
            "hours and policies pushed.",
        )
    ]


def test_refresh_knowledge_failure_leaves_vapi_and_the_row_as_they_were(
    admin_client, harbor, pushed, simulator
):
    prompt_before = _prompt(_remote(simulator, pushed))
    harbor.units.update(monthly_rent=Decimal("3875"))
    simulator.app.state.add_fault(Fault(status=500, method="PATCH", remaining=3))

    response = _post(admin_client, "assistant", "refresh_knowledge", [pushed])

    _assert_changelist(response)
    ((level, text),) = _messages(response)
    assert level == "error"
    assert "Vapi had an internal error (HTTP 500)" in text
    assert _prompt(_remote(simulator, pushed)) == prompt_before
    pushed.refresh_from_db()
    assert _prompt(pushed.last_pushed_config) == prompt_before


def test_test_call_asks_for_a_number_then_calls_it(admin_client, pushed, simulator):
    page = _post(admin_client, "assistant", "place_test_call", [pushed], index="0")
    assert page.status_code == 200
    assert not page.redirect_chain
    assert "admin/voice/assistant_test_call.html" in [t.name for t in page.templates]
    html = page.content.decode()
    assert 'name="phone_number"' in html
    assert f'name="{ACTION_CHECKBOX_NAME}" value="{pushed.pk}"' in html

    invalid = _post(
        admin_client, "assistant", "place_test_call", [pushed], apply="1", phone_number="12"
    )
    assert not invalid.redirect_chain
    assert "Enter a valid phone number" in invalid.content.decode()
    assert simulator.app.state.count_requests("POST", "/call") == 0

    # Test calls ring staff phones only (the compliance gate: not_staff_phone).
    stranger = _post(
        admin_client,
        "assistant",
        "place_test_call",
        [pushed],
        apply="1",
        phone_number="(415) 555-0177",
    )
    [(level, text)] = _messages(stranger)
    assert level == "warning"
    assert "add +14155550177 as a staff phone" in text
    assert simulator.app.state.count_requests("POST", "/call") == 0
    refused = CallDecision.objects.get()
    assert (refused.path, refused.reason) == ("test_call", "not_staff_phone")

    StaffPhoneFactory(organization=pushed.property.organization, number="+14155550177")
    response = _post(
        admin_client,
        "assistant",
        "place_test_call",
        [pushed],
        apply="1",
        phone_number="(415) 555-0177",
    )

    _assert_changelist(response)
    call_log = CallLog.objects.get()
    assert call_log.customer_number == "+14155550177"
    assert call_log.assistant == pushed
    assert call_log.metadata["testCall"] == "true"
    assert _messages(response) == [
        (
            "success",
            f"{pushed.name}: Test call placed (Vapi call {call_log.vapi_call_id}, queued).",
        )
    ]


def test_test_call_failure_and_unpushed_assistant(admin_client, harbor, pushed, simulator):
    StaffPhoneFactory(organization=harbor.organization, number="+14155550177")
    unpushed = AssistantFactory(property=harbor, name="Draft")
    simulator.app.state.add_fault(Fault(status=500, method="POST", path_prefix="/call"))

    response = _post(
        admin_client,
        "assistant",
        "place_test_call",
        [pushed, unpushed],
        apply="1",
        phone_number="+14155550177",
    )

    _assert_changelist(response)
    assert sorted(_messages(response)) == sorted(
        [
            ("warning", f"Harbor View / Draft: {NOT_PUSHED}"),
            (
                "error",
                f"{pushed.name}: Vapi had an internal error (HTTP 500); could not place the call.",
            ),
            ("error", "Done: 1 skipped, 1 failed."),
        ]
    )
    assert not CallLog.objects.exists()


# Leads: "Call with AI assistant" --------------------------------------------------------------


def _clock_at(clock, hour: int, minute: int = 0) -> datetime:
    """Move the suite's clock to `hour` today in Los Angeles (the property's zone)."""
    now = at(today_in(LA), hour, minute, zone=LA)
    clock.move_to(now, tick=False)
    return now


@pytest.fixture
def noon(clock) -> datetime:
    return _clock_at(clock, 12)


@pytest.fixture
def leads(harbor, cedar, pushed, noon):
    """One lead per way of being skipped, and two that can be called."""
    busy = LeadFactory(property=harbor, first_name="Busy", last_name="Bee")
    call = CallLogFactory(lead=busy, property=harbor, status=CallLog.Status.IN_PROGRESS)
    CallLog.objects.filter(pk=call.pk).update(created_at=noon - timedelta(minutes=5))
    return {
        "maya": LeadFactory(property=harbor, first_name="Maya", last_name="Chen"),
        "omar": LeadFactory(property=harbor, first_name="Omar", last_name="Haddad"),
        "no_consent": LeadFactory(property=harbor, first_name="Nina", consent_to_call=False),
        "dnc": LeadFactory(property=harbor, first_name="Dan", do_not_call=True),
        "opted_out": LeadFactory(property=harbor, first_name="Olga", opted_out_at=noon),
        "no_phone": LeadFactory(property=harbor, first_name="Pat", phone=""),
        "busy": busy,
        "no_assistant": LeadFactory(property=cedar, first_name="Cara"),
    }


# Skips the compliance gate decides (leads/compliance/gate.py): its reason codes.
GATE_SKIPS = {"no_consent": "no_written_consent", "dnc": "opted_out", "opted_out": "opted_out"}
NO_WRITTEN_CONSENT = "has no written consent to AI-voice calls from"


def _gate_message(lead: Lead) -> str:
    """What the gate says about calling `lead` now (without recording a decision)."""
    return call_permission(
        organization=lead.property.organization,
        number=lead.phone,
        purpose="marketing",
        path="admin_action",
        lead=lead,
        record=False,
    ).message


EXPECTED_SKIPS = {
    "no_phone": SKIP_NO_PHONE,
    "busy": SKIP_IN_CALL,
    "no_assistant": "No assistant pushed to Vapi for Cedar Park.",
}


def test_call_confirmation_page_shows_the_plan_and_calls_nobody(
    admin_client, leads, pushed, simulator
):
    page = _post(admin_client, "lead", "call_with_ai_assistant", leads.values(), index="0")

    assert page.status_code == 200
    assert not page.redirect_chain
    assert "admin/voice/lead_call_confirmation.html" in [t.name for t in page.templates]
    plan = {item.lead.pk: item for item in page.context["plan"]}
    for key in ("maya", "omar"):
        assert plan[leads[key].pk].will_call
        assert plan[leads[key].pk].assistant == pushed
    for key, reason in EXPECTED_SKIPS.items():
        assert plan[leads[key].pk].skip_reason == reason, key
    for key, code in GATE_SKIPS.items():
        assert plan[leads[key].pk].skip_code == code, key
        assert plan[leads[key].pk].skip_reason == _gate_message(leads[key]), key
    html = page.content.decode()
    assert "The assistant will call <strong>2 leads</strong> now; 6 will be skipped." in html
    assert html.count("Will call</span>") == 2
    assert NO_WRITTEN_CONSENT in html
    assert not CallDecision.objects.exists()  # the preview records no decision
    assert 'value="Place 2 calls"' in html
    assert 'name="post" value="yes"' in html
    assert simulator.app.state.count_requests("POST", "/call") == 0
    assert not CallLog.objects.exclude(lead=leads["busy"]).exists()


def test_confirming_places_the_calls_and_reports_every_lead(admin_client, leads, pushed, simulator):
    response = _post(admin_client, "lead", "call_with_ai_assistant", leads.values(), post="yes")

    _assert_changelist(response)
    placed = CallLog.objects.exclude(lead=leads["busy"])
    assert {c.lead_id for c in placed} == {leads["maya"].pk, leads["omar"].pk}
    assert {c.assistant_id for c in placed} == {pushed.pk}
    assert simulator.app.state.count_requests("POST", "/call") == 2
    shown = _messages(response)
    maya_call = placed.get(lead=leads["maya"])
    assert (
        "success",
        f"Maya Chen: Called by {pushed.name} (Vapi call {maya_call.vapi_call_id}, queued).",
    ) in shown
    for key, reason in EXPECTED_SKIPS.items():
        assert ("warning", f"{leads[key]}: {reason}") in shown
    for key in GATE_SKIPS:
        assert ("warning", f"{leads[key]}: {_gate_message(leads[key])}") in shown
    assert shown[-1] == ("info", "Done: 2 called, 6 skipped.")
    # One decision per lead the gate decided on, by whoever clicked; the leads skipped for
    # other reasons (no phone, in a call, no assistant) were not put to the gate.
    decisions = CallDecision.objects.all()
    assert {(d.lead_id, d.decision, d.reason, d.path) for d in decisions} == {
        (leads["maya"].pk, "allowed", "", "admin_action"),
        (leads["omar"].pk, "allowed", "", "admin_action"),
        (leads["no_consent"].pk, "refused", "no_written_consent", "admin_action"),
        (leads["dnc"].pk, "refused", "opted_out", "admin_action"),
        (leads["opted_out"].pk, "refused", "opted_out", "admin_action"),
    }
    assert {d.requested_by.username for d in decisions} == {"admin"}


def test_consent_withdrawn_after_the_confirmation_page_is_respected(admin_client, leads, simulator):
    maya = leads["maya"]
    _post(admin_client, "lead", "call_with_ai_assistant", [maya], index="0")
    Lead.objects.filter(pk=maya.pk).update(do_not_call=True)

    response = _post(admin_client, "lead", "call_with_ai_assistant", [maya], post="yes")

    [(level, text)] = _messages(response)
    assert level == "warning"
    assert text.startswith("Maya Chen: ")
    assert "asked not to be called" in text
    assert simulator.app.state.count_requests("POST", "/call") == 0


@pytest.mark.parametrize(("hour", "minute"), [(7, 59), (20, 0), (23, 30)])
def test_leads_are_not_called_outside_calling_hours(
    admin_client, harbor, pushed, simulator, clock, hour, minute
):
    """The lead's number is in Washington (206): Washington ends calls at 20:00."""
    _clock_at(clock, hour, minute)
    lead = LeadFactory(property=harbor, first_name="Late", last_name="Caller")
    reason = f"It is {hour:02d}:{minute:02d} on "
    rule = (
        "(Washington rules start calls at 08:00)"
        if hour < 8
        else "(Washington rules end calls at 20:00)"
    )

    page = _post(admin_client, "lead", "call_with_ai_assistant", [lead], index="0")
    assert reason in page.content.decode()
    assert rule in page.content.decode()
    assert "The next allowed moment is 08:00 on " in page.content.decode()
    assert 'value="Place' not in page.content.decode()

    response = _post(admin_client, "lead", "call_with_ai_assistant", [lead], post="yes")
    [(level, text)] = _messages(response)
    assert level == "warning"
    assert text.startswith(f"Late Caller: {reason}")
    assert not CallLog.objects.exists()


@pytest.mark.parametrize(
    ("local_now", "expected"),
    [
        # 02:50 on a Thursday: later the same day.
        (datetime(2026, 12, 3, 2, 50), datetime(2026, 12, 3, 8, 0)),
        # 21:00 on New Year's Eve: the next morning, in the next year.
        (datetime(2027, 12, 31, 21, 0), datetime(2028, 1, 1, 8, 0)),
        # 23:30 the night before spring forward: 8:00 the next day is already daylight time.
        (datetime(2027, 3, 13, 23, 30), datetime(2027, 3, 14, 8, 0)),
        # 01:30 in the doubled hour of the fall-back night (second pass, fold=1).
        (datetime(2027, 11, 7, 1, 30, fold=1), datetime(2027, 11, 7, 8, 0)),
    ],
)
def test_outside_calling_hours_says_when_calls_are_allowed(harbor, local_now, expected):
    lead = LeadFactory(property=harbor, consent=False)
    consent_for(lead, given_at=datetime(2026, 1, 1, tzinfo=UTC))
    now = local_now.replace(tzinfo=LA)
    permission = call_permission(
        organization=harbor.organization,
        number=lead.phone,
        purpose="marketing",
        path="admin_action",
        lead=lead,
        at=now,
        record=False,
    )
    assert permission.reason == "quiet_hours"
    assert permission.next_allowed_at == expected.replace(tzinfo=LA)
    assert permission.message.endswith(
        f"The next allowed moment is 08:00 on {expected:%A, %B} {expected.day} "
        "in America/Los_Angeles."
    )


def test_calling_hours_are_the_leads_local_time_not_the_propertys(harbor, cedar, simulator):
    create_property_assistant(property=cedar)
    create_property_assistant(property=harbor)
    in_la = LeadFactory(property=harbor)
    # A Chicago property's lead with a Seattle number: the number's zone counts, not Chicago.
    seattle_number_at_cedar = LeadFactory(property=cedar)
    # A Los Angeles property's lead who lives in Illinois.
    in_illinois = LeadFactory(property=harbor, state="IL")
    # 19:30 in Los Angeles is 21:30 in Chicago.
    now = at(today_in(LA) + timedelta(days=1), 19, 30, zone=LA)
    plan = leads_call_plan(leads=Lead.objects.all(), now=now)
    reasons = {item.lead: item.skip_reason for item in plan}
    assert reasons[in_la] == ""
    assert reasons[seattle_number_at_cedar] == ""
    assert reasons[in_illinois].startswith(f"It is 21:30 on {now:%A} in America/Chicago")


def test_lead_calls_when_vapi_fails(admin_client, leads, simulator):
    simulator.app.state.add_fault(Fault(status=500, method="POST", path_prefix="/call"))
    selected = [leads["maya"], leads["omar"]]

    response = _post(admin_client, "lead", "call_with_ai_assistant", selected, post="yes")

    _assert_changelist(response)
    shown = _messages(response)
    assert (
        "error",
        "Maya Chen: Vapi had an internal error (HTTP 500); could not place the call.",
    ) in shown
    assert shown[-1] == ("error", "Done: 1 called, 1 failed.")
    assert list(CallLog.objects.exclude(lead=leads["busy"]).values_list("lead", flat=True)) == [
        leads["omar"].pk
    ]


def test_lead_calls_with_vapi_unreachable_write_nothing(admin_client, leads, settings):
    settings.VAPI_BASE_URL = UNREACHABLE
    selected = [leads["maya"], leads["omar"]]

    response = _post(admin_client, "lead", "call_with_ai_assistant", selected, post="yes")

    _assert_changelist(response)
    error = "Could not reach Vapi; could not list phone numbers."
    assert _messages(response) == [
        ("error", f"Maya Chen: {error}"),
        ("warning", f"Omar Haddad: Not tried: {error}"),
        ("error", "Done: 1 skipped, 1 failed."),
    ]
    assert not CallLog.objects.exclude(lead=leads["busy"]).exists()


def test_too_many_leads_at_once(admin_client, harbor, noon):
    selected = LeadFactory.create_batch(MAX_LEADS_PER_BATCH + 1, property=harbor)
    response = _post(admin_client, "lead", "call_with_ai_assistant", selected, index="0")
    _assert_changelist(response)
    assert _messages(response) == [("error", TOO_MANY_LEADS)]
