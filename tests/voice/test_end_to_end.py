"""Whole calls, end to end over real HTTP: our code → the Vapi simulator → our webhook.

The simulator plays a call the way Vapi does (status updates, transcripts, tool calls answered by
our webhook, the end-of-call report), signed with our secret, against Django served by
pytest-django's live server. Nothing is patched: the only fake is Vapi itself.
"""

from datetime import timedelta
from typing import Any

import httpx
import pytest

from leads.demo import demo_data_load
from leads.models import CallDecision, Lead, LeadActivity, Tour
from properties.models import Property, Unit
from tests.clock import PACIFIC, at, next_weekday, today_in
from tests.factories import LeadFactory, TourFactory
from tests.voice.simulator.test_speech import assert_speakable
from voice.assistants.services import create_property_assistant
from voice.calls.outbound import call_place_outbound
from voice.models import CallLog, WebhookEvent
from voice.simulator.scenarios import SCENARIOS
from voice.simulator.server import RunningSimulator

API_KEY = "test-key"
SECRET = "test-secret"

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def harbor_view() -> Property:
    demo_data_load()
    return Property.objects.get(name="Harbor View Apartments")


def _play_to_the_end(simulator: RunningSimulator) -> None:
    assert simulator.app.wait_for_calls(timeout=60), "the simulated call did not finish"


def test_inbound_book_tour_call_leaves_call_log_phone_lead_tour_and_activities(vapi, harbor_view):
    assistant = create_property_assistant(property=harbor_view)

    response = httpx.post(
        f"{vapi.url}/_simulator/inbound",
        json={"to": harbor_view.leasing_phone, "from": "+14155550199", "scenario": "book_tour"},
        headers={"Authorization": f"Bearer {API_KEY}"},
    )
    assert response.status_code == 201, response.text
    _play_to_the_end(vapi)

    call_log = CallLog.objects.get()
    assert call_log.direction == CallLog.Direction.INBOUND
    assert call_log.status == CallLog.Status.ENDED
    assert call_log.assistant == assistant
    assert call_log.property == harbor_view
    assert call_log.transcript
    # A 415 caller is in California (all-party consent): not recorded (calling-compliance.md §4).
    assert call_log.recording_url == ""
    assert call_log.recorded is False
    assert call_log.recording_basis == (
        "not recorded: California requires all-party consent and none was given"
    )
    assert call_log.summary
    assert call_log.cost is not None
    assert call_log.duration_seconds

    lead = Lead.objects.get(phone="+14155550199")
    assert call_log.lead == lead
    assert lead.source == Lead.Source.PHONE
    assert lead.status == Lead.Status.TOUR_SCHEDULED
    assert lead.score is not None
    assert lead.score_factors

    tour = Tour.objects.get()
    assert (tour.lead, tour.vapi_call_id) == (lead, call_log.vapi_call_id)
    kinds = sorted(lead.activities.values_list("kind", flat=True))
    assert kinds == sorted(
        [
            LeadActivity.Kind.CALL_STARTED,
            LeadActivity.Kind.QUALIFIED,
            LeadActivity.Kind.TOUR_SCHEDULED,
            LeadActivity.Kind.CALL_ENDED,
        ]
    )
    assert not WebhookEvent.objects.filter(status=WebhookEvent.Status.FAILED).exists()
    assert WebhookEvent.objects.filter(message_type="assistant-request").count() == 1


def test_outbound_book_tour_call_updates_the_existing_lead(calling_hours, vapi, harbor_view):
    assistant = create_property_assistant(property=harbor_view)
    lead = Lead.objects.get(phone="+14155550123")

    placed = call_place_outbound(
        assistant=assistant, phone_number=lead.phone, lead=lead, path=CallDecision.Path.API
    )
    _play_to_the_end(vapi)

    call_log = CallLog.objects.get()
    assert call_log.pk == placed.pk
    assert call_log.status == CallLog.Status.ENDED
    assert call_log.lead == lead
    lead.refresh_from_db()
    assert lead.source == Lead.Source.WEBSITE  # an existing lead keeps its first-touch source
    assert lead.status == Lead.Status.TOUR_SCHEDULED
    assert Tour.objects.filter(lead=lead, vapi_call_id=call_log.vapi_call_id).count() == 1
    assert Lead.objects.filter(phone=lead.phone).count() == 1


def test_voicemail_call_is_logged_as_voicemail_without_a_tour(calling_hours, vapi, harbor_view):
    assistant = create_property_assistant(property=harbor_view)
    lead = Lead.objects.get(phone="+14155550123")

    call_place_outbound(
        assistant=assistant,
        phone_number=lead.phone,
        lead=lead,
        metadata={"simScenario": "voicemail"},
        path=CallDecision.Path.API,
    )
    _play_to_the_end(vapi)

    call_log = CallLog.objects.get()
    assert (call_log.status, call_log.ended_reason) == ("ended", "voicemail")
    assert not Tour.objects.exists()
    assert lead.activities.filter(kind=LeadActivity.Kind.CALL_ENDED).count() == 1


# What the assistant says: facts in its own words, never the tools' instructions -------------------


def _inbound(simulator: RunningSimulator, prop: Property, scenario: str) -> str:
    response = httpx.post(
        f"{simulator.url}/_simulator/inbound",
        json={"to": prop.leasing_phone, "from": "+12065550177", "scenario": scenario},
        headers={"Authorization": f"Bearer {API_KEY}"},
    )
    assert response.status_code == 201, response.text
    _play_to_the_end(simulator)
    return response.json()["id"]


def _bot_lines(simulator: RunningSimulator, call_id: str) -> list[str]:
    call = simulator.app.state.get_call(call_id)
    lines = [m["message"] for m in call["artifact"]["messages"] if m["role"] == "bot"]
    for line in lines:
        assert_speakable(line)
    return lines


def _monday_morning(clock: Any, hour: int = 10) -> None:
    """Office hours at Harbor View (Monday-Friday 9-6 Pacific); tours the next day."""
    clock.move_to(at(next_weekday(today_in(PACIFIC), 0), hour))


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_no_scenario_reads_tool_instructions_aloud(vapi, harbor_view, clock, scenario):
    _monday_morning(clock)
    create_property_assistant(property=harbor_view)

    _bot_lines(vapi, _inbound(vapi, harbor_view, scenario))


def test_a_booked_tour_is_said_with_its_time_and_where_to_meet(vapi, harbor_view, clock):
    _monday_morning(clock)
    create_property_assistant(property=harbor_view)

    lines = _bot_lines(vapi, _inbound(vapi, harbor_view, "book_tour"))

    tuesday = next_weekday(today_in(PACIFIC), 1)
    booked = next(line for line in lines if line.startswith("You're all set"))
    assert f"{tuesday:%A, %B} {tuesday.day} at 10 AM" in booked
    assert f"We'll meet you at {harbor_view.full_address}." in booked
    assert any(line.startswith("Here's what we have: unit 312") for line in lines)


def test_a_full_slot_is_said_with_the_free_times_offered(vapi, harbor_view, clock):
    _monday_morning(clock)
    create_property_assistant(property=harbor_view)
    tuesday_ten = at(next_weekday(today_in(PACIFIC), 1), 10)
    for _ in range(harbor_view.tours_per_slot):
        TourFactory(lead=LeadFactory(property=harbor_view), starts_at=tuesday_ten)

    lines = _bot_lines(vapi, _inbound(vapi, harbor_view, "book_tour"))

    full = next(line for line in lines if "fully booked" in line)
    assert full.startswith("I'm sorry. That time is fully booked. I could do ")
    assert any(line.startswith("You're all set") for line in lines)  # the next day worked


def test_nothing_available_is_said_with_a_callback_offer(vapi, harbor_view, clock):
    _monday_morning(clock)
    harbor_view.units.update(status=Unit.Status.OCCUPIED)
    create_property_assistant(property=harbor_view)

    lines = _bot_lines(vapi, _inbound(vapi, harbor_view, "book_tour"))

    nothing = next(line for line in lines if line.startswith("Nothing is available"))
    assert nothing.startswith("Nothing is available for a 2 bed right now. I can have someone")
    assert nothing.endswith("call you back. Can I get your name?")


def test_a_person_in_office_hours_is_a_transfer(vapi, harbor_view, clock):
    _monday_morning(clock, hour=11)
    create_property_assistant(property=harbor_view)

    call_id = _inbound(vapi, harbor_view, "human")

    lines = _bot_lines(vapi, call_id)
    assert "Of course. Let me connect you with our leasing team." in lines
    assert CallLog.objects.get(vapi_call_id=call_id).ended_reason == "assistant-forwarded-call"


def test_a_person_when_the_office_is_closed_is_no_transfer_and_says_when_it_opens(
    vapi, harbor_view, clock
):
    sunday = next_weekday(today_in(PACIFIC), 6)
    clock.move_to(at(sunday, 20))
    create_property_assistant(property=harbor_view)

    call_id = _inbound(vapi, harbor_view, "human")

    lines = _bot_lines(vapi, call_id)
    monday = sunday + timedelta(days=1)
    assert lines[-1] == (
        "I'm sorry. The leasing office can't take the call right now. It opens "
        f"{monday:%A, %B} {monday.day} at 9 AM. I can book you a tour, or have someone from the "
        "leasing team call you back."
    )
    call_log = CallLog.objects.get(vapi_call_id=call_id)
    assert call_log.ended_reason == "customer-ended-call"
    assert not WebhookEvent.objects.filter(message_type="transfer-destination-request").exists()


def test_the_lead_is_updated_from_the_structured_outputs_of_the_report(
    calling_hours, vapi, harbor_view
):
    """vapi-reference.md §12.4: the assistant references our structured outputs, the simulator
    answers them in artifact.structuredOutputs (no analysis.structuredData), and the lead gets
    what only the report carries: the email is not in any tool call."""
    assistant = create_property_assistant(property=harbor_view)
    lead = LeadFactory(
        property=harbor_view, phone="+12065550142", first_name="Sam", last_name="Ortiz", email=""
    )

    call_place_outbound(
        assistant=assistant, phone_number=lead.phone, lead=lead, path=CallDecision.Path.API
    )
    _play_to_the_end(vapi)

    report = WebhookEvent.objects.get(message_type="end-of-call-report").payload["message"]
    assert "structuredData" not in report["analysis"]
    outputs = report["artifact"]["structuredOutputs"]
    # A set: the stored payload is jsonb on PostgreSQL, which does not keep key order.
    assert set(outputs) == set(assistant.last_pushed_config["artifactPlan"]["structuredOutputIds"])
    call_log = CallLog.objects.get()
    assert call_log.structured_data["opt_out"] is False  # only a structured output says this
    assert call_log.success_evaluation == "true"
    lead.refresh_from_db()
    assert lead.email == "sam.ortiz@example.com"
    assert (lead.desired_bedrooms, lead.budget, lead.has_pets) == (2, 4500, True)
