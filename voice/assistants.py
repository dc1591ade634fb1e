"""Vapi assistants per property: build the config from property data, push it, keep the row in sync.

The rule for every service here: talk to Vapi first, outside any transaction, then write the
local row in one short `atomic` block. A VoiceError from Vapi therefore never leaves a
half-written row; a failed *push* of an existing row is recorded on it (push_state,
last_push_error) and re-raised.
"""

from __future__ import annotations

import copy
import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from properties.models import Property, Unit
from voice.calls import call_place_outbound
from voice.models import Assistant, CallLog
from voice.vapi import client as vapi_client
from voice.vapi.client import MAX_NAME_LENGTH, VapiClient, VapiObject, truncate
from voice.vapi.errors import VapiNotFoundError, VapiResponseError, VoiceError

logger = logging.getLogger(__name__)

# HELPERS.md contract: PUBLIC_BASE_URL + this path, no trailing slash.
WEBHOOK_PATH = "/api/v1/voice/webhook"

DEFAULT_MODEL = "gpt-4o"
DEFAULT_LANGUAGE = "en"
# Voice when the assistant names none: ElevenLabs when the org has it (ELEVENLABS_API_KEY set,
# the key itself lives in Vapi's provider keys, never in our config), else Vapi's own voices.
DEFAULT_VOICE_IDS = {
    "11labs": "sarah",  # vapi-reference.md §4.2: ElevenLabs preset name
    "vapi": "Elliot",
    "openai": "alloy",
    "azure": "andrew",
}
ELEVENLABS_MODEL = "eleven_turbo_v2_5"  # multilingual, low latency

# vapi-reference.md §4.4: always explicit (changelog 2025-05-01). Final transcripts feed the
# live transcript view; partial transcripts and conversation-update are too chatty.
SERVER_MESSAGES = [
    "status-update",
    "end-of-call-report",
    "tool-calls",
    "transfer-destination-request",
    "hang",
    'transcript[transcriptType="final"]',
]

# vapi-reference.md §4.1: 10-43200; a leasing call rarely needs more than 15 minutes.
MAX_DURATION_SECONDS = 900
# vapi-reference.md §4.3, §10.2: per-delivery timeout for our webhook (tool calls included).
SERVER_TIMEOUT_SECONDS = 20

TOUR_TYPES = ["in_person", "self_guided", "virtual"]

# HELPERS.md "Assistant analysisPlan.structuredDataPlan.schema properties". Only keys of Vapi's
# JsonSchema (type, items, properties, description, pattern, format, required, enum, title).
STRUCTURED_DATA_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "first_name": {"type": "string", "description": "The caller's first name."},
        "last_name": {"type": "string", "description": "The caller's last name."},
        "move_in_date": {
            "type": "string",
            "format": "date",
            "description": "Desired move-in date, YYYY-MM-DD.",
        },
        "bedrooms": {"type": "integer", "description": "Bedrooms wanted; 0 means a studio."},
        "budget": {"type": "number", "description": "Highest monthly rent in US dollars."},
        "has_pets": {"type": "boolean", "description": "Whether the caller has pets."},
        "pets": {"type": "string", "description": "Kind, number and size of the pets."},
        "tour_interest": {
            "type": "boolean",
            "description": "Whether the caller wants to tour or booked a tour.",
        },
        "email": {"type": "string", "format": "email", "description": "The caller's email."},
    },
}


def _function_tools(property_id: str) -> list[VapiObject]:
    """The four leasing function tools (HELPERS.md contracts; vapi-reference.md §6.1)."""

    def tool(
        name: str,
        description: str,
        properties: dict[str, Any],
        required: list[str],
        *,
        start: str,
        failed: str,
    ) -> VapiObject:
        parameters: VapiObject = {"type": "object", "properties": properties}
        if required:
            parameters["required"] = required
        return {
            "type": "function",
            "async": False,  # the assistant waits for our answer (§6.1)
            "function": {"name": name, "description": description, "parameters": parameters},
            "messages": [
                {"type": "request-start", "content": start},
                # §10.3: say something when our answer takes a while.
                {
                    "type": "request-response-delayed",
                    "content": "Thanks for waiting, I'm still on it.",
                    "timingMilliseconds": 3000,
                },
                {"type": "request-failed", "content": failed},
            ],
            # §6.1 static parameters: merged into the arguments we receive; the model never
            # sees them, so it cannot point a tool call at another property.
            "parameters": [{"key": "property_id", "value": property_id}],
        }

    date_field = {
        "type": "string",
        "format": "date",
        "description": "Desired move-in date, YYYY-MM-DD.",
    }
    bedrooms = {"type": "integer", "description": "Number of bedrooms; 0 means a studio."}
    first_name = {"type": "string", "description": "The caller's first name."}
    last_name = {"type": "string", "description": "The caller's last name."}
    return [
        tool(
            "check_availability",
            "Find apartments that are available, with rents and availability dates. Use it for "
            "any question about availability, prices or floor plans.",
            {
                "bedrooms": bedrooms,
                "max_rent": {
                    "type": "number",
                    "description": "Highest monthly rent in US dollars.",
                },
                "move_in_date": date_field,
            },
            [],
            start="Let me check what's available.",
            failed="Sorry, I can't pull up availability right now.",
        ),
        tool(
            "schedule_tour",
            "Book a tour of the community for the caller. Confirm the day and time first.",
            {
                "first_name": first_name,
                "last_name": last_name,
                "phone": {
                    "type": "string",
                    "description": "Callback number in E.164, e.g. +14155550100. Leave it "
                    "out to use the number the caller is calling from.",
                },
                "start_time": {
                    "type": "string",
                    "description": "Tour start as a local date and time in the property's "
                    "time zone, ISO 8601, e.g. 2026-12-01T14:00.",
                },
                "tour_type": {
                    "type": "string",
                    "enum": TOUR_TYPES,
                    "description": "in_person unless the caller asks for self_guided or virtual.",
                },
                "unit": {
                    "type": "string",
                    "description": "Unit number, if the caller wants to see a specific unit.",
                },
            },
            ["first_name", "start_time"],
            start="Let me get that tour booked.",
            failed="Sorry, I couldn't book the tour just now. The leasing team will follow up.",
        ),
        tool(
            "qualify_lead",
            "Save what the caller said about their apartment search. Call it as soon as you "
            "learn any of these details. Never ask about income or credit.",
            {
                "move_in_date": date_field,
                "bedrooms": bedrooms,
                "budget": {
                    "type": "number",
                    "description": "Highest monthly rent in US dollars.",
                },
                "has_pets": {"type": "boolean", "description": "Whether the caller has pets."},
                "pets": {"type": "string", "description": "Kind, number and size of the pets."},
                "first_name": first_name,
                "last_name": last_name,
                "email": {"type": "string", "format": "email", "description": "Email address."},
            },
            [],
            start="Got it, let me note that.",
            failed="Sorry, I couldn't save that, but I'll pass it on to the team.",
        ),
        tool(
            "transfer_to_human",
            "Ask for a person from the leasing team to take over the call. Use it when the "
            "caller asks for a person, is upset, or needs something you cannot handle.",
            {
                "reason": {
                    "type": "string",
                    "description": "Why the caller needs a person, in a few words.",
                }
            },
            ["reason"],
            start="Let me see who is available.",
            failed="Sorry, I can't reach the team right now. They will call you back.",
        ),
    ]


def _transfer_tool(prop: Property) -> VapiObject:
    """vapi-reference.md §6.2. Without a staff number Vapi asks our server at transfer time
    (transfer-destination-request, §8.5)."""
    tool: VapiObject = {"type": "transferCall", "destinations": []}
    if prop.transfer_phone:
        tool["destinations"] = [
            {
                "type": "number",
                "number": prop.transfer_phone,
                "description": f"The {truncate(prop.name, 80)} leasing team.",
                "message": "I'm connecting you with our leasing team now. One moment please.",
                "transferPlan": {"mode": "blind-transfer"},
            }
        ]
    return tool


def _webhook_server() -> VapiObject:
    server: VapiObject = {
        "url": settings.PUBLIC_BASE_URL.rstrip("/") + WEBHOOK_PATH,
        "timeoutSeconds": SERVER_TIMEOUT_SECONDS,
    }
    # vapi-reference.md §9: the webhook credential (HMAC, or a bearer credential sending
    # X-Vapi-Secret) is created once in Vapi and referenced by id; the secret itself is never
    # part of the assistant config (which we store in last_pushed_config).
    credential_id = getattr(settings, "VAPI_WEBHOOK_CREDENTIAL_ID", "")
    if credential_id:
        server["credentialId"] = credential_id
    return server


def _voice(assistant: Assistant) -> VapiObject:
    if assistant.voice_provider:
        provider = assistant.voice_provider
    else:
        provider = "11labs" if getattr(settings, "ELEVENLABS_API_KEY", "") else "vapi"
    voice_id = assistant.voice_id or DEFAULT_VOICE_IDS.get(provider)
    if not voice_id:
        raise VoiceError(
            f"Choose a voice id for the voice provider {provider!r}.",
            details={"field": "voice_id", "voice_provider": provider},
        )
    voice: VapiObject = {"provider": provider, "voiceId": voice_id}
    if provider == "11labs":
        voice["model"] = ELEVENLABS_MODEL
    return voice


def _transcriber(assistant: Assistant) -> VapiObject:
    language = (assistant.language or DEFAULT_LANGUAGE).strip()
    # Deepgram spells regional variants "en-US"; staff may type "en-us".
    if "-" in language:
        base, region = language.split("-", 1)
        language = f"{base.lower()}-{region.upper() if len(region) == 2 else region}"
    else:
        language = language.lower()
    # nova-3 is Deepgram's best English phone model; nova-2 covers the most other languages.
    model = "nova-3" if language.startswith("en") else "nova-2"
    return {"provider": "deepgram", "model": model, "language": language}


def _money(amount: Decimal) -> str:
    return f"${amount:,.0f}" if amount == amount.to_integral() else f"${amount:,.2f}"


def _clock(value: time) -> str:
    return f"{value.hour % 12 or 12}:{value.minute:02d} {'AM' if value.hour < 12 else 'PM'}"


def office_hours_lines(prop: Property) -> list[str]:
    """ "Monday-Friday: 9:00 AM-6:00 PM" style lines, consecutive equal days merged."""
    per_day: dict[int, list[str]] = defaultdict(list)
    for hours in prop.office_hours.all().order_by("weekday", "opens_at"):
        per_day[hours.weekday].append(f"{_clock(hours.opens_at)}-{_clock(hours.closes_at)}")
    if not per_day:
        return []
    names = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
    days = [(day, ", ".join(per_day[day]) if day in per_day else "closed") for day in range(7)]
    lines: list[str] = []
    start = 0
    for index in range(1, 8):
        if index == 7 or days[index][1] != days[start][1]:
            label = names[start] if index - 1 == start else f"{names[start]}-{names[index - 1]}"
            lines.append(f"{label}: {days[start][1]}")
            start = index
    return lines


def availability_lines(prop: Property, *, today: date) -> list[str]:
    """One line per bedroom count: how many units, rent range, earliest date, floor plans."""
    units = (
        prop.units.exclude(status=Unit.Status.OCCUPIED)
        .order_by("bedrooms", "monthly_rent")
        .only("bedrooms", "bathrooms", "monthly_rent", "available_from", "floor_plan", "status")
    )
    groups: dict[int, list[Unit]] = defaultdict(list)
    for unit in units:
        groups[unit.bedrooms].append(unit)
    lines = []
    for bedrooms, group in sorted(groups.items()):
        label = "Studio" if bedrooms == 0 else f"{bedrooms} bedroom"
        rents = [u.monthly_rent for u in group]
        rent = _money(min(rents))
        if max(rents) != min(rents):
            rent = f"{rent} to {_money(max(rents))}"
        dates = [u.available_from or today for u in group]
        earliest = min(dates)
        when = "available now" if earliest <= today else f"available from {earliest.isoformat()}"
        plans = sorted({u.floor_plan for u in group if u.floor_plan})
        plan_text = f" ({', '.join(plans)})" if plans else ""
        count = f"{len(group)} unit{'s' if len(group) != 1 else ''}"
        lines.append(f"{label}: {count}{plan_text}, {rent} a month, {when}")
    return lines


def assistant_system_prompt(*, assistant: Assistant, today: date | None = None) -> str:
    """The system prompt: the assistant's own instructions (or the default ones) wrapped in the
    rules and the property's current facts. Staff can change how the assistant works, but the
    AI-disclosure and fair-housing rules and the facts are always there."""
    prop = assistant.property
    today = today or timezone.localdate(timezone=prop.tz)
    instructions = assistant.system_prompt.strip() or render_to_string(
        "voice/default_instructions.txt"
    )
    context = {
        "property": prop,
        "instructions": instructions.strip(),
        "office_hours": office_hours_lines(prop),
        "availability": availability_lines(prop, today=today),
        "amenities": prop.amenity_list,
        "application_fee": _money(prop.application_fee),
        "today": today.isoformat(),
        # vapi-reference.md §5.2: Vapi renders Liquid in the prompt at call time, so the model
        # knows "today" when it books a tour (a date baked in at push time would go stale).
        "liquid_now": '{{"now" | date: "%A, %B %-d, %Y %-I:%M %p", "' + prop.timezone + '"}}',
    }
    return render_to_string("voice/assistant_system_prompt.txt", context).strip() + "\n"


def default_first_message(prop: Property) -> str:
    # FCC 24-17 / leasing-domain.md §6: AI disclosure and recording notice up front.
    return (
        f"Thanks for calling {prop.name}! I'm the virtual leasing assistant, an AI, and this "
        "call may be recorded. How can I help you today?"
    )


def default_assistant_name(prop: Property) -> str:
    suffix = " leasing assistant"
    return truncate(prop.name, MAX_NAME_LENGTH - len(suffix)) + suffix


def _model(assistant: Assistant) -> VapiObject:
    prop = assistant.property
    return {
        "provider": "openai",
        "model": assistant.model or DEFAULT_MODEL,
        "temperature": 0.3,
        "messages": [{"role": "system", "content": assistant_system_prompt(assistant=assistant)}],
        "tools": [
            *_function_tools(str(prop.pk)),
            _transfer_tool(prop),
            {"type": "endCall"},
        ],
    }


def assistant_build_config(*, assistant: Assistant) -> VapiObject:
    """The full CreateAssistantDTO for `assistant` (vapi-reference.md §4). Pure: no network."""
    prop = assistant.property
    leasing = f" at {prop.leasing_phone}" if prop.leasing_phone else ""
    return {
        "name": truncate(assistant.name or default_assistant_name(prop)),
        "firstMessage": assistant.first_message.strip() or default_first_message(prop),
        "firstMessageMode": "assistant-speaks-first",
        "model": _model(assistant),
        "voice": _voice(assistant),
        "transcriber": _transcriber(assistant),
        "server": _webhook_server(),
        "serverMessages": list(SERVER_MESSAGES),
        "maxDurationSeconds": MAX_DURATION_SECONDS,
        "endCallMessage": f"Thanks for calling {prop.name}. Have a great day!",
        "analysisPlan": {
            "summaryPlan": {"enabled": True},
            "structuredDataPlan": {"enabled": True, "schema": STRUCTURED_DATA_SCHEMA},
            "successEvaluationPlan": {"enabled": True, "rubric": "PassFail"},
        },
        "artifactPlan": {"recordingEnabled": True},
        # vapi-reference.md §4.6, §10.6: only outbound calls meet voicemail; Vapi's detector
        # is the recommended one, and without a voicemailMessage it would just hang up.
        "voicemailDetection": {
            "provider": "vapi",
            "backoffPlan": {"startAtSeconds": 2, "frequencySeconds": 2.5, "maxRetries": 5},
            "beepMaxAwaitSeconds": 12,
        },
        "voicemailMessage": (
            f"Hi, this is the virtual leasing assistant, an AI, calling from {prop.name} about "
            f"your apartment search. Please call us back{leasing} when it suits you. Thank you!"
        ),
        # HELPERS.md contract: the webhook reads these back from call.assistant.metadata.
        "metadata": {"propertyId": str(prop.pk), "timezone": prop.timezone},
    }


# Services ------------------------------------------------------------------------------------


def _remote_id(remote: Any) -> str:
    remote_id = remote.get("id") if isinstance(remote, dict) else None
    if not remote_id:
        raise VapiResponseError(
            "Vapi did not return an assistant id.", details={"path": "/assistant"}
        )
    return str(remote_id)


def _delete_remote_quietly(client: VapiClient, remote_id: str) -> None:
    """Undo a Vapi create whose local row could not be written (best effort, logged)."""
    try:
        client.delete_assistant(remote_id)
    except VoiceError:
        logger.exception(
            "vapi assistant %s created but not saved locally; delete it by hand", remote_id
        )


def _mark_pushed(assistant: Assistant, *, config: VapiObject, remote_id: str) -> None:
    assistant.vapi_assistant_id = remote_id
    assistant.last_pushed_config = config
    assistant.last_pushed_at = timezone.now()
    assistant.push_state = Assistant.PushState.OK
    assistant.last_push_error = ""


PUSH_FIELDS = [
    "vapi_assistant_id",
    "last_pushed_config",
    "last_pushed_at",
    "push_state",
    "last_push_error",
    "updated_at",
]


def _record_push_failure(assistant: Assistant, exc: VoiceError) -> None:
    error = str(exc)
    if exc.details.get("status"):
        error = f"{error} [HTTP {exc.details['status']}]"
    assistant.push_state = Assistant.PushState.FAILED
    assistant.last_push_error = error
    if assistant.pk:
        Assistant.objects.filter(pk=assistant.pk).update(
            push_state=assistant.push_state, last_push_error=error, updated_at=timezone.now()
        )


def create_property_assistant(
    *,
    property: Property,
    name: str | None = None,
    first_message: str | None = None,
    system_prompt: str | None = None,
    voice_provider: str | None = None,
    voice_id: str | None = None,
    model: str | None = None,
    language: str | None = None,
) -> Assistant:
    """Create the property's assistant at Vapi, then save it locally.

    Raises ValidationError for bad local values (before any request) and VoiceError when Vapi
    fails; in both cases no Assistant row exists afterwards.
    """
    assistant = Assistant(
        property=property,
        name=truncate(name) if name else default_assistant_name(property),
        first_message=first_message or "",
        system_prompt=system_prompt or "",
        voice_provider=voice_provider or "",
        voice_id=voice_id or "",
        model=model or DEFAULT_MODEL,
        language=language or DEFAULT_LANGUAGE,
    )
    assistant.full_clean()
    config = assistant_build_config(assistant=assistant)
    client = vapi_client.get_vapi_client()
    remote_id = _remote_id(client.create_assistant(config))
    _mark_pushed(assistant, config=config, remote_id=remote_id)
    try:
        with transaction.atomic():
            assistant.save()
    except Exception:
        _delete_remote_quietly(client, remote_id)
        raise
    logger.info("assistant %s created at vapi as %s", assistant.pk, remote_id)
    return assistant


@dataclass(frozen=True)
class PropertyAssistantSaved:
    """What assistant_create_or_update did: created a new assistant, or updated the existing one
    (`changed`: the settings it was given that differ from what the assistant had)."""

    assistant: Assistant
    created: bool
    changed: tuple[str, ...] = ()


def _assistant_choice(assistant: Assistant) -> str:
    return f"{assistant.pk} “{assistant.name}”"


def assistant_create_or_update(
    *,
    property: Property,
    name: str | None = None,
    first_message: str | None = None,
    system_prompt: str | None = None,
    voice_provider: str | None = None,
    voice_id: str | None = None,
    model: str | None = None,
    language: str | None = None,
) -> PropertyAssistantSaved:
    """The property's assistant, created or brought up to date: safe to repeat.

    A property without an assistant gets one (create_property_assistant). A property that has
    one keeps it: the settings given (None = keep) are changed at Vapi and here, and it is pushed
    with the current property data, so a retry or a second run never makes a second assistant.
    A property with several assistants (made before this rule) is a ValidationError naming them:
    which one to keep is the operator's call. Raises like assistant_update / assistant_push.
    """
    settings_given = {
        "name": name,
        "first_message": first_message,
        "system_prompt": system_prompt,
        "voice_provider": voice_provider,
        "voice_id": voice_id,
        "model": model,
        "language": language,
    }
    existing = list(Assistant.objects.filter(property=property).order_by("pk")[:3])
    if not existing:
        created = create_property_assistant(property=property, **settings_given)
        return PropertyAssistantSaved(assistant=created, created=True)
    if len(existing) > 1:
        more = " and more" if len(existing) > 2 else ""
        names = ", ".join(_assistant_choice(a) for a in existing[:2]) + more
        raise ValidationError(
            f"{property} already has several assistants ({names}); keep one: delete the others "
            "in the admin, or change one with PATCH /api/v1/voice/assistants/<id>."
        )
    assistant = existing[0]
    assistant.property = property  # the config builder reads it; saves a query
    if name:
        settings_given["name"] = truncate(name)
    changes = {
        field_name: value
        for field_name, value in settings_given.items()
        if value is not None and value != getattr(assistant, field_name)
    }
    if changes:
        # PATCHes the whole config (current property data included) when it is on Vapi.
        assistant = assistant_update(assistant=assistant, **changes)
    if not changes or not assistant.vapi_assistant_id:
        assistant = assistant_push(assistant=assistant)  # POST if never pushed, else PATCH
    return PropertyAssistantSaved(assistant=assistant, created=False, changed=tuple(changes))


def assistant_push(*, assistant: Assistant) -> Assistant:
    """Make Vapi match the local row: POST if it has no Vapi id yet, else PATCH the full config.

    An id Vapi no longer knows (deleted in the dashboard) is created again. Success and failure
    are both recorded on the row (push_state, last_pushed_*/last_push_error); failures re-raise.
    """
    created_id: str | None = None
    try:
        config = assistant_build_config(assistant=assistant)
        client = vapi_client.get_vapi_client()
        if assistant.vapi_assistant_id:
            try:
                remote = client.update_assistant(assistant.vapi_assistant_id, config)
            except VapiNotFoundError:
                logger.warning(
                    "vapi assistant %s is gone at Vapi; creating it again",
                    assistant.vapi_assistant_id,
                )
                remote = client.create_assistant(config)
                created_id = _remote_id(remote)
        else:
            remote = client.create_assistant(config)
            created_id = _remote_id(remote)
        remote_id = _remote_id(remote)
    except VoiceError as exc:
        _record_push_failure(assistant, exc)
        raise
    _mark_pushed(assistant, config=config, remote_id=remote_id)
    try:
        with transaction.atomic():
            assistant.save(update_fields=PUSH_FIELDS)
    except Exception:
        if created_id:
            _delete_remote_quietly(client, created_id)
        raise
    return assistant


def _patch_and_record(assistant: Assistant, build: Any) -> Assistant:
    """PATCH the top-level keys `build()` returns; record the result like assistant_push."""
    if not assistant.vapi_assistant_id:
        return assistant_push(assistant=assistant)
    try:
        changes = build()
        vapi_client.get_vapi_client().update_assistant(assistant.vapi_assistant_id, changes)
    except VoiceError as exc:
        _record_push_failure(assistant, exc)
        raise
    config = {**(assistant.last_pushed_config or {}), **changes}
    _mark_pushed(assistant, config=config, remote_id=assistant.vapi_assistant_id)
    with transaction.atomic():
        assistant.save(update_fields=PUSH_FIELDS)
    return assistant


def configure_assistant_functions(*, assistant: Assistant) -> Assistant:
    """Re-push the tools, and the server URL and serverMessages they depend on.

    vapi-reference.md §2: PATCH replaces `model` whole, so the full model (prompt included) goes.
    """

    def build() -> VapiObject:
        return {
            "model": _model(assistant),
            "server": _webhook_server(),
            "serverMessages": list(SERVER_MESSAGES),
        }

    return _patch_and_record(assistant, build)


def update_assistant_knowledge(*, assistant: Assistant) -> Assistant:
    """Re-render the prompt from current units, rents, availability, hours and policies; PATCH."""

    def build() -> VapiObject:
        config = assistant_build_config(assistant=assistant)
        return {key: config[key] for key in ("model", "voicemailMessage", "endCallMessage")}

    return _patch_and_record(assistant, build)


EDITABLE_FIELDS = frozenset(
    {
        "name",
        "first_message",
        "system_prompt",
        "voice_provider",
        "voice_id",
        "model",
        "language",
        "vapi_phone_number_id",
    }
)


def assistant_update(*, assistant: Assistant, **changes: Any) -> Assistant:
    """Change local fields and PATCH Vapi with the resulting config, then save.

    On ValidationError or VoiceError the row (and the `assistant` object) stay as they were. An
    assistant never pushed is only saved locally (assistant_push creates it at Vapi).
    """
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "This field cannot be changed here."))
    updated = copy.copy(assistant)
    for field_name, value in changes.items():
        setattr(updated, field_name, "" if value is None and field_name != "model" else value)
    if isinstance(updated.name, str):
        updated.name = truncate(updated.name)
    updated.full_clean()
    if updated.vapi_assistant_id:
        config = assistant_build_config(assistant=updated)
        vapi_client.get_vapi_client().update_assistant(updated.vapi_assistant_id, config)
        _mark_pushed(updated, config=config, remote_id=updated.vapi_assistant_id)
    with transaction.atomic():
        updated.save()
    return updated


def assistant_delete(*, assistant: Assistant) -> None:
    """Delete at Vapi, then locally. Already gone at Vapi (404) counts as deleted."""
    if assistant.vapi_assistant_id:
        try:
            vapi_client.get_vapi_client().delete_assistant(assistant.vapi_assistant_id)
        except VapiNotFoundError:
            logger.info("vapi assistant %s was already deleted", assistant.vapi_assistant_id)
    with transaction.atomic():
        assistant.delete()


def assistant_get(*, assistant_id: int | str) -> Assistant:
    """By local pk, or by Vapi assistant id; VoiceError when there is none."""
    lookup = str(assistant_id).strip()
    found = None
    if lookup.isdigit():
        found = Assistant.objects.select_related("property").filter(pk=int(lookup)).first()
    if found is None:
        found = (
            Assistant.objects.select_related("property").filter(vapi_assistant_id=lookup).first()
        )
    if found is None:
        raise VoiceError(f"There is no assistant {lookup!r}.", details={"assistant_id": lookup})
    return found


def test_assistant(*, assistant_id: int | str, phone_number: str) -> CallLog:
    """Place a test call from the assistant to `phone_number` (e.g. a staff member's phone)."""
    assistant = assistant_get(assistant_id=assistant_id)
    return call_place_outbound(
        assistant=assistant, phone_number=phone_number, metadata={"testCall": "true"}
    )


test_assistant.__test__ = False  # type: ignore[attr-defined]  # not a pytest test
