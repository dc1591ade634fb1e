"""The campaign admin: scoped list with progress, the move actions, the add form's checks."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from properties.models import Membership
from tests.factories import (
    AssistantFactory,
    CampaignFactory,
    LeadFactory,
    MembershipFactory,
    UserFactory,
)
from voice.models import Campaign

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:voice_campaign_changelist")


def _staff(campaign, role=Membership.Role.MANAGER):
    user = UserFactory(is_staff=True)
    MembershipFactory(user=user, organization=campaign.organization, role=role)
    return user


def _act(client, action, *campaigns):
    response = client.post(
        CHANGELIST,
        {"action": action, "_selected_action": [c.pk for c in campaigns]},
        follow=True,
    )
    assert response.status_code == 200
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_changelist_shows_own_campaigns_with_progress(client):
    campaign = CampaignFactory()
    LeadFactory.create_batch(2, property=campaign.property)
    CampaignFactory()  # another organization's
    client.force_login(_staff(campaign))
    client.post(CHANGELIST, {"action": "start", "_selected_action": [campaign.pk]})

    response = client.get(CHANGELIST)

    assert [c.pk for c in response.context["cl"].result_list] == [campaign.pk]
    model_admin = response.context["cl"].model_admin
    assert model_admin.contacts_pending(campaign) == 2
    page = client.get(reverse("admin:voice_campaign_change", args=[campaign.pk]))
    assert page.status_code == 200
    contacts_url = (
        reverse("admin:voice_campaigncontact_changelist") + f"?campaign__id__exact={campaign.pk}"
    )
    assert contacts_url in page.content.decode()
    contacts = client.get(contacts_url)
    assert len(contacts.context["cl"].result_list) == 2
    assert "Pending" in contacts.content.decode()


def test_actions_move_and_report_illegal_moves(client):
    campaign = CampaignFactory()
    client.force_login(_staff(campaign))

    assert _act(client, "start", campaign) == ["Started 1 campaign(s)."]
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.RUNNING
    [error] = _act(client, "resume", campaign)
    assert "Cannot resume a campaign that is running" in error
    assert _act(client, "pause", campaign) == ["Paused 1 campaign(s)."]
    assert _act(client, "resume", campaign) == ["Resumed 1 campaign(s)."]
    assert _act(client, "cancel", campaign) == ["Cancelled 1 campaign(s)."]
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.CANCELLED


def test_read_only_member_cannot_start(client):
    campaign = CampaignFactory()
    client.force_login(_staff(campaign, role=Membership.Role.READ_ONLY))
    client.post(CHANGELIST, {"action": "start", "_selected_action": [campaign.pk]})
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT


def test_add_form_refuses_an_assistant_of_another_property(client):
    assistant = AssistantFactory()
    other = AssistantFactory(property__organization=assistant.property.organization)
    user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(user)
    data = {
        "property": assistant.property.pk,
        "assistant": other.pk,
        "name": "Follow-up",
        "purpose": "marketing",
        "audience": "{}",
        "starts_on": "2030-01-01",
        "ends_on": "2030-01-31",
        "max_concurrent_calls": 5,
        "retry_policy": "{}",
        "contacts-TOTAL_FORMS": 0,
        "contacts-INITIAL_FORMS": 0,
    }

    refused = client.post(reverse("admin:voice_campaign_add"), data)

    assert refused.status_code == 200
    assert "another property" in refused.content.decode()
    data["assistant"] = assistant.pk
    added = client.post(reverse("admin:voice_campaign_add"), data)
    assert added.status_code == 302, added.content.decode()[:2000]
    campaign = Campaign.objects.get()
    assert campaign.organization == assistant.property.organization
    assert campaign.created_by == user
    assert campaign.retry_policy["busy"]["max_attempts"] == 3
