"""API input and output serializers for voice assistants, call logs and placing calls."""

from typing import Any

from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.api import ID_SCHEMA, OwnedPrimaryKeyRelatedField
from config.schema import NOT_BLANK_PATTERN
from leads.models import CallDecision, Lead
from leads.selectors import lead_list
from properties.serializers import LONG_TEXT, PhoneField
from voice.assistants.config import DEFAULT_LANGUAGE, DEFAULT_MODEL, DEFAULT_VOICE_IDS
from voice.assistants.selectors import assistant_list
from voice.calls.outbound import CALL_NOT_PUSHED
from voice.models import Assistant, CallLog
from voice.vapi.core import MAX_NAME_LENGTH

# Vapi's own enums (copied from its OpenAPI document): a value outside them is a 400 here, not
# a voice_unavailable once Vapi has refused it.
from voice.vapi.enums import DEEPGRAM_LANGUAGES, OPENAI_MODELS, VOICE_PROVIDERS

VOICE_ID_REQUIRED = "Choose a voice id: this voice provider has no default voice."
# Vapi stores metadata as given; keep what a client can attach to a call small.
METADATA_MAX_KEYS = 20
METADATA_KEY_LENGTH = 100
METADATA_VALUE_LENGTH = 500
METADATA_TOO_MANY_KEYS = f"At most {METADATA_MAX_KEYS} keys."
METADATA_KEY_INVALID = (
    f"Keys are 1 to {METADATA_KEY_LENGTH} characters, without NUL or unpaired surrogate characters."
)

CALL_FIELDS = [
    "id",
    "vapi_call_id",
    "property",
    "assistant",
    "lead",
    "direction",
    "status",
    "ended_reason",
    "customer_number",
    "started_at",
    "ended_at",
    "duration_seconds",
    "summary",
    "success_evaluation",
    "cost",
    "created_at",
    "updated_at",
]


# Output ----------------------------------------------------------------------------------------


class AssistantSerializer(serializers.ModelSerializer):
    class Meta:
        model = Assistant
        fields = [
            "id",
            "property",
            "name",
            "vapi_assistant_id",
            "vapi_phone_number_id",
            "first_message",
            "outbound_first_message",
            "system_prompt",
            "voice_provider",
            "voice_id",
            "model",
            "language",
            "push_state",
            "last_pushed_at",
            "last_push_error",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class CallLogSerializer(serializers.ModelSerializer):
    class Meta:
        model = CallLog
        fields = CALL_FIELDS
        read_only_fields = fields


class CallLogDetailSerializer(serializers.ModelSerializer):
    # Plain strings: "" (no recording yet) is not a valid `format: uri` value.
    recording_url = serializers.CharField(read_only=True, help_text="Empty until recorded.")
    stereo_recording_url = serializers.CharField(read_only=True, help_text="Empty until recorded.")
    recorded = serializers.BooleanField(
        read_only=True,
        allow_null=True,
        help_text="Whether the call was recorded (null: not known, e.g. before the report).",
    )
    recording_basis = serializers.CharField(
        read_only=True,
        help_text='Why it was or was not recorded, e.g. "not recorded: California requires '
        'all-party consent and none was given".',
    )

    class Meta:
        model = CallLog
        fields = [
            *CALL_FIELDS,
            "transcript",
            "messages",
            "recording_url",
            "stereo_recording_url",
            "recorded",
            "recording_basis",
            "structured_data",
            "metadata",
        ]
        read_only_fields = fields


# Input: assistants -----------------------------------------------------------------------------


class CallLogDetailQuerySerializer(serializers.Serializer):
    refresh = serializers.BooleanField(
        default=False,
        help_text=(
            "true: first pull the call from Vapi (GET /call/{id}) and save it the way the webhook "
            "would, then answer. For a call whose webhooks were missed. When Vapi fails: 503 "
            "voice_unavailable, and the call log is left as it was."
        ),
    )


class AssistantCreateQuerySerializer(serializers.Serializer):
    property_id = serializers.IntegerField(
        min_value=1, help_text="The property the assistant answers for (one of yours)."
    )


class AssistantCreateInputSerializer(serializers.Serializer):
    """Everything optional: what is left out comes from the property (assistant builder)."""

    name = serializers.CharField(
        max_length=MAX_NAME_LENGTH,
        required=False,
        help_text='Vapi\'s limit is 40 characters. Default: "<property name> leasing assistant".',
    )
    first_message = serializers.CharField(
        max_length=1000,
        required=False,
        allow_blank=True,
        help_text='What the assistant says first on inbound calls; must say "AI". Empty: a '
        "greeting with the AI and recording notice.",
    )
    outbound_first_message = serializers.CharField(
        max_length=1000,
        required=False,
        allow_blank=True,
        help_text="What the assistant says when the person it called answers. Must contain "
        '{legal_name} (or the organization\'s legal name), the word "AI" and the opt-out offer '
        "(\"say 'stop calling' or press 9 any time to be removed\"); placeholders {legal_name}, "
        "{property} and {first_name} are filled per call. Empty: the default greeting.",
    )
    system_prompt = serializers.CharField(
        max_length=LONG_TEXT,
        required=False,
        allow_blank=True,
        help_text="How the assistant works. Empty: the default leasing instructions. The "
        "disclosure and fair-housing rules and the property's facts are always added.",
    )
    voice_provider = serializers.ChoiceField(
        choices=sorted(VOICE_PROVIDERS),
        required=False,
        allow_blank=True,
        help_text="Vapi voice provider, e.g. 11labs, vapi, openai, azure. Empty: ElevenLabs "
        "when configured, else Vapi's voices.",
    )
    voice_id = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        help_text="The provider's voice id. Empty: the provider's default voice.",
    )
    model = serializers.ChoiceField(
        choices=sorted(OPENAI_MODELS),
        required=False,
        help_text=f"OpenAI model (default {DEFAULT_MODEL}).",
    )
    language = serializers.ChoiceField(
        choices=sorted(DEEPGRAM_LANGUAGES),
        required=False,
        help_text=f"Transcriber language, e.g. en, en-US, es (default {DEFAULT_LANGUAGE}).",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # The builder only knows default voices for some providers (voice/assistants/config.py); say
        # so here rather than as a voice_unavailable error after the request.
        current = self.context.get("assistant")
        provider = attrs.get("voice_provider", getattr(current, "voice_provider", ""))
        voice_id = attrs.get("voice_id", getattr(current, "voice_id", ""))
        if provider and provider not in DEFAULT_VOICE_IDS and not voice_id:
            # Emptying the voice id under the assistant's current provider clashes with what is
            # there (409, config/errors.py); asking for such a provider without one is a 400.
            code = "invalid" if "voice_provider" in attrs else "voice_id_required"
            raise serializers.ValidationError({"voice_id": [VOICE_ID_REQUIRED]}, code=code)
        return attrs


class AssistantInputSchema(OpenApiSerializerExtension):
    """The schema says what `validate` checks: a provider without a default voice (the builder's
    DEFAULT_VOICE_IDS) comes with a voice id."""

    target_class = AssistantCreateInputSerializer
    match_subclasses = True

    def map_serializer(self, auto_schema: Any, direction: str) -> dict[str, Any]:
        schema = auto_schema._map_basic_serializer(self.target, direction)
        # A pattern, not an enum: drf-spectacular would turn an enum into a component.
        with_default = "|".join(sorted(DEFAULT_VOICE_IDS))
        schema["anyOf"] = [
            {"properties": {"voice_provider": {"pattern": f"^({with_default})?$"}}},
            {"required": ["voice_id"], "properties": {"voice_id": {"minLength": 1}}},
        ]
        return schema


class AssistantInputSerializer(AssistantCreateInputSerializer):
    """Replace (PUT: `name` required, other fields left out stay) or change (PATCH)."""

    name = serializers.CharField(
        max_length=MAX_NAME_LENGTH, help_text="Vapi's limit is 40 characters."
    )
    vapi_phone_number_id = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        help_text="Vapi phone number id that outbound calls come from. Empty: the Vapi number "
        "matching the property's leasing phone.",
    )


# Input: calls ----------------------------------------------------------------------------------

VAPI_ID_MAX_LENGTH = Assistant._meta.get_field("vapi_assistant_id").max_length


@extend_schema_field(
    {
        "oneOf": [
            {**ID_SCHEMA, "description": "Our id of the assistant (its `id`)."},
            {
                "type": "string",
                "minLength": 1,
                "maxLength": VAPI_ID_MAX_LENGTH,
                "pattern": NOT_BLANK_PATTERN,
                "description": "Vapi's id of the assistant (its `vapi_assistant_id`).",
            },
        ]
    }
)
class AssistantIdField(OwnedPrimaryKeyRelatedField):
    """One of the user's assistants, by our id (a JSON integer) or by its Vapi id (a string, as
    in Vapi's own `assistantId`). Either way only the user's assistants are found: another
    organization's Vapi id fails exactly like an unknown one (404 not_found)."""

    def to_internal_value(self, data: Any) -> Assistant:
        if not isinstance(data, str):
            return super().to_internal_value(data)
        # DRF's CharField: no NUL, no lone surrogate, not blank (the schema's pattern says so).
        vapi_id = serializers.CharField(max_length=VAPI_ID_MAX_LENGTH).run_validation(data)
        assistant = self.get_queryset().filter(vapi_assistant_id=vapi_id).first()
        if assistant is None:
            self.fail("does_not_exist", pk_value=vapi_id)
        return assistant


class CallPlaceInputSerializer(serializers.Serializer):
    phone_number = PhoneField(help_text="The number to call, E.164, e.g. +14155550123.")
    assistant_id = AssistantIdField(
        source="assistant",
        selector=assistant_list,
        queryset=Assistant.objects.all(),
        help_text="One of your assistants, by our id (`id`, an integer) or by its Vapi id "
        '(`vapi_assistant_id`, a string such as "aad116b3-832a-4670-9fd8-ef9a7e279c58"); it '
        "must be on Vapi already.",
    )
    lead_id = OwnedPrimaryKeyRelatedField(
        source="lead",
        selector=lead_list,
        queryset=Lead.objects.all(),
        required=False,
        allow_null=True,
        help_text="The lead being called (optional): one of the assistant's property's leads. "
        "Its address state adds that state's calling rules.",
    )
    purpose = serializers.ChoiceField(
        choices=[
            (CallDecision.Purpose.MARKETING.value, CallDecision.Purpose.MARKETING.label),
            (CallDecision.Purpose.INFORMATIONAL.value, CallDecision.Purpose.INFORMATIONAL.label),
        ],
        default=CallDecision.Purpose.MARKETING,
        help_text="What the call is for: `marketing` (any leasing call; needs written consent "
        "to AI-voice calls) or `informational` (e.g. confirming a booked tour, no sales "
        "content; prior express consent is enough).",
    )
    metadata = serializers.DictField(
        child=serializers.CharField(max_length=METADATA_VALUE_LENGTH, allow_blank=True),
        required=False,
        help_text=f"Extra string values sent to Vapi with the call (at most {METADATA_MAX_KEYS} "
        "keys); leadId, propertyId and assistantId are always ours.",
    )

    def validate_assistant_id(self, assistant: Assistant) -> Assistant:
        if not assistant.vapi_assistant_id:
            raise serializers.ValidationError(CALL_NOT_PUSHED, code="not_pushed")
        return assistant

    def validate_metadata(self, metadata: dict[str, str]) -> dict[str, str]:
        if len(metadata) > METADATA_MAX_KEYS:
            raise serializers.ValidationError(METADATA_TOO_MANY_KEYS)
        # The values' rules for the keys too: PostgreSQL's JSON refuses NUL and lone surrogates.
        key_field = serializers.CharField(max_length=METADATA_KEY_LENGTH)
        for key in metadata:
            try:
                key_field.run_validation(key)
            except serializers.ValidationError:
                raise serializers.ValidationError(METADATA_KEY_INVALID) from None
        return metadata
