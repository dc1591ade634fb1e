"""The leasing agent's screens in a real browser: log in, read a call log, open the dashboard.

The scenario is built from small steps (fixtures for data, `AdminBrowser` for navigation) so
the full flow (create an assistant, place a simulated call, watch it live, read its log) can be
added as one more test using the same fixtures.
"""

import re
from dataclasses import dataclass

import pytest
from django.core.management import call_command
from django.utils import timezone

from leads.demo import DEMO_PASSWORD, DEMO_USERNAME
from leads.models import Lead, LeadActivity, Tour
from tests.voice.samples import (
    RECORDING_URL,
    create_call_history,
    create_ended_call_with_tour,
    create_live_call,
)
from voice.models import CallLog, TranscriptLine

pytestmark = pytest.mark.django_db(transaction=True)


@dataclass
class DemoCalls:
    lead: Lead
    ended: CallLog
    tour: Tour
    live: CallLog


@pytest.fixture
def demo_calls(transactional_db) -> DemoCalls:
    """`load_demo_data` (admin / leasing-demo, two properties, leads) plus calls for Maya Chen."""
    call_command("load_demo_data", verbosity=0)
    lead = Lead.objects.get(phone="+14155550123")
    lead.score = 78
    lead.score_factors = {
        "move_in": {"points": 25, "max": 25, "note": "Moving in within 30 days"},
        "budget": {"points": 20, "max": 25, "note": "Budget covers unit 312"},
        "bedrooms": {"points": 15, "max": 15},
        "engagement": {"points": 18, "max": 25, "note": "Asked questions and booked a tour"},
        "pets": 0,
    }
    lead.save()
    LeadActivity.objects.create(
        lead=lead, kind=LeadActivity.Kind.NOTE, text="Found us on the website; asked for a call."
    )
    create_call_history(lead=lead)
    ended, tour = create_ended_call_with_tour(lead=lead)
    for kind, text in [
        (LeadActivity.Kind.QUALIFIED, "Two bedrooms, budget $4,400, moving 1 April, no pets."),
        (LeadActivity.Kind.TOUR_SCHEDULED, "In-person tour of unit 312 booked on the call."),
    ]:
        LeadActivity.objects.create(
            lead=lead, kind=kind, text=text, vapi_call_id=ended.vapi_call_id
        )
    live = create_live_call(lead=Lead.objects.get(phone="+14155550177"))
    return DemoCalls(lead=lead, ended=ended, tour=tour, live=live)


def test_agent_reads_a_call_log_and_the_dashboard(admin_browser, demo_calls):
    from playwright.sync_api import expect

    page = admin_browser.page
    admin_browser.login(username=DEMO_USERNAME, password=DEMO_PASSWORD)

    # The call log: the conversation as a chat, tool calls inline, recording, outcome, links.
    admin_browser.open_call_log(demo_calls.ended)
    conversation = page.locator("#conversation")
    expect(conversation).to_contain_text("this is Ava. How can I help?")
    expect(conversation).to_contain_text("Yes please, could I come Saturday at 11?")
    expect(conversation).to_contain_text("Checked availability")
    expect(conversation).to_contain_text("Booked: in-person tour on Saturday at 11:00")
    expect(page.locator("audio")).to_have_attribute("src", RECORDING_URL)
    expect(page.locator("#ended-reason")).to_have_text("Caller hung up")
    expect(page.locator("#tours")).to_contain_text("In person")
    admin_browser.screenshot("call-log")

    # The lead page: timeline, score breakdown, tours and calls.
    page.click("#lead-link")
    expect(page.locator("#lead-score")).to_contain_text("Moving in within 30 days")
    expect(page.locator("#lead-calls")).to_contain_text("Answered")
    admin_browser.screenshot("lead", full_page=False)

    # The dashboard, reached from the admin index card.
    page.click("#site-name a")
    page.click("#voice-dashboard-card a")
    expect(page.locator("#window-today [data-metric=calls]")).not_to_have_text("0")
    expect(page.locator("#calls-per-day svg rect.o-answered").first).to_be_visible()
    expect(page.locator("#top-ended-reasons")).to_contain_text("Caller hung up")

    # The live transcript refreshes by itself.
    live = page.locator(f'[data-vapi-call-id="{demo_calls.live.vapi_call_id}"]')
    expect(live).to_contain_text("Cats and dogs are welcome")
    TranscriptLine.objects.create(
        vapi_call_id=demo_calls.live.vapi_call_id,
        role="user",
        text="Great, is there a pet deposit?",
        spoken_at=timezone.now(),
    )
    expect(live).to_contain_text("is there a pet deposit?")
    admin_browser.screenshot("dashboard")


def test_dashboard_counters_follow_the_live_calls(admin_browser, demo_calls):
    """Calls that start and end while the dashboard is open move its counters, no reload."""
    from playwright.sync_api import expect

    page = admin_browser.page
    admin_browser.login(username=DEMO_USERNAME, password=DEMO_PASSWORD)
    admin_browser.open_dashboard()
    today = page.locator("#window-today")
    calls = int(today.locator("[data-metric=calls]").inner_text())
    answered = int(today.locator("[data-metric=answered]").inner_text())
    one_live = re.compile(r"^calls?, 1 in progress$")  # "call" when it is today's only call
    expect(today.locator("[data-metric=caption]")).to_have_text(one_live)

    # A second call starts: its card and the counters appear together.
    started = create_live_call(lead=demo_calls.lead)
    expect(page.locator(f'[data-vapi-call-id="{started.vapi_call_id}"]')).to_be_visible()
    expect(today.locator("[data-metric=calls]")).to_have_text(str(calls + 1))
    expect(today.locator("[data-metric=caption]")).to_have_text("calls, 2 in progress")

    # The first one ends: its card goes and it counts as answered.
    CallLog.objects.filter(pk=demo_calls.live.pk).update(
        status=CallLog.Status.ENDED, ended_reason="customer-ended-call", duration_seconds=60
    )
    expect(page.locator(f'[data-vapi-call-id="{demo_calls.live.vapi_call_id}"]')).to_have_count(0)
    expect(today.locator("[data-metric=answered]")).to_have_text(str(answered + 1))
    expect(today.locator("[data-metric=caption]")).to_have_text(one_live)
    expect(today.locator("[data-metric=calls]")).to_have_text(str(calls + 1))
    admin_browser.screenshot("dashboard-counters")
