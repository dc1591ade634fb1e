"""What an organization's retention policy says is due now: the rows each kind of removal would
touch, as querysets (never loaded whole: voice/retention/services.py walks them in batches)."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef, QuerySet

from leads.models import Lead, LeadActivity, Tour
from properties.models import Organization
from voice.models import CallLog, RetentionPolicy, WebhookEvent

# A lead that reached one of these, or has a tour, converted (README "Retention and redaction").
CONVERTED_STATUSES = (Lead.Status.TOURED, Lead.Status.APPLIED, Lead.Status.LEASED)

# Deliveries still to be processed keep their body: the inbox needs it.
PAYLOAD_CLEARABLE_STATUSES = (
    WebhookEvent.Status.PROCESSED,
    WebhookEvent.Status.IGNORED,
    WebhookEvent.Status.FAILED,
)


def months_before(moment: datetime, months: int) -> datetime:
    """The same wall-clock instant `months` calendar months earlier (31 March - 1 month is the
    last day of February)."""
    month_index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(month_index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


@dataclass(frozen=True)
class RetentionCutoffs:
    """Rows created before each of these are due (strictly before: a row exactly N days old
    is kept until the next run)."""

    recordings: datetime
    transcripts: datetime
    webhook_payloads: datetime
    leads: datetime


def retention_policy_get(*, organization: Organization | None) -> RetentionPolicy:
    """The organization's policy, or an unsaved one with the defaults (also for rows that belong
    to no organization)."""
    if organization is not None:
        try:
            return organization.retention_policy
        except RetentionPolicy.DoesNotExist:
            return RetentionPolicy(organization=organization)
    return RetentionPolicy()


def retention_cutoffs(*, policy: RetentionPolicy, at: datetime) -> RetentionCutoffs:
    return RetentionCutoffs(
        recordings=at - timedelta(days=policy.recordings_days),
        transcripts=at - timedelta(days=policy.transcripts_days),
        webhook_payloads=at - timedelta(days=policy.webhook_payloads_days),
        leads=months_before(at, policy.unconverted_leads_months),
    )


def _call_logs_of(organization: Organization | None) -> QuerySet[CallLog]:
    # Call logs belong to an organization through their property; those whose property was
    # deleted belong to none and follow the default policy.
    if organization is None:
        return CallLog.objects.filter(property__isnull=True)
    return CallLog.objects.filter(property__organization=organization)


def retention_recordings_due(
    *, organization: Organization | None, cutoffs: RetentionCutoffs
) -> QuerySet[CallLog]:
    """Call logs whose recording (here and at Vapi) is due to go; includes those a failed Vapi
    deletion left pending."""
    return _call_logs_of(organization).filter(
        created_at__lt=cutoffs.recordings, recording_deleted_at__isnull=True
    )


def retention_transcripts_due(
    *, organization: Organization | None, cutoffs: RetentionCutoffs
) -> QuerySet[CallLog]:
    return _call_logs_of(organization).filter(
        created_at__lt=cutoffs.transcripts, transcript_removed_at__isnull=True
    )


def retention_webhook_payloads_due(
    *, organization: Organization | None, cutoffs: RetentionCutoffs
) -> QuerySet[WebhookEvent]:
    """Processed deliveries older than the cutoff whose body is still stored. A delivery belongs
    to the organization of its call; one whose call we never logged belongs to none."""
    due = WebhookEvent.objects.filter(
        received_at__lt=cutoffs.webhook_payloads,
        payload_removed_at__isnull=True,
        status__in=PAYLOAD_CLEARABLE_STATUSES,
    )
    if organization is None:
        owned = CallLog.objects.filter(
            vapi_call_id=OuterRef("vapi_call_id"), property__isnull=False
        )
        return due.filter(~Exists(owned))
    return due.filter(
        vapi_call_id__in=CallLog.objects.filter(property__organization=organization)
        .exclude(vapi_call_id="")
        .values("vapi_call_id")
    )


def retention_leads_due(
    *, organization: Organization | None, cutoffs: RetentionCutoffs
) -> QuerySet[Lead]:
    """Leads that never converted: created before the cutoff, never toured, applied or leased,
    no tour at all, and no call or activity since the cutoff (someone still talking to them is
    not stale). Leads belong to a property, so to an organization: none without one."""
    if organization is None:
        return Lead.objects.none()
    since = cutoffs.leads
    return (
        Lead.objects.filter(property__organization=organization, created_at__lt=since)
        .exclude(status__in=CONVERTED_STATUSES)
        .filter(
            ~Exists(Tour.objects.filter(lead=OuterRef("pk"))),
            ~Exists(CallLog.objects.filter(lead=OuterRef("pk"), created_at__gte=since)),
            ~Exists(LeadActivity.objects.filter(lead=OuterRef("pk"), created_at__gte=since)),
        )
    )


def retention_organizations(*, organization: Organization | None) -> list[Organization | None]:
    """The organizations a run covers, each with its policy loaded; `None` at the end stands
    for the rows of no organization (a run over everything covers them with the defaults)."""
    if organization is not None:
        return [organization]
    organizations: list[Organization | None] = list(
        Organization.objects.select_related("retention_policy").order_by("pk")
    )
    organizations.append(None)
    return organizations
