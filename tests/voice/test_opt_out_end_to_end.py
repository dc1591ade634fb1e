"""Opt-outs that stick, end to end over real HTTP (calling-compliance.md §7 rules 8-12, 16): the
simulator plays a call in which the caller asks to be taken off the list; the Suppression row
exists before the call ends, and no path places another call to that number for any property of
the organization."""

import dataclasses
from io import StringIO

import httpx
import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.management import CommandError, call_command
from django.urls import reverse

from leads.compliance.gate import CallRefusedError
from leads.compliance.models import Suppression
from leads.demo import demo_data_load
from leads.models import CallDecision, Lead
from properties.models import Property
from tests.api.conftest import assert_error, bearer_client
from tests.factories import org_admin
from voice.assistants.services import create_property_assistant
from voice.calls.outbound import call_place_outbound
from voice.models import CallLog
from voice.simulator.server import RunningSimulator
from voice.webhooks.messages import MESSAGES
from voice.webhooks.tools import OPT_OUT_CONFIRMED

API_KEY = "test-key"
LEAD_PHONE = "+14155550123"  # a consented demo lead of Harbor View
CALLER = "+12065550177"

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def harbor_view() -> Property:
    demo_data_load()
    return Property.objects.get(name="Harbor View Apartments")


@pytest.fixture
def cedar_park(harbor_view) -> Property:
    """The same organization's other property."""
    return Property.objects.get(name="Cedar Park Residences")


def _written():
    """Suppressions written by the calls here: the demo data has one of its own (a demo lead who
    opted out earlier, leads/demo.py)."""
    return Suppression.objects.exclude(note__startswith="Demo:")


@pytest.fixture
def deliveries(monkeypatch) -> list[tuple[str, str, bool]]:
    """Every webhook delivery as our server handles it, in order: (type, status or tool, whether
    a Suppression row existed when its handling began)."""
    seen: list[tuple[str, str, bool]] = []

    def spy(kind: str) -> None:
        original = MESSAGES[kind]

        def handle(envelope):
            message = envelope.message
            what = message.get("status") or ",".join(call.name for call in envelope.tool_calls)
            seen.append((kind, str(what or message.get("role") or ""), _written().exists()))
            return original.handle(envelope)

        monkeypatch.setitem(
            MESSAGES, kind, dataclasses.replace(original, handle=handle, fast_path=None)
        )

    for kind in ("status-update", "transcript", "tool-calls", "end-of-call-report"):
        spy(kind)
    return seen


def _play_to_the_end(simulator: RunningSimulator) -> None:
    assert simulator.app.wait_for_calls(timeout=60), "the simulated call did not finish"


def _posted_calls(simulator: RunningSimulator) -> int:
    return simulator.app.state.count_requests("POST", "/call")


def _assert_suppressed_before_the_end(deliveries, call_log: CallLog) -> None:
    kinds = [kind for kind, _, _ in deliveries]
    # The caller's line is delivered first and writes the row; everything after sees it.
    first_seen = next(i for i, (_, _, exists) in enumerate(deliveries) if exists)
    assert deliveries[first_seen - 1][:2] == ("transcript", "user")
    assert ("tool-calls", "stop_calling", True) in deliveries
    assert ("status-update", "ended", True) in deliveries
    assert deliveries[-1] == ("end-of-call-report", "", True)
    assert kinds.index("tool-calls") < kinds.index("end-of-call-report")
    assert call_log.ended_reason == "assistant-ended-call"


def _bot_lines_after_the_stop(simulator: RunningSimulator, call_id: str) -> list[str]:
    messages = simulator.app.state.get_call(call_id)["artifact"]["messages"]
    stop = next(i for i, m in enumerate(messages) if "take me off" in m.get("message", "").lower())
    return [m["message"] for m in messages[stop:] if m["role"] == "bot"]


def test_an_outbound_call_opt_out_sticks_on_every_path_and_property(
    calling_hours, vapi, harbor_view, cedar_park, deliveries, client
):
    harbor = create_property_assistant(property=harbor_view)
    cedar = create_property_assistant(property=cedar_park)
    lead = Lead.objects.get(phone=LEAD_PHONE)

    placed = call_place_outbound(
        assistant=harbor,
        phone_number=lead.phone,
        lead=lead,
        metadata={"simScenario": "opt_out"},
        path=CallDecision.Path.API,
    )
    _play_to_the_end(vapi)

    call_log = CallLog.objects.get(pk=placed.pk)
    _assert_suppressed_before_the_end(deliveries, call_log)
    row = _written().get()
    assert (row.organization, row.number, row.source, row.vapi_call_id, row.lead) == (
        harbor_view.organization,
        LEAD_PHONE,
        Suppression.Source.SPOKEN,
        call_log.vapi_call_id,
        lead,
    )
    # One confirmation sentence, then endCall (§7 rule 12); the tool said exactly that.
    [confirmation] = _bot_lines_after_the_stop(vapi, call_log.vapi_call_id)
    assert confirmation == (
        "Understood: your number is on the do-not-call list for all of our properties, and we "
        "won't call you again, goodbye."
    )
    messages = vapi.app.state.get_call(call_log.vapi_call_id)["artifact"]["messages"]
    [result] = [m["result"] for m in messages if m.get("name") == "stop_calling"]
    assert result == OPT_OUT_CONFIRMED
    assert "Confirm once" in result
    assert _posted_calls(vapi) == 1

    # The next attempt, on every path, for either property: refused, nothing reaches Vapi.
    with pytest.raises(CallRefusedError) as refused:
        call_place_outbound(
            assistant=harbor, phone_number=lead.phone, lead=lead, path=CallDecision.Path.API
        )
    assert refused.value.reason == "opted_out"

    owner = org_admin(cedar_park)
    body = {"assistant_id": cedar.pk, "phone_number": LEAD_PHONE}
    response = bearer_client(owner).post("/api/v1/voice/call", body, format="json")
    assert_error(response, 409, "opted_out")

    client.force_login(owner)
    data = {"action": "call_with_ai_assistant", ACTION_CHECKBOX_NAME: [lead.pk], "post": "yes"}
    client.post(reverse("admin:leads_lead_changelist"), data, follow=True)

    with pytest.raises(CommandError, match=r"^Refused \(opted_out\)"):
        call_command(
            "place_call", "--assistant", str(cedar.pk), "--to", LEAD_PHONE, stdout=StringIO()
        )

    assert _posted_calls(vapi) == 1
    refusals = CallDecision.objects.filter(decision=CallDecision.Decision.REFUSED)
    assert sorted(refusals.values_list("path", "reason")) == [
        ("admin_action", "opted_out"),
        ("api", "opted_out"),
        ("api", "opted_out"),
        ("command", "opted_out"),
    ]
    assert _written().count() == 1


def _inbound(simulator: RunningSimulator, prop: Property, scenario: str) -> str:
    response = httpx.post(
        f"{simulator.url}/_simulator/inbound",
        json={"to": prop.leasing_phone, "from": CALLER, "scenario": scenario},
        headers={"Authorization": f"Bearer {API_KEY}"},
    )
    assert response.status_code == 201, response.text
    _play_to_the_end(simulator)
    return response.json()["id"]


def test_an_inbound_caller_who_opts_out_is_answered_again_but_never_called(
    calling_hours, vapi, harbor_view, cedar_park, deliveries
):
    harbor = create_property_assistant(property=harbor_view)
    cedar = create_property_assistant(property=cedar_park)

    call_id = _inbound(vapi, harbor_view, "opt_out")

    _assert_suppressed_before_the_end(deliveries, CallLog.objects.get(vapi_call_id=call_id))
    row = _written().get()
    assert (row.organization, row.number) == (harbor_view.organization, CALLER)

    # §7 rule 16: the suppressed caller calls again and is answered normally.
    again = _inbound(vapi, harbor_view, "book_tour")
    assert CallLog.objects.get(vapi_call_id=again).ended_reason == "customer-ended-call"

    # Nothing calls them back, from either property, though the caller is now a lead.
    assert Lead.objects.filter(phone=CALLER).exists()
    for assistant in (harbor, cedar):
        with pytest.raises(CallRefusedError) as refused:
            call_place_outbound(
                assistant=assistant, phone_number=CALLER, path=CallDecision.Path.API
            )
        assert refused.value.reason == "opted_out"
    assert _posted_calls(vapi) == 0


def test_keypad_nine_ends_the_call_with_the_number_suppressed(calling_hours, vapi, harbor_view):
    create_property_assistant(property=harbor_view)

    call_id = _inbound(vapi, harbor_view, "opt_out_keypad")

    call_log = CallLog.objects.get(vapi_call_id=call_id)
    assert call_log.ended_reason == "assistant-ended-call"
    row = _written().get()
    assert (row.number, row.source, row.vapi_call_id) == (
        CALLER,
        Suppression.Source.DTMF,
        call_id,
    )
