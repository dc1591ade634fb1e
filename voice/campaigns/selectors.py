"""Reads of campaigns: who may see which, the audience a filter matches (and what the gate
would say about each lead now), and how far a campaign has got."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from leads.compliance.gate import call_permission
from leads.models import CallDecision, Lead, Tour
from properties.access import properties_visible_to
from properties.models import Property
from voice.campaigns.models import Campaign, CampaignContact
from voice.models import CallLog

SKIP_NO_PHONE = "no_phone"
MSG_NO_PHONE = "This lead has no phone number."

# CallLog statuses of a call that has not ended.
CALL_IN_PROGRESS = (
    CallLog.Status.SCHEDULED,
    CallLog.Status.QUEUED,
    CallLog.Status.RINGING,
    CallLog.Status.IN_PROGRESS,
    CallLog.Status.FORWARDING,
)


def campaign_list(*, user: AbstractBaseUser) -> QuerySet[Campaign]:
    return Campaign.objects.filter(
        property__in=properties_visible_to(user=user, superuser_sees_all=False)
    )


def campaign_contact_list(*, campaign: Campaign) -> QuerySet[CampaignContact]:
    return campaign.contacts.select_related("lead").order_by("id")


def audience_leads(*, property: Property, audience: dict[str, Any]) -> QuerySet[Lead]:
    """The property's leads that the audience filter (voice/campaigns/models.py) matches."""
    leads = Lead.objects.filter(property=property)
    if audience.get("statuses"):
        leads = leads.filter(status__in=audience["statuses"])
    if audience.get("sources"):
        leads = leads.filter(source__in=audience["sources"])
    since = audience.get("created_since")
    if since:
        leads = leads.filter(created_at__date__gte=date.fromisoformat(str(since)))
    if audience.get("lead_ids"):
        leads = leads.filter(pk__in=audience["lead_ids"])
    return leads


def campaign_audience_leads(*, campaign: Campaign) -> QuerySet[Lead]:
    return audience_leads(property=campaign.property, audience=campaign.audience or {})


@dataclass
class AudienceEntry:
    lead: Lead
    number: str
    allowed: bool
    reason: str
    message: str
    next_allowed_at: datetime | None


def campaign_audience_preview(
    *,
    campaign: Campaign | None = None,
    property: Property | None = None,
    audience: dict[str, Any] | None = None,
    purpose: str = CallDecision.Purpose.MARKETING,
    at: datetime | None = None,
) -> list[AudienceEntry]:
    """For each lead the filter matches: would the gate allow a call at `at` (default now), and
    if not, why and from when. Reads only (record=False): nothing is written.

    For a campaign, before it starts the filter's leads; once started, its frozen contacts.
    Without a campaign, `property`, `audience` and `purpose` describe one not yet saved.
    """
    at = at or timezone.now()
    # (lead, number): the number frozen at the start for contacts, the lead's own before.
    if campaign is not None:
        property, purpose = campaign.property, campaign.purpose
        if campaign.status == Campaign.Status.DRAFT:
            leads = campaign_audience_leads(campaign=campaign).order_by("id")
            targets = [(lead, lead.phone) for lead in leads]
        else:
            targets = [(c.lead, c.number) for c in campaign_contact_list(campaign=campaign)]
    else:
        if property is None:
            raise TypeError("campaign_audience_preview needs a campaign or a property.")
        leads = audience_leads(property=property, audience=audience or {}).order_by("id")
        targets = [(lead, lead.phone) for lead in leads]
    organization = property.organization
    entries = []
    for lead, number in targets:
        if not number:
            entries.append(AudienceEntry(lead, "", False, SKIP_NO_PHONE, MSG_NO_PHONE, None))
            continue
        permission = call_permission(
            organization=organization,
            number=number,
            purpose=purpose,
            path=CallDecision.Path.CAMPAIGN,
            lead=lead,
            at=at,
            record=False,
        )
        entries.append(
            AudienceEntry(
                lead=lead,
                number=permission.number,
                allowed=permission.allowed,
                reason=permission.reason,
                message=permission.message,
                next_allowed_at=permission.next_allowed_at,
            )
        )
    return entries


@dataclass
class CallInProgress:
    call_log_id: int
    lead_id: int | None
    lead_name: str
    number: str
    status: str
    # When the call was answered, or when it was placed while it still rings.
    started_at: datetime


@dataclass
class CampaignProgress:
    """Everything the progress screens show, computed in one place: the admin page, its JSON
    endpoint and the API's progress endpoint serialize this, so they never disagree."""

    campaign_id: int
    status: str
    started_at: datetime | None
    finished_at: datetime | None
    # Finished or cancelled: nothing will change any more (the live page stops polling).
    ended: bool
    contacts: int
    states: dict[str, int]
    attempts: int
    calls_in_progress: int
    calls: list[CallInProgress]
    tours_booked: int
    cost: Decimal
    cost_per_tour: Decimal | None


def campaign_progress(*, campaign: Campaign) -> CampaignProgress:
    """Counts per contact state, attempts, calls not ended (with who is on them), tours booked
    among its leads since it started, what its calls cost so far and the cost per booked tour.

    Reads the campaign's row again: a page polling it holds an object loaded long ago.
    """
    campaign = Campaign.objects.get(pk=campaign.pk)
    counts = dict(
        campaign.contacts.values_list("state").annotate(n=Count("id")).values_list("state", "n")
    )
    states = {state: counts.get(state, 0) for state in CampaignContact.State.values}
    attempts = campaign.contacts.aggregate(n=Sum("attempts"))["n"] or 0
    calls = CallLog.objects.filter(campaign_contact__campaign=campaign)
    live = (
        calls.filter(status__in=CALL_IN_PROGRESS)
        .select_related("lead")
        .only(
            "id",
            "status",
            "customer_number",
            "started_at",
            "created_at",
            "lead__first_name",
            "lead__last_name",
            "lead__phone",
        )
        .order_by("created_at", "id")
    )
    in_progress = [
        CallInProgress(
            call_log_id=call.pk,
            lead_id=call.lead_id,
            lead_name=str(call.lead) if call.lead_id else "",
            number=call.customer_number,
            status=call.status,
            started_at=call.started_at or call.created_at,
        )
        for call in live
    ]
    cost = calls.aggregate(total=Sum("cost"))["total"] or Decimal("0")
    tours_booked = 0
    if campaign.started_at is not None:
        tours_booked = (
            Tour.objects.filter(
                Q(lead__campaign_contacts__campaign=campaign),
                created_at__gte=campaign.started_at,
            )
            .exclude(status=Tour.Status.CANCELLED)
            .distinct()
            .count()
        )
    return CampaignProgress(
        campaign_id=campaign.pk,
        status=campaign.status,
        started_at=campaign.started_at,
        finished_at=campaign.finished_at,
        ended=campaign.status in (Campaign.Status.FINISHED, Campaign.Status.CANCELLED),
        contacts=sum(states.values()),
        states=states,
        attempts=attempts,
        calls_in_progress=len(in_progress),
        calls=in_progress,
        tours_booked=tours_booked,
        cost=cost,
        cost_per_tour=(cost / tours_booked).quantize(Decimal("0.0001")) if tours_booked else None,
    )
