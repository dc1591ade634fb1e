"""The campaign staff screens: a campaign from selected leads, out-of-hours calls scheduled as a
campaign, the live progress page and its JSON (the same numbers as the API), org scoping; and
the `lead_ids` audience they rest on."""

from datetime import date, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import holidays
import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import ValidationError
from django.urls import reverse

from properties.models import Membership
from tests.api.conftest import bearer_client
from tests.clock import at, next_weekday, today_in
from tests.factories import (
    AssistantFactory,
    CallLogFactory,
    CampaignFactory,
    LeadFactory,
    MembershipFactory,
    PropertyFactory,
    TourFactory,
    UserFactory,
)
from voice.campaigns.models import Campaign, CampaignContact
from voice.campaigns.selectors import audience_leads, campaign_audience_leads
from voice.campaigns.services import audience_clean, campaign_start
from voice.models import CallLog

pytestmark = pytest.mark.django_db

LA = ZoneInfo("America/Los_Angeles")
LEADS = reverse("admin:leads_lead_changelist")


def _plain_wednesday() -> date:
    """The next Wednesday that is no US holiday (no state's Sunday or holiday rule applies)."""
    day = next_weekday(today_in(LA), 2)
    while day in holidays.country_holidays("US", years=day.year):
        day += timedelta(days=7)
    return day


def _staff(prop, role=Membership.Role.AGENT):
    user = UserFactory(is_staff=True)
    MembershipFactory(user=user, organization=prop.organization, role=role)
    return user


def _action(client, action, leads, **extra):
    data = {"action": action, ACTION_CHECKBOX_NAME: [lead.pk for lead in leads], **extra}
    return client.post(LEADS, data)


def _messages(response) -> list[str]:
    return [str(m) for m in response.wsgi_request._messages]


# The lead_ids audience ------------------------------------------------------------------------


def test_audience_lead_ids_are_checked_and_normalized():
    assert audience_clean(audience={"lead_ids": [3, 1, 3]}) == {"lead_ids": [1, 3]}
    assert audience_clean(audience={"lead_ids": []}) == {"lead_ids": []}
    for bad in ("1,2", [1, "2"], [True], [0], [-4], [2**63], [1.5], {"a": 1}):
        with pytest.raises(ValidationError, match=r"audience\.lead_ids"):
            audience_clean(audience={"lead_ids": bad})


def test_audience_lead_ids_never_reach_another_propertys_leads():
    assistant = AssistantFactory()
    mine, also_mine = LeadFactory.create_batch(2, property=assistant.property)
    theirs = LeadFactory()
    audience = {"lead_ids": [mine.pk, theirs.pk]}

    assert list(audience_leads(property=assistant.property, audience=audience)) == [mine]
    everyone = audience_leads(property=assistant.property, audience={"lead_ids": []})
    assert set(everyone) == {mine, also_mine}  # empty: no narrowing


def test_api_accepts_lead_ids_in_the_audience():
    user = UserFactory()
    assistant = AssistantFactory(property=PropertyFactory(owner=user))
    lead = LeadFactory(property=assistant.property)
    LeadFactory(property=assistant.property)
    body = {
        "assistant_id": assistant.pk,
        "name": "Picked by hand",
        "purpose": "marketing",
        "audience": {"lead_ids": [lead.pk]},
        "starts_on": "2030-01-01",
        "ends_on": "2030-01-31",
    }
    response = bearer_client(user).post("/api/v1/voice/campaigns", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["audience"] == {"lead_ids": [lead.pk]}
    campaign = Campaign.objects.get(pk=response.json()["id"])
    assert list(campaign_audience_leads(campaign=campaign)) == [lead]


# "Create campaign from selected leads" --------------------------------------------------------


def _campaign_form(assistant, **fields):
    return {
        "name": "Hand-picked follow-up",
        "purpose": "marketing",
        "assistant": assistant.pk,
        "starts_on": "2030-01-07",
        "ends_on": "2030-01-21",
        "daily_start": "10:00",
        "daily_end": "18:00",
        "max_concurrent_calls": "3",
        **fields,
    }


def test_create_campaign_action_shows_the_form_and_the_audience(client):
    assistant = AssistantFactory()
    prop = assistant.property
    callable_lead = LeadFactory(property=prop, first_name="Ana", last_name="Ruiz")
    no_consent = LeadFactory(property=prop, consent=False, first_name="Bo", last_name="Lee")
    client.force_login(_staff(prop))

    page = _action(client, "create_campaign", [callable_lead, no_consent])

    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="_create_draft"' in html
    assert 'name="_create_start"' in html
    preview = {e.lead: e for e in page.context["preview"]}
    assert set(preview) == {callable_lead, no_consent}
    assert preview[no_consent].reason == "no_written_consent"
    assert "no written consent" in html


def test_create_campaign_action_creates_a_draft_of_the_selected_leads(client):
    assistant = AssistantFactory()
    prop = assistant.property
    picked = LeadFactory.create_batch(2, property=prop)
    LeadFactory(property=prop)  # not selected: not in the campaign
    user = _staff(prop)
    client.force_login(user)

    response = _action(
        client, "create_campaign", picked, _create_draft="Create draft", **_campaign_form(assistant)
    )

    campaign = Campaign.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("admin:voice_campaign_change", args=[campaign.pk])
    assert campaign.status == Campaign.Status.DRAFT
    assert campaign.audience == {"lead_ids": sorted(lead.pk for lead in picked)}
    assert set(campaign_audience_leads(campaign=campaign)) == set(picked)
    assert (campaign.name, campaign.max_concurrent_calls) == ("Hand-picked follow-up", 3)
    assert (campaign.daily_start.hour, campaign.daily_end.hour) == (10, 18)
    assert campaign.created_by == user
    assert not campaign.contacts.exists()


def test_create_and_start_freezes_the_selected_leads(client):
    assistant = AssistantFactory()
    picked = LeadFactory.create_batch(2, property=assistant.property)
    client.force_login(_staff(assistant.property))

    _action(
        client,
        "create_campaign",
        picked,
        _create_start="Create and start",
        **_campaign_form(assistant),
    )

    campaign = Campaign.objects.get()
    assert campaign.status == Campaign.Status.RUNNING
    assert {c.lead for c in campaign.contacts.all()} == set(picked)


def test_create_campaign_form_errors_keep_the_page(client):
    assistant = AssistantFactory()
    lead = LeadFactory(property=assistant.property)
    client.force_login(_staff(assistant.property))

    page = _action(
        client,
        "create_campaign",
        [lead],
        _create_draft="Create draft",
        **_campaign_form(assistant, daily_end=""),  # half a window
    )

    assert page.status_code == 200
    assert "Give both ends of the daily window, or neither." in page.content.decode()
    assert not Campaign.objects.exists()


def test_create_campaign_refuses_leads_of_several_properties(client):
    first = AssistantFactory()
    second_property = PropertyFactory(organization=first.property.organization, name="Elm Row")
    AssistantFactory(property=second_property)
    leads = [LeadFactory(property=first.property), LeadFactory(property=second_property)]
    client.force_login(_staff(first.property, role=Membership.Role.MANAGER))

    response = _action(client, "create_campaign", leads)

    assert response.status_code == 302  # back to the changelist
    [message] = _messages(response)
    assert message.startswith("A campaign calls the leads of one property;")
    assert "Elm Row" in message
    assert not Campaign.objects.exists()


def test_create_campaign_needs_an_assistant_and_a_role_that_works_leads(client):
    prop = PropertyFactory()
    lead = LeadFactory(property=prop)
    client.force_login(_staff(prop))
    response = _action(client, "create_campaign", [lead])
    assert _messages(response) == [f"{prop} has no assistant: create one before a campaign."]

    AssistantFactory(property=prop)
    client.force_login(_staff(prop, role=Membership.Role.READ_ONLY))
    response = _action(client, "create_campaign", [lead], **_campaign_form(prop.assistants.get()))
    assert not Campaign.objects.exists()


# "Call with AI assistant" outside calling hours -----------------------------------------------


@pytest.fixture
def late_evening(clock):
    """23:00 on a plain Wednesday in Los Angeles: every lead with a 206 (Washington) number is
    refused for quiet hours until 08:00 on Thursday."""
    moment = at(_plain_wednesday(), 23, zone=LA)
    clock.move_to(moment, tick=False)
    return moment


def _pushed_assistant(prop=None, **fields):
    prop = prop or PropertyFactory(**fields)
    return AssistantFactory(property=prop, vapi_assistant_id=f"asst-{prop.pk}")


def test_outside_hours_page_offers_to_schedule_the_time_refused_calls(admin_client, late_evening):
    assistant = _pushed_assistant()
    late = LeadFactory(property=assistant.property)
    no_consent = LeadFactory(property=assistant.property, consent=False)

    page = _action(admin_client, "call_with_ai_assistant", [late, no_consent])

    html = page.content.decode()
    assert "Schedule these 1 call for their next allowed moment" in html
    thursday = late_evening.date() + timedelta(days=1)
    # The next allowed moment in the lead's own zone (its 206 number: Los Angeles).
    eight = at(thursday, 8, zone=LA)
    assert f"{eight:%a} {eight.day} {eight:%b %Y}, 08:00 {eight:%Z}" in html
    plan = {item.lead: item for item in page.context["plan"]}
    assert plan[late].can_schedule
    assert not plan[no_consent].can_schedule
    assert 'value="Place' not in html


def test_scheduling_creates_and_starts_a_campaign_of_the_time_refused_leads_per_property(
    admin_client, late_evening
):
    harbor = _pushed_assistant(name="Harbor View")
    elm = _pushed_assistant(name="Elm Row")
    late_harbor = LeadFactory.create_batch(2, property=harbor.property)
    late_elm = LeadFactory(property=elm.property)
    no_consent = LeadFactory(property=harbor.property, consent=False)
    no_phone = LeadFactory(property=harbor.property, phone="")
    selected = [*late_harbor, late_elm, no_consent, no_phone]

    response = _action(admin_client, "call_with_ai_assistant", selected, post="yes", schedule="yes")

    assert response.status_code == 302
    campaigns = {c.property: c for c in Campaign.objects.all()}
    assert set(campaigns) == {harbor.property, elm.property}
    thursday = late_evening.date() + timedelta(days=1)
    for prop, leads in ((harbor.property, late_harbor), (elm.property, [late_elm])):
        campaign = campaigns[prop]
        assert campaign.status == Campaign.Status.RUNNING
        assert campaign.purpose == "marketing"
        assert campaign.assistant.property == prop
        assert campaign.name == f"Scheduled from admin — {late_evening.date().isoformat()}"
        assert (campaign.starts_on, campaign.ends_on) == (late_evening.date(), thursday)
        contacts = campaign.contacts.all()
        assert {c.lead for c in contacts} == set(leads)
        assert {c.state for c in contacts} == {CampaignContact.State.PENDING}
    harbor_campaign = campaigns[harbor.property]
    url = reverse("admin:voice_campaign_change", args=[harbor_campaign.pk])
    assert (
        f'2 calls scheduled; see campaign <a href="{url}">{harbor_campaign.name}</a>.'
        in _messages(response)
    )
    assert not CallLog.objects.exists()  # nothing dialled now


def test_scheduling_with_nothing_waiting_for_hours_creates_nothing(admin_client, late_evening):
    assistant = _pushed_assistant()
    no_consent = LeadFactory(property=assistant.property, consent=False)

    response = _action(
        admin_client, "call_with_ai_assistant", [no_consent], post="yes", schedule="yes"
    )

    assert _messages(response) == [
        "Nothing to schedule: no selected lead is waiting only for calling hours now."
    ]
    assert not Campaign.objects.exists()


# Live progress ----------------------------------------------------------------------------------


@pytest.fixture
def running_campaign(clock):
    clock.move_to(at(_plain_wednesday(), 11, zone=LA), tick=False)
    campaign = CampaignFactory()
    leads = LeadFactory.create_batch(4, property=campaign.property)
    campaign_start(campaign=campaign)
    contacts = {c.lead: c for c in campaign.contacts.all()}
    done, in_call, failed, _pending = (contacts[lead] for lead in leads)
    CampaignContact.objects.filter(pk=done.pk).update(state="done", attempts=2)
    CampaignContact.objects.filter(pk=in_call.pk).update(state="in_call", attempts=1)
    CampaignContact.objects.filter(pk=failed.pk).update(state="failed", attempts=1)
    prop = campaign.property
    for contact, cost in ((done, "0.40"), (done, "1.10"), (failed, "0.05")):
        CallLogFactory(
            property=prop,
            lead=contact.lead,
            campaign_contact=contact,
            direction=CallLog.Direction.OUTBOUND,
            cost=Decimal(cost),
        )
    live = CallLogFactory(
        property=prop,
        lead=in_call.lead,
        campaign_contact=in_call,
        direction=CallLog.Direction.OUTBOUND,
        status=CallLog.Status.IN_PROGRESS,
        customer_number=in_call.number,
        started_at=at(_plain_wednesday(), 11, zone=LA),
    )
    TourFactory(lead=done.lead)
    CampaignFactory(assistant=campaign.assistant)  # another campaign's calls do not count
    return campaign, live


def test_progress_json_counts_and_matches_the_api(client, running_campaign):
    campaign, live = running_campaign
    user = _staff(campaign.property, role=Membership.Role.READ_ONLY)
    client.force_login(user)

    data = client.get(reverse("admin:voice_campaign_progress_json", args=[campaign.pk])).json()

    assert data["status"] == "running"
    assert data["ended"] is False
    assert data["contacts"] == 4
    assert data["states"] == {
        "pending": 1,
        "scheduled": 0,
        "dialing": 0,
        "in_call": 1,
        "done": 1,
        "skipped": 0,
        "failed": 1,
    }
    assert data["attempts"] == 4
    assert data["calls_in_progress"] == 1
    [call] = data["calls"]
    assert call["call_log_id"] == live.pk
    assert call["lead_name"] == str(live.lead)
    assert call["number"] == live.customer_number
    assert call["url"] == reverse("admin:voice_calllog_change", args=[live.pk])
    assert call["started_display"].endswith(("PST", "PDT"))
    assert call["status_label"] == CallLog.Status.IN_PROGRESS.label
    assert data["tours_booked"] == 1
    assert data["cost"] == "1.5500"
    assert data["cost_per_tour"] == "1.5500"
    # The API serves the same document (the admin adds labels and links only).
    api = bearer_client(user).get(f"/api/v1/voice/campaigns/{campaign.pk}/progress").json()
    assert api == {k: v for k, v in data.items() if k in api} | {
        "calls": [{k: v for k, v in c.items() if k in api["calls"][0]} for c in data["calls"]]
    }


def test_progress_page_has_stable_hooks_and_links(client, running_campaign):
    campaign, live = running_campaign
    client.force_login(_staff(campaign.property, role=Membership.Role.READ_ONLY))

    html = client.get(reverse("admin:voice_campaign_progress", args=[campaign.pk])).content
    html = html.decode()

    assert 'id="campaign-status" data-status="running"' in html
    assert 'data-counter="done">1<' in html
    assert 'data-counter="in_call">1<' in html
    assert 'data-counter="tours_booked">1<' in html
    assert reverse("admin:voice_campaign_progress_json", args=[campaign.pk]) in html
    assert reverse("admin:voice_calllog_change", args=[live.pk]) in html
    assert "voice/campaign_progress.js" in html
    change = client.get(reverse("admin:voice_campaign_change", args=[campaign.pk])).content
    assert reverse("admin:voice_campaign_progress", args=[campaign.pk]) in change.decode()


def test_progress_says_ended_once_cancelled(admin_client, running_campaign):
    campaign, _live = running_campaign
    admin_client.post(
        reverse("admin:voice_campaign_changelist"),
        {"action": "cancel", ACTION_CHECKBOX_NAME: [campaign.pk]},
    )
    data = admin_client.get(
        reverse("admin:voice_campaign_progress_json", args=[campaign.pk])
    ).json()
    assert (data["status"], data["ended"]) == ("cancelled", True)
    assert data["finished_display"]


def test_another_organizations_campaign_progress_is_not_found(client, running_campaign):
    campaign, _live = running_campaign
    outsider = _staff(PropertyFactory(), role=Membership.Role.ADMIN)
    client.force_login(outsider)

    for name in ("admin:voice_campaign_progress", "admin:voice_campaign_progress_json"):
        assert client.get(reverse(name, args=[campaign.pk])).status_code == 404
    api = bearer_client(outsider).get(f"/api/v1/voice/campaigns/{campaign.pk}/progress")
    assert api.status_code == 404
