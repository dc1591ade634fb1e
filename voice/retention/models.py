"""How long each organization keeps personal data: its retention policy.

The policy lives with the voice app because most of what it removes is voice data (recordings,
transcripts, webhook deliveries), and voice may read leads and properties (the dependency
direction voice -> leads -> properties); leads never converted go too.

What no policy removes, whatever it says (README "Retention and redaction"):
- `Suppression` entries, the internal do-not-call list: kept at least 5 years (47 CFR
  64.1200(d)(6); calling-compliance.md §1 "Internal DNC" and §7 rule 8);
- `CallDecision` audit rows (calling-compliance.md §7 rule 19) and `Consent` records (§7 rule 1,
  the proof of prior express written consent): the compliance note gives no period for them;
  they are what defends a TCPA claim, and TCPA suits can be brought for 4 years (the federal
  catch-all limitation, 28 U.S.C. 1658(a): not in calling-compliance.md, so unconfirmed there),
  so they are kept with no expiry until counsel sets one.
Their foreign keys to a lead are SET_NULL (CallDecision also keeps `lead_ref`), so deleting a
lead keeps them.
"""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from properties.models import Organization

# Safe defaults: an organization that sets nothing keeps recordings 90 days, transcripts a year,
# raw webhook deliveries 30 days and unconverted leads two years.
RECORDINGS_DAYS_DEFAULT = 90
TRANSCRIPTS_DAYS_DEFAULT = 365
WEBHOOK_PAYLOADS_DAYS_DEFAULT = 30
UNCONVERTED_LEADS_MONTHS_DEFAULT = 24


class RetentionPolicy(models.Model):
    """One organization's retention periods. An organization without a row gets the defaults."""

    class TranscriptAction(models.TextChoices):
        REDACT = "redact", "Redact phone numbers, e-mail addresses, card and account numbers"
        DELETE = "delete", "Delete transcripts, messages, summaries and call analysis"

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="retention_policy"
    )
    recordings_days = models.PositiveIntegerField(
        "delete recordings after (days)",
        default=RECORDINGS_DAYS_DEFAULT,
        validators=[MinValueValidator(1), MaxValueValidator(3650)],
        help_text="Our recording links and the call's recording and artifacts at Vapi.",
    )
    transcripts_days = models.PositiveIntegerField(
        "redact or delete transcripts after (days)",
        default=TRANSCRIPTS_DAYS_DEFAULT,
        validators=[MinValueValidator(1), MaxValueValidator(3650)],
        help_text="Transcripts, call messages, summaries and call analysis.",
    )
    transcript_action = models.CharField(
        "what happens to old transcripts",
        max_length=10,
        choices=TranscriptAction.choices,
        default=TranscriptAction.REDACT,
    )
    webhook_payloads_days = models.PositiveIntegerField(
        "clear raw webhook deliveries after (days)",
        default=WEBHOOK_PAYLOADS_DAYS_DEFAULT,
        validators=[MinValueValidator(1), MaxValueValidator(3650)],
        help_text="The delivery row stays (type, call, status, times); its body is cleared.",
    )
    unconverted_leads_months = models.PositiveIntegerField(
        "delete leads that never converted after (months)",
        default=UNCONVERTED_LEADS_MONTHS_DEFAULT,
        validators=[MinValueValidator(1), MaxValueValidator(120)],
        help_text=(
            "Leads never toured, applied or leased, with no tour and no call or activity in "
            "that time. Consents, do-not-call entries and call decisions are kept."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "retention policies"

    def __str__(self) -> str:
        return f"Retention policy of {self.organization}"
