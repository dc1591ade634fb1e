"""A dial whose outcome is unknown is never repeated blindly (voice/calls/reconcile.py).

POST /call sent but no answer back (here: httpx.ReadTimeout raised by a transport wrapper, after
or instead of forwarding the request to the simulator): a CallLog `unknown`, the user told so,
and before any new call to the number it is looked up in Vapi's call list: placed after all, the
new call is refused; not placed, it becomes `failed` and the call goes ahead. On every path: the
API, place_call, the admin action; and `manage.py reconcile_calls`.
"""

from io import StringIO

import httpx
import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.management import CommandError, call_command
from django.urls import reverse

from leads.models import CallDecision
from tests.api.conftest import assert_error, bearer_client
from tests.factories import LeadFactory, PropertyFactory, UserFactory
from tests.voice.vapi_helpers import TEST_API_KEY, LostAnswer
from voice.assistants.services import create_property_assistant
from voice.calls.outbound import CALL_OUTCOME_UNKNOWN, call_place_outbound
from voice.calls.reconcile import NOT_PLACED
from voice.models import CallLog
from voice.simulator.state import DEMO_PHONE_NUMBERS
from voice.vapi.client import VapiClient
from voice.vapi.core import RetryPolicy
from voice.vapi.errors import CallAlreadyPlacedError, VapiOutcomeUnknown, VapiUnavailableError

pytestmark = pytest.mark.django_db

NUMBER = "+12065550142"


@pytest.fixture
def transport(vapi_settings, simulator, monkeypatch):
    transport = LostAnswer()
    client = VapiClient(
        api_key=TEST_API_KEY,
        base_url=simulator.url,
        transport=transport,
        retry=RetryPolicy(max_retries=0),
    )
    monkeypatch.setattr("voice.vapi.client.get_vapi_client", lambda: client)
    yield transport
    client.close()


@pytest.fixture
def owner():
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def assistant(transport, calling_hours, owner):
    prop = PropertyFactory(leasing_phone=DEMO_PHONE_NUMBERS[0], owner=owner)
    return create_property_assistant(property=prop)


@pytest.fixture
def lead(assistant):
    return LeadFactory(property=assistant.property, phone=NUMBER)


def _posts(simulator) -> int:
    return simulator.app.state.count_requests("POST", "/call")


def _call_api(owner, assistant, lead):
    body = {"assistant_id": assistant.pk, "phone_number": lead.phone, "lead_id": lead.pk}
    return bearer_client(owner).post("/api/v1/voice/call", body, format="json")


def _unknown_log(lead) -> CallLog:
    call_log = CallLog.objects.get()
    assert call_log.status == CallLog.Status.UNKNOWN
    assert call_log.lead == lead
    assert call_log.customer_number == NUMBER
    assert call_log.direction == CallLog.Direction.OUTBOUND
    assert len(call_log.metadata["attemptId"]) == 36
    assert call_log.metadata["attemptedAt"]
    return call_log


def test_api_answer_lost_after_vapi_placed_the_call(transport, simulator, owner, assistant, lead):
    transport.fail("after")

    error = assert_error(_call_api(owner, assistant, lead), 503, "call_outcome_unknown")

    call_log = _unknown_log(lead)
    assert error["detail"] == CALL_OUTCOME_UNKNOWN
    assert error["details"]["call_log_id"] == call_log.pk
    assert error["details"]["outcome"] == "unknown"
    assert _posts(simulator) == 1
    (remote,) = simulator.app.state.calls.values()
    assert remote["assistantOverrides"]["metadata"]["attemptId"] == call_log.metadata["attemptId"]

    retry = assert_error(_call_api(owner, assistant, lead), 409, "call_already_placed")

    assert "already called" in retry["detail"]
    assert _posts(simulator) == 1  # not dialled twice
    call_log.refresh_from_db()
    assert call_log.vapi_call_id == remote["id"]
    assert call_log.status in CallLog.VAPI_STATUSES
    assert retry["details"]["call_log_id"] == call_log.pk
    assert CallLog.objects.count() == 1


def test_api_answer_lost_and_vapi_never_placed_it(transport, simulator, owner, assistant, lead):
    transport.fail("before")

    assert_error(_call_api(owner, assistant, lead), 503, "call_outcome_unknown")
    call_log = _unknown_log(lead)
    assert _posts(simulator) == 0

    response = _call_api(owner, assistant, lead)

    assert response.status_code == 201, response.content
    assert _posts(simulator) == 1
    call_log.refresh_from_db()
    assert (call_log.status, call_log.ended_reason) == (CallLog.Status.FAILED, NOT_PLACED)
    placed = CallLog.objects.exclude(pk=call_log.pk).get()
    assert placed.vapi_call_id == response.json()["vapi_call_id"]
    # A failed attempt no longer blocks the number: a third call is for the gate alone.
    assert CallLog.objects.filter(status=CallLog.Status.UNKNOWN).count() == 0


def test_the_metadata_missing_from_vapi_falls_back_to_number_and_time(
    transport, simulator, assistant, lead
):
    transport.fail("after")
    with pytest.raises(VapiOutcomeUnknown):
        call_place_outbound(assistant=assistant, phone_number=NUMBER, lead=lead, path="api")
    (remote,) = simulator.app.state.calls.values()
    del remote["assistantOverrides"]["metadata"]  # as if Vapi did not echo it

    with pytest.raises(CallAlreadyPlacedError):
        call_place_outbound(assistant=assistant, phone_number=NUMBER, lead=lead, path="api")

    assert CallLog.objects.get().vapi_call_id == remote["id"]
    assert _posts(simulator) == 1


def test_vapi_unreachable_for_reconciling_dials_nothing(
    transport, simulator, owner, assistant, lead
):
    transport.fail("after")
    assert_error(_call_api(owner, assistant, lead), 503, "call_outcome_unknown")
    transport.inner.close()
    transport.inner = _Refusing()

    assert_error(_call_api(owner, assistant, lead), 503, "voice_unavailable")

    assert _posts(simulator) == 1
    assert CallLog.objects.get().status == CallLog.Status.UNKNOWN


class _Refusing(httpx.BaseTransport):
    def handle_request(self, request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)


def test_place_call_command(transport, simulator, assistant, lead):
    args = ["--assistant", str(assistant.pk), "--to", NUMBER, "--lead", str(lead.pk)]
    transport.fail("after")

    with pytest.raises(CommandError) as exc_info:
        call_command("place_call", *args, stdout=StringIO())

    assert str(exc_info.value) == CALL_OUTCOME_UNKNOWN
    _unknown_log(lead)
    with pytest.raises(CommandError, match="already called"):
        call_command("place_call", *args, stdout=StringIO())
    assert _posts(simulator) == 1


def test_place_call_command_not_placed_then_dials_once(transport, simulator, assistant, lead):
    args = ["--assistant", str(assistant.pk), "--to", NUMBER, "--lead", str(lead.pk)]
    transport.fail("before")
    with pytest.raises(CommandError, match="may have been placed"):
        call_command("place_call", *args, stdout=StringIO())

    out = StringIO()
    call_command("place_call", *args, stdout=out)

    assert "Call " in out.getvalue()
    assert _posts(simulator) == 1
    assert CallLog.objects.filter(status=CallLog.Status.FAILED).count() == 1


def test_admin_action(transport, simulator, client, owner, assistant, lead):
    client.force_login(owner)
    data = {"action": "call_with_ai_assistant", ACTION_CHECKBOX_NAME: [lead.pk], "post": "yes"}
    transport.fail("after")

    response = client.post(reverse("admin:leads_lead_changelist"), data, follow=True)

    [message] = [m.message for m in response.context["messages"]]
    assert message == f"{lead}: {CALL_OUTCOME_UNKNOWN}"
    _unknown_log(lead)

    response = client.post(reverse("admin:leads_lead_changelist"), data, follow=True)

    [message] = [m.message for m in response.context["messages"]]
    assert "already called" in message
    assert _posts(simulator) == 1


def test_admin_action_not_placed_then_dials_once(transport, simulator, client, owner, lead):
    client.force_login(owner)
    data = {"action": "call_with_ai_assistant", ACTION_CHECKBOX_NAME: [lead.pk], "post": "yes"}
    transport.fail("before")
    client.post(reverse("admin:leads_lead_changelist"), data, follow=True)
    _unknown_log(lead)

    response = client.post(reverse("admin:leads_lead_changelist"), data, follow=True)

    [message] = [m.message for m in response.context["messages"]]
    assert message.startswith(f"{lead}: Called by")
    assert _posts(simulator) == 1


def test_connection_refused_records_nothing(transport, simulator, owner, assistant, lead):
    transport.fail("refused")

    error = assert_error(_call_api(owner, assistant, lead), 503, "voice_unavailable")

    assert error["details"]["error"] == "ConnectError"
    assert not CallLog.objects.exists()
    assert _posts(simulator) == 0
    # The gate's decision is on the record; the call is not.
    assert CallDecision.objects.filter(decision="allowed").count() == 1


def test_reconcile_calls_command(transport, simulator, assistant):
    placed_lead = LeadFactory(property=assistant.property, phone=NUMBER)
    lost_lead = LeadFactory(property=assistant.property, phone="+12065550143")
    transport.fail("after")
    with pytest.raises(VapiOutcomeUnknown):
        call_place_outbound(
            assistant=assistant, phone_number=NUMBER, lead=placed_lead, path="command"
        )
    transport.fail("before")
    with pytest.raises(VapiOutcomeUnknown):
        call_place_outbound(
            assistant=assistant, phone_number=lost_lead.phone, lead=lost_lead, path="command"
        )
    assert CallLog.objects.filter(status=CallLog.Status.UNKNOWN).count() == 2

    out = StringIO()
    call_command("reconcile_calls", stdout=out)

    (remote,) = simulator.app.state.calls.values()
    placed = CallLog.objects.get(lead=placed_lead)
    lost = CallLog.objects.get(lead=lost_lead)
    assert placed.vapi_call_id == remote["id"]
    assert placed.status in CallLog.VAPI_STATUSES
    assert lost.status == CallLog.Status.FAILED
    assert "2 unknown: 1 placed, 1 not placed" in out.getvalue()
    out = StringIO()
    call_command("reconcile_calls", stdout=out)
    assert "0 unknown" in out.getvalue()


def test_reconcile_calls_command_fails_when_vapi_is_down(transport, simulator, assistant, lead):
    transport.fail("before")
    with pytest.raises(VapiOutcomeUnknown):
        call_place_outbound(assistant=assistant, phone_number=NUMBER, lead=lead, path="command")
    transport.inner.close()
    transport.inner = _Refusing()

    with pytest.raises(CommandError, match="Could not reconcile"):
        call_command("reconcile_calls", stdout=StringIO())

    assert CallLog.objects.get().status == CallLog.Status.UNKNOWN


def test_outcome_unknown_is_a_timeout_for_callers_that_know_no_better():
    assert issubclass(VapiOutcomeUnknown, VapiUnavailableError)


@pytest.mark.parametrize(
    ("fault", "unknown"),
    [
        (httpx.ReadTimeout, True),
        (httpx.WriteTimeout, True),
        (httpx.ReadError, True),
        (httpx.WriteError, True),
        (httpx.RemoteProtocolError, True),
        (httpx.ConnectError, False),  # never sent: nothing can have been dialled
        (httpx.ConnectTimeout, False),
    ],
)
def test_which_faults_leave_a_post_call_outcome_unknown(fault, unknown):
    def handler(request: httpx.Request) -> httpx.Response:
        raise fault("fault", request=request)

    client = VapiClient(
        api_key="k", transport=httpx.MockTransport(handler), retry=RetryPolicy(max_retries=0)
    )
    with pytest.raises(VapiUnavailableError) as exc_info:
        client.make_outbound_call(assistant_id="a", phone_number_id="p", customer_number=NUMBER)
    assert isinstance(exc_info.value, VapiOutcomeUnknown) is unknown
    assert exc_info.value.details["error"] == fault.__name__
    # A GET can be repeated safely: never "outcome unknown".
    with pytest.raises(VapiUnavailableError) as exc_info:
        client.list_calls()
    assert not isinstance(exc_info.value, VapiOutcomeUnknown)
