"""One handler per Vapi message type; `messages.MESSAGES` routes to them.

A handler takes the delivery's `Envelope` and returns the JSON answer (`{}` for informational
events), or None when the delivery needs no work (stored as "ignored"). It runs inside the
delivery's transaction (inbox.py); raising rolls its writes back and marks the delivery failed,
and Vapi gets the type's failure answer (vapi-reference.md §8.1: 200 even on errors).
"""

import logging
from collections.abc import Callable
from typing import Any

from django.db import DatabaseError
from django.utils import timezone

from leads.callbacks.models import Callback
from leads.compliance.recording import recording_rule_for_number
from leads.selectors import lead_get_by_phone
from properties.models import Property
from properties.phone import phone_normalize_or_none
from properties.selectors import property_is_open, property_next_opening
from voice import sql
from voice.assistants.selectors import assistant_for_leasing_phone
from voice.calls.optout import (
    call_opt_out_record,
    call_wrong_number_record,
    line_opt_out_source,
    line_wrong_number,
    report_opt_out_source,
    report_wrong_number_line,
)
from voice.calls.recording import recording_metadata, recording_overrides
from voice.calls.services import (
    call_log_advance_from_vapi,
    call_log_after_advance,
    call_log_apply_outcome,
    call_log_first_sight,
    call_log_record_routing,
    call_log_record_started,
    call_log_upsert_from_vapi,
    transcript_line_record,
)
from voice.campaigns.runner import campaign_contact_settle
from voice.models import Assistant
from voice.vapi.payload import (
    message_call,
    message_call_id,
    message_customer_number,
    message_phone_number,
    message_timestamp,
)
from voice.webhooks.envelope import Envelope
from voice.webhooks.tools import (
    TOOL_FAILED,
    TOOLS,
    ToolContext,
    ToolError,
    datetime_phrase,
    one_line,
    tool_call_answer,
    transfer_refused_callback_record,
)

logger = logging.getLogger(__name__)

Answer = dict[str, Any]

NOT_ROUTED = "Sorry, this number isn't set up to take calls yet. Please call back later."
TRANSFER_CLOSED = (
    "Our leasing office is closed right now{opens}. I can book you a tour or have someone from "
    "the team call you back."
)
TRANSFER_UNAVAILABLE = (
    "I can't transfer you right now, but I can book you a tour or have someone from the team "
    "call you back."
)
OPT_OUT_NOTE_REPORT = "Opt-out found in the end-of-call report."
WRONG_NUMBER_NOTE = "Wrong number: the person called said {text!r}"


def _assistant_config(message: dict[str, Any]) -> dict[str, Any] | None:
    assistant = message.get("assistant")
    return assistant if isinstance(assistant, dict) else None


# Call lifecycle ----------------------------------------------------------------------------------


def _status_update(envelope: Envelope) -> dict[str, Any] | None:
    """A status-update's arguments for the call-log services; None without a call id."""
    message = envelope.message
    call = message_call(message)
    if not call.get("id"):
        return None
    status = message.get("status")
    return {
        "call": call,
        "status": status if isinstance(status, str) else None,
        "ended_reason": str(message.get("endedReason") or ""),
        "phone_number": message_phone_number(message),
        "assistant_config": _assistant_config(message),
        "at": message_timestamp(message),
    }


def _advanced(
    update: dict[str, Any], run: Callable[[sql.CallLogAdvance], tuple[bool, int | None]]
) -> bool:
    """Move a known call forward with one statement (`run`); False on first sight, or when the
    call is already that far, or when the status can't take that path."""
    advance = call_log_advance_from_vapi(
        call=update["call"], status=update["status"], ended_reason=update["ended_reason"],
        at=update["at"],
    )  # fmt: skip
    if advance is None:
        return False
    advanced, lead_id = run(advance)
    if advanced:
        call_log_after_advance(call_id=advance.call_id, status=advance.status, lead_id=lead_id)
    return advanced


def handle_status_update(envelope: Envelope) -> Answer | None:
    """Create the call log on first sight; move its status forward only (§10.1)."""
    update = _status_update(envelope)
    if update is None:
        return None
    # One UPDATE moves a known call forward. Where statements fuse, `status_update_fast_path`
    # has already tried it (with the inbox INSERT) before this transaction.
    if (
        update["status"]
        and not sql.fused_statements()
        and _advanced(update, lambda advance: sql.call_log_advance(advance=advance))
    ):
        return {}
    upsert = call_log_upsert_from_vapi(**update)
    if upsert.started_now and not upsert.created and upsert.call_log.lead_id:
        call_log_record_started(call_log=upsert.call_log)
    return {}


def status_update_fast_path(envelope: Envelope, row: sql.InboxRow) -> Answer | None:
    """Where statements fuse (PostgreSQL): apply and store a status-update in ONE autocommit
    statement; {} when that did the whole delivery, None to take the generic path."""
    update = _status_update(envelope)
    if update is None or update["status"] is None:
        return None
    if _advanced(update, lambda advance: sql.call_log_advance_and_store(advance=advance, row=row)):
        return {}
    # Not a known call being moved forward: most likely the first sight of a new call.
    call_log = call_log_first_sight(**update)
    if call_log is None:
        return None
    created = sql.call_log_insert_and_store(call_log=call_log, row=row)
    if created is None:
        return None  # the call exists (out of order, or a duplicate): the generic path decides
    if created.lead_id:
        call_log_record_started(call_log=created)
    return {}


def handle_end_of_call_report(envelope: Envelope) -> Answer | None:
    """The authoritative final record (§10.1): finalize the log, then the lead and activities."""
    message = envelope.message
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
    # A campaign's attempt: retry, done or failed per its policy (voice/campaigns/runner.py).
    # Nothing to do (and no query) for any other call; an attempt linked after this row was read
    # is settled by the dial itself or the scheduler's catch-up.
    campaign_contact_settle(call_log=upsert.call_log)
    # A stop the live deliveries missed (§7 rule 9: any channel); idempotent when one was heard.
    source = report_opt_out_source(message=message, call_log=upsert.call_log)
    if source:
        call_opt_out_record(message=message, source=source, note=OPT_OUT_NOTE_REPORT)
    # §7 rule 17: a wrong number the live deliveries missed; idempotent when one was heard.
    wrong = report_wrong_number_line(message=message)
    if wrong:
        call_wrong_number_record(message=message, note=WRONG_NUMBER_NOTE.format(text=wrong[:500]))
    return {}


def handle_transcript(envelope: Envelope) -> Answer | None:
    """Keep final lines for the live view of a call in progress; partial lines are noise.

    The type may be "transcript" or the literal 'transcript[transcriptType="final"]' (§8.2).
    """
    message = envelope.message
    if message.get("transcriptType") != "final":
        return None
    call_id = envelope.call_id
    text = str(message.get("transcript") or "").strip()
    if not call_id or not text:
        return None
    role = str(message.get("role") or "")
    transcript_line_record(
        vapi_call_id=call_id,
        role=role,
        text=text,
        spoken_at=message_timestamp(message) or timezone.now(),
    )
    # An opt-out is suppressed now, while the caller is still on the line (§7 rules 8, 9).
    source = line_opt_out_source(role=role, text=text)
    if source:
        call_opt_out_record(message=message, source=source, note=f"Caller said: {text[:500]}")
    # §7 rule 17: the person who consented no longer has this number; no later call may use
    # their consent. After the opt-out, so a line that is both keeps the opt-out's source.
    if line_wrong_number(role=role, text=text):
        call_wrong_number_record(message=message, note=WRONG_NUMBER_NOTE.format(text=text[:500]))
    return {}


def handle_hang(envelope: Envelope) -> Answer | None:
    """The assistant stalled, possibly on one of our tools (§10.2): worth a warning in the logs."""
    logger.warning("vapi hang event", extra={"vapi_call_id": envelope.call_id})
    return {}


# Requests that need an answer --------------------------------------------------------------------


def handle_tool_calls(envelope: Envelope) -> Answer | None:
    """One result per tool call, same order, exact shape (§8.5)."""
    context = ToolContext(message=envelope.message)
    return {"results": [tool_call_answer(context, call) for call in envelope.tool_calls]}


def handle_function_call(envelope: Envelope) -> Answer | None:
    """Legacy `model.functions` call (§8.2): same tools, answered as `{"result": ...}`."""
    answer = handle_tool_calls(envelope)["results"][0]
    return {"result": answer.get("result") or f"Error: {answer.get('error', '')}"}


def handle_assistant_request(envelope: Envelope) -> Answer | None:
    """Inbound routing (§8.5, §10.5): the assistant of the property whose leasing number was
    called, with variables for personalisation. Two indexed queries and one INSERT (the routed
    assistant on the call log, for the call's later messages), well inside the 7.5 s cap."""
    message = envelope.message
    assistant = assistant_for_leasing_phone(
        phone=phone_normalize_or_none(message_phone_number(message))
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
    # §7 rules 15-16: no consent gate inbound, but the recording rule applies, from the caller's
    # area code (and the lead's address state and ZIP when known, as the gate reads them for
    # outbound calls). This answer is the per-call place for
    # it (it knows the caller; the saved assistant does not): one-party callers keep the saved
    # assistant's recording, the others get it off (or the consent plan) for this call only.
    # vapi_setup leaves the leasing numbers without an assistantId, so their calls come here.
    recording = recording_rule_for_number(
        message_customer_number(message) or "",
        state=caller.state if caller else "",
        postal_code=caller.postal_code if caller else "",
    )
    metadata.update(recording_metadata(recording))
    lead_id = caller.pk if caller is not None else None
    _record_routing(message, assistant=assistant, lead_id=lead_id, metadata=metadata)
    return {
        "assistantId": assistant.vapi_assistant_id,
        "assistantOverrides": {
            "variableValues": variables,
            "metadata": metadata,
            **recording_overrides(
                recording, outbound=False, pushed_config=assistant.last_pushed_config
            ),
        },
    }


def _record_routing(
    message: dict[str, Any], *, assistant: Assistant, lead_id: int | None, metadata: dict[str, Any]
) -> None:
    """The routed assistant on the call log (`call_log_record_routing`). A failed write must not
    cost the caller the call: the status-updates create the row later anyway."""
    try:
        call_log_record_routing(
            call=message_call(message), assistant=assistant, lead_id=lead_id, metadata=metadata
        )
    except DatabaseError:
        logger.exception(
            "could not record the routed assistant",
            extra={"vapi_call_id": message_call_id(message)},
        )


def handle_transfer_destination_request(envelope: Envelope) -> Answer | None:
    """The property's staff number during office hours (in its time zone); otherwise an error
    that Vapi speaks, offering a tour or a callback (§8.5).

    This is the one gate every transfer passes: the pushed transferCall tool has no destinations
    (assistants/config.py), so Vapi asks here whether the model came through transfer_to_human
    or not (§6.2). Errors are never empty (§12.9: an empty one is said as "Unknown Error")."""
    context = ToolContext(message=envelope.message)
    try:
        prop = Property.objects.filter(pk=context.property_id({})).first()
    except ToolError:
        prop = None
    if prop is None:
        return {"error": TRANSFER_UNAVAILABLE}
    if not prop.transfer_phone:
        transfer_refused_callback_record(
            context=context, prop=prop, reason=Callback.Reason.TRANSFER_UNAVAILABLE
        )
        return {"error": TRANSFER_UNAVAILABLE}
    if not property_is_open(property=prop, at=context.now):
        transfer_refused_callback_record(
            context=context, prop=prop, reason=Callback.Reason.AFTER_HOURS
        )
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


# What Vapi gets when a handler raised: the shape it expects, never a 500 (§8.1, §8.5).


def tool_calls_failed(envelope: Envelope) -> Answer:
    return {
        "results": [
            {"toolCallId": call.id, "name": call.name, "error": one_line(_tool_failed(call.name))}
            for call in envelope.tool_calls
        ]
    }


def _tool_failed(name: str) -> str:
    tool = TOOLS.get(name)
    return tool.failed if tool is not None else TOOL_FAILED


def function_call_failed(envelope: Envelope) -> Answer:
    calls = envelope.tool_calls
    return {"result": f"Error: {_tool_failed(calls[0].name if calls else '')}"}


def assistant_request_failed(envelope: Envelope) -> Answer:
    return {"error": NOT_ROUTED}


def transfer_destination_request_failed(envelope: Envelope) -> Answer:
    return {"error": TRANSFER_UNAVAILABLE}


def tool_calls_read_only(envelope: Envelope) -> bool:
    """Every tool call only reads (the `TOOLS` table says which), so the delivery can be answered
    before it is stored."""
    calls = envelope.tool_calls
    return bool(calls) and all(
        call.id and call.name in TOOLS and TOOLS[call.name].read_only for call in calls
    )
