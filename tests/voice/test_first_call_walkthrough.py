"""The README's "first call" walkthrough, followed literally in admin at 03:00 property time.

An inbound call has no calling-hours rule, so the newcomer sees a whole call at any hour; the
outbound step is refused at that hour and says from when it would be allowed.
"""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from leads.demo import demo_data_load
from leads.models import Lead, Tour
from properties.models import Property
from tests.clock import PACIFIC, at, today_in
from voice.calls.operations import SIMULATED_CALLER, SKIP_NO_ASSISTANT
from voice.models import CallLog

pytestmark = pytest.mark.django_db(transaction=True)


def _action(client, app_model: str, action: str, objects, **extra):
    data = {"action": action, ACTION_CHECKBOX_NAME: [obj.pk for obj in objects], **extra}
    return client.post(reverse(f"admin:{app_model}_changelist"), data, follow=True)


def _messages(response) -> list[tuple[str, str]]:
    return [(m.level_tag, m.message) for m in response.context["messages"]]


def test_walkthrough_at_three_in_the_morning_shows_a_whole_call(clock, admin_client, vapi):
    clock.move_to(at(today_in(PACIFIC), 3, 0, zone=PACIFIC))
    demo_data_load()
    harbor = Property.objects.get(name="Harbor View Apartments")

    # 1. Properties → Harbor View → Create or update voice assistant.
    created = _action(admin_client, "properties_property", "create_or_update_assistant", [harbor])
    assert _messages(created)[0][0] == "success"

    # 2. Properties → Harbor View → Simulate a prospect calling in.
    ringing = _action(admin_client, "properties_property", "simulate_inbound_call", [harbor])
    (level, text), *_ = _messages(ringing)
    assert level == "success", text
    assert f"{SIMULATED_CALLER} is calling {harbor.leasing_phone}" in text
    assert vapi.app.wait_for_calls(timeout=60), "the simulated call did not finish"

    call_log = CallLog.objects.get()
    assert call_log.direction == CallLog.Direction.INBOUND
    assert call_log.status == CallLog.Status.ENDED
    assert call_log.transcript
    assert call_log.summary
    lead = Lead.objects.get(phone=SIMULATED_CALLER)
    assert lead.status == Lead.Status.TOUR_SCHEDULED
    tour = Tour.objects.get(lead=lead)
    local = tour.starts_at.astimezone(PACIFIC)
    assert local.date() > today_in(PACIFIC)  # a real future time inside office hours
    assert 9 <= local.hour < 18
    page = admin_client.get(reverse("admin:voice_calllog_change", args=[call_log.pk]))
    assert page.status_code == 200

    # 3. Leads → Maya Chen → Call with AI assistant: refused at 03:00, with when it is allowed.
    maya = Lead.objects.get(phone="+14155550123")
    confirm = _action(admin_client, "leads_lead", "call_with_ai_assistant", [maya], index="0")
    body = confirm.content.decode()
    assert "It is 03:00 on " in body
    assert "(federal rules start calls at 08:00)" in body
    assert "The next allowed moment is 08:00 on " in body
    assert CallLog.objects.filter(direction=CallLog.Direction.OUTBOUND).count() == 0


def test_simulating_a_caller_needs_a_pushed_assistant(admin_client, vapi):
    demo_data_load()
    harbor = Property.objects.get(name="Harbor View Apartments")
    response = _action(admin_client, "properties_property", "simulate_inbound_call", [harbor])
    assert _messages(response)[0] == (
        "warning",
        f"{harbor}: " + SKIP_NO_ASSISTANT.format(property=harbor),
    )
    assert vapi.app.state.count_requests("POST", "/_simulator/inbound") == 0
