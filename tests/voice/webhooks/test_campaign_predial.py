"""`campaign.predial` (voice/webhooks/predial.py): a campaign built in Vapi's dashboard dials a
contact only when the compliance gate allows it; one CallDecision (path `vapi_campaign`) per
pre-dial; every doubt answers `{"eligible": false}`, always 200 for a well-signed delivery.

Every test moves the clock to a stated local time before it creates anything (consent is dated
from "now"), as tests/leads/test_compliance_gate.py does.
"""

import json
from datetime import date
from typing import Any

import pytest
from django.utils import timezone

from leads.compliance.models import CallDecision
from properties.models import Property
from tests.clock import at
from tests.factories import (
    AssistantFactory,
    LeadFactory,
    OrganizationFactory,
    PropertyFactory,
    SuppressionFactory,
)
from tests.voice.webhook_helpers import CALLER, load_vapi_fixture, post_vapi, signed_headers
from voice.models import WebhookEvent
from voice.webhooks import predial
from voice.webhooks.inbox import webhook_events_reprocess

pytestmark = pytest.mark.django_db

THURSDAY = date(2027, 3, 4)  # no holiday
LOS_ANGELES = "America/Los_Angeles"
LEASING_PHONE = "+14155550100"
NUMBER_ID = "pn-5f2e"  # the fixture's phoneNumber.id


@pytest.fixture
def prop(clock) -> Property:
    """A property whose assistant dials from the fixture's Vapi number, at 11:00 local on a
    Thursday: inside every calling window."""
    clock.move_to(at(THURSDAY, 11, zone=LOS_ANGELES), tick=False)
    prop = PropertyFactory(leasing_phone=LEASING_PHONE, timezone=LOS_ANGELES)
    AssistantFactory(
        property=prop, vapi_assistant_id="asst-predial-1", vapi_phone_number_id=NUMBER_ID
    )
    return prop


def _message(*, number: str = CALLER, **changes: Any) -> dict[str, Any]:
    """The fixture, sent now."""
    payload = load_vapi_fixture("campaign_predial", leasing_phone=LEASING_PHONE, caller=number)
    payload["message"]["timestamp"] = int(timezone.now().timestamp() * 1000)
    payload["message"].update(changes)
    return payload


def _ask(client, payload: dict[str, Any]) -> dict[str, Any]:
    response = post_vapi(client, payload)
    assert response.status_code == 200
    answer = response.json()
    assert answer in ({"eligible": True}, {"eligible": False})
    return answer


def _one_row(**expected: Any) -> CallDecision:
    (row,) = CallDecision.objects.all()
    assert row.path == CallDecision.Path.VAPI_CAMPAIGN
    for name, value in expected.items():
        assert getattr(row, name) == value, name
    return row


def test_a_suppressed_number_is_not_dialled(client, prop):
    lead = LeadFactory(property=prop, phone=CALLER)
    SuppressionFactory(organization=prop.organization, number=CALLER)

    assert _ask(client, _message()) == {"eligible": False}

    _one_row(
        decision=CallDecision.Decision.REFUSED,
        reason="opted_out",
        organization=prop.organization,
        lead=lead,
        number=CALLER,
        purpose=CallDecision.Purpose.MARKETING,
    )


def test_a_consented_lead_in_calling_hours_is_dialled(client, prop):
    lead = LeadFactory(property=prop, phone=CALLER)

    assert _ask(client, _message()) == {"eligible": True}

    _one_row(decision=CallDecision.Decision.ALLOWED, lead=lead, reason="")
    event = WebhookEvent.objects.get()
    assert (event.message_type, event.status) == ("campaign.predial", "processed")
    assert event.response == {"eligible": True}


def test_the_same_lead_at_ten_at_night_is_not(client, prop, clock):
    LeadFactory(property=prop, phone=CALLER)
    clock.move_to(at(THURSDAY, 22, zone=LOS_ANGELES), tick=False)

    assert _ask(client, _message()) == {"eligible": False}

    row = _one_row(decision=CallDecision.Decision.REFUSED, reason="quiet_hours")
    assert row.next_allowed_at is not None


def test_an_unknown_number_and_no_metadata_refuses_without_a_row(client, prop, caplog):
    LeadFactory(property=prop, phone=CALLER)
    payload = _message(
        phoneNumber={"id": "pn-unknown", "provider": "vapi", "number": "+14155550199"}
    )

    assert _ask(client, payload) == {"eligible": False}

    # No organization, so no gate and no audit row; the log says why.
    assert not CallDecision.objects.exists()
    assert "no property or organization" in caplog.text
    assert WebhookEvent.objects.get().response == {"eligible": False}


def test_the_phone_numbers_number_alone_resolves(client, prop):
    lead = LeadFactory(property=prop, phone=CALLER)
    payload = _message()
    del payload["message"]["phoneNumber"]["id"]

    assert _ask(client, payload) == {"eligible": True}

    _one_row(decision=CallDecision.Decision.ALLOWED, lead=lead, organization=prop.organization)


def test_the_phone_numbers_id_alone_resolves(client, prop):
    lead = LeadFactory(property=prop, phone=CALLER)
    payload = _message()
    del payload["message"]["phoneNumber"]["number"]

    assert _ask(client, payload) == {"eligible": True}

    _one_row(decision=CallDecision.Decision.ALLOWED, lead=lead)


def test_the_contacts_metadata_alone_resolves(client, prop):
    lead = LeadFactory(property=prop, phone=CALLER)
    payload = _message()
    del payload["message"]["phoneNumber"]
    payload["message"]["contact"]["assistantOverrides"] = {"metadata": {"propertyId": str(prop.pk)}}

    assert _ask(client, payload) == {"eligible": True}

    _one_row(decision=CallDecision.Decision.ALLOWED, lead=lead)


def test_the_campaigns_assistant_alone_resolves(client, prop):
    lead = LeadFactory(property=prop, phone=CALLER)
    payload = _message(call={"assistantId": "asst-predial-1"})
    del payload["message"]["phoneNumber"]

    assert _ask(client, payload) == {"eligible": True}

    _one_row(decision=CallDecision.Decision.ALLOWED, lead=lead)


def test_the_contact_may_ask_for_an_informational_call(client, prop):
    LeadFactory(property=prop, phone=CALLER)
    payload = _message()
    payload["message"]["contact"]["assistantOverrides"] = {"metadata": {"purpose": "informational"}}

    _ask(client, payload)

    _one_row(purpose=CallDecision.Purpose.INFORMATIONAL)


def test_the_lead_on_the_campaigns_property_is_preferred(client, prop):
    elsewhere = PropertyFactory(organization=prop.organization)
    LeadFactory(property=elsewhere, phone=CALLER)
    here = LeadFactory(property=prop, phone=CALLER)

    _ask(client, _message())

    _one_row(lead=here)


def test_another_organizations_consent_does_not_count(client, prop):
    LeadFactory(property=PropertyFactory(organization=OrganizationFactory()), phone=CALLER)

    assert _ask(client, _message()) == {"eligible": False}

    _one_row(lead=None, reason="no_written_consent", organization=prop.organization)


def test_an_invalid_contact_number_is_refused_with_a_row(client, prop):
    assert _ask(client, _message(number="12")) == {"eligible": False}

    _one_row(reason="invalid_number", lead=None)


def test_an_old_predial_from_a_fixture_is_still_answered(client, prop):
    """Vapi's timestamp is not trusted to say whether anyone waits: the gate answers as of now."""
    LeadFactory(property=prop, phone=CALLER)
    payload = _message()
    payload["message"]["timestamp"] -= 10 * 60 * 1000

    assert _ask(client, payload) == {"eligible": True}
    _one_row(decision=CallDecision.Decision.ALLOWED)


def test_reprocessing_a_predial_asks_nobody(client, prop):
    """Vapi stopped waiting long ago: a late run (reprocess_webhooks) decides nothing, so no
    decision row counts towards the audit or the daily cap for a dial that never happened."""
    LeadFactory(property=prop, phone=CALLER)
    assert _ask(client, _message()) == {"eligible": True}

    result = webhook_events_reprocess(events=WebhookEvent.objects.all())

    assert (result.processed, result.ignored, result.failed) == (0, 1, 0)
    assert CallDecision.objects.count() == 1


def test_two_contacts_in_the_same_millisecond_get_their_own_answers(client, prop):
    """No call id: the dedupe key is the campaign, the contact and the time."""
    LeadFactory(property=prop, phone=CALLER)
    SuppressionFactory(organization=prop.organization, number="+14155550178")
    first = _message()
    second = _message(number="+14155550178")
    second["message"]["contact"]["id"] = "contact-81c5"
    second["message"]["timestamp"] = first["message"]["timestamp"]

    assert _ask(client, first) == {"eligible": True}
    assert _ask(client, second) == {"eligible": False}
    assert CallDecision.objects.count() == 2


def test_a_redelivery_replays_the_answer_without_another_row(client, prop):
    LeadFactory(property=prop, phone=CALLER)
    payload = _message()

    assert _ask(client, payload) == {"eligible": True}
    assert _ask(client, payload) == {"eligible": True}

    assert CallDecision.objects.count() == 1
    assert WebhookEvent.objects.count() == 1


def test_a_handler_error_answers_false_never_a_500(client, prop, monkeypatch):
    LeadFactory(property=prop, phone=CALLER)

    def broken(**kwargs: Any) -> None:
        raise RuntimeError("database gone")

    monkeypatch.setattr(predial, "call_permission", broken)

    assert _ask(client, _message()) == {"eligible": False}

    event = WebhookEvent.objects.get()
    assert (event.status, event.response) == ("failed", {"eligible": False})
    assert not CallDecision.objects.exists()


def test_a_wrong_signature_is_refused_and_leaves_nothing(client, prop):
    LeadFactory(property=prop, phone=CALLER)
    body = json.dumps(_message()).encode()
    headers = signed_headers(body, secret="not-the-secret")

    response = post_vapi(client, body, **headers)

    assert response.status_code == 401
    assert not CallDecision.objects.exists()
    assert not WebhookEvent.objects.exists()
