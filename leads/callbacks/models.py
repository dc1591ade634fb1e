"""A callback task: someone from the leasing team owes a lead a call."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from properties.models import Property
from properties.phone import PhoneNumberField


class Callback(models.Model):
    class Reason(models.TextChoices):
        AFTER_HOURS = "after_hours", "Called after hours"
        CALLER_ASKED = "caller_asked", "Caller asked to be called back"
        TRANSFER_UNAVAILABLE = "transfer_unavailable", "No one to transfer to"
        STAFF = "staff", "Added by staff"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DONE = "done", "Done"
        CANCELLED = "cancelled", "Cancelled"

    class DoneReason(models.TextChoices):
        HUMAN_CALLED = "human_called", "Called back by staff"
        AI_CALL_CONNECTED = "ai_call_connected", "An AI call reached the lead"
        CAMPAIGN_CALL_CONNECTED = "campaign_call_connected", "A campaign call reached the lead"
        MANUAL = "manual", "Closed by staff"

    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="callbacks")
    # Every promise is made on a call that already has its lead (the tools create it).
    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, related_name="callbacks")
    number = PhoneNumberField(blank=True, help_text="The number to call back (E.164).")
    reason = models.CharField(max_length=30, choices=Reason.choices)
    due_at = models.DateTimeField(
        help_text="When the office next opens after the promise (or the promise, if open)."
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_callbacks",
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    done_reason = models.CharField(max_length=30, choices=DoneReason.choices, blank=True)
    vapi_call_id = models.CharField(
        "promised on call", max_length=100, blank=True, db_index=True, help_text="Vapi call id."
    )
    done_vapi_call_id = models.CharField(
        "kept on call", max_length=100, blank=True, help_text="Vapi call id of the call back."
    )
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            # Asking again updates the open task: a lead is owed one call, not one per request.
            models.UniqueConstraint(
                fields=["lead"],
                condition=Q(status="open"),
                name="callback_one_open_per_lead",
                violation_error_message="This lead already has an open callback.",
            ),
            models.CheckConstraint(
                condition=Q(status="open", done_at__isnull=True) | ~Q(status="open"),
                name="callback_open_has_no_done_at",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "due_at"]),
            models.Index(fields=["assigned_to", "status"]),
        ]

    def __str__(self) -> str:
        return f"Call back {self.lead} ({self.get_status_display().lower()})"
