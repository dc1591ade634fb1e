"""Input and output of the campaign endpoints (voice/campaigns/apis.py)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from config.api import OwnedPrimaryKeyRelatedField
from leads.models import Lead
from properties.serializers import LocalTimeField
from voice.assistants.selectors import assistant_list
from voice.campaigns.models import CAMPAIGN_PURPOSES, Campaign, CampaignContact
from voice.campaigns.services import MAX_LEAD_ID
from voice.models import Assistant, CallLog


class AudienceSerializer(serializers.Serializer):
    statuses = serializers.ListField(
        child=serializers.ChoiceField(choices=Lead.Status.choices),
        required=False,
        help_text="Lead statuses to call; left out or empty: any status.",
    )
    sources = serializers.ListField(
        child=serializers.ChoiceField(choices=Lead.Source.choices),
        required=False,
        help_text="Lead sources to call; left out or empty: any source.",
    )
    created_since = serializers.DateField(
        required=False, help_text="Only leads created on or after this day (YYYY-MM-DD)."
    )
    lead_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_LEAD_ID),
        required=False,
        help_text="Only these leads (ids of the property's leads; others match nothing); "
        "left out or empty: any lead.",
    )


class RetryRuleSerializer(serializers.Serializer):
    max_attempts = serializers.IntegerField(min_value=1, max_value=20)
    delay_minutes = serializers.IntegerField(min_value=0, max_value=60 * 24 * 30)


class RetryPolicySerializer(serializers.Serializer):
    no_answer = RetryRuleSerializer(required=False)
    busy = RetryRuleSerializer(required=False)
    voicemail = RetryRuleSerializer(required=False)
    error = RetryRuleSerializer(required=False)


class CampaignInputSerializer(serializers.Serializer):
    assistant_id = OwnedPrimaryKeyRelatedField(
        source="assistant",
        selector=assistant_list,
        queryset=Assistant.objects.all(),
        help_text="One of your assistants; the campaign calls its property's leads.",
    )
    name = serializers.CharField(max_length=120)
    purpose = serializers.ChoiceField(
        choices=CAMPAIGN_PURPOSES,
        help_text="`marketing` (needs written consent to AI-voice calls) or `informational`.",
    )
    audience = AudienceSerializer(required=False, help_text="Which of the property's leads.")
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    # Wall-clock times without an offset, as office hours: OpenAPI's `format: time` demands one.
    daily_start = LocalTimeField(
        required=False, allow_null=True, help_text="Property's local time, HH:MM; null: the law's."
    )
    daily_end = LocalTimeField(required=False, allow_null=True, help_text="HH:MM; after the start.")
    max_concurrent_calls = serializers.IntegerField(min_value=1, max_value=100, default=5)
    retry_policy = RetryPolicySerializer(
        required=False,
        help_text="Per outcome, attempts in all and minutes between them; left out: defaults.",
    )

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        values = super().to_internal_value(data)
        audience = dict(values.get("audience") or {})
        if audience.get("created_since"):
            audience["created_since"] = audience["created_since"].isoformat()
        values["audience"] = audience
        for name in ("daily_start", "daily_end"):
            # The property's local time: an offset ("10:00Z") says nothing more, and the
            # database stores times without one.
            if values.get(name) is not None:
                values[name] = values[name].replace(tzinfo=None)
        values["retry_policy"] = {k: dict(v) for k, v in (values.get("retry_policy") or {}).items()}
        return values


class CampaignSerializer(serializers.ModelSerializer):
    property_id = serializers.IntegerField(read_only=True)
    organization_id = serializers.IntegerField(read_only=True)
    assistant_id = serializers.IntegerField(read_only=True, allow_null=True)
    audience = AudienceSerializer(read_only=True)
    retry_policy = RetryPolicySerializer(read_only=True)
    daily_start = LocalTimeField(read_only=True, allow_null=True)
    daily_end = LocalTimeField(read_only=True, allow_null=True)

    class Meta:
        model = Campaign
        fields = [
            "id",
            "organization_id",
            "property_id",
            "assistant_id",
            "name",
            "purpose",
            "audience",
            "starts_on",
            "ends_on",
            "daily_start",
            "daily_end",
            "max_concurrent_calls",
            "retry_policy",
            "status",
            "started_at",
            "finished_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class CampaignContactSerializer(serializers.ModelSerializer):
    lead_id = serializers.IntegerField(read_only=True)
    current_call_id = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="The call log of the current or last attempt."
    )

    class Meta:
        model = CampaignContact
        fields = [
            "id",
            "lead_id",
            "number",
            "state",
            "skip_reason",
            "attempts",
            "next_attempt_at",
            "last_outcome",
            "last_error",
            "voicemail_left",
            "current_call_id",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class AudienceEntrySerializer(serializers.Serializer):
    lead_id = serializers.IntegerField(source="lead.pk")
    number = serializers.CharField(help_text="E.164; blank when the lead has no phone.")
    allowed = serializers.BooleanField(help_text="Would the compliance gate allow a call now?")
    reason = serializers.CharField(help_text="The gate's reason code when refused, or no_phone.")
    message = serializers.CharField()
    next_allowed_at = serializers.DateTimeField(allow_null=True)


class CallInProgressSerializer(serializers.Serializer):
    call_log_id = serializers.IntegerField()
    lead_id = serializers.IntegerField(allow_null=True)
    lead_name = serializers.CharField(help_text="Blank when the call has no lead.")
    number = serializers.CharField(help_text="The number called (E.164).")
    status = serializers.ChoiceField(choices=CallLog.Status.choices)
    started_at = serializers.DateTimeField(help_text="Answered, or placed while it rings.")


class ContactStatesSerializer(serializers.Serializer):
    """How many contacts are in each state (every state, 0 included)."""

    pending = serializers.IntegerField()
    scheduled = serializers.IntegerField()
    dialing = serializers.IntegerField()
    in_call = serializers.IntegerField()
    done = serializers.IntegerField()
    skipped = serializers.IntegerField()
    failed = serializers.IntegerField()


class CampaignProgressSerializer(serializers.Serializer):
    """voice/campaigns/selectors.py `campaign_progress`, as the admin's live page and the API
    both show it."""

    campaign_id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Campaign.Status.choices)
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    ended = serializers.BooleanField(help_text="Finished or cancelled: nothing changes any more.")
    contacts = serializers.IntegerField()
    states = ContactStatesSerializer()
    attempts = serializers.IntegerField(help_text="Calls placed so far, over all contacts.")
    calls_in_progress = serializers.IntegerField()
    calls = CallInProgressSerializer(many=True, help_text="The campaign's calls not ended yet.")
    tours_booked = serializers.IntegerField(
        help_text="Tours (not cancelled) its leads booked since the campaign started."
    )
    cost = serializers.DecimalField(max_digits=12, decimal_places=4, coerce_to_string=True)
    cost_per_tour = serializers.DecimalField(
        max_digits=12, decimal_places=4, allow_null=True, coerce_to_string=True
    )
