"""Vapi assistants per property and the log of every call."""

from django.db import models
from django.db.models import Q

from leads.models import Lead
from properties.models import Property


class Assistant(models.Model):
    class PushState(models.TextChoices):
        NEVER = "never", "Never pushed"
        OK = "ok", "In sync"
        FAILED = "failed", "Push failed"

    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="assistants")
    vapi_assistant_id = models.CharField(max_length=100, null=True, blank=True, editable=False)
    vapi_phone_number_id = models.CharField(
        max_length=100, blank=True, help_text="Vapi phone number id that outbound calls come from."
    )
    # vapi-reference.md §4.1: Vapi rejects assistant names over 40 characters.
    name = models.CharField(max_length=40)
    first_message = models.TextField(
        blank=True,
        help_text="Inbound greeting; must say it is an AI. Blank: the default greeting.",
    )
    # calling-compliance.md §7 rule 11; leads/compliance/disclosures.py fills and checks it.
    outbound_first_message = models.TextField(
        "outbound greeting",
        blank=True,
        help_text=(
            "What the assistant says when the person it called answers. Blank: the default. "
            'Must contain {legal_name} (or the legal name), say "AI" and offer the opt-out '
            "(\"say 'stop calling' or press 9\"). Placeholders: {legal_name}, {property}, "
            "{first_name}."
        ),
    )
    system_prompt = models.TextField(
        blank=True, help_text="Leave blank to render the default leasing prompt from property data."
    )
    voice_provider = models.CharField(max_length=30, blank=True)
    voice_id = models.CharField(max_length=100, blank=True)
    model = models.CharField(max_length=60, default="gpt-4o")
    language = models.CharField(max_length=10, default="en")
    last_pushed_config = models.JSONField(default=dict, blank=True, editable=False)
    push_state = models.CharField(
        max_length=10, choices=PushState.choices, default=PushState.NEVER, editable=False
    )
    last_pushed_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_push_error = models.TextField(blank=True, editable=False)
    # OAS Assistant.latestVersion (vapi-reference.md §12.14): the published version label (e.g.
    # "v3") that create/PATCH/GET last returned; null while the org is not onboarded to
    # versioning or the assistant was never published under it.
    latest_version = models.CharField(
        "Live version", max_length=40, null=True, blank=True, editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["property", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["vapi_assistant_id"],
                condition=Q(vapi_assistant_id__isnull=False),
                name="assistant_vapi_id_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CallLog(models.Model):
    class Direction(models.TextChoices):
        INBOUND = "inbound", "Inbound"
        OUTBOUND = "outbound", "Outbound"
        WEB = "web", "Web"

    # vapi-reference.md §3.2: Call.status, in the order a call moves through them; then two of
    # ours for outbound attempts Vapi never confirmed (voice/calls/outbound.py): `unknown`, POST
    # /call sent but no answer (the call may exist), until reconciled with Vapi's call list;
    # `failed`, reconciled and Vapi has no such call. Neither is a Vapi status.
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        QUEUED = "queued", "Queued"
        RINGING = "ringing", "Ringing"
        IN_PROGRESS = "in-progress", "In progress"
        FORWARDING = "forwarding", "Forwarding"
        ENDED = "ended", "Ended"
        UNKNOWN = "unknown", "Outcome unknown"
        FAILED = "failed", "Not placed"

    # Vapi's statuses, in order (the ones a webhook or GET /call may report).
    VAPI_STATUSES = (
        Status.SCHEDULED,
        Status.QUEUED,
        Status.RINGING,
        Status.IN_PROGRESS,
        Status.FORWARDING,
        Status.ENDED,
    )

    vapi_call_id = models.CharField(max_length=100, unique=True)
    property = models.ForeignKey(
        Property, on_delete=models.SET_NULL, null=True, blank=True, related_name="call_logs"
    )
    assistant = models.ForeignKey(
        Assistant, on_delete=models.SET_NULL, null=True, blank=True, related_name="call_logs"
    )
    lead = models.ForeignKey(
        Lead, on_delete=models.SET_NULL, null=True, blank=True, related_name="call_logs"
    )
    direction = models.CharField(max_length=10, choices=Direction.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    # vapi-reference.md §3.3: the ended-reason list grows with every release, so free text.
    ended_reason = models.CharField(max_length=200, blank=True)
    customer_number = models.CharField(max_length=40, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    transcript = models.TextField(blank=True)
    messages = models.JSONField(default=list, blank=True)
    recording_url = models.URLField(max_length=2000, blank=True)
    stereo_recording_url = models.URLField(max_length=2000, blank=True)
    summary = models.TextField(blank=True)
    structured_data = models.JSONField(default=dict, blank=True)
    success_evaluation = models.CharField(max_length=200, blank=True)
    cost = models.DecimalField(max_digits=10, decimal_places=4, null=True, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    # The campaign contact this call was an attempt for (voice/campaigns); null otherwise.
    campaign_contact = models.ForeignKey(
        "voice.CampaignContact",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="call_logs",
    )
    # calling-compliance.md §7 rule 15: whether the call was recorded and why (set when the call
    # is placed or routed, updated from the end-of-call report). None: not known.
    recorded = models.BooleanField(null=True, blank=True)
    recording_basis = models.CharField(max_length=300, blank=True)
    # Retention (voice/retention/services.py): what the organization's policy already removed, so
    # a run never redoes it and an interrupted one resumes. `vapi_deletion_pending`: DELETE
    # /call/{id} was tried and failed (vapi-reference.md §1: 503, recordings not erased); our
    # recording links stay until Vapi confirms, and the next run asks again.
    recording_deleted_at = models.DateTimeField(null=True, blank=True, editable=False)
    vapi_deletion_pending = models.BooleanField(default=False, editable=False)
    transcript_removed_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "call_logs"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["property", "-created_at"]),
            models.Index(fields=["status"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} call {self.vapi_call_id}"


class WebhookEvent(models.Model):
    """Every verified Vapi delivery, stored before it is handled (the inbox)."""

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        PROCESSED = "processed", "Processed"
        IGNORED = "ignored", "Ignored"
        FAILED = "failed", "Failed"

    message_type = models.CharField(max_length=80, db_index=True)
    vapi_call_id = models.CharField(max_length=100, blank=True, db_index=True)
    # vapi-reference.md §10.1: Vapi sends no event id, so we build our own key.
    dedupe_key = models.CharField(max_length=255, unique=True)
    payload = models.JSONField()
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.RECEIVED, db_index=True
    )
    error = models.TextField(blank=True)
    traceback = models.TextField(blank=True)
    response = models.JSONField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    # When the retention policy cleared `payload` and `response` (voice/retention/services.py).
    payload_removed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        db_table = "webhook_events"
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.message_type} {self.vapi_call_id or ''}".strip()


class TranscriptLine(models.Model):
    """A final transcript line of a call in progress, for the live view."""

    vapi_call_id = models.CharField(max_length=100)
    role = models.CharField(max_length=20)
    text = models.TextField()
    # From message.timestamp (epoch ms, vapi-reference.md §1); orders lines and dedupes replays.
    spoken_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["vapi_call_id", "spoken_at", "id"]
        indexes = [models.Index(fields=["vapi_call_id", "spoken_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["vapi_call_id", "spoken_at", "role"], name="transcript_line_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.role}: {self.text[:60]}"


class WebhookCredential(models.Model):
    """The Vapi webhook credential (HMAC) that pushed assistants reference as server.credentialId,
    one per Vapi API base URL; made and kept in step by `manage.py vapi_setup`
    (voice/assistants/setup.py). The secret is never stored here: `plan_fingerprint` is a keyed
    hash of the plan sent (secret included), so a changed secret or header is noticed and PATCHed.
    """

    vapi_base_url = models.CharField(max_length=200, unique=True)
    vapi_credential_id = models.CharField(max_length=100)
    # vapi-reference.md §9.2 / OAS CreateWebhookCredentialDTO: name is 1-40 characters.
    name = models.CharField(max_length=40)
    plan_fingerprint = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["vapi_base_url"]

    def __str__(self) -> str:
        return f"{self.name} ({self.vapi_credential_id})"


class StructuredOutput(models.Model):
    """One of the structured outputs this app defines (voice/structured_outputs.py) as
    it exists at Vapi: its id there and a hash of the definition last pushed, so a push whose
    definitions did not change needs no request (vapi-reference.md §12.4)."""

    name = models.CharField(max_length=40, unique=True)  # OAS: name ≤ 40 characters
    vapi_id = models.CharField(max_length=100)
    definition_hash = models.CharField(max_length=64)
    # Which Vapi the id belongs to (a fingerprint of VAPI_BASE_URL and the API key): switching
    # from the simulator to Vapi, or to another org, makes the stored id worthless.
    target = models.CharField(max_length=64)
    synced_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


# The campaign models belong to this app: importing them here registers them under `voice`.
from voice.campaigns.models import Campaign, CampaignContact  # noqa: E402
from voice.retention.models import RetentionPolicy  # noqa: E402

__all__ = [
    "Assistant",
    "CallLog",
    "Campaign",
    "CampaignContact",
    "RetentionPolicy",
    "StructuredOutput",
    "TranscriptLine",
    "WebhookCredential",
    "WebhookEvent",
]
