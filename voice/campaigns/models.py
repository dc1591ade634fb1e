"""Outbound campaigns: who to call, for what, when, and where each contact stands.

The runner (voice/campaigns/runner.py) dials contacts; every dial goes through
voice/calls/outbound.py `call_place_outbound`, so the compliance gate (leads/compliance/gate.py)
decides each call at dial time, whatever the campaign says.
"""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models

from leads.models import CallDecision, Lead
from properties.models import Organization, Property

# The audience filter (Campaign.audience), a saved lead filter; every key is optional:
# - `statuses`: a list of Lead.Status values (missing or empty: any status);
# - `sources`: a list of Lead.Source values (missing or empty: any source);
# - `created_since`: an ISO date, YYYY-MM-DD: leads created on or after that day;
# - `lead_ids`: a list of lead ids (missing or empty: any lead), for a campaign made from leads
#   picked by hand (the lead changelist's actions); ids of other properties' leads match nothing.
# The property is the campaign's own (Campaign.property): a campaign never calls another
# property's leads.
AUDIENCE_KEYS = ("statuses", "sources", "created_since", "lead_ids")

# What to do after an attempt that reached nobody (Campaign.retry_policy): per outcome, how many
# attempts in all and how long to wait before the next. A key left out takes its default.
RETRY_OUTCOMES = ("no_answer", "busy", "voicemail", "error")
RETRY_POLICY_DEFAULT = {
    "no_answer": {"max_attempts": 3, "delay_minutes": 240},
    "busy": {"max_attempts": 3, "delay_minutes": 30},
    # A voicemail was left (or could have been): calling again the same day feels pushy.
    "voicemail": {"max_attempts": 2, "delay_minutes": 1440},
    "error": {"max_attempts": 2, "delay_minutes": 60},
}


def retry_policy_default() -> dict:
    return {outcome: dict(rule) for outcome, rule in RETRY_POLICY_DEFAULT.items()}


# Campaigns call leads about renting (marketing) or about something they already started
# (informational); test calls to staff are not campaigns.
CAMPAIGN_PURPOSES = [
    (value, label)
    for value, label in CallDecision.Purpose.choices
    if value != CallDecision.Purpose.TEST
]


class Campaign(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        RUNNING = "running", "Running"
        PAUSED = "paused", "Paused"
        FINISHED = "finished", "Finished"
        CANCELLED = "cancelled", "Cancelled"

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="campaigns"
    )
    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="campaigns")
    # Deleting an assistant (or its property) must keep working as before; a campaign whose
    # assistant is gone keeps its history but cannot start (voice/campaigns/services.py).
    assistant = models.ForeignKey(
        "voice.Assistant",
        on_delete=models.SET_NULL,
        null=True,
        related_name="campaigns",
    )
    name = models.CharField(max_length=120)
    purpose = models.CharField(max_length=20, choices=CAMPAIGN_PURPOSES)
    audience = models.JSONField(
        default=dict,
        blank=True,
        help_text=("Lead filter: statuses, sources (lists), created_since (YYYY-MM-DD)."),
    )
    starts_on = models.DateField()
    ends_on = models.DateField()
    # Null: the compliance gate's windows only (law and the organization's own hours).
    daily_start = models.TimeField(null=True, blank=True, help_text="Property's local time.")
    daily_end = models.TimeField(null=True, blank=True, help_text="Property's local time.")
    max_concurrent_calls = models.PositiveSmallIntegerField(
        default=5, validators=[MinValueValidator(1)]
    )
    retry_policy = models.JSONField(default=retry_policy_default, blank=True)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.DRAFT, editable=False
    )
    started_at = models.DateTimeField(null=True, blank=True, editable=False)
    finished_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="campaign_ends_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(max_concurrent_calls__gte=1),
                name="campaign_max_concurrent_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CampaignContact(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        SCHEDULED = "scheduled", "Scheduled"
        DIALING = "dialing", "Dialing"
        IN_CALL = "in_call", "In call"
        DONE = "done", "Done"
        SKIPPED = "skipped", "Skipped"
        FAILED = "failed", "Failed"

    # Not started yet: what cancelling a campaign skips.
    WAITING = (State.PENDING, State.SCHEDULED)
    ACTIVE = (State.DIALING, State.IN_CALL)

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="contacts")
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="campaign_contacts")
    # The lead's number when the campaign started (E.164); blank when it had none.
    number = models.CharField(max_length=32, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    # The gate's reason code (leads/compliance/gate.py), `no_phone` or `cancelled`.
    skip_reason = models.CharField(max_length=40, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # One of RETRY_OUTCOMES, `unknown`, or what an answered call achieved (runner.OUTCOMES).
    last_outcome = models.CharField(max_length=20, blank=True)
    # The current attempt (runner.py): its id (the call's metadata `attemptId`, which finds it in
    # Vapi's call list if POST /call's answer is lost), when a scheduler claimed it, and when a
    # worker began dialling it: from then on Vapi may have the call, so the attempt is never
    # dialled again without reconciling it first.
    attempt_id = models.CharField(max_length=36, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    dial_started_at = models.DateTimeField(null=True, blank=True)
    # A voicemail is left once per contact (issue 16); later attempts hang up on the machine.
    voicemail_left = models.BooleanField(default=False)
    last_error = models.TextField(blank=True)
    # The current (or last) attempt's call: its end decides the contact's next step.
    current_call = models.ForeignKey(
        "voice.CallLog", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["campaign", "id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "lead"], name="campaign_contact_once"),
        ]
        indexes = [
            models.Index(fields=["campaign", "state", "next_attempt_at"]),
            # The scheduler's account-wide counts and its recovery of stale claims.
            models.Index(fields=["state", "claimed_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.lead} in {self.campaign}"


class CallBudget(models.Model):
    """The one lock every scheduler takes before it claims contacts to dial.

    Vapi limits how many calls an account has at once (vapi-reference.md §1, "Rate limits":
    10 by default); inbound calls use the same slots. Whoever claims takes this row first (an
    UPDATE: a row lock on PostgreSQL, the write lock on SQLite), counts the calls in progress and
    claims at most what is left, so no number of schedulers, workers or machines exceeds it.
    """

    key = models.CharField(max_length=40, unique=True)
    ticked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.key
