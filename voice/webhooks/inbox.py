"""The inbox: store every verified delivery (deduplicated), handle it, remember the answer.

Transaction design (performance-notes.md; vapi-reference.md §10.1):
- One transaction per delivery. Its first statement claims the dedupe key:
  `INSERT ... ON CONFLICT (dedupe_key) DO NOTHING RETURNING id`. A concurrent duplicate blocks on
  that unique key until the first delivery commits, then finds the row and replays the stored
  answer; so side effects (a tour, an activity) happen once, and every copy of a tool call gets
  the same answer.
- The row is inserted as "processed" and the handler runs in the same transaction: a handled
  status-update costs its own queries plus one INSERT and one COMMIT. Only a non-empty answer
  (tool calls, routing) is written back with one UPDATE.
- A handler that raises rolls the whole transaction back (no half-applied effects), then a second
  short transaction stores the delivery as "failed" with the traceback and the answer we gave.
- Types without a handler are stored as "ignored" by a single autocommit INSERT.
- On PostgreSQL a status-update is one autocommit statement when it moves a known call forward
  or creates a new one (the type's `fast_path`; the SQL is in `voice.sql`); the first sight also
  reads the assistant (and the caller's lead) first.
- Deliveries whose handler only reads (the type's `read_only`: check_availability), or writes
  one idempotent statement that is atomic on its own (inbound routing: the routed call log,
  INSERT ... ON CONFLICT DO NOTHING), are answered first and stored with their answer by one
  autocommit INSERT: no transaction, no UPDATE.
"""

import json
import logging
import traceback
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from voice import sql
from voice.models import WebhookEvent
from voice.webhooks.envelope import Envelope, envelope_from_message
from voice.webhooks.messages import MESSAGES

logger = logging.getLogger(__name__)

Status = WebhookEvent.Status


class _Duplicate(Exception):
    """Leave the delivery's transaction: the dedupe key belongs to an earlier delivery."""


def webhook_delivery_handle(*, envelope: Envelope) -> dict[str, Any]:
    """Store and handle one verified delivery; return the JSON answer for Vapi (always 200)."""
    row = sql.InboxRow(
        message_type=envelope.type[:80],
        vapi_call_id=envelope.call_id,
        dedupe_key=envelope.dedupe_key,
        payload=envelope.payload,
        received_at=timezone.now(),
    )
    kind = MESSAGES.get(envelope.type)
    if kind is None:
        # vapi-reference.md §8.2: new types appear often; keep them, answer 200 {}.
        if sql.webhook_event_insert(row=row, status=Status.IGNORED, answer={}) is None:
            return _stored_answer(row.dedupe_key)
        return {}
    if kind.fast_path is not None and sql.fused_statements():
        try:
            answer = kind.fast_path(envelope, row)
        except Exception as exc:
            return _failed(row, envelope, exc)
        if answer is not None:
            return answer
    if kind.read_only(envelope):
        # The handler only reads: answer first (autocommit SELECTs), then one INSERT stores the
        # delivery with its answer. A concurrent copy loses the INSERT and replays the winner's
        # answer, so every copy still gets the same answer.
        try:
            answer = kind.handle(envelope) or {}
        except Exception as exc:
            return _failed(row, envelope, exc)
        if sql.webhook_event_insert(row=row, status=Status.PROCESSED, answer=answer) is None:
            return _stored_answer(row.dedupe_key)
        return answer
    try:
        with transaction.atomic():
            event_id = sql.webhook_event_insert(row=row, status=Status.PROCESSED, answer=None)
            if event_id is None:
                raise _Duplicate
            answer = kind.handle(envelope)
            if answer is None:
                WebhookEvent.objects.filter(pk=event_id).update(status=Status.IGNORED, response={})
                answer = {}
            elif answer:
                WebhookEvent.objects.filter(pk=event_id).update(response=answer)
    except _Duplicate:
        return _stored_answer(row.dedupe_key)
    except Exception as exc:
        return _failed(row, envelope, exc)
    return answer


def _failed(row: sql.InboxRow, envelope: Envelope, exc: Exception) -> dict[str, Any]:
    """Log, store the delivery as failed with its traceback (a short transaction of its own: the
    handler's was rolled back), and give Vapi the answer shape it expects."""
    answer = MESSAGES[envelope.type].failure_answer(envelope)
    logger.exception(
        "vapi webhook handler failed",
        extra={"message_type": row.message_type, "vapi_call_id": row.vapi_call_id},
    )
    sql.webhook_event_insert(
        row=row,
        status=Status.FAILED,
        answer=answer,
        error=f"{type(exc).__name__}: {exc}"[:2000],
        traceback_text=traceback.format_exc(),
    )
    return answer


def _stored_answer(dedupe_key: str) -> dict[str, Any]:
    """The answer given to the first copy of a duplicate delivery (same toolCallId -> same
    result, vapi-reference.md §10.1)."""
    stored = list(
        WebhookEvent.objects.filter(dedupe_key=dedupe_key)
        .order_by()  # one row by a unique key: no sort
        .values_list("response", flat=True)[:1]
    )
    return stored[0] if stored and isinstance(stored[0], dict) else {}


# Re-processing (admin action and `reprocess_webhooks`) -------------------------------------------


@dataclass
class ReprocessResult:
    processed: int = 0
    ignored: int = 0
    failed: int = 0


def webhook_events_reprocess(*, events: Any) -> ReprocessResult:
    """Run the handler again for each stored delivery, one transaction each.

    For failed deliveries nothing of the first attempt survived (it was rolled back), so this
    is the first real run. Handlers are idempotent (upserts, once-per-call activities, a tour
    is booked once per lead and time), so re-running a processed delivery is safe too.
    """
    result = ReprocessResult()
    for event_id in [event.pk for event in events]:
        status = _reprocess_one(event_id)
        setattr(result, status, getattr(result, status) + 1)
    return result


def _reprocess_one(event_id: int) -> str:
    try:
        with transaction.atomic():
            event = WebhookEvent.objects.select_for_update().get(pk=event_id)
            message = (event.payload or {}).get("message") or {}
            kind = MESSAGES.get(event.message_type)
            answer = (
                kind.handle(_stored_envelope(event, message))
                if kind is not None and isinstance(message, dict) and message
                else None
            )
            event.status = Status.PROCESSED if answer is not None else Status.IGNORED
            if answer:
                event.response = answer
            event.error = ""
            event.traceback = ""
            event.attempts = F("attempts") + 1
            event.processed_at = timezone.now()
            event.save(
                update_fields=[
                    "status",
                    "response",
                    "error",
                    "traceback",
                    "attempts",
                    "processed_at",
                ]
            )
            return "processed" if answer is not None else "ignored"
    except Exception as exc:
        logger.exception("vapi webhook re-processing failed", extra={"event_id": event_id})
        WebhookEvent.objects.filter(pk=event_id).update(
            status=Status.FAILED,
            error=f"{type(exc).__name__}: {exc}"[:2000],
            traceback=traceback.format_exc(),
            attempts=F("attempts") + 1,
        )
        return "failed"


def _stored_envelope(event: WebhookEvent, message: dict[str, Any]) -> Envelope:
    if not isinstance(message.get("type"), str):
        message = {**message, "type": event.message_type}
    return envelope_from_message(message=message, body=json.dumps(event.payload).encode())
