"""The whole product in a real browser: a leasing agent sets up the voice assistant, has it call a
lead, and reads the call it made.

The live server is the app; the Vapi simulator stands in for Vapi on a local socket and plays the
call (the book_tour scenario), sending its signed webhooks to the live server. Nothing is mocked
between the button and the call log: admin action -> Vapi API -> webhooks -> tools -> call log.
"""

from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse

from leads.demo import DEMO_PASSWORD, DEMO_USERNAME
from leads.models import Lead, Tour
from properties.models import Property
from tests.clock import PACIFIC, at, today_in
from tests.voice.vapi_helpers import TEST_API_KEY, TEST_WEBHOOK_SECRET
from voice.models import CallLog
from voice.simulator import SimulatorConfig, VapiSimulator
from voice.simulator.server import RunningSimulator

pytestmark = pytest.mark.django_db(transaction=True)

CALL_TIMEOUT_S = 60


@pytest.fixture
def vapi_on_live_server(live_server: Any, settings: Any):
    """The simulator as Vapi, delivering webhooks to the live server (signed, like Vapi)."""
    webhook_url = f"{live_server.url}/api/v1/voice/webhook"
    simulator = RunningSimulator(
        VapiSimulator(
            SimulatorConfig(
                api_key=TEST_API_KEY,
                webhook_url=webhook_url,
                webhook_secret=TEST_WEBHOOK_SECRET,
            )
        )
    )
    simulator.app.config.public_url = simulator.url
    settings.VAPI_BASE_URL = simulator.url
    settings.VAPI_API_KEY = TEST_API_KEY
    settings.VAPI_WEBHOOK_SECRET = TEST_WEBHOOK_SECRET
    settings.PUBLIC_BASE_URL = live_server.url
    yield simulator
    simulator.app.wait_for_calls(timeout=10)
    simulator.stop()


@pytest.fixture
def office_hours(clock) -> None:
    """Calling hours are 9:00-21:00 where the property is: the suite's clock is moved to noon in
    Los Angeles on the suite's date there, so the call is placed whenever the suite runs. The
    live server shares this process and clock; Chromium keeps the real one."""
    clock.move_to(at(today_in(PACIFIC), 12))


def _run_action(page: Any, changelist: str, pk: int, action: str) -> None:
    page.goto(changelist)
    page.check(f'input[name="_selected_action"][value="{pk}"]')
    page.select_option('select[name="action"]', action)
    page.click('button[name="index"]')


def test_agent_sets_up_the_assistant_calls_a_lead_and_reads_the_call(
    office_hours, admin_browser, vapi_on_live_server
):
    from playwright.sync_api import expect

    call_command("load_demo_data", verbosity=0)
    harbor = Property.objects.get(name="Harbor View Apartments")
    maya = Lead.objects.get(property=harbor, phone="+14155550123")
    assert maya.consent_to_call
    page = admin_browser.page
    base = admin_browser.base_url
    admin_browser.login(username=DEMO_USERNAME, password=DEMO_PASSWORD)

    # 1. Create the property's voice assistant (at the simulator, i.e. "Vapi").
    _run_action(
        page,
        base + reverse("admin:properties_property_changelist"),
        harbor.pk,
        "create_or_update_assistant",
    )
    expect(page.locator("ul.messagelist li.success")).to_contain_text("Harbor View Apartments")
    assistant = harbor.assistants.get()
    assert assistant.vapi_assistant_id in vapi_on_live_server.app.state.assistants

    # 2. Have it call Maya: the confirmation page, then the call.
    _run_action(
        page, base + reverse("admin:leads_lead_changelist"), maya.pk, "call_with_ai_assistant"
    )
    expect(page.locator("body")).to_contain_text("Maya Chen")
    page.click('input[type="submit"][value="Place 1 call"]')
    expect(page.locator("ul.messagelist li.success")).to_contain_text("Maya Chen: Called by")
    call = CallLog.objects.get(lead=maya, assistant=assistant)

    # 3. The simulator plays the call; its last webhook (the end-of-call-report) is answered
    # before its player finishes, so the call log is final once the players are done.
    assert vapi_on_live_server.app.wait_for_calls(timeout=CALL_TIMEOUT_S), "the call never ended"
    call.refresh_from_db()
    assert call.status == CallLog.Status.ENDED
    assert call.transcript
    tour = Tour.objects.get(lead=maya, vapi_call_id=call.vapi_call_id)

    # 4. The call log page: the conversation and the tour booked on the call.
    admin_browser.open_call_log(call)
    conversation = page.locator("#conversation")
    expect(conversation).to_contain_text("two-bedroom")
    expect(conversation).to_contain_text("Booked")
    expect(page.locator("#tours")).to_contain_text(tour.get_kind_display())
    admin_browser.screenshot("full-call-log")

    # 5. The lead and the dashboard show it too.
    admin_browser.open_lead(maya)
    expect(page.locator("#lead-calls")).to_contain_text("Answered")
    admin_browser.screenshot("full-call-lead", full_page=False)
    admin_browser.open_dashboard()
    expect(page.locator("#window-today [data-metric=calls]")).not_to_have_text("0")
    admin_browser.screenshot("full-call-dashboard")
