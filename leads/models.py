"""Prospects (leads), what happened with them (activities) and their tours.

Calls live in `voice`, which depends on this app and not the other way round, so activities and
tours point at a call by its Vapi call id; that id is also what makes webhook handling idempotent.
"""

import builtins

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from leads.compliance.rules import US_STATES
from properties.models import Property, Unit, validate_timezone
from properties.phone import PhoneNumberField


class Lead(models.Model):
    class Source(models.TextChoices):
        PHONE = "phone", "Phone"
        WEBSITE = "website", "Website"
        ILS = "ils", "Listing site (ILS)"
        REFERRAL = "referral", "Referral"
        WALK_IN = "walk_in", "Walk-in"
        OUTBOUND = "outbound", "Outbound campaign"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        NEW = "new", "New"
        CONTACTED = "contacted", "Contacted"
        QUALIFIED = "qualified", "Qualified"
        UNQUALIFIED = "unqualified", "Unqualified"
        TOUR_SCHEDULED = "tour_scheduled", "Tour scheduled"
        TOURED = "toured", "Toured"
        APPLIED = "applied", "Applied"
        LEASED = "leased", "Leased"
        LOST = "lost", "Lost"

    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="leads")
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    phone = PhoneNumberField(blank=True)
    email = models.EmailField(blank=True)
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.OTHER)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW)
    lost_reason = models.CharField(max_length=255, blank=True)
    score = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    score_factors = models.JSONField(default=dict, blank=True)
    desired_bedrooms = models.PositiveSmallIntegerField(null=True, blank=True)
    budget = models.DecimalField(
        "max monthly budget",
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    move_in_date = models.DateField(null=True, blank=True)
    has_pets = models.BooleanField(null=True, blank=True)
    pets = models.CharField("pet details", max_length=255, blank=True)
    preferred_language = models.CharField(max_length=10, default="en")
    # Where the lead lives: the calling rules apply the state's law (calling-compliance.md §7
    # rules 3-4), whatever the property's state.
    state = models.CharField(
        max_length=2,
        blank=True,
        choices=sorted(US_STATES.items()),
        help_text="US state of the lead's address.",
    )
    postal_code = models.CharField(max_length=10, blank=True)
    time_zone = models.CharField(
        max_length=64,
        blank=True,
        validators=[validate_timezone],
        help_text="The lead's own time zone when known (IANA); added to the calling-hours check.",
    )
    consent_to_call = models.BooleanField(
        default=False, help_text="Prior express consent to AI-voice calls (TCPA)."
    )
    consent_recorded_at = models.DateTimeField(null=True, blank=True)
    do_not_call = models.BooleanField(default=False)
    opted_out_at = models.DateTimeField(null=True, blank=True)
    last_contacted_at = models.DateTimeField(null=True, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["property", "phone"],
                condition=~Q(phone=""),
                name="lead_phone_unique_per_property",
                violation_error_message=(
                    "A lead with this phone number already exists for this property."
                ),
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=0, score__lte=100),
                name="lead_score_range",
            ),
            models.CheckConstraint(
                condition=Q(budget__isnull=True) | Q(budget__gte=0), name="lead_budget_non_negative"
            ),
        ]
        indexes = [
            models.Index(fields=["property", "status"]),
            models.Index(fields=["phone"]),
        ]

    def __str__(self) -> str:
        return self.full_name or self.phone or f"Lead {self.pk}"

    @builtins.property  # the `property` field shadows the builtin in this class body
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class LeadActivity(models.Model):
    class Kind(models.TextChoices):
        CALL_STARTED = "call_started", "Call started"
        CALL_ENDED = "call_ended", "Call ended"
        TOUR_SCHEDULED = "tour_scheduled", "Tour scheduled"
        QUALIFIED = "qualified", "Qualified"
        STATUS_CHANGED = "status_changed", "Status changed"
        TRANSFER_REQUESTED = "transfer_requested", "Transfer requested"
        NOTE = "note", "Note"

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="activities")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    text = models.TextField()
    data = models.JSONField(default=dict, blank=True)
    vapi_call_id = models.CharField(
        "call", max_length=100, blank=True, db_index=True, help_text="Vapi call id, if any."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "lead_activities"
        verbose_name_plural = "lead activities"
        ordering = ["-created_at", "-id"]
        constraints = [
            # A call starts and ends once: duplicate webhook deliveries must not repeat these.
            models.UniqueConstraint(
                fields=["lead", "kind", "vapi_call_id"],
                condition=Q(kind__in=["call_started", "call_ended"]) & ~Q(vapi_call_id=""),
                name="lead_activity_once_per_call",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.text[:60]}"


class Tour(models.Model):
    class Kind(models.TextChoices):
        IN_PERSON = "in_person", "In person"
        SELF_GUIDED = "self_guided", "Self-guided"
        VIRTUAL = "virtual", "Virtual"

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        CANCELLED = "cancelled", "Cancelled"
        COMPLETED = "completed", "Completed"
        NO_SHOW = "no_show", "No-show"

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="tours")
    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="tours")
    unit = models.ForeignKey(
        Unit, on_delete=models.SET_NULL, null=True, blank=True, related_name="tours"
    )
    starts_at = models.DateTimeField()
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.IN_PERSON)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SCHEDULED)
    notes = models.TextField(blank=True)
    vapi_call_id = models.CharField(
        "booked on call", max_length=100, blank=True, db_index=True, help_text="Vapi call id."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_at"]
        indexes = [models.Index(fields=["property", "starts_at", "status"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} tour {self.starts_at:%Y-%m-%d %H:%M} ({self.lead})"


# The compliance and callback models belong to this app (calling-compliance.md §7): importing
# them here registers them under `leads`.
from leads.callbacks.models import Callback  # noqa: E402
from leads.compliance.models import (  # noqa: E402
    CallDecision,
    Consent,
    DncNumber,
    DncSnapshot,
    StaffPhone,
    Suppression,
)

__all__ = [
    "CallDecision",
    "Callback",
    "Consent",
    "DncNumber",
    "DncSnapshot",
    "Lead",
    "LeadActivity",
    "StaffPhone",
    "Suppression",
    "Tour",
]
