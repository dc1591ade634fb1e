"""The only database-specific SQL in `voice`: the webhook's fast paths, with a portable fallback.

Why raw SQL at all (performance-notes.md: a round trip costs more than the Python of a request):
- the inbox INSERT must say in one round trip whether it claimed the dedupe key (the ORM's
  `bulk_create(ignore_conflicts=True)` returns no id);
- a status-update moves a known call forward with one UPDATE that also returns the call's lead;
- on PostgreSQL both are fused into one statement with data-modifying CTEs, so a status-update
  costs one statement and one commit. `fused_statements()` says whether the database can.
Everything here runs on PostgreSQL and SQLite (>= 3.35: RETURNING, ON CONFLICT); anything else
gets `fused_statements() == False` and the generic (ORM) paths.

Takes plain values and model instances; imports only `voice.models`, so every package may use it.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models.constants import OnConflict
from django.db.models.sql import InsertQuery

from voice.models import CallLog, WebhookEvent


def fused_statements() -> bool:
    """Can a call-log change and the inbox INSERT be one statement (data-modifying CTEs)?"""
    return connection.vendor == "postgresql"


def _adapt(value: datetime | None) -> Any:
    return connection.ops.adapt_datetimefield_value(value)


# The inbox (webhook_events) ----------------------------------------------------------------------


@dataclass(frozen=True)
class InboxRow:
    """The columns of a delivery that do not depend on how it was handled."""

    message_type: str
    vapi_call_id: str
    dedupe_key: str
    payload: str  # the raw JSON text Vapi signed, not re-serialised
    received_at: datetime


_INBOX_COLUMNS = (
    "message_type, vapi_call_id, dedupe_key, payload, status, error, traceback, response, "
    "attempts, received_at, processed_at"
)
_INSERT_SQL = (
    "INSERT INTO webhook_events (<columns>) "
    "VALUES (%s, %s, %s, <json>, %s, %s, %s, <json>, 1, %s, %s) "
    "ON CONFLICT (dedupe_key) DO NOTHING RETURNING id"
).replace("<columns>", _INBOX_COLUMNS)


def _json_placeholder() -> str:
    # PostgreSQL: the JSON text goes straight into jsonb (parsed once, by the server).
    return "%s::jsonb" if fused_statements() else "%s"


def webhook_event_insert(
    *,
    row: InboxRow,
    status: str,
    answer: dict[str, Any] | None,
    error: str = "",
    traceback_text: str = "",
) -> int | None:
    """INSERT the delivery unless its dedupe key is taken; return the new id, or None."""
    now = _adapt(row.received_at)
    done = status not in (WebhookEvent.Status.FAILED, WebhookEvent.Status.RECEIVED)
    processed_at = now if done else None
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
        cursor.execute(_INSERT_SQL.replace("<json>", _json_placeholder()), params)
        found = cursor.fetchone()
    return found[0] if found else None


# Claiming a stored delivery: exactly one worker runs it. The conditions (status and attempts as
# the claimer read them) make a concurrent claimer match nothing once the first one has claimed
# it; the row stays locked until the claimer's transaction ends. With `skip_locked` (PostgreSQL) a
# row another transaction holds is not waited for: it is in flight, not stuck.
_CLAIM_SQL = (
    "UPDATE webhook_events SET status = 'processed', processed_at = %s, "
    "attempts = attempts + %s, error = '', traceback = '', response = <json> "
    "WHERE <row> RETURNING id"
)
_CLAIM_ROW = "id = %s AND status = %s AND attempts = %s"
_CLAIM_LOCKED = "id = (SELECT id FROM webhook_events WHERE <row> FOR UPDATE SKIP LOCKED)"
_CLAIM_WHERE = {"skip_locked": _CLAIM_LOCKED.replace("<row>", _CLAIM_ROW), "wait": _CLAIM_ROW}


def webhook_event_claim(
    *,
    event_id: int,
    status: str,
    attempts: int,
    now: datetime,
    count_attempt: bool,
    skip_locked: bool,
    answer: dict[str, Any] | None = None,
) -> bool:
    """Mark the delivery `processed` (with `answer`) if it is still in `status` after `attempts`
    attempts; True if this call claimed it. In a transaction the claim holds the row until the
    transaction ends: if the handler then fails, the claim is rolled back with it.

    `skip_locked` (PostgreSQL only; SQLite serialises writers anyway): do not wait for a row that
    another transaction is processing; report it as not claimed."""
    mode = "skip_locked" if skip_locked and connection.vendor == "postgresql" else "wait"
    params = [
        _adapt(now),
        1 if count_attempt else 0,
        None if answer is None else json.dumps(answer),
        event_id,
        status,
        attempts,
    ]
    with connection.cursor() as cursor:
        statement = _CLAIM_SQL.replace("<row>", _CLAIM_WHERE[mode])
        cursor.execute(statement.replace("<json>", _json_placeholder()), params)
        return cursor.fetchone() is not None


# The stored-if-it-did half of a fused statement: the inbox row, only when the CTE <step> wrote.
_STORE_IF_SQL = (
    "stored AS (INSERT INTO webhook_events (<columns>) "
    "SELECT %s, %s, %s, %s::jsonb, 'processed', '', '', NULL, 1, %s, %s "
    "WHERE EXISTS (SELECT 1 FROM <step>) "
    "ON CONFLICT (dedupe_key) DO NOTHING RETURNING id)"
).replace("<columns>", _INBOX_COLUMNS)


def _store_params(row: InboxRow) -> list[Any]:
    now = _adapt(row.received_at)
    return [row.message_type, row.vapi_call_id, row.dedupe_key, row.payload, now, now]


# A fused statement that wrote but found its dedupe key taken has just done the work of an earlier
# copy whose attempt left nothing (failed: rolled back; received: its worker died, or is still
# running, and will then find nothing to do): that row is done now.
_SETTLE_SQL = (
    "UPDATE webhook_events SET status = 'processed', processed_at = %s, "
    "attempts = attempts + 1, error = '', traceback = '', response = NULL "
    "WHERE id = (SELECT id FROM webhook_events WHERE dedupe_key = %s "
    "AND status IN ('failed', 'received') FOR UPDATE SKIP LOCKED)"
)


def _settle_earlier_copy(row: InboxRow) -> None:
    with connection.cursor() as cursor:
        cursor.execute(_SETTLE_SQL, [_adapt(row.received_at), row.dedupe_key])


# Call logs (call_logs) ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CallLogAdvance:
    """Move a known call forward to `status`: status only forward (`earlier` are the statuses it
    may come from); start, end, reason and duration filled only when blank."""

    call_id: str
    status: str
    earlier: tuple[str, ...]
    started_at: datetime | None
    ended_at: datetime | None
    ended_reason: str
    updated_at: datetime


# Seconds between start and end, rounded half up like `calls.mapping.seconds_between`, never
# negative.
_DURATION_SQL = {
    "postgresql": "GREATEST(FLOOR(EXTRACT(EPOCH FROM (COALESCE(ended_at, %s) - started_at)) + 0.5)"
    "::integer, 0)",
    "sqlite": "MAX(CAST((julianday(COALESCE(ended_at, %s)) - julianday(started_at)) * 86400 + 0.5 "
    "AS INTEGER), 0)",
}
_ADVANCE_SQL = (
    "UPDATE call_logs SET status = %s, updated_at = %s, started_at = COALESCE(started_at, %s), "
    "ended_at = COALESCE(ended_at, %s), "
    "ended_reason = CASE WHEN ended_reason = '' THEN %s ELSE ended_reason END, "
    "duration_seconds = COALESCE(duration_seconds, <duration>) "
    "WHERE vapi_call_id = %s AND status IN (<earlier>) RETURNING lead_id"
)


def call_log_advance_supported() -> bool:
    """Does this database take the one-UPDATE path (else the ORM upsert does the work)?"""
    return connection.vendor in _DURATION_SQL


def _advance_statement(advance: CallLogAdvance) -> tuple[str, list[Any]]:
    sql = _ADVANCE_SQL.replace("<duration>", _DURATION_SQL[connection.vendor]).replace(
        "<earlier>", ", ".join(["%s"] * len(advance.earlier))
    )
    params = [
        advance.status,
        _adapt(advance.updated_at),
        _adapt(advance.started_at),
        _adapt(advance.ended_at),
        advance.ended_reason[:200],
        _adapt(advance.ended_at),
        advance.call_id,
        *advance.earlier,
    ]
    return sql, params


def call_log_advance(*, advance: CallLogAdvance) -> tuple[bool, int | None]:
    """Run the one UPDATE: (advanced, the call's lead id). Not advanced on first sight or when the
    call is already that far."""
    with connection.cursor() as cursor:
        cursor.execute(*_advance_statement(advance))
        row = cursor.fetchone()
    return (True, row[0]) if row else (False, None)


def call_log_advance_and_store(
    *, advance: CallLogAdvance, row: InboxRow
) -> tuple[bool, int | None]:
    """PostgreSQL: the one UPDATE and the inbox INSERT in ONE autocommit statement; the INSERT
    runs only if the UPDATE matched, so nothing is written when it didn't (first sight, out of
    order, a duplicate: a concurrent copy waits on the row lock, then matches nothing)."""
    advanced, lead_id = _with_store(
        "advanced",
        _advance_statement(advance),
        "SELECT EXISTS (SELECT 1 FROM advanced), (SELECT lead_id FROM advanced)",
        row,
        wrote=lambda values: bool(values[0]),
    )
    return bool(advanced), lead_id


def _with_store(
    step: str,
    statement: tuple[str, list[Any]],
    select: str,
    row: InboxRow,
    wrote: Callable[[tuple[Any, ...]], bool],
) -> tuple[Any, ...]:
    """`WITH <step> AS (statement), stored AS (the inbox INSERT if <step> wrote) <select>`.

    `wrote(values)` says from the selected values whether <step> wrote; if it did but the inbox
    row was not stored (the key is taken), the earlier copy's row is settled."""
    step_sql, step_params = statement
    sql = (
        "WITH <step> AS (<statement>), <store> <select>, <count>".replace(
            "<store>", _STORE_IF_SQL.replace("<step>", step)
        )
        .replace("<select>", select)
        .replace("<count>", "(SELECT count(*) FROM stored)")
        .replace("<step>", step)
    )
    with connection.cursor() as cursor:
        cursor.execute(sql.replace("<statement>", step_sql), [*step_params, *_store_params(row)])
        *values, stored = cursor.fetchone()
    if not stored and wrote(tuple(values)):
        _settle_earlier_copy(row)
    return tuple(values)


def _insert_statement(call_log: CallLog) -> tuple[str, Any]:
    """`INSERT ... ON CONFLICT DO NOTHING RETURNING id` for an unsaved CallLog, compiled by the
    ORM (what bulk_create runs), so it can run alone or inside a larger statement. No public API
    says whether a row was inserted when conflicts are ignored, and a savepoint around create()
    would cost two more round trips on every new call."""
    fields = [field for field in CallLog._meta.concrete_fields if not field.primary_key]
    query = InsertQuery(CallLog, on_conflict=OnConflict.IGNORE)
    query.insert_values(fields, [call_log])
    compiler = query.get_compiler(using=connection.alias)
    compiler.returning_fields = [CallLog._meta.pk]
    [(sql, params)] = compiler.as_sql()
    return sql, params


def _saved(call_log: CallLog, pk: int) -> CallLog:
    """The inserted row as a saved instance (`Model.from_db`: the public way to say "loaded")."""
    names = [field.attname for field in CallLog._meta.concrete_fields]
    values = [pk if field.primary_key else getattr(call_log, field.attname)
              for field in CallLog._meta.concrete_fields]  # fmt: skip
    return CallLog.from_db(connection.alias, names, values)


def call_log_insert_if_new(*, call_log: CallLog) -> CallLog | None:
    """INSERT the unsaved call log unless its Vapi call id exists; the saved row, or None."""
    with connection.cursor() as cursor:
        cursor.execute(*_insert_statement(call_log))
        row = cursor.fetchone()
    if row is None or row[0] is None:
        return None
    return _saved(call_log, row[0])


def call_log_insert_and_store(*, call_log: CallLog, row: InboxRow) -> CallLog | None:
    """PostgreSQL: INSERT the call log (ON CONFLICT DO NOTHING) and the inbox row only if the call
    log was new, in one statement; the saved call log, or None when the call existed."""
    (created_id,) = _with_store(
        "created",
        _insert_statement(call_log),
        "SELECT (SELECT id FROM created)",
        row,
        wrote=lambda values: values[0] is not None,
    )
    return None if created_id is None else _saved(call_log, created_id)


# Campaign claims (voice/campaigns/runner.py) ----------------------------------------------------


def lock_row(*, queryset: Any, **values: Any) -> int:
    """Take the write lock on the rows of `queryset` by updating them with `values`; how many.

    An UPDATE rather than SELECT … FOR UPDATE: on PostgreSQL both lock the row until commit, and
    on SQLite (no row locks) only a write takes the database's write lock, so this serialises
    schedulers there too.
    """
    return queryset.update(**values)


def rows_claim(*, queryset: Any, limit: int) -> list[int]:
    """Lock up to `limit` rows of `queryset` for this transaction and return their ids.

    PostgreSQL: SELECT … FOR UPDATE SKIP LOCKED, so rows another transaction holds (a dial
    settling, another scheduler) are passed over rather than waited for or taken twice. SQLite has
    no row locks (Django leaves the clause out): its one writer at a time does the same job, as
    long as the caller has written first (`lock_row`).
    """
    if limit <= 0:
        return []
    return list(queryset.select_for_update(skip_locked=True).values_list("pk", flat=True)[:limit])
