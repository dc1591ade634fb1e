"""Every path that places a call goes through the compliance gate: when it refuses, nothing
reaches Vapi (the simulator counts POST /call), the refusal says its reason code, and one
CallDecision records it with the path and who asked.

The refusal used is quiet hours: 22:00 in Los Angeles for a consented Seattle (206) number.
"""

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.management import CommandError, call_command
from django.urls import reverse

from leads.models import CallDecision
from tests.api.conftest import assert_error, bearer_client
from tests.factories import LeadFactory, PropertyFactory, StaffPhoneFactory, UserFactory
from voice.assistants.services import create_property_assistant
from voice.simulator.state import DEMO_PHONE_NUMBERS

pytestmark = pytest.mark.django_db


@pytest.fixture
def night(clock, calling_hours):
    """22:00 in Los Angeles: after every US calling window."""
    clock.move_to(calling_hours + timedelta(hours=11))


@pytest.fixture
def owner():
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def assistant(vapi_settings, simulator, owner):
    prop = PropertyFactory(leasing_phone=DEMO_PHONE_NUMBERS[0], owner=owner)
    return create_property_assistant(property=prop)


@pytest.fixture
def lead(assistant):
    return LeadFactory(property=assistant.property, phone="+12065550142")


def _refused_once(simulator, path: str, requested_by=None) -> CallDecision:
    assert simulator.app.state.count_requests("POST", "/call") == 0
    decision = CallDecision.objects.get()
    assert (decision.decision, decision.reason, decision.path) == ("refused", "quiet_hours", path)
    assert decision.requested_by == requested_by
    assert decision.next_allowed_at is not None
    return decision


def test_api(night, simulator, assistant, lead, owner):
    body = {"assistant_id": assistant.pk, "phone_number": lead.phone, "lead_id": lead.pk}

    response = bearer_client(owner).post("/api/v1/voice/call", body, format="json")

    error = assert_error(response, 409, "quiet_hours")
    decision = _refused_once(simulator, "api", owner)
    assert error["detail"] == decision.message
    assert error["details"]["next_allowed_at"] == decision.next_allowed_at.isoformat()


def test_admin_call_with_ai_assistant(night, simulator, client, assistant, lead, owner):
    client.force_login(owner)
    data = {"action": "call_with_ai_assistant", ACTION_CHECKBOX_NAME: [lead.pk], "post": "yes"}

    response = client.post(reverse("admin:leads_lead_changelist"), data, follow=True)

    [message] = [m.message for m in response.context["messages"]]
    decision = _refused_once(simulator, "admin_action", owner)
    assert message == f"{lead}: {decision.message}"
    assert decision.lead == lead


def test_admin_preview_records_nothing(night, simulator, client, assistant, lead, owner):
    client.force_login(owner)
    data = {"action": "call_with_ai_assistant", ACTION_CHECKBOX_NAME: [lead.pk], "index": "0"}

    page = client.post(reverse("admin:leads_lead_changelist"), data)

    assert "Washington rules end calls at 20:00" in page.content.decode()
    assert not CallDecision.objects.exists()


def test_place_call_command(night, simulator, assistant, lead):
    with pytest.raises(CommandError, match=r"^Refused \(quiet_hours\): It is 22:00"):
        call_command(
            "place_call", "--assistant", str(assistant.pk), "--to", lead.phone,
            "--lead", str(lead.pk), stdout=StringIO(),
        )  # fmt: skip
    _refused_once(simulator, "command")


def test_admin_test_call_needs_a_staff_phone(simulator, client, assistant, owner):
    client.force_login(owner)
    data = {
        "action": "place_test_call",
        ACTION_CHECKBOX_NAME: [assistant.pk],
        "apply": "1",
        "phone_number": "+14155550177",
    }
    response = client.post(reverse("admin:voice_assistant_changelist"), data, follow=True)

    assert simulator.app.state.count_requests("POST", "/call") == 0
    decision = CallDecision.objects.get()
    assert (decision.path, decision.purpose, decision.reason) == (
        "test_call",
        "test",
        "not_staff_phone",
    )
    assert decision.requested_by == owner
    assert "staff phone" in next(m.message for m in response.context["messages"])

    StaffPhoneFactory(organization=assistant.property.organization, number="+14155550177")
    client.post(reverse("admin:voice_assistant_changelist"), data, follow=True)
    assert simulator.app.state.count_requests("POST", "/call") == 1
