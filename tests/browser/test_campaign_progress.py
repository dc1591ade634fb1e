"""A campaign made from the lead changelist in a real browser, started there, and its live
progress page following it to the end without a reload.

Nothing is played by the test: the runner's own tick and dials (voice/campaigns/runner.py, run
by a thread here as a Celery worker would run them) call the simulator, which plays each call
and posts its signed webhooks to the live server; the end-of-call reports settle the contacts
and the tick finishes the campaign.

PostgreSQL only: the runner, the live server and the test write from three threads at once,
which SQLite's in-memory test database (table locks, no waiting) cannot take; the product's own
SQLite file (WAL, a busy timeout) can, and `make run` uses it.
"""

import threading
from collections.abc import Iterator

import pytest
from django.db import connection
from django.urls import reverse

from leads.models import Tour
from tests.browser.test_full_call import vapi_on_live_server  # noqa: F401 - pytest fixture
from tests.factories import LeadFactory, PropertyFactory, UserFactory
from voice.assistants.services import create_property_assistant
from voice.campaigns import runner
from voice.campaigns.models import Campaign, CampaignContact
from voice.simulator.state import DEMO_PHONE_NUMBERS

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(calling_hours, vapi_on_live_server) -> Iterator[None]:  # noqa: F811
    """The task queue's work in a thread: a scheduler tick, then the dials it claimed."""
    stop = threading.Event()

    def run() -> None:
        try:
            while not stop.wait(0.3):
                for claim in runner.campaigns_tick().claims:
                    runner.campaign_contact_dial(
                        contact_id=claim.contact_id, attempt_id=claim.attempt_id
                    )
        finally:
            connection.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(timeout=30)


def test_a_campaign_created_and_started_in_admin_is_followed_live_to_the_end(
    admin_browser,
    worker,
    vapi_on_live_server,  # noqa: F811
):
    from playwright.sync_api import expect

    prop = PropertyFactory(leasing_phone=DEMO_PHONE_NUMBERS[0])
    create_property_assistant(property=prop)
    leads = LeadFactory.create_batch(3, property=prop)
    UserFactory(username="boss", is_staff=True, is_superuser=True)
    page = admin_browser.page
    admin_browser.login(username="boss", password="pass-word-123")

    admin_browser.goto(reverse("admin:leads_lead_changelist"))
    for lead in leads:
        page.check(f'input.action-select[value="{lead.pk}"]')
    page.select_option("select[name=action]", "create_campaign")
    page.click("button[name=index]")
    expect(page.locator("#campaign-audience tbody tr")).to_have_count(3)
    page.fill("#id_name", "Browser campaign")
    page.click("input[name=_create_start]")
    page.click("#campaign-progress-link")

    # The simulator answers every call and books a tour (its default outcome).
    expect(page.locator("#campaign-status")).to_have_text("Finished", timeout=60_000)
    expect(page.locator("#campaign-status")).to_have_attribute("data-status", "finished")
    expect(page.locator('[data-counter="done"]')).to_have_text("3")
    expect(page.locator('[data-counter="pending"]')).to_have_text("0")
    expect(page.locator('[data-counter="tours_booked"]')).to_have_text("3")
    admin_browser.screenshot("campaign-progress-finished")

    campaign = Campaign.objects.get(name="Browser campaign")
    assert set(campaign.contacts.values_list("state", "last_outcome")) == {
        (CampaignContact.State.DONE, "tour_booked")
    }
    assert Tour.objects.filter(lead__in=leads).count() == 3
    assert vapi_on_live_server.app.state.count_requests("POST", "/call") == 3
