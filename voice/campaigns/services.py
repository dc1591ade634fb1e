"""Writes of campaigns: create, start (freeze the audience), pause, resume, cancel.

A campaign moves draft -> running <-> paused -> finished or cancelled; any other move is a
ValidationError that names the campaign's status, so the admin and the API report it as is.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from leads.models import Lead
from properties.models import Organization, Property
from properties.phone import phone_normalize_or_none
from voice.campaigns.models import (
    AUDIENCE_KEYS,
    RETRY_OUTCOMES,
    Campaign,
    CampaignContact,
    retry_policy_default,
)
from voice.campaigns.selectors import SKIP_NO_PHONE, campaign_audience_leads
from voice.models import Assistant

SKIP_CANCELLED = "cancelled"
START_BATCH = 2000
# The largest id a signed 64-bit column holds (Lead.id is a BigAutoField).
MAX_LEAD_ID = 2**63 - 1

MSG_ILLEGAL = "Cannot {verb} a campaign that is {status}; only a {allowed} campaign can be {done}."

# Which statuses each move starts from, and where it goes.
TRANSITIONS: dict[str, tuple[tuple[str, ...], str, str]] = {
    # verb: (from, to, past participle)
    "start": ((Campaign.Status.DRAFT,), Campaign.Status.RUNNING, "started"),
    "pause": ((Campaign.Status.RUNNING,), Campaign.Status.PAUSED, "paused"),
    "resume": ((Campaign.Status.PAUSED,), Campaign.Status.RUNNING, "resumed"),
    "cancel": (
        (Campaign.Status.DRAFT, Campaign.Status.RUNNING, Campaign.Status.PAUSED),
        Campaign.Status.CANCELLED,
        "cancelled",
    ),
    "finish": (
        (Campaign.Status.RUNNING, Campaign.Status.PAUSED),
        Campaign.Status.FINISHED,
        "finished",
    ),
}


def audience_clean(*, audience: dict[str, Any] | None) -> dict[str, Any]:
    """The audience filter checked and normalized (see voice/campaigns/models.py)."""
    audience = dict(audience or {})
    unknown = sorted(set(audience) - set(AUDIENCE_KEYS))
    if unknown:
        raise ValidationError(
            f"Unknown audience keys: {', '.join(unknown)}; use {', '.join(AUDIENCE_KEYS)}.",
            code="invalid_audience",
        )
    for key, choices in (("statuses", Lead.Status.values), ("sources", Lead.Source.values)):
        values = audience.get(key) or []
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise ValidationError(
                f"audience.{key} must be a list of strings.", code="invalid_audience"
            )
        bad = sorted(set(values) - set(choices))
        if bad:
            raise ValidationError(
                f"audience.{key}: unknown values {', '.join(bad)}.", code="invalid_audience"
            )
    lead_ids = audience.get("lead_ids")
    if lead_ids is not None:
        # bool is an int to Python, and a huge id overflows the database's integer column.
        if not isinstance(lead_ids, list) or not all(
            isinstance(v, int) and not isinstance(v, bool) and 0 < v <= MAX_LEAD_ID
            for v in lead_ids
        ):
            raise ValidationError(
                "audience.lead_ids must be a list of lead ids (whole numbers from 1).",
                code="invalid_audience",
            )
        audience["lead_ids"] = sorted(set(lead_ids))
    since = audience.get("created_since")
    if since not in (None, ""):
        try:
            audience["created_since"] = date.fromisoformat(str(since)).isoformat()
        except ValueError:
            raise ValidationError(
                "audience.created_since must be a date as YYYY-MM-DD.", code="invalid_audience"
            ) from None
    return audience


def retry_policy_clean(*, retry_policy: dict[str, Any] | None) -> dict[str, Any]:
    """The defaults with `retry_policy`'s rules on top; each rule has whole numbers >= 0
    (max_attempts >= 1)."""
    policy = retry_policy_default()
    for outcome, rule in (retry_policy or {}).items():
        if outcome not in RETRY_OUTCOMES:
            raise ValidationError(
                f"retry_policy: unknown outcome {outcome!r}; use {', '.join(RETRY_OUTCOMES)}.",
                code="invalid_retry_policy",
            )
        if not isinstance(rule, dict):
            raise ValidationError(
                f"retry_policy.{outcome} must be an object.", code="invalid_retry_policy"
            )
        merged = {**policy[outcome], **rule}
        if set(merged) != {"max_attempts", "delay_minutes"} or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in merged.values()
        ):
            raise ValidationError(
                f"retry_policy.{outcome} takes whole numbers max_attempts and delay_minutes.",
                code="invalid_retry_policy",
            )
        if merged["max_attempts"] < 1 or merged["delay_minutes"] < 0:
            raise ValidationError(
                f"retry_policy.{outcome}: max_attempts must be at least 1 and delay_minutes "
                "not negative.",
                code="invalid_retry_policy",
            )
        policy[outcome] = merged
    return policy


def campaign_create(
    *,
    organization: Organization,
    property: Property,
    assistant: Assistant,
    name: str,
    purpose: str,
    starts_on: date,
    ends_on: date,
    audience: dict[str, Any] | None = None,
    daily_start: time | None = None,
    daily_end: time | None = None,
    max_concurrent_calls: int = 5,
    retry_policy: dict[str, Any] | None = None,
    created_by: Any = None,
) -> Campaign:
    """A draft campaign; ValidationError when its parts do not belong together."""
    if property.organization_id != organization.pk:
        raise ValidationError(
            "This property belongs to another organization.", code="property_other_organization"
        )
    if assistant.property_id != property.pk:
        raise ValidationError(
            "This assistant belongs to another property.", code="assistant_other_property"
        )
    if ends_on < starts_on:
        raise ValidationError(
            "The campaign must end on or after its start date.", code="invalid_dates"
        )
    if (daily_start is None) != (daily_end is None):
        raise ValidationError(
            "Give both ends of the daily window, or neither.", code="invalid_window"
        )
    if daily_start is not None and daily_end is not None and daily_end <= daily_start:
        raise ValidationError("The daily window must end after it starts.", code="invalid_window")
    if max_concurrent_calls < 1:
        raise ValidationError("At least one call at a time.", code="invalid_concurrency")
    campaign = Campaign(
        organization=organization,
        property=property,
        assistant=assistant,
        name=name,
        purpose=purpose,
        audience=audience_clean(audience=audience),
        starts_on=starts_on,
        ends_on=ends_on,
        daily_start=daily_start,
        daily_end=daily_end,
        max_concurrent_calls=max_concurrent_calls,
        retry_policy=retry_policy_clean(retry_policy=retry_policy),
        created_by=created_by if getattr(created_by, "is_authenticated", False) else None,
    )
    campaign.full_clean()
    campaign.save()
    return campaign


def _transition(campaign: Campaign, verb: str) -> Campaign:
    """Lock the campaign's row and move it, or raise the illegal-move ValidationError."""
    allowed, target, done = TRANSITIONS[verb]
    locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if locked.status not in allowed:
        raise ValidationError(
            MSG_ILLEGAL.format(
                verb=verb,
                status=locked.get_status_display().lower(),
                allowed=" or ".join(Campaign.Status(s).label.lower() for s in allowed),
                done=done,
            ),
            code="illegal_transition",
        )
    locked.status = target
    return locked


def campaign_start(*, campaign: Campaign, at: datetime | None = None) -> Campaign:
    """Freeze the audience into contacts and run the campaign.

    Suppressed and do-not-call leads become contacts like any other: the gate refuses them at
    dial time with their reason (and the preview shows it), rather than the campaign dropping
    them silently. A lead without a usable number is skipped `no_phone` straight away.
    """
    at = at or timezone.now()
    with transaction.atomic():
        locked = _transition(campaign, "start")
        if locked.assistant_id is None:
            raise ValidationError(
                "This campaign's assistant was deleted: create a new campaign.",
                code="campaign_without_assistant",
            )
        # In batches: a campaign of 100,000 leads never holds them all in memory.
        contacts: list[CampaignContact] = []
        leads = campaign_audience_leads(campaign=locked).order_by("id").only("id", "phone")
        for lead in leads.iterator(chunk_size=START_BATCH):
            number = phone_normalize_or_none(lead.phone) or ""
            contacts.append(
                CampaignContact(
                    campaign=locked,
                    lead_id=lead.pk,
                    number=number,
                    state=(
                        CampaignContact.State.PENDING if number else CampaignContact.State.SKIPPED
                    ),
                    skip_reason="" if number else SKIP_NO_PHONE,
                )
            )
            if len(contacts) >= START_BATCH:
                CampaignContact.objects.bulk_create(contacts)
                contacts = []
        CampaignContact.objects.bulk_create(contacts)
        locked.started_at = at
        locked.save(update_fields=["status", "started_at", "updated_at"])
    return locked


def campaign_pause(*, campaign: Campaign) -> Campaign:
    """Stop dialling new contacts; calls in progress go on."""
    with transaction.atomic():
        locked = _transition(campaign, "pause")
        locked.save(update_fields=["status", "updated_at"])
    return locked


def campaign_resume(*, campaign: Campaign) -> Campaign:
    with transaction.atomic():
        locked = _transition(campaign, "resume")
        locked.save(update_fields=["status", "updated_at"])
    return locked


def campaign_cancel(*, campaign: Campaign, at: datetime | None = None) -> Campaign:
    """End the campaign for good: contacts not dialled yet are skipped `cancelled`; calls in
    progress are left to end (hanging up on someone mid-sentence helps nobody)."""
    at = at or timezone.now()
    with transaction.atomic():
        locked = _transition(campaign, "cancel")
        locked.contacts.filter(state__in=CampaignContact.WAITING).update(
            state=CampaignContact.State.SKIPPED,
            skip_reason=SKIP_CANCELLED,
            next_attempt_at=None,
            updated_at=at,
        )
        locked.finished_at = at
        locked.save(update_fields=["status", "finished_at", "updated_at"])
    return locked


def campaign_finish(*, campaign: Campaign, at: datetime | None = None) -> Campaign:
    """Mark a running or paused campaign finished (the runner, when no contact is left)."""
    at = at or timezone.now()
    with transaction.atomic():
        locked = _transition(campaign, "finish")
        locked.finished_at = at
        locked.save(update_fields=["status", "finished_at", "updated_at"])
    return locked


def campaign_create_for_leads(
    *,
    property: Property,
    assistant: Assistant,
    leads: Sequence[Lead],
    name: str,
    purpose: str,
    starts_on: date,
    ends_on: date,
    daily_start: time | None = None,
    daily_end: time | None = None,
    max_concurrent_calls: int = 5,
    start: bool = False,
    created_by: Any = None,
    at: datetime | None = None,
) -> Campaign:
    """A campaign of exactly these leads (audience `lead_ids`), started too when `start`: the
    admin's "create from selected leads" and "schedule for the next allowed moment". One
    transaction, so a start that fails leaves no draft behind."""
    with transaction.atomic():
        campaign = campaign_create(
            organization=property.organization,
            property=property,
            assistant=assistant,
            name=name,
            purpose=purpose,
            starts_on=starts_on,
            ends_on=ends_on,
            daily_start=daily_start,
            daily_end=daily_end,
            max_concurrent_calls=max_concurrent_calls,
            audience={"lead_ids": [lead.pk for lead in leads]},
            created_by=created_by,
        )
        return campaign_start(campaign=campaign, at=at) if start else campaign
