"""Strict request validation, the way Vapi's API does it (vapi-reference.md §1, §10.7).

Vapi is a NestJS app with a whitelisting validator: unknown properties are rejected
("property customer should not exist") and field constraints produce class-validator messages,
returned as `400 {"statusCode": 400, "error": "Bad Request", "message": [...]}`. This module
models the parts of CreateAssistantDTO / CreateCallDTO we send (and their neighbours) closely
enough that a body the simulator accepts is one the real API accepts; parts we never send are
accepted as free-form objects.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from voice.vapi import enums

Errors = list[str]

E164 = re.compile(r"^\+[1-9]\d{1,14}$")
# OAS OpenAIFunction.name: /^[a-zA-Z0-9_-]{1,64}$/ (vapi-reference.md §6.1).
FUNCTION_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


def _prefix(path: str) -> str:
    return f"{path}." if path else ""


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class Field(ABC):
    @abstractmethod
    def check(self, value: Any, path: str, errors: Errors) -> None:
        """Append a Vapi-style message to `errors` for each problem with `value` at `path`."""


@dataclass
class AnyValue(Field):
    def check(self, value: Any, path: str, errors: Errors) -> None:
        return


@dataclass
class Free(Field):
    """Any JSON object (metadata, variableValues, plans we never send)."""

    def check(self, value: Any, path: str, errors: Errors) -> None:
        if not isinstance(value, dict):
            errors.append(f"{path} must be an object")


@dataclass
class Str(Field):
    max_len: int | None = None
    min_len: int | None = None
    enum: Iterable[str] | None = None
    pattern: re.Pattern[str] | None = None
    url: bool = False
    iso_datetime: bool = False

    def check(self, value: Any, path: str, errors: Errors) -> None:
        if not isinstance(value, str):
            errors.append(f"{path} must be a string")
            return
        if self.enum is not None and value not in self.enum:
            allowed = ", ".join(sorted(self.enum))
            errors.append(f"{path} must be one of the following values: {allowed}")
        if self.max_len is not None and len(value) > self.max_len:
            errors.append(f"{path} must be shorter than or equal to {self.max_len} characters")
        if self.min_len is not None and len(value) < self.min_len:
            errors.append(f"{path} must be longer than or equal to {self.min_len} characters")
        if self.pattern is not None and not self.pattern.match(value):
            errors.append(f"{path} must match {self.pattern.pattern} regular expression")
        if self.url and not re.match(r"^https?://[^\s/]+", value):
            errors.append(f"{path} must be a URL address")
        if self.iso_datetime:
            try:
                datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                errors.append(f"{path} must be a valid ISO 8601 date string")


@dataclass
class Num(Field):
    minimum: float | None = None
    maximum: float | None = None

    def check(self, value: Any, path: str, errors: Errors) -> None:
        if not _is_number(value):
            errors.append(f"{path} must be a number conforming to the specified constraints")
            return
        if self.minimum is not None and value < self.minimum:
            errors.append(f"{path} must not be less than {self.minimum:g}")
        if self.maximum is not None and value > self.maximum:
            errors.append(f"{path} must not be greater than {self.maximum:g}")


@dataclass
class Bool(Field):
    def check(self, value: Any, path: str, errors: Errors) -> None:
        if not isinstance(value, bool):
            errors.append(f"{path} must be a boolean value")


@dataclass
class Arr(Field):
    item: Field

    def check(self, value: Any, path: str, errors: Errors) -> None:
        if not isinstance(value, list):
            errors.append(f"{path} must be an array")
            return
        for index, item in enumerate(value):
            self.item.check(item, f"{path}.{index}", errors)


@dataclass
class MapOf(Field):
    value: Field

    def check(self, value: Any, path: str, errors: Errors) -> None:
        if not isinstance(value, dict):
            errors.append(f"{path} must be an object")
            return
        for key, item in value.items():
            self.value.check(item, f"{path}.{key}", errors)


@dataclass
class Obj(Field):
    """A whitelisted object: keys outside `fields` are errors, `required` keys must be present."""

    fields: dict[str, Field]
    required: tuple[str, ...] = ()
    rules: tuple[Callable[[dict[str, Any], str, Errors], None], ...] = ()

    def check(self, value: Any, path: str, errors: Errors) -> None:
        if not isinstance(value, dict):
            errors.append(f"nested property {path or 'body'} must be either object or array")
            return
        for key in value:
            if key not in self.fields:
                errors.append(f"{_prefix(path)}property {key} should not exist")
        for key in self.required:
            if value.get(key) is None:
                errors.append(f"{_prefix(path)}{key} should not be null or undefined")
        for key, item in value.items():
            spec = self.fields.get(key)
            if spec is not None and item is not None:
                spec.check(item, f"{_prefix(path)}{key}", errors)
        for rule in self.rules:
            rule(value, path, errors)

    def extend(self, **more: Field) -> Obj:
        return Obj({**self.fields, **more}, self.required, self.rules)


@dataclass
class OneOf(Field):
    """A union discriminated by one key (`provider` for models/voices, `type` for tools)."""

    key: str
    options: dict[str, Field]
    known: Iterable[str] = field(default_factory=tuple)

    def check(self, value: Any, path: str, errors: Errors) -> None:
        if not isinstance(value, dict):
            errors.append(f"nested property {path} must be either object or array")
            return
        tag = value.get(self.key)
        spec = self.options.get(tag) if isinstance(tag, str) else None
        if spec is None:
            if isinstance(tag, str) and tag in self.known:
                return  # a valid Vapi variant the simulator does not model in detail
            allowed = ", ".join(sorted({*self.options, *self.known}))
            errors.append(
                f"{_prefix(path)}{self.key} must be one of the following values: {allowed}"
            )
            return
        spec.check(value, path, errors)


@dataclass
class Either(Field):
    """A plain string from `literals`, or an object checked by `obj`."""

    literals: tuple[str, ...]
    obj: Field

    def check(self, value: Any, path: str, errors: Errors) -> None:
        if isinstance(value, str):
            if value not in self.literals:
                errors.append(
                    f"{path} must be one of the following values: {', '.join(self.literals)}"
                )
            return
        self.obj.check(value, path, errors)


class _JsonSchema(Field):
    """OAS `JsonSchema`: type, items, properties, description, pattern, format, required, enum,
    title. Nothing else (no minimum/maximum: those are rejected as unknown properties)."""

    def check(self, value: Any, path: str, errors: Errors) -> None:
        JSON_SCHEMA.check(value, path, errors)


def _json_schema_rules(value: dict[str, Any], path: str, errors: Errors) -> None:
    required = value.get("required") or []
    properties = value.get("properties") or {}
    if isinstance(required, list) and isinstance(properties, dict):
        for name in required:
            if name not in properties:
                errors.append(
                    f"{_prefix(path)}required contains {name}, which is not in properties"
                )
    if value.get("type") == "array" and "items" not in value:
        errors.append(f"{_prefix(path)}items is required when type is array")


JSON_SCHEMA = Obj(
    {
        "type": Str(enum=enums.JSON_SCHEMA_TYPES),
        "items": _JsonSchema(),
        "properties": MapOf(_JsonSchema()),
        "description": Str(),
        "pattern": Str(),
        "format": Str(enum=enums.JSON_SCHEMA_FORMATS),
        "required": Arr(Str()),
        "enum": Arr(Str()),
        "title": Str(),
    },
    required=("type",),
    rules=(_json_schema_rules,),
)

# Tools (vapi-reference.md §6) ------------------------------------------------------------------

SERVER = Obj(
    {
        "url": Str(url=True),
        "timeoutSeconds": Num(1, 300),
        "credentialId": Str(),
        "staticIpAddressesEnabled": Bool(),
        "encryptedPaths": Arr(Str()),
        "headers": Free(),
        "backoffPlan": Obj(
            {
                "type": Str(enum=("fixed", "exponential")),
                "maxRetries": Num(0, 10),
                "baseDelaySeconds": Num(0, 10),
                "excludedStatusCodes": Arr(Num()),
            }
        ),
    }
)

_MESSAGE_COMMON = {
    "content": Str(max_len=1000),
    "contents": Arr(Free()),
    "conditions": Arr(Free()),
}
TOOL_MESSAGE = OneOf(
    "type",
    {
        "request-start": Obj({"type": Str(), "blocking": Bool(), **_MESSAGE_COMMON}),
        "request-complete": Obj(
            {
                "type": Str(),
                "role": Str(enum=("assistant", "system")),
                "endCallAfterSpokenEnabled": Bool(),
                **_MESSAGE_COMMON,
            }
        ),
        "request-failed": Obj(
            {
                "type": Str(),
                "role": Str(enum=("assistant", "system")),
                "endCallAfterSpokenEnabled": Bool(),
                **_MESSAGE_COMMON,
            }
        ),
        "request-response-delayed": Obj(
            {"type": Str(), "timingMilliseconds": Num(100, 120000), **_MESSAGE_COMMON}
        ),
    },
)

FUNCTION_PARAMETERS = Obj(
    {
        "type": Str(enum=("object",)),
        "properties": MapOf(_JsonSchema()),
        "required": Arr(Str()),
    },
    required=("type", "properties"),
    rules=(_json_schema_rules,),
)

FUNCTION_TOOL = Obj(
    {
        "type": Str(),
        "async": Bool(),
        "function": Obj(
            {
                "name": Str(max_len=64, pattern=FUNCTION_NAME),
                "strict": Bool(),
                "description": Str(),
                "parameters": FUNCTION_PARAMETERS,
            },
            required=("name",),
        ),
        "messages": Arr(TOOL_MESSAGE),
        "server": SERVER,
        # Static parameters (§6.1), merged into the arguments the server receives.
        "parameters": Arr(Obj({"key": Str(), "value": AnyValue()}, required=("key", "value"))),
        "variableExtractionPlan": Free(),
        "rejectionPlan": Free(),
    },
    required=("type", "function"),
)


def _number_destination_rules(value: dict[str, Any], path: str, errors: Errors) -> None:
    number = value.get("number")
    if (
        isinstance(number, str)
        and value.get("numberE164CheckEnabled", True)
        and not E164.match(number)
    ):
        errors.append(f"{_prefix(path)}number must be a valid phone number in the E.164 format")


TRANSFER_DESTINATION = OneOf(
    "type",
    {
        "number": Obj(
            {
                "type": Str(),
                "number": Str(min_len=3, max_len=40),
                "numberE164CheckEnabled": Bool(),
                "extension": Str(min_len=1, max_len=10),
                "callerId": Str(max_len=40),
                "message": AnyValue(),
                "description": Str(),
                "transferPlan": Obj(
                    {
                        "mode": Str(enum=enums.TRANSFER_MODES),
                        "message": AnyValue(),
                        "timeout": Num(1, 600),
                        "sipVerb": Str(enum=("refer", "bye", "dial")),
                        "dialTimeout": Num(1, 600),
                        "summaryPlan": Free(),
                        "fallbackPlan": Free(),
                    },
                    required=("mode",),
                ),
            },
            required=("type", "number"),
            rules=(_number_destination_rules,),
        ),
    },
    known=("sip", "assistant"),
)

TRANSFER_TOOL = Obj(
    {
        "type": Str(),
        "destinations": Arr(TRANSFER_DESTINATION),
        "messages": Arr(TOOL_MESSAGE),
        "rejectionPlan": Free(),
    },
    required=("type",),
)

END_CALL_TOOL = Obj(
    {"type": Str(), "messages": Arr(TOOL_MESSAGE), "rejectionPlan": Free()}, required=("type",)
)

TOOL = OneOf(
    "type",
    {"function": FUNCTION_TOOL, "transferCall": TRANSFER_TOOL, "endCall": END_CALL_TOOL},
    known=enums.TOOL_TYPES,
)


def _unique_function_names(value: dict[str, Any], path: str, errors: Errors) -> None:
    names = [
        tool.get("function", {}).get("name")
        for tool in value.get("tools") or []
        if isinstance(tool, dict) and tool.get("type") == "function"
    ]
    duplicates = {name for name in names if name and names.count(name) > 1}
    for name in sorted(duplicates):
        errors.append(f"{_prefix(path)}tools has more than one function named {name}")


# Model, voice, transcriber (vapi-reference.md §4.2) -------------------------------------------

OPENAI_MODEL = Obj(
    {
        "provider": Str(),
        "model": Str(enum=enums.OPENAI_MODELS),
        "messages": Arr(
            Obj(
                {
                    "role": Str(enum=("assistant", "function", "user", "system", "tool")),
                    "content": Str(),
                },
                required=("role", "content"),
            )
        ),
        "tools": Arr(TOOL),
        "toolIds": Arr(Str()),
        "toolRefs": Arr(Free()),
        "knowledgeBase": Free(),
        "fallbackModels": Arr(Str(enum=enums.OPENAI_MODELS)),
        "toolStrictCompatibilityMode": Str(),
        "temperature": Num(0, 2),
        "maxTokens": Num(50, 10000),
        "emotionRecognitionEnabled": Bool(),
        "numFastTurns": Num(0),
        "reasoningEffort": Str(),
    },
    required=("provider", "model"),
    rules=(_unique_function_names,),
)

MODEL = OneOf("provider", {"openai": OPENAI_MODEL}, known=enums.MODEL_PROVIDERS)

_VOICE_COMMON = {"provider": Str(), "cachingEnabled": Bool(), "chunkPlan": Free()}
VOICE = OneOf(
    "provider",
    {
        "11labs": Obj(
            {
                **_VOICE_COMMON,
                "voiceId": Str(min_len=1),
                "model": Str(enum=enums.ELEVENLABS_MODELS),
                "stability": Num(0, 1),
                "similarityBoost": Num(0, 1),
                "style": Num(0, 1),
                "useSpeakerBoost": Bool(),
                "speed": Num(0.7, 1.2),
                "optimizeStreamingLatency": Num(0, 4),
                "enableSsmlParsing": Bool(),
                "autoMode": Bool(),
                "language": Str(),
                "pronunciationDictionaryLocators": Arr(Free()),
                "fallbackPlan": Free(),
            },
            required=("provider", "voiceId"),
        ),
        "vapi": Obj(
            {
                **_VOICE_COMMON,
                "voiceId": Str(min_len=1),
                "version": Str(enum=("1", "2", "latest")),
                "speed": Num(0.25, 2),
                "language": Str(),
                "pronunciationDictionary": Arr(Free()),
                "fallbackPlan": Free(),
            },
            required=("provider", "voiceId"),
        ),
        "openai": Obj(
            {
                **_VOICE_COMMON,
                "voiceId": Str(min_len=1),
                "model": Str(enum=enums.OPENAI_VOICE_MODELS),
                "instructions": Str(max_len=10000),
                "speed": Num(0.25, 4),
                "fallbackPlan": Free(),
            },
            required=("provider", "voiceId"),
        ),
    },
    known=enums.VOICE_PROVIDERS,
)

TRANSCRIBER = OneOf(
    "provider",
    {
        "deepgram": Obj(
            {
                "provider": Str(),
                "model": Str(),
                "language": Str(enum=enums.DEEPGRAM_LANGUAGES),
                "smartFormat": Bool(),
                "mipOptOut": Bool(),
                "numerals": Bool(),
                "profanityFilter": Bool(),
                "redaction": Arr(Str(enum=("pci", "pii", "phi", "numbers"))),
                "confidenceThreshold": Num(0, 1),
                "eotThreshold": Num(0.5, 0.9),
                "eotTimeoutMs": Num(500, 10000),
                "languages": Arr(Str()),
                "keywords": Arr(Str()),
                "keyterm": Arr(Str()),
                "endpointing": Num(10, 500),
                "fallbackPlan": Free(),
            },
            required=("provider",),
        ),
    },
    known=enums.TRANSCRIBER_PROVIDERS,
)

# Plans (vapi-reference.md §4.5, §4.6) -----------------------------------------------------------

_ANALYSIS_COMMON = {"messages": Arr(Free()), "enabled": Bool(), "timeoutSeconds": Num(1, 60)}
ANALYSIS_PLAN = Obj(
    {
        "minMessagesThreshold": Num(0),
        "summaryPlan": Obj(dict(_ANALYSIS_COMMON)),
        "structuredDataPlan": Obj({**_ANALYSIS_COMMON, "schema": JSON_SCHEMA}),
        "structuredDataMultiPlan": Arr(Free()),
        "successEvaluationPlan": Obj(
            {**_ANALYSIS_COMMON, "rubric": Str(enum=enums.SUCCESS_RUBRICS)}
        ),
        "outcomeIds": Arr(Str()),
    }
)

VOICEMAIL_DETECTION = Either(
    ("off",),
    OneOf(
        "provider",
        {
            "vapi": Obj(
                {
                    "provider": Str(),
                    "beepMaxAwaitSeconds": Num(0, 30),
                    "type": Str(enum=("audio", "transcript")),
                    "backoffPlan": Obj(
                        {
                            "startAtSeconds": Num(0),
                            "frequencySeconds": Num(2.5),
                            "maxRetries": Num(1, 10),
                        }
                    ),
                },
                required=("provider",),
            ),
        },
        known=("google", "openai", "twilio"),
    ),
)

ARTIFACT_PLAN = Obj(
    {
        "recordingEnabled": Bool(),
        "recordingFormat": Str(enum=("wav;l16", "mp3")),
        "recordingUseCustomStorageEnabled": Bool(),
        "videoRecordingEnabled": Bool(),
        "fullMessageHistoryEnabled": Bool(),
        "pcapEnabled": Bool(),
        "pcapS3PathPrefix": Str(),
        "pcapUseCustomStorageEnabled": Bool(),
        "loggingEnabled": Bool(),
        "loggingUseCustomStorageEnabled": Bool(),
        "transcriptPlan": Free(),
        "recordingPath": Str(),
        "structuredOutputIds": Arr(Str()),
        "structuredOutputs": Arr(Free()),
        "scorecardIds": Arr(Str()),
        "scorecards": Arr(Free()),
        "loggingPath": Str(),
    }
)

# Structured outputs (vapi-reference.md §12.4; OAS CreateStructuredOutputDTO,
# UpdateStructuredOutputDTO: the same fields, none required) ----------------------------------

_STRUCTURED_OUTPUT_FIELDS: dict[str, Field] = {
    "type": Str(enum=("ai", "regex")),
    "regex": Str(min_len=1, max_len=1000),
    "model": Free(),  # Workflow*Model union; we never send one
    "compliancePlan": Obj({"forceStoreOnHipaaEnabled": Bool()}),
    "conditions": Arr(Free()),
    "name": Str(min_len=1, max_len=40),
    "schema": JSON_SCHEMA,
    "description": Str(),
    "assistantIds": Arr(Str()),
    "workflowIds": Arr(Str()),
}
CREATE_STRUCTURED_OUTPUT = Obj(_STRUCTURED_OUTPUT_FIELDS, required=("name", "schema"))
UPDATE_STRUCTURED_OUTPUT = Obj(_STRUCTURED_OUTPUT_FIELDS)

# OAS CompliancePlan; recordingConsentPlan is RecordingConsentPlanStayOnLine | ...Verbal by `type`
# (vapi-reference.md §12.12). `message` and `type` are required in both.
_CONSENT_PLAN_FIELDS: dict[str, Field] = {
    "message": Str(max_len=1000),
    "voice": Free(),
    "firstMessageMode": Str(enum=("assistant-speaks-first", "assistant-waits-for-user")),
}
COMPLIANCE_PLAN = Obj(
    {
        "hipaaEnabled": Bool(),
        "pciEnabled": Bool(),
        "securityFilterPlan": Free(),
        "recordingConsentPlan": OneOf(
            "type",
            {
                "stay-on-line": Obj(
                    {**_CONSENT_PLAN_FIELDS, "type": Str(), "waitSeconds": Num(1, 6)},
                    required=("message", "type"),
                ),
                "verbal": Obj(
                    {
                        **_CONSENT_PLAN_FIELDS,
                        "type": Str(),
                        "declineTool": Free(),
                        "declineToolId": Str(),
                    },
                    required=("message", "type"),
                ),
            },
        ),
    }
)

# Assistant (vapi-reference.md §4.1) -----------------------------------------------------------

ASSISTANT = Obj(
    {
        "transcriber": TRANSCRIBER,
        "model": MODEL,
        "voice": VOICE,
        "firstMessage": Str(),
        "firstMessageInterruptionsEnabled": Bool(),
        "firstMessageMode": Str(enum=enums.FIRST_MESSAGE_MODES),
        "voicemailDetection": VOICEMAIL_DETECTION,
        "clientMessages": Arr(Str(enum=enums.CLIENT_MESSAGES)),
        "serverMessages": Arr(Str(enum=enums.SERVER_MESSAGES)),
        "maxDurationSeconds": Num(10, 43200),
        "backgroundSound": Str(),
        "modelOutputInMessagesEnabled": Bool(),
        "transportConfigurations": Arr(Free()),
        "observabilityPlan": Free(),
        "credentials": Arr(Free()),
        "hooks": Arr(Free()),
        "name": Str(max_len=40),
        "voicemailMessage": Str(max_len=1000),
        "endCallMessage": Str(max_len=1000),
        "endCallPhrases": Arr(Str()),
        "compliancePlan": COMPLIANCE_PLAN,
        "metadata": Free(),
        "backgroundSpeechDenoisingPlan": Free(),
        "analysisPlan": ANALYSIS_PLAN,
        "artifactPlan": ARTIFACT_PLAN,
        "startSpeakingPlan": Free(),
        "stopSpeakingPlan": Free(),
        "monitorPlan": Free(),
        "credentialIds": Arr(Str()),
        "server": SERVER,
        "keypadInputPlan": Free(),
    }
)

# §5.1: overrides = the assistant's fields + variableValues + tools:append.
ASSISTANT_OVERRIDES = ASSISTANT.extend(**{"tools:append": Arr(TOOL), "variableValues": Free()})


def _customer_rules(value: dict[str, Any], path: str, errors: Errors) -> None:
    number = value.get("number")
    if (
        isinstance(number, str)
        and value.get("numberE164CheckEnabled", True)
        and not E164.match(number)
    ):
        errors.append(f"{_prefix(path)}number must be a valid phone number in the E.164 format")


# §3.1 CreateCustomerDTO.
CUSTOMER = Obj(
    {
        "numberE164CheckEnabled": Bool(),
        "extension": Str(max_len=10),
        "assistantOverrides": ASSISTANT_OVERRIDES,
        "squadOverrides": Free(),
        "number": Str(min_len=3, max_len=40),
        "sipUri": Str(),
        "name": Str(max_len=40),
        "email": Str(max_len=40),
        "externalId": Str(max_len=40),
    },
    rules=(_customer_rules,),
)

_CALL_TARGETS = ("assistantId", "assistant", "squadId", "squad", "workflowId", "workflow")


def _call_rules(value: dict[str, Any], path: str, errors: Errors) -> None:
    targets = [key for key in _CALL_TARGETS if value.get(key) is not None]
    if len(targets) != 1:
        errors.append(
            "Exactly one of assistantId, assistant, squadId, squad, workflowId or workflow "
            "must be provided."
        )
    has_customer = any(value.get(k) for k in ("customer", "customerId", "customers"))
    if not has_customer:
        errors.append("customer or customerId or customers must be provided for a phone call.")
    if not (value.get("phoneNumberId") or value.get("phoneNumber")):
        errors.append("phoneNumberId or phoneNumber must be provided for a phone call.")


# §3.1 CreateCallDTO. Note: no top-level `metadata`.
CREATE_CALL = Obj(
    {
        "assistantVersion": Str(),
        "transport": Free(),
        "customers": Arr(CUSTOMER),
        "name": Str(max_len=40),
        "schedulePlan": Obj(
            {"earliestAt": Str(iso_datetime=True), "latestAt": Str(iso_datetime=True)},
            required=("earliestAt",),
        ),
        "assistantId": Str(),
        "assistant": ASSISTANT,
        "assistantOverrides": ASSISTANT_OVERRIDES,
        "squadId": Str(),
        "squad": Free(),
        "squadOverrides": Free(),
        "workflowId": Str(),
        "workflow": Free(),
        "workflowOverrides": Free(),
        "phoneNumberId": Str(),
        "phoneNumber": Free(),
        "customerId": Str(),
        "customer": CUSTOMER,
    },
    rules=(_call_rules,),
)


def validate(spec: Field, body: Any) -> Errors:
    """Every problem with `body`, as Vapi-style messages (empty list = valid)."""
    errors: Errors = []
    spec.check(body, "", errors)
    return errors


def validate_assistant(body: Any) -> Errors:
    return validate(ASSISTANT, body)


def validate_call(body: Any) -> Errors:
    return validate(CREATE_CALL, body)


def validate_structured_output(body: Any, *, create: bool) -> Errors:
    return validate(CREATE_STRUCTURED_OUTPUT if create else UPDATE_STRUCTURED_OUTPUT, body)


def validate_assistant_request_response(body: Any) -> Errors:
    """What our server may answer to `assistant-request` (vapi-reference.md §8.5)."""
    spec = Obj(
        {
            "assistantId": Str(),
            "assistant": ASSISTANT,
            "assistantOverrides": ASSISTANT_OVERRIDES,
            "squadId": Str(),
            "squad": Free(),
            "workflowId": Str(),
            "workflow": Free(),
            "destination": Free(),
            "error": Str(),
        }
    )
    return validate(spec, body)


# Webhook credentials (vapi-reference.md §9.2; OAS CreateWebhookCredentialDTO,
# UpdateWebhookCredentialDTO, HMACAuthenticationPlan, BearerAuthenticationPlan,
# OAuth2AuthenticationPlan). The /credential path itself is not in the public OAS.
HMAC_PLAN = Obj(
    {
        "type": Str(enum=("hmac",)),
        "secretKey": Str(),
        "algorithm": Str(enum=("sha256", "sha512", "sha1")),
        "signatureHeader": Str(),
        "timestampHeader": Str(),
        "signaturePrefix": Str(),
        "includeTimestamp": Bool(),
        "payloadFormat": Str(),
        "messageIdHeader": Str(),
        "signatureEncoding": Str(enum=("hex", "base64")),
        "secretIsBase64": Bool(),
    },
    required=("type", "secretKey", "algorithm"),
)
AUTHENTICATION_PLAN = OneOf(
    "type",
    {
        "hmac": HMAC_PLAN,
        "bearer": Obj(
            {
                "type": Str(enum=("bearer",)),
                "token": Str(),
                "headerName": Str(),
                "bearerPrefixEnabled": Bool(),
            },
            required=("type", "token"),
        ),
    },
    known=("oauth2",),
)
CREATE_WEBHOOK_CREDENTIAL = Obj(
    {
        "provider": Str(enum=("webhook",)),
        "authenticationPlan": AUTHENTICATION_PLAN,
        "name": Str(min_len=1, max_len=40),
    },
    required=("provider", "authenticationPlan"),
)
UPDATE_WEBHOOK_CREDENTIAL = Obj(
    {
        "provider": Str(enum=("webhook",)),
        "authenticationPlan": AUTHENTICATION_PLAN,
        "name": Str(min_len=1, max_len=40),
    }
)
# OAS Update*PhoneNumberDTO: the fields this project may change.
UPDATE_PHONE_NUMBER = Obj({"name": Str(max_len=40), "assistantId": Str(), "server": SERVER})


def validate_credential(body: Any, *, create: bool) -> Errors:
    return validate(CREATE_WEBHOOK_CREDENTIAL if create else UPDATE_WEBHOOK_CREDENTIAL, body)


def validate_phone_number_update(body: Any) -> Errors:
    return validate(UPDATE_PHONE_NUMBER, body)
