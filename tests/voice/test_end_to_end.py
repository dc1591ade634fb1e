"""Whole calls, end to end over real HTTP: our code → the Vapi simulator → our webhook.

The simulator plays a call the way Vapi does (status updates, transcripts, tool calls answered by
our webhook, the end-of-call report), signed with our secret, against Django served by
pytest-django's live server. Nothing is patched: the only fake is Vapi itself.
"""

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from leads.demo import demo_data_load
from leads.models import Lead, LeadActivity, Tour
from properties.models import Property
from voice.assistants import create_property_assistant
from voice.calls import call_place_outbound
from voice.models import CallLog, WebhookEvent
from voice.simulator import SimulatorConfig, VapiSimulator
from voice.simulator.server import RunningSimulator

API_KEY = "test-key"
SECRET = "test-secret"

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def vapi(live_server: Any, settings: Any) -> Iterator[RunningSimulator]:
    webhook_url = f"{live_server.url}/api/v1/voice/webhook"
    simulator = RunningSimulator(
        VapiSimulator(
            SimulatorConfig(api_key=API_KEY, webhook_url=webhook_url, webhook_secret=SECRET)
        )
    )
    simulator.app.config.public_url = simulator.url
    settings.VAPI_BASE_URL = simulator.url
    settings.VAPI_API_KEY = API_KEY
    settings.VAPI_WEBHOOK_SECRET = SECRET
    settings.VAPI_WEBHOOK_AUTH_MODE = "hmac"
    settings.PUBLIC_BASE_URL = live_server.url
    yield simulator
    simulator.app.wait_for_calls(timeout=10)
    simulator.stop()


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
    assert call_log.recording_url.startswith(vapi.url)
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


def test_outbound_book_tour_call_updates_the_existing_lead(vapi, harbor_view):
    assistant = create_property_assistant(property=harbor_view)
    lead = Lead.objects.get(phone="+14155550123")

    placed = call_place_outbound(assistant=assistant, phone_number=lead.phone, lead=lead)
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


def test_voicemail_call_is_logged_as_voicemail_without_a_tour(vapi, harbor_view):
    assistant = create_property_assistant(property=harbor_view)
    lead = Lead.objects.get(phone="+14155550123")

    call_place_outbound(
        assistant=assistant,
        phone_number=lead.phone,
        lead=lead,
        metadata={"simScenario": "voicemail"},
    )
    _play_to_the_end(vapi)

    call_log = CallLog.objects.get()
    assert (call_log.status, call_log.ended_reason) == ("ended", "voicemail")
    assert not Tour.objects.exists()
    assert lead.activities.filter(kind=LeadActivity.Kind.CALL_ENDED).count() == 1
