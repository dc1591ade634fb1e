"""The assistant config pushed to Vapi, built from the property's data (pure: no writes, no HTTP),
and its reverse: local fields from a pulled config.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date, time
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from leads.compliance.disclosures import says_ai, voicemail_message
from properties.models import Property, Unit
from voice.assistants.selectors import webhook_credential_id_get
from voice.models import Assistant
from voice.structured_outputs import structured_output_ids
from voice.vapi.client import VapiObject
from voice.vapi.core import MAX_NAME_LENGTH, truncate
from voice.vapi.enums import DEEPGRAM_LANGUAGE_SPELLINGS
from voice.vapi.errors import VoiceError

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


def _function_tools(property_id: str) -> list[VapiObject]:
    """The four leasing function tools (HELPERS.md contracts; vapi-reference.md §6.1) and the
    opt-out tool (calling-compliance.md §7 rule 12)."""

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
                # No filler before a tool whose result is the last thing said (stop_calling).
                *([{"type": "request-start", "content": start}] if start else []),
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
            "caller asks for a person or to be called back, is upset, or needs something you "
            "cannot handle.",
            {
                "reason": {
                    "type": "string",
                    # tools.py CALLBACK_ASKED reads "call back" in the reason.
                    "description": "Why the caller needs a person, in a few words. If the caller "
                    "asked to be called back, start with 'Call back:' and add when they prefer.",
                }
            },
            ["reason"],
            start="Let me see who is available.",
            failed="Sorry, I can't reach the team right now. They will call you back.",
        ),
        # calling-compliance.md §7 rules 9, 12: the stop is written before the goodbye.
        tool(
            "stop_calling",
            "Put the caller's number on the do-not-call list. Call it as soon as the caller asks "
            "not to be called (stop calling, take me off your list, remove my number, opt out, "
            "or pressing 9), then follow the result: confirm once and end the call.",
            {},
            [],
            start="",
            failed="Understood, we won't call you again, goodbye.",
        ),
    ]


def _transfer_tool(prop: Property) -> VapiObject:
    """vapi-reference.md §6.2: no destinations, so every transfer asks our server first ("If the
    tool has no destination, or the model did not supply one, Vapi sends
    transfer-destination-request"), which answers from the property's office hours (§8.5,
    webhooks/handlers.py). A fixed staff number here would be dialled whatever the hour and
    whatever the prompt says.

    Vapi's schema gives this tool no name or description of ours (SDK 3.0.0
    `CreateTransferCallToolDto`: messages, destinations, rejectionPlan; a `function` key is
    refused), so when to use it is said in the system prompt's tool list."""
    return {"type": "transferCall", "destinations": []}


def webhook_server_config() -> VapiObject:
    server: VapiObject = {
        "url": settings.PUBLIC_BASE_URL.rstrip("/") + WEBHOOK_PATH,
        "timeoutSeconds": SERVER_TIMEOUT_SECONDS,
    }
    # vapi-reference.md §9: the webhook credential (HMAC, or a bearer credential sending
    # X-Vapi-Secret) is created once in Vapi and referenced by id; the secret itself is never
    # part of the assistant config (which we store in last_pushed_config).
    # VAPI_WEBHOOK_CREDENTIAL_ID wins; else the one `manage.py vapi_setup` made and stored.
    credential_id = webhook_credential_id_get()
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
    # Deepgram spells regional variants "en-US" or "zh-Hans"; staff may type "en-us".
    if language.lower() in DEEPGRAM_LANGUAGE_SPELLINGS:
        language = DEEPGRAM_LANGUAGE_SPELLINGS[language.lower()]
    elif "-" in language:
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


def model_config(assistant: Assistant) -> VapiObject:
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
    return {
        "name": truncate(assistant.name or default_assistant_name(prop)),
        "firstMessage": assistant.first_message.strip() or default_first_message(prop),
        "firstMessageMode": "assistant-speaks-first",
        "model": model_config(assistant),
        "voice": _voice(assistant),
        "transcriber": _transcriber(assistant),
        "server": webhook_server_config(),
        "serverMessages": list(SERVER_MESSAGES),
        "maxDurationSeconds": MAX_DURATION_SECONDS,
        # calling-compliance.md §7 rules 9, 11: "press 9 any time to be removed". Off by default
        # (OAS KeypadInputPlan.enabled); the digits reach the model and the transcript as the
        # caller's input, where voice/calls/optout.py reads a lone 9.
        "keypadInputPlan": {"enabled": True, "timeoutSeconds": 2, "delimiters": "#"},
        "endCallMessage": f"Thanks for calling {prop.name}. Have a great day!",
        # vapi-reference.md §12.4: structured outputs replace the deprecated analysisPlan (OAS
        # CreateAssistantDTO.analysisPlan `deprecated: true`); synced before every push.
        "artifactPlan": {
            "recordingEnabled": True,
            "structuredOutputIds": structured_output_ids(),
        },
        # vapi-reference.md §4.6, §10.6: only outbound calls meet voicemail; Vapi's detector
        # is the recommended one, and without a voicemailMessage it would just hang up.
        "voicemailDetection": {
            "provider": "vapi",
            "backoffPlan": {"startAtSeconds": 2, "frequencySeconds": 2.5, "maxRetries": 5},
            "beepMaxAwaitSeconds": 12,
        },
        # calling-compliance.md §7 rule 13: name, "AI" and a number that takes the opt-out; a
        # property without a number leaves no voicemail (Vapi hangs up on the machine).
        **({"voicemailMessage": voicemail} if (voicemail := voicemail_message(prop)) else {}),
        # HELPERS.md contract: the webhook reads these back from call.assistant.metadata.
        "metadata": {"propertyId": str(prop.pk), "timezone": prop.timezone},
    }


# What Vapi adds to an assistant; everything else is config.
SERVER_KEYS = frozenset({"id", "orgId", "createdAt", "updatedAt", "latestVersion"})


# The prompt we push wraps the staff's instructions between these headings
# (templates/voice/assistant_system_prompt.txt); only the instructions are pulled.
_INSTRUCTIONS = re.compile(
    r"^# How to work\n(?P<text>.*?)\n+# Rules you always follow$", re.DOTALL | re.MULTILINE
)


def remote_config(remote: VapiObject) -> VapiObject:
    return {key: value for key, value in remote.items() if key not in SERVER_KEYS}


def json_object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _system_message(remote: VapiObject) -> str | None:
    for message in json_object(remote.get("model")).get("messages") or []:
        if isinstance(message, dict) and message.get("role") == "system":
            content = message.get("content")
            return content if isinstance(content, str) else None
    return None


def assistant_fields_from_remote(
    *, assistant: Assistant, remote: VapiObject
) -> tuple[dict[str, Any], list[str]]:
    """The local field values that make `assistant` build what Vapi has, plus notes about remote
    settings this app does not manage. A field is left out when the local row already builds
    the remote value (a blank first message builds the default greeting, and so on)."""
    built = assistant_build_config(assistant=assistant)
    changes: dict[str, Any] = {}
    notes: list[str] = []

    name = remote.get("name")
    if isinstance(name, str) and name.strip() and name != built["name"]:
        changes["name"] = truncate(name)
    first_message = remote.get("firstMessage")
    if isinstance(first_message, str) and first_message != built["firstMessage"]:
        changes["first_message"] = first_message
        if not says_ai(first_message):
            notes.append(
                'its greeting does not say "AI" (calling-compliance.md §7 rule 11): fix it'
            )

    model = json_object(remote.get("model"))
    if model.get("provider") not in (None, "openai"):
        notes.append(f"its {model['provider']} model is not managed here (a push resets it)")
    elif isinstance(model.get("model"), str) and model["model"] != built["model"]["model"]:
        changes["model"] = model["model"]

    prompt = _system_message(remote)
    if prompt is not None:
        found = _INSTRUCTIONS.search(prompt)
        default = render_to_string("voice/default_instructions.txt").strip()
        if found is None:
            notes.append("its prompt was rewritten outside this app and was not pulled")
        elif found["text"].strip() != (assistant.system_prompt.strip() or default):
            text = found["text"].strip()
            changes["system_prompt"] = "" if text == default else text

    voice = json_object(remote.get("voice"))
    remote_voice = (voice.get("provider"), voice.get("voiceId"))
    if remote_voice[0] and remote_voice != (built["voice"]["provider"], built["voice"]["voiceId"]):
        changes["voice_provider"] = str(remote_voice[0])
        changes["voice_id"] = str(remote_voice[1] or "")

    language = json_object(remote.get("transcriber")).get("language")
    if isinstance(language, str) and language != built["transcriber"].get("language"):
        changes["language"] = language
    return changes, notes
