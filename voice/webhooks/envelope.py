"""A verified delivery, read once into an `Envelope`: its message, type, call id, dedupe key and
tool calls, shared by the inbox, the message table and the handlers.

vapi-reference.md §8 (shapes), §10.1 (no event id: we build a dedupe key), §10.8 (parse
leniently: missing fields, new types, new enums).
"""

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from voice.vapi.payload import ToolCall, message_call_id, tool_calls_parse

DEDUPE_KEY_MAX = 255  # WebhookEvent.dedupe_key max_length
TOOL_TYPES = frozenset({"tool-calls", "function-call"})
PREDIAL_TYPE = "campaign.predial"


class WebhookPayloadError(Exception):
    """The body is not a Vapi server message (not JSON, no `message`, no `message.type`)."""


@dataclass(frozen=True)
class Envelope:
    """One delivery: `message` is the body's `message` object; the rest is read from it once."""

    message: dict[str, Any]
    type: str
    call_id: str
    dedupe_key: str
    # The tool calls of a `tool-calls` / `function-call` message (vapi-reference.md §8.4), else ().
    tool_calls: tuple[ToolCall, ...]
    payload: str  # the body as stored: the text Vapi signed


def envelope_parse(*, body: bytes) -> Envelope:
    """Read a `{"message": {...}}` body, or raise WebhookPayloadError."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise WebhookPayloadError("body is not JSON") from exc
    message = data.get("message") if isinstance(data, dict) else None
    if not isinstance(message, dict):
        raise WebhookPayloadError("no message object")
    if not isinstance(message.get("type"), str) or not message["type"]:
        raise WebhookPayloadError("no message.type")
    return envelope_from_message(message=message, body=body)


def envelope_from_message(*, message: dict[str, Any], body: bytes) -> Envelope:
    """The envelope of a message already read (`message["type"]` is a string), e.g. a stored one
    being re-processed."""
    tool_calls = tuple(tool_calls_parse(message)) if message["type"] in TOOL_TYPES else ()
    return Envelope(
        message=message,
        type=message["type"],
        call_id=message_call_id(message),
        dedupe_key=webhook_dedupe_key(message, body=body, tool_calls=tool_calls),
        tool_calls=tool_calls,
        payload=_payload_text(body),
    )


def webhook_dedupe_key(
    message: dict[str, Any], *, body: bytes, tool_calls: tuple[ToolCall, ...] | None = None
) -> str:
    """A key that is equal for two deliveries of the same event and different otherwise.

    Tool calls: the sorted toolCallIds (a retried or double-fired tool call must get the stored
    answer). Pre-dials: (campaign, contact, timestamp): they carry no call, and a campaign asks
    for several contacts at once, so the generic key could merge two contacts asked in the same
    millisecond (one would get the other's answer). Everything else: (type, call id, timestamp,
    status / role). Without a timestamp the body hash stands in, so distinct timestamp-less events
    are never merged.
    """
    msg_type = message["type"]
    call_id = message_call_id(message)
    is_tool = msg_type in TOOL_TYPES
    if is_tool and tool_calls is None:
        tool_calls = tuple(tool_calls_parse(message))
    tool_ids = [tool_call.id for tool_call in tool_calls or ()] if is_tool else []
    if tool_ids and all(tool_ids):
        key = f"{msg_type}:{call_id}:{','.join(sorted(tool_ids))}"
    elif msg_type == PREDIAL_TYPE:
        contact = message.get("contact")
        contact_id = contact.get("id") if isinstance(contact, dict) else None
        timestamp = message.get("timestamp")
        stamp = (
            str(timestamp) if timestamp is not None else f"body:{hashlib.sha256(body).hexdigest()}"
        )
        key = f"{msg_type}:{message.get('campaignId') or ''}:{contact_id or ''}:{stamp}"
    elif message.get("timestamp") is not None and not is_tool:
        parts = [msg_type, call_id, str(message.get("timestamp"))]
        parts += [str(message.get(name) or "") for name in ("status", "role", "transcriptType")]
        key = ":".join(parts).rstrip(":")
    else:
        key = f"{msg_type}:{call_id}:body:{hashlib.sha256(body).hexdigest()}"
    if len(key) > DEDUPE_KEY_MAX:
        key = f"{msg_type[:80]}:sha256:{hashlib.sha256(key.encode()).hexdigest()}"
    return key


def _payload_text(body: bytes) -> str:
    text = body.decode("utf-8")
    # PostgreSQL jsonb rejects the NUL escape that JSON itself allows.
    return text.replace("\\u0000", "\\ufffd") if "\\u0000" in text else text
