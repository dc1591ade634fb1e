"""Transfers end to end: the simulator plays an inbound call whose model asks for a person in
three ways (obeying instructions, insisting, or calling transferCall straight away), against our
live webhook. The pushed transferCall tool has no fixed destination, so every transfer asks our
server (vapi-reference.md §6.2, §8.5): the staff phone is reached in office hours and never
outside them, whatever the model does.
"""

from datetime import timedelta

import httpx
import pytest

from leads.demo import demo_data_load
from leads.models import LeadActivity
from properties.models import Property
from tests.clock import PACIFIC, at, next_weekday, today_in
from tests.voice.simulator.test_speech import assert_speakable
from voice.assistants.services import create_property_assistant
from voice.models import CallLog, WebhookEvent
from voice.simulator.server import RunningSimulator

API_KEY = "test-key"
CALLER = "+12065550177"
MODELS = ["human", "human_insists", "transfer_direct"]

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def harbor_view() -> Property:
    demo_data_load()
    prop = Property.objects.get(name="Harbor View Apartments")  # Mon-Fri 9-6 Pacific
    create_property_assistant(property=prop)
    return prop


def _call_in(simulator: RunningSimulator, prop: Property, scenario: str) -> str:
    response = httpx.post(
        f"{simulator.url}/_simulator/inbound",
        json={"to": prop.leasing_phone, "from": CALLER, "scenario": scenario},
        headers={"Authorization": f"Bearer {API_KEY}"},
    )
    assert response.status_code == 201, response.text
    assert simulator.app.wait_for_calls(timeout=60), "the simulated call did not finish"
    return response.json()["id"]


def _bot_lines(simulator: RunningSimulator, call_id: str) -> list[str]:
    call = simulator.app.state.get_call(call_id)
    lines = [m["message"] for m in call["artifact"]["messages"] if m["role"] == "bot"]
    for line in lines:
        assert_speakable(line)
    return lines


@pytest.mark.parametrize("scenario", MODELS)
def test_in_office_hours_every_transfer_reaches_the_staff_phone(vapi, harbor_view, clock, scenario):
    clock.move_to(at(next_weekday(today_in(PACIFIC), 0), 11))  # Monday 11 AM

    call_id = _call_in(vapi, harbor_view, scenario)

    assert vapi.app.state.transferred_to(call_id) == [harbor_view.transfer_phone]
    assert WebhookEvent.objects.filter(
        message_type="transfer-destination-request", vapi_call_id=call_id
    ).exists()
    call_log = CallLog.objects.get(vapi_call_id=call_id)
    assert call_log.ended_reason == "assistant-forwarded-call"
    assert call_log.assistant is not None
    assert call_log.property == harbor_view
    assert "Connecting you to our leasing team now." in _bot_lines(vapi, call_id)


@pytest.mark.parametrize("when", ["sunday-evening", "monday-early"])
@pytest.mark.parametrize("scenario", MODELS)
def test_outside_office_hours_no_transfer_reaches_the_staff_phone(
    vapi, harbor_view, clock, scenario, when
):
    sunday = next_weekday(today_in(PACIFIC), 6)
    monday = sunday + timedelta(days=1)
    clock.move_to(at(sunday, 20) if when == "sunday-evening" else at(monday, 7, 30))

    call_id = _call_in(vapi, harbor_view, scenario)

    assert vapi.app.state.transferred_to(call_id) == []
    call = vapi.app.state.get_call(call_id)
    assert "destination" not in call
    call_log = CallLog.objects.get(vapi_call_id=call_id)
    assert call_log.ended_reason == "customer-ended-call"
    assert call_log.status == CallLog.Status.ENDED
    lines = _bot_lines(vapi, call_id)
    opens = f"{monday:%A, %B} {monday.day} at 9 AM"
    assert any(opens in line for line in lines), lines
    if scenario != "human":
        # The model transferred against instructions: our answer was said instead.
        assert any(line.startswith("Our leasing office is closed right now") for line in lines)
    if scenario != "transfer_direct":
        assert LeadActivity.objects.filter(kind=LeadActivity.Kind.TRANSFER_REQUESTED).exists()
