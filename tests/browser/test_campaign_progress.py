"""A campaign made from the lead changelist in a real browser, then its live progress page
following the campaign to the end without a reload (the runner's part is played by the test)."""

import pytest
from django.urls import reverse

from tests.factories import AssistantFactory, LeadFactory, UserFactory
from voice.campaigns.models import Campaign, CampaignContact
from voice.campaigns.services import campaign_finish

pytestmark = pytest.mark.django_db(transaction=True)


def test_campaign_from_leads_then_progress_reaches_finished(admin_browser, transactional_db):
    from playwright.sync_api import expect

    assistant = AssistantFactory()
    leads = LeadFactory.create_batch(3, property=assistant.property)
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

    campaign = Campaign.objects.get(name="Browser campaign")
    expect(page.locator("#campaign-status")).to_have_text("Running")
    expect(page.locator('[data-counter="pending"]')).to_have_text("3")

    # The runner's work, seen without a reload.
    CampaignContact.objects.filter(campaign=campaign).update(state="done", attempts=1)
    expect(page.locator('[data-counter="done"]')).to_have_text("3")
    campaign_finish(campaign=campaign)
    expect(page.locator("#campaign-status")).to_have_text("Finished")
    expect(page.locator("#campaign-status")).to_have_attribute("data-status", "finished")
    expect(page.locator('[data-counter="pending"]')).to_have_text("0")
    admin_browser.screenshot("campaign-progress-finished")
