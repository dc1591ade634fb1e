"""Campaign services and selectors: create, start (the audience frozen), the state machine,
the preview (what the gate would say about each lead) and progress."""

from datetime import time, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from leads.models import Lead
from tests.factories import (
    AssistantFactory,
    CallLogFactory,
    CampaignFactory,
    LeadFactory,
    SuppressionFactory,
    TourFactory,
    UserFactory,
)
from voice.campaigns.models import RETRY_POLICY_DEFAULT, Campaign, CampaignContact
from voice.campaigns.selectors import campaign_audience_preview, campaign_progress
from voice.campaigns.services import (
    campaign_cancel,
    campaign_create,
    campaign_pause,
    campaign_resume,
    campaign_start,
)
from voice.models import CallLog

pytestmark = pytest.mark.django_db


def _create(assistant, **fields):
    prop = assistant.property
    today = timezone.localdate()
    values = {
        "organization": prop.organization,
        "property": prop,
        "assistant": assistant,
        "name": "Winter follow-up",
        "purpose": "marketing",
        "starts_on": today,
        "ends_on": today + timedelta(days=7),
        "created_by": UserFactory(),
        **fields,
    }
    return campaign_create(**values)


def test_create_validates_and_defaults():
    assistant = AssistantFactory()
    campaign = _create(assistant, audience={"statuses": ["new"]})
    assert campaign.status == Campaign.Status.DRAFT
    assert campaign.retry_policy == RETRY_POLICY_DEFAULT
    assert campaign.max_concurrent_calls == 5
    assert campaign.organization == assistant.property.organization


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"ends_on": timezone.localdate() - timedelta(days=1)}, "invalid_dates"),
        ({"audience": {"statuses": ["nope"]}}, "invalid_audience"),
        ({"audience": {"colour": "red"}}, "invalid_audience"),
        ({"retry_policy": {"busy": {"max_attempts": 0}}}, "invalid_retry_policy"),
        ({"daily_start": time(10)}, "invalid_window"),
        ({"daily_start": time(10), "daily_end": time(9)}, "invalid_window"),
    ],
)
def test_create_refuses_bad_input(fields, code):
    with pytest.raises(ValidationError) as error:
        _create(AssistantFactory(), **fields)
    assert error.value.code == code


def test_create_refuses_parts_of_other_property_or_organization():
    assistant = AssistantFactory()
    other = AssistantFactory()
    with pytest.raises(ValidationError, match="another property"):
        _create(assistant, property=other.property, organization=other.property.organization)
    with pytest.raises(ValidationError, match="another organization"):
        _create(assistant, organization=other.property.organization)


def test_start_freezes_the_audience():
    campaign = CampaignFactory(audience={"statuses": ["new", "contacted"]})
    prop = campaign.property
    new = LeadFactory(property=prop, status=Lead.Status.NEW)
    LeadFactory(property=prop, status=Lead.Status.LEASED)  # outside the filter
    LeadFactory()  # another property
    no_phone = LeadFactory(property=prop, status=Lead.Status.CONTACTED, phone="")

    campaign_start(campaign=campaign)

    contacts = {c.lead_id: c for c in campaign.contacts.all()}
    assert set(contacts) == {new.pk, no_phone.pk}
    assert contacts[new.pk].state == CampaignContact.State.PENDING
    assert contacts[new.pk].number == new.phone
    assert contacts[no_phone.pk].state == CampaignContact.State.SKIPPED
    assert contacts[no_phone.pk].skip_reason == "no_phone"
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.RUNNING
    assert campaign.started_at is not None

    LeadFactory(property=prop, status=Lead.Status.NEW)  # after the start: not included
    assert campaign.contacts.count() == 2


def test_start_keeps_suppressed_leads_for_the_gate_to_refuse():
    campaign = CampaignFactory()
    lead = LeadFactory(property=campaign.property, do_not_call=True)
    SuppressionFactory(organization=campaign.organization, number=lead.phone)
    campaign_start(campaign=campaign)
    assert campaign.contacts.get().state == CampaignContact.State.PENDING


def test_audience_filters_by_source_and_creation_date(clock):
    campaign = CampaignFactory(
        audience={"sources": ["ils"], "created_since": timezone.localdate().isoformat()}
    )
    clock.move_to(timezone.now() - timedelta(days=3))
    LeadFactory(property=campaign.property, source=Lead.Source.ILS)  # too old
    clock.move_to(timezone.now() + timedelta(days=3))
    recent = LeadFactory(property=campaign.property, source=Lead.Source.ILS)
    LeadFactory(property=campaign.property, source=Lead.Source.WEBSITE)
    campaign_start(campaign=campaign)
    assert list(campaign.contacts.values_list("lead_id", flat=True)) == [recent.pk]


def test_preview_shows_allowed_and_refused_leads(calling_hours):
    campaign = CampaignFactory()
    ok = LeadFactory(property=campaign.property)
    suppressed = LeadFactory(property=campaign.property)
    SuppressionFactory(organization=campaign.organization, number=suppressed.phone)
    no_consent = LeadFactory(property=campaign.property, consent=False, consent_to_call=False)
    no_phone = LeadFactory(property=campaign.property, phone="")

    entries = {e.lead.pk: e for e in campaign_audience_preview(campaign=campaign)}

    assert entries[ok.pk].allowed
    assert entries[ok.pk].reason == ""
    assert not entries[suppressed.pk].allowed
    assert entries[suppressed.pk].reason == "opted_out"
    assert not entries[no_consent.pk].allowed
    assert entries[no_consent.pk].reason == "no_written_consent"
    assert entries[no_phone.pk].reason == "no_phone"


def test_preview_at_night_gives_the_next_allowed_moment(calling_hours):
    campaign = CampaignFactory()
    LeadFactory(property=campaign.property)
    night = calling_hours.replace(hour=23)
    [entry] = campaign_audience_preview(campaign=campaign, at=night)
    assert not entry.allowed
    assert entry.reason == "quiet_hours"
    assert entry.next_allowed_at is not None
    assert entry.next_allowed_at > night


def test_preview_without_a_campaign(calling_hours):
    prop = AssistantFactory().property
    lead = LeadFactory(property=prop, status=Lead.Status.NEW)
    LeadFactory(property=prop, status=Lead.Status.LOST)
    entries = campaign_audience_preview(property=prop, audience={"statuses": ["new"]})
    assert [e.lead.pk for e in entries] == [lead.pk]


def test_transitions():
    campaign = CampaignFactory()
    campaign = campaign_start(campaign=campaign)
    campaign = campaign_pause(campaign=campaign)
    assert campaign.status == Campaign.Status.PAUSED
    campaign = campaign_resume(campaign=campaign)
    assert campaign.status == Campaign.Status.RUNNING
    campaign = campaign_cancel(campaign=campaign)
    assert campaign.status == Campaign.Status.CANCELLED
    assert campaign.finished_at is not None


@pytest.mark.parametrize(
    ("status", "move", "message"),
    [
        ("draft", campaign_pause, "Cannot pause a campaign that is draft"),
        ("draft", campaign_resume, "Cannot resume a campaign that is draft"),
        ("running", campaign_start, "Cannot start a campaign that is running"),
        ("running", campaign_resume, "only a paused campaign can be resumed"),
        ("paused", campaign_pause, "only a running campaign can be paused"),
        ("cancelled", campaign_cancel, "Cannot cancel a campaign that is cancelled"),
        ("finished", campaign_start, "Cannot start a campaign that is finished"),
    ],
)
def test_illegal_transitions(status, move, message):
    campaign = CampaignFactory(status=status)
    with pytest.raises(ValidationError, match=message) as error:
        move(campaign=campaign)
    assert error.value.code == "illegal_transition"
    campaign.refresh_from_db()
    assert campaign.status == status


def test_cancel_skips_contacts_not_dialled_yet():
    campaign = CampaignFactory()
    leads = LeadFactory.create_batch(4, property=campaign.property)
    campaign_start(campaign=campaign)
    contacts = list(campaign.contacts.order_by("id"))
    contacts[1].state = CampaignContact.State.SCHEDULED
    contacts[2].state = CampaignContact.State.IN_CALL
    contacts[3].state = CampaignContact.State.DONE
    for contact in contacts[1:]:
        contact.save()

    campaign_cancel(campaign=campaign)

    states = dict(campaign.contacts.values_list("lead_id", "state"))
    assert states == {
        leads[0].pk: "skipped",
        leads[1].pk: "skipped",
        leads[2].pk: "in_call",
        leads[3].pk: "done",
    }
    assert set(campaign.contacts.filter(state="skipped").values_list("skip_reason", flat=True)) == {
        "cancelled"
    }


def test_progress_counts(clock):
    campaign = CampaignFactory()
    leads = LeadFactory.create_batch(3, property=campaign.property)
    LeadFactory(property=campaign.property, phone="")
    TourFactory(lead=leads[0])  # booked before the start: not counted
    clock.shift(timedelta(minutes=1))
    campaign = campaign_start(campaign=campaign)
    contacts = list(campaign.contacts.order_by("id"))
    contacts[0].state = CampaignContact.State.DONE
    contacts[0].attempts = 2
    contacts[0].save()
    contacts[1].state = CampaignContact.State.IN_CALL
    contacts[1].attempts = 1
    contacts[1].save()
    CallLogFactory(campaign_contact=contacts[0], cost=Decimal("0.30"))
    CallLogFactory(campaign_contact=contacts[0], cost=Decimal("0.90"))
    CallLogFactory(campaign_contact=contacts[1], status=CallLog.Status.IN_PROGRESS, cost=None)
    CallLogFactory(cost=Decimal("5"))  # not the campaign's
    TourFactory(lead=leads[0])
    TourFactory(lead=leads[1])
    TourFactory(lead=LeadFactory(property=campaign.property))  # not a contact

    progress = campaign_progress(campaign=campaign)

    assert progress.contacts == 4
    assert progress.states["done"] == 1
    assert progress.states["in_call"] == 1
    assert progress.states["pending"] == 1
    assert progress.states["skipped"] == 1
    assert progress.attempts == 3
    assert progress.calls_in_progress == 1
    assert progress.tours_booked == 2
    assert progress.cost == Decimal("1.2")
    assert progress.cost_per_tour == Decimal("0.6000")


def test_preview_after_the_start_uses_the_frozen_contacts(calling_hours):
    campaign = CampaignFactory()
    lead = LeadFactory(property=campaign.property)
    SuppressionFactory(organization=campaign.organization, number=lead.phone)
    campaign = campaign_start(campaign=campaign)
    LeadFactory(property=campaign.property)  # after the start: not in the preview

    [entry] = campaign_audience_preview(campaign=campaign)

    assert entry.lead == lead
    assert entry.reason == "opted_out"
