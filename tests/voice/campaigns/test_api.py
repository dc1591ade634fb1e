"""The campaign endpoints: create, move through the states, contacts, preview, org scoping."""

import pytest

from leads.models import Lead
from tests.api.conftest import assert_error, bearer_client
from tests.factories import (
    AssistantFactory,
    CampaignFactory,
    LeadFactory,
    PropertyFactory,
    SuppressionFactory,
    UserFactory,
)
from voice.models import Campaign

pytestmark = pytest.mark.django_db

URL = "/api/v1/voice/campaigns"


@pytest.fixture
def user():
    return UserFactory()


@pytest.fixture
def assistant(user):
    return AssistantFactory(property=PropertyFactory(owner=user))


@pytest.fixture
def client(user):
    return bearer_client(user)


def _body(assistant, **fields):
    return {
        "assistant_id": assistant.pk,
        "name": "Spring follow-up",
        "purpose": "marketing",
        "audience": {"statuses": ["new"], "created_since": "2020-01-01"},
        "starts_on": "2030-01-01",
        "ends_on": "2030-01-31",
        **fields,
    }


def test_create_list_and_retrieve(client, user, assistant):
    response = client.post(URL, _body(assistant), format="json")

    assert response.status_code == 201, response.content
    data = response.json()
    assert data["status"] == "draft"
    assert data["property_id"] == assistant.property_id
    assert data["audience"] == {"statuses": ["new"], "created_since": "2020-01-01"}
    assert data["retry_policy"]["no_answer"] == {"max_attempts": 3, "delay_minutes": 240}
    campaign = Campaign.objects.get(pk=data["id"])
    assert campaign.created_by == user
    assert [c["id"] for c in client.get(URL).json()["results"]] == [campaign.pk]
    assert client.get(f"{URL}/{campaign.pk}").json()["name"] == "Spring follow-up"


def test_create_refuses_end_before_start(client, assistant):
    response = client.post(URL, _body(assistant, ends_on="2029-12-01"), format="json")
    assert_error(response, 400, "validation_error")


def test_start_contacts_and_illegal_move(client, assistant):
    campaign = CampaignFactory(assistant=assistant)
    lead = LeadFactory(property=assistant.property)

    started = client.post(f"{URL}/{campaign.pk}/start")

    assert started.status_code == 200, started.content
    assert started.json()["status"] == "running"
    contacts = client.get(f"{URL}/{campaign.pk}/contacts").json()
    assert [(c["lead_id"], c["state"]) for c in contacts] == [(lead.pk, "pending")]
    again = assert_error(client.post(f"{URL}/{campaign.pk}/start"), 409, "conflict")
    assert "Cannot start a campaign that is running" in str(again)
    assert client.post(f"{URL}/{campaign.pk}/pause").json()["status"] == "paused"
    assert client.post(f"{URL}/{campaign.pk}/resume").json()["status"] == "running"
    assert client.post(f"{URL}/{campaign.pk}/cancel").json()["status"] == "cancelled"
    contacts = client.get(f"{URL}/{campaign.pk}/contacts").json()
    assert [(c["state"], c["skip_reason"]) for c in contacts] == [("skipped", "cancelled")]


def test_preview_lists_allowed_and_refused(calling_hours, client, assistant):
    # calling_hours first: the token is issued after the clock moves.
    campaign = CampaignFactory(assistant=assistant)
    ok = LeadFactory(property=assistant.property, status=Lead.Status.NEW)
    refused = LeadFactory(property=assistant.property)
    SuppressionFactory(organization=campaign.organization, number=refused.phone)

    response = client.get(f"{URL}/{campaign.pk}/preview")

    assert response.status_code == 200, response.content
    entries = {e["lead_id"]: e for e in response.json()}
    assert entries[ok.pk]["allowed"] is True
    assert entries[refused.pk]["allowed"] is False
    assert entries[refused.pk]["reason"] == "opted_out"


def test_another_organizations_campaign_is_404(client):
    other = CampaignFactory()
    for method, path in [
        ("get", ""),
        ("get", "/contacts"),
        ("get", "/preview"),
        ("post", "/start"),
        ("post", "/cancel"),
    ]:
        response = getattr(client, method)(f"{URL}/{other.pk}{path}")
        assert_error(response, 404, "not_found")
    other.refresh_from_db()
    assert other.status == Campaign.Status.DRAFT
    assert client.get(URL).json()["results"] == []


def test_another_organizations_assistant_is_404(client):
    response = client.post(URL, _body(AssistantFactory()), format="json")
    assert_error(response, 404, "not_found")
