"""Consent ledger, internal do-not-call list, registry snapshots, staff phones and the audit of
every call decision (calling-compliance.md §7 rules 1, 7, 8, 19).

Numbers are E.164 and matched exactly: consent never transfers to another number or to another
organization (47 CFR 64.1200(f)(9): the agreement names "the seller" and "the number").
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from properties.models import Organization
from properties.phone import PhoneNumberField

CALL_DECISION_IMMUTABLE = "Call decisions are an audit trail: they are never changed."
# Consent.revoked_how when the number no longer reaches the person who consented (§7 rule 17).
CONSENT_REVOKED_NUMBER_REASSIGNED = "number reassigned or wrong number"


class Consent(models.Model):
    """One consent a person gave one organization to be called at one number."""

    class Kind(models.TextChoices):
        # 64.1200(a)(2)-(3): AI-voice telemarketing needs prior express *written* consent that
        # names the seller; informational calls need prior express consent only.
        PEWC_AI_VOICE = "pewc_ai_voice", "Written consent to AI-voice marketing calls (PEWC)"
        PEC_INFORMATIONAL = "pec_informational", "Consent to informational calls only (PEC)"

    class Source(models.TextChoices):
        WEB_FORM = "web_form", "Web form"
        INBOUND_CALL = "inbound_call", "Inbound call"
        SMS = "sms", "SMS"
        STAFF_ENTRY = "staff_entry", "Entered by staff"
        IMPORT = "import", "Imported list"
        PURCHASED_LIST = "purchased_list", "Purchased list"

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="call_consents"
    )
    number = PhoneNumberField(help_text="The exact number consented to (E.164).")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    disclosure = models.TextField(
        help_text="The disclosure text exactly as the person saw or heard it."
    )
    source = models.CharField(max_length=20, choices=Source.choices)
    signature_method = models.CharField(
        max_length=100, blank=True, help_text="E-SIGN checkbox, keypress, recording..."
    )
    evidence_url = models.URLField("form URL", max_length=500, blank=True)
    evidence_ip = models.GenericIPAddressField("IP address", null=True, blank=True)
    recording_url = models.URLField(max_length=500, blank=True)
    evidence_note = models.TextField(blank=True)
    given_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_how = models.CharField(max_length=200, blank=True)
    reassigned_checked_at = models.DateField(
        "reassigned-number check",
        null=True,
        blank=True,
        help_text=(
            "Day of the last reassigned-numbers check (FCC RND) that found the number still the "
            "consenting person's. Needed when the consent is older than "
            "COMPLIANCE_CONSENT_RECHECK_DAYS (default 90)."
        ),
    )
    lead = models.ForeignKey(
        "leads.Lead",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="call_consents",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "call_consents"
        ordering = ["-given_at", "-id"]
        indexes = [models.Index(fields=["organization", "number"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.number}"


class Suppression(models.Model):
    """The organization's internal do-not-call list (64.1200(d)): one row per number.

    Kept at least five years ((d)(6)) and independent of leads: deleting a lead keeps the row.
    """

    class Source(models.TextChoices):
        SPOKEN = "spoken", "Said on a call"
        DTMF = "dtmf", "Keypad (DTMF) on a call"
        TOOL = "tool", "Assistant tool"
        STRUCTURED_OUTPUT = "structured_output", "Call analysis"
        SMS = "sms", "SMS"
        EMAIL = "email", "Email"
        WEB_FORM = "web_form", "Web form"
        STAFF = "staff", "Staff entry"
        LEAD_FLAG = "lead_flag", "Lead's do-not-call box"
        STAFF_NOTE = "staff_note", "Staff note"
        # §7 rule 17: whoever answers is not the person who consented (a reassigned number).
        WRONG_NUMBER = "wrong_number", "Wrong number on a call"

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="call_suppressions"
    )
    number = PhoneNumberField()
    source = models.CharField(max_length=20, choices=Source.choices)
    note = models.TextField(blank=True)
    vapi_call_id = models.CharField(max_length=100, blank=True)
    lead = models.ForeignKey(
        "leads.Lead", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "call_suppressions"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "number"], name="call_suppression_once_per_number"
            )
        ]

    def __str__(self) -> str:
        return f"Do not call {self.number}"


class DncSnapshot(models.Model):
    """One download of a do-not-call registry for one area code (64.1200(c)(2): ≤31 days old)."""

    NATIONAL = "national"

    registry = models.CharField(
        max_length=10, default=NATIONAL, help_text='"national" or a state code (FL, TX...).'
    )
    area_code = models.CharField(max_length=3)
    downloaded_at = models.DateTimeField(help_text="When the registry file was downloaded.")
    imported_at = models.DateTimeField(default=timezone.now)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "dnc_snapshots"
        ordering = ["-downloaded_at", "-id"]
        indexes = [models.Index(fields=["area_code", "registry", "-downloaded_at"])]

    def __str__(self) -> str:
        return f"{self.registry} DNC {self.area_code} ({self.downloaded_at:%Y-%m-%d})"


class DncNumber(models.Model):
    snapshot = models.ForeignKey(DncSnapshot, on_delete=models.CASCADE, related_name="numbers")
    number = models.CharField(max_length=16, help_text="E.164.")

    class Meta:
        db_table = "dnc_numbers"
        indexes = [models.Index(fields=["number", "snapshot"])]

    def __str__(self) -> str:
        return self.number


class StaffPhone(models.Model):
    """A staff member's number: the only numbers test calls may ring."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="staff_phones"
    )
    number = PhoneNumberField()
    label = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "staff_phones"
        ordering = ["label", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "number"], name="staff_phone_once_per_organization"
            )
        ]

    def __str__(self) -> str:
        return f"{self.label or 'Staff'} {self.number}"


class CallDecision(models.Model):
    """Why a call was allowed or refused: one immutable row per decision (§7 rule 19)."""

    class Path(models.TextChoices):
        ADMIN_ACTION = "admin_action", "Admin action"
        API = "api", "API"
        COMMAND = "command", "Management command"
        TEST_CALL = "test_call", "Test call"
        CAMPAIGN = "campaign", "Campaign"
        # A campaign created in Vapi's own dashboard: Vapi asks before each contact
        # (`campaign.predial`, voice/webhooks/predial.py) and places the call only if we allow it.
        VAPI_CAMPAIGN = "vapi_campaign", "Vapi campaign pre-dial"

    class Purpose(models.TextChoices):
        MARKETING = "marketing", "Leasing (marketing)"
        INFORMATIONAL = "informational", "Informational"
        TEST = "test", "Test call to staff"

    class Decision(models.TextChoices):
        ALLOWED = "allowed", "Allowed"
        REFUSED = "refused", "Refused"

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="call_decisions"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    path = models.CharField(max_length=20, choices=Path.choices)
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    number = models.CharField(max_length=32, help_text="As requested (E.164 when valid).")
    lead = models.ForeignKey(
        "leads.Lead", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    lead_ref = models.PositiveBigIntegerField(
        "lead id", null=True, blank=True, help_text="Kept when the lead is deleted."
    )
    consent = models.ForeignKey(
        Consent, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    consent_ref = models.PositiveBigIntegerField("consent id", null=True, blank=True)
    timezones = models.JSONField(default=list, blank=True, help_text="Candidates and sources.")
    states = models.JSONField(default=dict, blank=True, help_text="State set and sources.")
    local_times = models.JSONField(default=dict, blank=True)
    rules = models.JSONField(default=list, blank=True, help_text="Rules checked, in order.")
    dnc_snapshot_at = models.DateTimeField(null=True, blank=True)
    decision = models.CharField(max_length=10, choices=Decision.choices)
    reason = models.CharField(max_length=40, blank=True)
    message = models.TextField(blank=True)
    next_allowed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        db_table = "call_decisions"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["number", "decision", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(decision="allowed", reason="") | Q(decision="refused") & ~Q(reason=""),
                name="call_decision_reason_iff_refused",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} {self.number} ({self.reason or 'ok'})"

    def save(self, *args, **kwargs) -> None:
        # An audit row is written once; changing it would defeat its purpose (§7 rule 19).
        if not self._state.adding:
            raise ValueError(CALL_DECISION_IMMUTABLE)
        super().save(*args, **kwargs)
