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
  or creates a new one (data-modifying CTEs: change the call log, store the delivery if it did);
  the first sight also reads the assistant (and the caller's lead) first.
- Deliveries whose handler only reads (check_availability, inbound routing) are answered first
  and stored with their answer by one autocommit INSERT: no transaction, no UPDATE.
"""

import json
import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from voice.calls.services import (
    call_log_advance_statement,
    call_log_first_sight,
    call_log_insert_statement,
    call_log_mark_inserted,
    call_log_record_started,
)
from voice.models import WebhookEvent
from voice.vapi.payload import (
    message_call,
    message_call_id,
    message_phone_number,
    message_timestamp,
)
from voice.webhooks.envelope import webhook_dedupe_key
from voice.webhooks.handlers import (
    HANDLERS,
    answers_before_storing,
    failure_answer,
    status_update_after_advance,
)

logger = logging.getLogger(__name__)

Status = WebhookEvent.Status


class _Duplicate(Exception):
    """Leave the delivery's transaction: the dedupe key belongs to an earlier delivery."""


def webhook_delivery_handle(*, body: bytes, message: dict[str, Any]) -> dict[str, Any]:
    """Store and handle one verified delivery; return the JSON answer for Vapi (always 200)."""
    msg_type = message["type"]
    row = _EventRow(
        message_type=msg_type[:80],
        vapi_call_id=message_call_id(message),
        dedupe_key=webhook_dedupe_key(message, body=body),
        payload=_payload_text(body),
        received_at=timezone.now(),
    )
    handler = HANDLERS.get(msg_type)
    if handler is None:
        # vapi-reference.md §8.2: new types appear often; keep them, answer 200 {}.
        if _event_insert(row, status=Status.IGNORED, answer={}) is None:
            return _stored_answer(row.dedupe_key)
        return {}
    fast_path = FAST_PATHS.get(msg_type) if connection.vendor == "postgresql" else None
    if fast_path is not None:
        try:
            answer = fast_path(row, message)
        except Exception as exc:
            return _failed(row, message, exc)
        if answer is not None:
            return answer
    if answers_before_storing(message):
        # The handler only reads: answer first (autocommit SELECTs), then one INSERT stores the
        # delivery with its answer. A concurrent copy loses the INSERT and replays the winner's
        # answer, so every copy still gets the same answer.
        try:
            answer = handler(message) or {}
        except Exception as exc:
            return _failed(row, message, exc)
        if _event_insert(row, status=Status.PROCESSED, answer=answer) is None:
            return _stored_answer(row.dedupe_key)
        return answer
    try:
        with transaction.atomic():
            event_id = _event_insert(row, status=Status.PROCESSED, answer=None)
            if event_id is None:
                raise _Duplicate
            answer = handler(message)
            if answer is None:
                WebhookEvent.objects.filter(pk=event_id).update(status=Status.IGNORED, response={})
                answer = {}
            elif answer:
                WebhookEvent.objects.filter(pk=event_id).update(response=answer)
    except _Duplicate:
        return _stored_answer(row.dedupe_key)
    except Exception as exc:
        return _failed(row, message, exc)
    return answer


def _failed(row: "_EventRow", message: dict[str, Any], exc: Exception) -> dict[str, Any]:
    """Log, store the delivery as failed with its traceback (a short transaction of its own: the
    handler's was rolled back), and give Vapi the answer shape it expects."""
    answer = failure_answer(message)
    logger.exception(
        "vapi webhook handler failed",
        extra={"message_type": row.message_type, "vapi_call_id": row.vapi_call_id},
    )
    _event_insert(
        row,
        status=Status.FAILED,
        answer=answer,
        error=f"{type(exc).__name__}: {exc}"[:2000],
        traceback_text=traceback.format_exc(),
    )
    return answer


# PostgreSQL: a status-update that moves a known call forward is applied and stored by ONE
# autocommit statement. The INSERT runs only if the UPDATE matched, so nothing is written when it
# didn't (first sight, out of order, a duplicate: the UPDATE only matches earlier statuses, and a
# concurrent copy waits on the row lock, then matches nothing) and the generic path takes over.
_STATUS_UPDATE_FUSED_SQL = (
    "WITH advanced AS (<update>), stored AS ("
    "INSERT INTO webhook_events (message_type, vapi_call_id, dedupe_key, payload, status, error, "
    "traceback, response, attempts, received_at, processed_at) "
    "SELECT %s, %s, %s, %s::jsonb, 'processed', '', '', NULL, 1, %s, %s "
    "WHERE EXISTS (SELECT 1 FROM advanced) "
    "ON CONFLICT (dedupe_key) DO NOTHING RETURNING id) "
    "SELECT EXISTS (SELECT 1 FROM advanced), (SELECT lead_id FROM advanced), "
    "(SELECT count(*) FROM stored)"
)


# And the first status-update of a call: INSERT the call log (ON CONFLICT DO NOTHING), and the
# inbox row only if the call log was new.
_STATUS_UPDATE_CREATE_SQL = (
    "WITH created AS (<insert>), stored AS ("
    "INSERT INTO webhook_events (message_type, vapi_call_id, dedupe_key, payload, status, error, "
    "traceback, response, attempts, received_at, processed_at) "
    "SELECT %s, %s, %s, %s::jsonb, 'processed', '', '', NULL, 1, %s, %s "
    "WHERE EXISTS (SELECT 1 FROM created) "
    "ON CONFLICT (dedupe_key) DO NOTHING RETURNING id) "
    "SELECT (SELECT id FROM created), (SELECT count(*) FROM stored)"
)


def _status_update_fast_path(row: "_EventRow", message: dict[str, Any]) -> dict[str, Any] | None:
    """{} when one statement did the whole delivery; None to take the generic path."""
    call = message_call(message)
    status = message.get("status")
    if not isinstance(status, str) or not call.get("id"):
        return None
    ended_reason = str(message.get("endedReason") or "")
    at = message_timestamp(message)
    now = connection.ops.adapt_datetimefield_value(row.received_at)
    inbox_params = [row.message_type, row.vapi_call_id, row.dedupe_key, row.payload, now, now]
    statement = call_log_advance_statement(
        call=call, status=status, ended_reason=ended_reason, at=at
    )
    if statement is not None and status not in ("scheduled", "queued"):
        update_sql, update_params = statement
        with connection.cursor() as cursor:
            cursor.execute(
                _STATUS_UPDATE_FUSED_SQL.replace("<update>", update_sql),
                [*update_params, *inbox_params],
            )
            advanced, lead_id, _stored = cursor.fetchone()
        if advanced:
            status_update_after_advance(call_id=str(call["id"]), status=status, lead_id=lead_id)
            return {}
    # Not a known call being moved forward: most likely the first sight of a new call.
    call_log = call_log_first_sight(
        call=call,
        status=status,
        ended_reason=ended_reason,
        phone_number=message_phone_number(message),
        assistant_config=message.get("assistant") if isinstance(message.get("assistant"), dict)
        else None,
        at=at,
    )  # fmt: skip
    if call_log is None:
        return None
    insert_sql, insert_params = call_log_insert_statement(call_log)
    with connection.cursor() as cursor:
        cursor.execute(
            _STATUS_UPDATE_CREATE_SQL.replace("<insert>", insert_sql),
            [*insert_params, *inbox_params],
        )
        created_id, _stored = cursor.fetchone()
    if created_id is None:
        return None  # the call exists (out of order, or a duplicate): the generic path decides
    call_log_mark_inserted(call_log, created_id)
    if call_log.lead_id:
        call_log_record_started(call_log=call_log)
    return {}


# Deliveries that can skip the generic path on PostgreSQL (see the SQL above).
FAST_PATHS: dict[str, Callable[["_EventRow", dict[str, Any]], dict[str, Any] | None]] = {
    "status-update": _status_update_fast_path,
}


@dataclass(frozen=True)
class _EventRow:
    message_type: str
    vapi_call_id: str
    dedupe_key: str
    payload: str
    received_at: datetime


def _event_insert(
    row: _EventRow,
    *,
    status: str,
    answer: dict[str, Any] | None,
    error: str = "",
    traceback_text: str = "",
) -> int | None:
    """INSERT the delivery unless its dedupe key is taken; return the new id, or None.

    Raw SQL because the ORM can't say "insert, or tell me it already existed" in one round trip
    (bulk_create(ignore_conflicts=True) returns no id). The payload goes in as the raw body text,
    not re-serialised: it is what Vapi signed. Works on PostgreSQL and SQLite (>= 3.35).
    """
    now = connection.ops.adapt_datetimefield_value(row.received_at)
    processed_at = None if status == Status.FAILED else now
    sql = _INSERT_SQL_POSTGRESQL if connection.vendor == "postgresql" else _INSERT_SQL
    params = [
        row.message_type,
        row.vapi_call_id,
        row.dedupe_key,
        row.payload,
        status,
        error,
        traceback_text,
        None if answer is None else json.dumps(answer),
        now,
        processed_at,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchone()
    return found[0] if found else None


_INSERT_SQL = (
    "INSERT INTO webhook_events (message_type, vapi_call_id, dedupe_key, payload, status, error, "
    "traceback, response, attempts, received_at, processed_at) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, 1, %s, %s) "
    "ON CONFLICT (dedupe_key) DO NOTHING RETURNING id"
)
# PostgreSQL: the JSON text goes straight into jsonb (parsed once, by the server).
_INSERT_SQL_POSTGRESQL = _INSERT_SQL.replace(
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s,",
    "VALUES (%s, %s, %s, %s::jsonb, %s, %s, %s, %s::jsonb,",
)


def _stored_answer(dedupe_key: str) -> dict[str, Any]:
    """The answer given to the first copy of a duplicate delivery (same toolCallId -> same
    result, vapi-reference.md §10.1)."""
    stored = list(
        WebhookEvent.objects.filter(dedupe_key=dedupe_key)
        .order_by()  # one row by a unique key: no sort
        .values_list("response", flat=True)[:1]
    )
    return stored[0] if stored and isinstance(stored[0], dict) else {}


def _payload_text(body: bytes) -> str:
    text = body.decode("utf-8")
    # PostgreSQL jsonb rejects the NUL escape that JSON itself allows.
    return text.replace("\\u0000", "\\ufffd") if "\\u0000" in text else text


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
            handler = HANDLERS.get(event.message_type)
            answer = handler(message) if handler is not None and message else None
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
