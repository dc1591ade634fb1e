"""One handler per Vapi message type, routed through the explicit `HANDLERS` table.

A handler takes the `message` object and returns the JSON answer (`{}` for informational
events), or None when the delivery needs no work (stored as "ignored"). It runs inside the
delivery's transaction (services.py); raising rolls its writes back and marks the delivery
failed. `FAILURE_ANSWERS` says what Vapi gets then (vapi-reference.md §8.1: 200 even on errors).
"""

import logging
from collections.abc import Callable
from typing import Any

from django.db import connection
from django.utils import timezone

from leads.selectors import lead_get_by_phone
from properties.models import Property
from properties.phone import phone_normalize_or_none
from properties.selectors import property_is_open, property_next_opening
from voice.calls.services import (
    call_log_apply_outcome,
    call_log_record_started,
    call_log_status_advance,
    call_log_upsert_from_vapi,
)
from voice.models import Assistant, CallLog, TranscriptLine
from voice.vapi.payload import (
    message_call,
    message_call_id,
    message_customer_number,
    message_phone_number,
    message_timestamp,
    tool_calls_parse,
)
from voice.webhooks.tools import (
    READ_ONLY_TOOLS,
    TOOL_FAILED,
    ToolContext,
    ToolError,
    datetime_phrase,
    one_line,
    tool_call_answer,
)

logger = logging.getLogger(__name__)

Answer = dict[str, Any]
Handler = Callable[[dict[str, Any]], Answer | None]

NOT_ROUTED = "Sorry, this number isn't set up to take calls yet. Please call back later."
TRANSFER_CLOSED = (
    "Our leasing office is closed right now{opens}. I can book you a tour or have someone from "
    "the team call you back."
)
TRANSFER_UNAVAILABLE = (
    "I can't transfer you right now, but I can book you a tour or have someone from the team "
    "call you back."
)


def _assistant_config(message: dict[str, Any]) -> dict[str, Any] | None:
    assistant = message.get("assistant")
    return assistant if isinstance(assistant, dict) else None


# Call lifecycle ----------------------------------------------------------------------------------


def handle_status_update(message: dict[str, Any]) -> Answer | None:
    """Create the call log on first sight; move its status forward only (§10.1)."""
    call = message_call(message)
    if not call.get("id"):
        return None
    status = message.get("status") if isinstance(message.get("status"), str) else None
    at = message_timestamp(message)
    ended_reason = str(message.get("endedReason") or "")
    # One UPDATE moves a known call forward. On PostgreSQL services.py has already tried it
    # (fused with the inbox INSERT) before this transaction, so only SQLite tries it here.
    if status and connection.vendor != "postgresql":
        advanced, lead_id = call_log_status_advance(
            call=call, status=status, ended_reason=ended_reason, at=at
        )
        if advanced:
            status_update_after_advance(call_id=str(call["id"]), status=status, lead_id=lead_id)
            return {}
    upsert = call_log_upsert_from_vapi(
        call=call,
        status=status,
        ended_reason=ended_reason,
        phone_number=message_phone_number(message),
        assistant_config=_assistant_config(message),
        at=at,
    )
    if upsert.started_now and not upsert.created and upsert.call_log.lead_id:
        call_log_record_started(call_log=upsert.call_log)
    return {}


def status_update_after_advance(*, call_id: str, status: str, lead_id: int | None) -> None:
    """After the one-UPDATE path: a lead's "call started" when the conversation began (once per
    call; the DB constraint makes repeats no-ops). Nothing to do for most deliveries."""
    if lead_id is not None and status in (CallLog.Status.IN_PROGRESS, CallLog.Status.FORWARDING):
        call_log_record_started(
            call_log=CallLog.objects.select_related("lead").get(vapi_call_id=call_id)
        )


def handle_end_of_call_report(message: dict[str, Any]) -> Answer | None:
    """The authoritative final record (§10.1): finalize the log, then the lead and activities."""
    call = message_call(message)
    if not call.get("id"):
        return None
    upsert = call_log_upsert_from_vapi(
        call=call,
        report=message,
        phone_number=message_phone_number(message),
        assistant_config=_assistant_config(message),
        at=message_timestamp(message),
    )
    call_log_apply_outcome(call_log=upsert.call_log)
    return {}


def handle_transcript(message: dict[str, Any]) -> Answer | None:
    """Keep final lines for the live view of a call in progress; partial lines are noise.

    The type may be "transcript" or the literal 'transcript[transcriptType="final"]' (§8.2).
    """
    if message.get("transcriptType") != "final":
        return None
    call_id = message_call_id(message)
    text = str(message.get("transcript") or "").strip()
    if not call_id or not text:
        return None
    TranscriptLine.objects.bulk_create(
        [
            TranscriptLine(
                vapi_call_id=call_id,
                role=str(message.get("role") or "")[:20],
                text=text,
                spoken_at=message_timestamp(message) or timezone.now(),
            )
        ],
        ignore_conflicts=True,  # a replayed line is the same line (unique call/time/role)
    )
    return {}


def handle_hang(message: dict[str, Any]) -> Answer | None:
    """The assistant stalled, possibly on one of our tools (§10.2): worth a warning in the logs."""
    logger.warning("vapi hang event", extra={"vapi_call_id": message_call_id(message)})
    return {}


# Requests that need an answer --------------------------------------------------------------------


def handle_tool_calls(message: dict[str, Any]) -> Answer | None:
    """One result per tool call, same order, exact shape (§8.5)."""
    context = ToolContext(message=message)
    return {"results": [tool_call_answer(context, call) for call in tool_calls_parse(message)]}


def handle_function_call(message: dict[str, Any]) -> Answer | None:
    """Legacy `model.functions` call (§8.2): same tools, answered as `{"result": ...}`."""
    answer = handle_tool_calls(message)["results"][0]
    return {"result": answer.get("result") or f"Error: {answer.get('error', '')}"}


def handle_assistant_request(message: dict[str, Any]) -> Answer | None:
    """Inbound routing (§8.5, §10.5): the assistant of the property whose leasing number was
    called, with variables for personalisation. Two indexed queries, well inside the 7.5 s cap."""
    number = phone_normalize_or_none(message_phone_number(message))
    assistant = (
        Assistant.objects.select_related("property")
        .filter(property__leasing_phone=number, vapi_assistant_id__isnull=False)
        .order_by("pk")
        .first()
        if number
        else None
    )
    if assistant is None:
        logger.warning("vapi assistant-request for an unknown number")
        return {"error": NOT_ROUTED}
    prop = assistant.property
    caller = lead_get_by_phone(
        property_id=prop.pk, phone=phone_normalize_or_none(message_customer_number(message))
    )
    local_now = timezone.now().astimezone(prop.tz)
    variables = {
        "propertyName": prop.name,
        "propertyAddress": prop.full_address,
        "propertyTimezone": prop.timezone,
        "today": f"{local_now:%A, %B} {local_now.day}, {local_now.year}",
        "firstName": caller.first_name if caller else "",
    }
    metadata = {
        "propertyId": str(prop.pk),
        "assistantId": str(assistant.pk),
        "timezone": prop.timezone,
    }
    if caller is not None:
        metadata["leadId"] = str(caller.pk)
    return {
        "assistantId": assistant.vapi_assistant_id,
        "assistantOverrides": {"variableValues": variables, "metadata": metadata},
    }


def handle_transfer_destination_request(message: dict[str, Any]) -> Answer | None:
    """The property's staff number during office hours (in its time zone); otherwise an error
    that Vapi speaks, offering a tour or a callback (§8.5)."""
    context = ToolContext(message=message)
    try:
        prop = Property.objects.filter(pk=context.property_id({})).first()
    except ToolError:
        prop = None
    if prop is None or not prop.transfer_phone:
        return {"error": TRANSFER_UNAVAILABLE}
    if not property_is_open(property=prop, at=context.now):
        opens = property_next_opening(property=prop, after=context.now)
        return {
            "error": TRANSFER_CLOSED.format(
                opens=f"; we open {datetime_phrase(opens, prop)}" if opens else ""
            )
        }
    return {
        "destination": {
            "type": "number",
            "number": prop.transfer_phone,
            "message": "Connecting you to our leasing team now.",
            "transferPlan": {"mode": "blind-transfer"},
        },
        # The SDK type uses `content`, not the docs' `message` (§8.5).
        "message": {"type": "request-start", "content": "Please hold while I transfer you."},
    }


HANDLERS: dict[str, Handler] = {
    "status-update": handle_status_update,
    "end-of-call-report": handle_end_of_call_report,
    "transcript": handle_transcript,
    'transcript[transcriptType="final"]': handle_transcript,
    "tool-calls": handle_tool_calls,
    "function-call": handle_function_call,
    "assistant-request": handle_assistant_request,
    "transfer-destination-request": handle_transfer_destination_request,
    "hang": handle_hang,
}


# Handlers that only read: the inbox stores them after answering, in one INSERT (services.py).
READ_ONLY_TYPES = frozenset({"assistant-request", "transfer-destination-request"})


def answers_before_storing(message: dict[str, Any]) -> bool:
    msg_type = message["type"]
    if msg_type in READ_ONLY_TYPES:
        return True
    if msg_type != "tool-calls":
        return False
    calls = tool_calls_parse(message)
    return bool(calls) and all(call.name in READ_ONLY_TOOLS and call.id for call in calls)


# What Vapi gets when a handler raised: the shape it expects, never a 500 (§8.1, §8.5).


def _tool_calls_failed(message: dict[str, Any]) -> Answer:
    return {
        "results": [
            {"toolCallId": call.id, "name": call.name, "error": one_line(TOOL_FAILED)}
            for call in tool_calls_parse(message)
        ]
    }


FAILURE_ANSWERS: dict[str, Callable[[dict[str, Any]], Answer]] = {
    "tool-calls": _tool_calls_failed,
    "function-call": lambda message: {"result": f"Error: {TOOL_FAILED}"},
    "assistant-request": lambda message: {"error": NOT_ROUTED},
    "transfer-destination-request": lambda message: {"error": TRANSFER_UNAVAILABLE},
}


def failure_answer(message: dict[str, Any]) -> Answer:
    build = FAILURE_ANSWERS.get(message["type"])
    return build(message) if build else {}
