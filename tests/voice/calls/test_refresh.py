"""Refreshing one call log from Vapi: the admin action "Refresh from Vapi" and
GET /api/v1/voice/calls/{id}?refresh=true, against the simulator, with and without faults."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from django.utils import timezone

from leads.models import LeadActivity
from tests.api.conftest import assert_error, bearer_client
from tests.factories import (
    AssistantFactory,
    CallLogFactory,
    PropertyFactory,
    UserFactory,
    org_admin,
)
from voice.admin import MAX_CALLS_PER_REFRESH, TOO_MANY_CALLS
from voice.calls.operations import REFRESH_NOT_FOUND, REFRESH_UNCHANGED
from voice.models import CallLog
from voice.simulator.state import Fault

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_retries(vapi_settings):
    vapi_settings.VAPI_MAX_RETRIES = 0  # a fault answers at once instead of after back-off
    return vapi_settings


@pytest.fixture
def prop(no_retries):
    return PropertyFactory(owner=UserFactory(username="owner"), name="Harbor View")


@pytest.fixture
def stale(prop, simulator) -> CallLog:
    """A call whose end-of-call-report was missed: Vapi has it ended, we have it in progress."""
    AssistantFactory(property=prop, vapi_assistant_id="asst-refresh")
    [call_id] = simulator.app.state.seed_finished_calls(
        1, start=timezone.now(), assistant_id="asst-refresh", callers=1, seed=1
    )
    assert simulator.app.state.get_call(call_id)["analysis"], "seed 1 gives an answered call"
    return CallLogFactory(
        vapi_call_id=call_id,
        property=prop,
        status=CallLog.Status.IN_PROGRESS,
        customer_number="+12065550000",
    )


def _refresh(client, calls):
    data = {"action": "refresh_from_vapi", ACTION_CHECKBOX_NAME: [c.pk for c in calls]}
    return client.post(reverse("admin:voice_calllog_changelist"), data, follow=True)


def _messages(response) -> list[tuple[str, str]]:
    return [(m.level_tag, m.message) for m in response.context["messages"]]


def test_admin_refresh_brings_a_stale_call_up_to_date_then_finds_it_unchanged(
    admin_client, stale, simulator
):
    response = _refresh(admin_client, [stale])

    assert response.status_code == 200
    [(level, text)] = _messages(response)
    assert level == "success"
    assert text.startswith(f"Inbound call {stale.vapi_call_id}: Updated from Vapi: status, ")
    stale.refresh_from_db()
    remote = simulator.app.state.get_call(stale.vapi_call_id)
    assert stale.status == CallLog.Status.ENDED
    assert stale.transcript == remote["artifact"]["transcript"]
    assert stale.summary == remote["analysis"]["summary"]
    # The webhook's outcome: the caller's lead and its "call ended" activity.
    assert stale.lead.activities.filter(kind=LeadActivity.Kind.CALL_ENDED).count() == 1

    again = _refresh(admin_client, [stale])

    assert _messages(again) == [
        ("success", f"Inbound call {stale.vapi_call_id}: {REFRESH_UNCHANGED}")
    ]


def test_admin_refresh_when_vapi_fails_reports_it_and_writes_nothing(
    admin_client, stale, simulator
):
    other = CallLogFactory(property=stale.property, vapi_call_id="not-at-vapi")
    fault = Fault(status=500, method="GET", path_prefix=f"/call/{stale.vapi_call_id}")
    simulator.app.state.add_fault(fault)

    messages = _messages(_refresh(admin_client, [stale, other]))

    assert set(messages[:2]) == {
        ("error", f"Inbound call not-at-vapi: {REFRESH_NOT_FOUND}"),
        (
            "error",
            f"Inbound call {stale.vapi_call_id}: Vapi had an internal error (HTTP 500); "
            "could not fetch the call.",
        ),
    }
    assert messages[2] == ("error", "Done: 2 failed.")
    stale.refresh_from_db()
    assert stale.status == CallLog.Status.IN_PROGRESS
    assert stale.transcript == ""
    assert stale.lead is None


def test_admin_refresh_with_vapi_unreachable_stops_after_the_first(admin_client, stale, settings):
    settings.VAPI_BASE_URL = "http://127.0.0.1:9"  # discard port: connection refused
    other = CallLogFactory(property=stale.property)

    messages = _messages(_refresh(admin_client, [stale, other]))

    assert [level for level, _ in messages] == ["error", "warning", "error"]
    assert "Not tried" in messages[1][1]
    stale.refresh_from_db()
    assert stale.status == CallLog.Status.IN_PROGRESS


def test_admin_refresh_refuses_too_many_calls(admin_client, prop, simulator):
    calls = [CallLogFactory(property=prop) for _ in range(MAX_CALLS_PER_REFRESH + 1)]

    assert _messages(_refresh(admin_client, calls)) == [("error", TOO_MANY_CALLS)]
    assert simulator.app.state.count_requests("GET", f"/call/{calls[0].vapi_call_id}") == 0


# API ---------------------------------------------------------------------------------------------


def test_api_refresh_true_pulls_the_call_then_answers(stale, simulator):
    client = bearer_client(org_admin(stale.property))

    plain = client.get(f"/api/v1/voice/calls/{stale.pk}")
    refreshed = client.get(f"/api/v1/voice/calls/{stale.pk}", {"refresh": "true"})

    assert plain.json()["status"] == "in-progress"
    assert refreshed.status_code == 200
    body = refreshed.json()
    remote = simulator.app.state.get_call(stale.vapi_call_id)
    assert body["status"] == "ended"
    assert body["transcript"] == remote["artifact"]["transcript"]
    assert simulator.app.state.count_requests("GET", f"/call/{stale.vapi_call_id}") == 1


def test_api_refresh_when_vapi_fails_is_503_and_changes_nothing(stale, simulator):
    simulator.app.state.add_fault(Fault(status=502, method="GET", path_prefix="/call/"))
    client = bearer_client(org_admin(stale.property))

    response = client.get(f"/api/v1/voice/calls/{stale.pk}", {"refresh": "true"})

    body = assert_error(response, 503, "voice_unavailable")
    assert body["details"]["status"] == 502
    stale.refresh_from_db()
    assert stale.status == CallLog.Status.IN_PROGRESS


def test_api_refresh_of_another_users_call_is_404_without_asking_vapi(stale, simulator):
    client = bearer_client(UserFactory(username="intruder"))

    response = client.get(f"/api/v1/voice/calls/{stale.pk}", {"refresh": "true"})

    assert_error(response, 404, "not_found")
    assert simulator.app.state.count_requests("GET", f"/call/{stale.vapi_call_id}") == 0


def test_api_refresh_must_be_a_boolean(stale):
    response = bearer_client(org_admin(stale.property)).get(
        f"/api/v1/voice/calls/{stale.pk}", {"refresh": "maybe"}
    )

    assert "refresh" in assert_error(response, 400, "validation_error")["details"]
