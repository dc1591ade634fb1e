"""The one table of Vapi message types: everything about a type in one entry.

Adding a message type is one entry in `MESSAGES`. A type that is not in it is stored as "ignored"
and answered `200 {}` (vapi-reference.md §8.2: new types appear often).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from voice import sql
from voice.webhooks.envelope import Envelope
from voice.webhooks.handlers import (
    assistant_request_failed,
    function_call_failed,
    handle_assistant_request,
    handle_end_of_call_report,
    handle_function_call,
    handle_hang,
    handle_status_update,
    handle_tool_calls,
    handle_transcript,
    handle_transfer_destination_request,
    status_update_fast_path,
    tool_calls_failed,
    tool_calls_read_only,
    transfer_destination_request_failed,
)
from voice.webhooks.predial import campaign_predial_failed, handle_campaign_predial

Answer = dict[str, Any]


def _empty_answer(envelope: Envelope) -> Answer:
    return {}


def _never(envelope: Envelope) -> bool:
    return False


def _always(envelope: Envelope) -> bool:
    return True


@dataclass(frozen=True)
class MessageType:
    # The answer, or None when the delivery needs no work (stored as "ignored").
    handle: Callable[[Envelope], Answer | None]
    # What Vapi gets when `handle` raised: the shape it expects, never a 500 (§8.1, §8.5).
    failure_answer: Callable[[Envelope], Answer] = _empty_answer
    # True when `handle` only reads, or writes one idempotent statement that is atomic on its own
    # (inbound routing's INSERT ... ON CONFLICT DO NOTHING of the call log): the inbox answers
    # first, then stores the delivery with its answer in one autocommit INSERT (no transaction,
    # no UPDATE).
    read_only: Callable[[Envelope], bool] = _never
    # Where the database fuses statements (`voice.sql.fused_statements`): do the whole delivery,
    # store included, in one statement; None to fall back to the generic path.
    fast_path: Callable[[Envelope, sql.InboxRow], Answer | None] | None = None
    # Informational deliveries whose loss would leave a call log unfinished for good: the inbox
    # commits the delivery first (status "received"), then handles it in a transaction of its own,
    # so a worker killed in between leaves it for `reprocess_webhooks`. Not for requests that need
    # an answer: the caller heard that one fail, so nothing may happen later.
    durable: bool = False
    # An answer that only matters while Vapi waits for it (a pre-dial: Vapi gives up after at
    # most 30 s, vapi-reference.md §12.1): `reprocess_webhooks` stores it as ignored instead of
    # asking again, so the audit trail and the daily cap never count a decision for a dial that
    # did not happen.
    live_only: bool = False


MESSAGES: dict[str, MessageType] = {
    "status-update": MessageType(
        handle_status_update, fast_path=status_update_fast_path, durable=True
    ),
    "end-of-call-report": MessageType(handle_end_of_call_report, durable=True),
    "transcript": MessageType(handle_transcript, durable=True),
    'transcript[transcriptType="final"]': MessageType(handle_transcript, durable=True),
    "tool-calls": MessageType(
        handle_tool_calls, failure_answer=tool_calls_failed, read_only=tool_calls_read_only
    ),
    "function-call": MessageType(handle_function_call, failure_answer=function_call_failed),
    "assistant-request": MessageType(
        handle_assistant_request, failure_answer=assistant_request_failed, read_only=_always
    ),
    "transfer-destination-request": MessageType(
        handle_transfer_destination_request,
        failure_answer=transfer_destination_request_failed,
        read_only=_always,
    ),
    "hang": MessageType(handle_hang, durable=True),
    # Answered now, in the delivery's transaction like a tool call that writes: the answer is
    # the point (Vapi dials only on `{"eligible": true}`), and the gate's audit row commits with
    # the stored delivery. Not durable (nothing may happen after Vapi heard the answer), not
    # read_only (the gate writes its CallDecision under an organization lock).
    "campaign.predial": MessageType(
        handle_campaign_predial, failure_answer=campaign_predial_failed, live_only=True
    ),
}
