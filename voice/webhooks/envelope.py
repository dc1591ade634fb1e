"""A verified delivery read once: its message, type, call id, dedupe key and tool calls."""

import hashlib
import json
from typing import Any

from voice.vapi.payload import message_call_id, tool_calls_parse

DEDUPE_KEY_MAX = 255  # WebhookEvent.dedupe_key max_length


class WebhookPayloadError(Exception):
    """The body is not a Vapi server message (not JSON, no `message`, no `message.type`)."""


def webhook_body_parse(body: bytes) -> dict[str, Any]:
    """Return `message` from a `{"message": {...}}` body, or raise WebhookPayloadError."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise WebhookPayloadError("body is not JSON") from exc
    message = data.get("message") if isinstance(data, dict) else None
    if not isinstance(message, dict):
        raise WebhookPayloadError("no message object")
    if not isinstance(message.get("type"), str) or not message["type"]:
        raise WebhookPayloadError("no message.type")
    return message


def webhook_dedupe_key(message: dict[str, Any], *, body: bytes) -> str:
    """A key that is equal for two deliveries of the same event and different otherwise.

    Tool calls: the sorted toolCallIds (a retried or double-fired tool call must get the stored
    answer). Everything else: (type, call id, timestamp, status / role). Without a timestamp the
    body hash stands in, so distinct timestamp-less events are never merged.
    """
    msg_type = message["type"]
    call_id = message_call_id(message)
    tool_ids = (
        [tool_call.id for tool_call in tool_calls_parse(message)] if _is_tool(msg_type) else []
    )
    if tool_ids and all(tool_ids):
        key = f"{msg_type}:{call_id}:{','.join(sorted(tool_ids))}"
    elif message.get("timestamp") is not None and not _is_tool(msg_type):
        parts = [msg_type, call_id, str(message.get("timestamp"))]
        parts += [str(message.get(name) or "") for name in ("status", "role", "transcriptType")]
        key = ":".join(parts).rstrip(":")
    else:
        key = f"{msg_type}:{call_id}:body:{hashlib.sha256(body).hexdigest()}"
    if len(key) > DEDUPE_KEY_MAX:
        key = f"{msg_type[:80]}:sha256:{hashlib.sha256(key.encode()).hexdigest()}"
    return key


def _is_tool(msg_type: str) -> bool:
    return msg_type in ("tool-calls", "function-call")
