"""The inbox: store every verified delivery (deduplicated), handle it, remember the answer.

Transaction design (performance-notes.md; vapi-reference.md §10.1):
- Requests that need an answer (tool calls, routing): one transaction per delivery. Its first
  statement claims the dedupe key: `INSERT ... ON CONFLICT (dedupe_key) DO NOTHING RETURNING id`.
  A concurrent duplicate blocks on that unique key until the first delivery commits, then finds
  the row and replays the stored answer; so side effects (a tour, an activity) happen once, and
  every copy of a tool call gets the same answer. The row is inserted as "processed" and the
  handler runs in the same transaction; only a non-empty answer is written back with one UPDATE.
  A worker killed mid-way leaves nothing, which is right: the caller heard the call fail.
- Informational deliveries whose loss would leave a call log unfinished (the type's `durable`:
  status-update, end-of-call-report, transcript, hang): the delivery is committed first as
  "received" (one autocommit INSERT), then a transaction claims it (a conditional UPDATE to
  "processed" that holds the row) and runs the handler. A worker killed in between leaves the
  row "received": `reprocess_webhooks` picks it up after a short grace, or a redelivery of it
  does. One extra statement and one extra COMMIT per delivery buy that.
- A handler that raises rolls its transaction back (no half-applied effects); the delivery is
  then stored as "failed" with the traceback and the answer we gave.
- A redelivery of a failed delivery (or of a "received" one whose worker is gone) runs it again,
  once: it claims the stored row with a conditional UPDATE on the status and attempt count it read,
  so of several concurrent copies exactly one runs it; the others wait on the row (a received one
  is skipped on PostgreSQL: in flight, its answer is {} anyway) and replay the winner's answer. A
  failure of that re-run is recorded under the same claim (a savepoint), so a waiting copy replays
  it instead of running again.
- Types without a handler are stored as "ignored" by a single autocommit INSERT.
- On PostgreSQL a status-update is one autocommit statement when it moves a known call forward
  or creates a new one (the type's `fast_path`; the SQL is in `voice.sql`), durable as it is; the
  first sight also reads the assistant (and the caller's lead) first.
- Deliveries whose handler only reads (the type's `read_only`: check_availability), or writes
  one idempotent statement that is atomic on its own (inbound routing: the routed call log,
  INSERT ... ON CONFLICT DO NOTHING), are answered first and stored with their answer by one
  autocommit INSERT: no transaction, no UPDATE.
"""

import json
import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from voice import sql
from voice.models import WebhookEvent
from voice.webhooks.envelope import Envelope, envelope_from_message
from voice.webhooks.messages import MESSAGES, MessageType

logger = logging.getLogger(__name__)

Status = WebhookEvent.Status
Answer = dict[str, Any]

# A "received" delivery older than this has lost its worker (a delivery takes milliseconds; one
# still running holds its row and is skipped anyway): `reprocess_webhooks` runs it.
STUCK_AFTER = timedelta(seconds=30)


class _Duplicate(Exception):
    """Leave the delivery's transaction: the dedupe key belongs to an earlier delivery."""


def webhook_delivery_handle(*, envelope: Envelope) -> Answer:
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
            return _redelivered(row, envelope, kind, answered=answer)
        return answer
    if kind.durable:
        # Committed before anything else happens: a worker killed from here on leaves it stored.
        event_id = sql.webhook_event_insert(row=row, status=Status.RECEIVED, answer=None)
        if event_id is None:
            return _redelivered(row, envelope, kind)
        claim = _Claim(event_id, Status.RECEIVED, attempts=1, first_run=True)
        outcome = _run_kind(claim, kind, envelope)
        return _stored_answer(row.dedupe_key) if outcome is None else outcome[1]
    try:
        with transaction.atomic():
            event_id = sql.webhook_event_insert(row=row, status=Status.PROCESSED, answer=None)
            if event_id is None:
                raise _Duplicate
            answer = _answer_store(event_id, kind.handle(envelope))
    except _Duplicate:
        return _redelivered(row, envelope, kind)
    except Exception as exc:
        return _failed(row, envelope, exc)
    return answer


def _answer_store(event_id: int, answer: Answer | None) -> Answer:
    """Write what the handler answered onto its claimed row: "ignored" when it needed no work,
    the answer when there is one (an empty answer is the row's default: no statement)."""
    if answer is None:
        WebhookEvent.objects.filter(pk=event_id).update(status=Status.IGNORED, response={})
        return {}
    if answer:
        WebhookEvent.objects.filter(pk=event_id).update(response=answer)
    return answer


def _failed(row: sql.InboxRow, envelope: Envelope, exc: Exception) -> Answer:
    """Log, store the delivery as failed with its traceback (a short transaction of its own: the
    handler's was rolled back), and give Vapi the answer shape it expects."""
    answer = MESSAGES[envelope.type].failure_answer(envelope)
    _log_failure(row.message_type, row.vapi_call_id)
    stored = sql.webhook_event_insert(
        row=row,
        status=Status.FAILED,
        answer=answer,
        error=_error_text(exc),
        traceback_text=traceback.format_exc(),
    )
    if stored is None:
        # A copy that failed again, or that a concurrent copy stored meanwhile: record this attempt
        # on a failed row; the stored answer is the one every copy gets.
        WebhookEvent.objects.filter(dedupe_key=row.dedupe_key, status=Status.FAILED).update(
            error=_error_text(exc), traceback=traceback.format_exc(), attempts=F("attempts") + 1
        )
        return _stored_answer(row.dedupe_key)
    return answer


def _log_failure(message_type: str, vapi_call_id: str) -> None:
    logger.exception(
        "vapi webhook handler failed",
        extra={"message_type": message_type, "vapi_call_id": vapi_call_id},
    )


def _error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:2000]


def _stored_answer(dedupe_key: str) -> Answer:
    """The answer given to the first copy of a duplicate delivery (same toolCallId -> same
    result, vapi-reference.md §10.1)."""
    stored = list(
        WebhookEvent.objects.filter(dedupe_key=dedupe_key)
        .order_by()  # one row by a unique key: no sort
        .values_list("response", flat=True)[:1]
    )
    return stored[0] if stored and isinstance(stored[0], dict) else {}


# Running a stored delivery once: first runs, redeliveries, re-processing ------------------------


@dataclass(frozen=True)
class _Claim:
    """A stored delivery as its claimer read it: the claim holds only if it is still so."""

    event_id: int
    status: str
    attempts: int
    # The durable path's own run of the row it just stored: not another attempt, no savepoint.
    first_run: bool = False


def _run(
    claim: _Claim, handle: Callable[[], Answer | None], failure_answer: Callable[[], Answer]
) -> tuple[str, Answer] | None:
    """Claim the stored delivery and run `handle` in one transaction; (status, answer), or None
    when another worker claimed it first (or, on PostgreSQL, is running it now)."""
    try:
        with transaction.atomic():
            claimed = sql.webhook_event_claim(
                event_id=claim.event_id,
                status=claim.status,
                attempts=claim.attempts,
                now=timezone.now(),
                count_attempt=not claim.first_run,
                # Don't wait for a "received" row another worker holds: it is in flight.
                skip_locked=claim.status == Status.RECEIVED,
            )
            if not claimed:
                return None
            if claim.first_run:
                return _handled(claim.event_id, handle())
            # A re-run records its failure under the claim, so a copy waiting on the row replays
            # this attempt's answer instead of running it again.
            try:
                with transaction.atomic():
                    return _handled(claim.event_id, handle())
            except Exception as exc:
                answer = _failure_record(claim, exc, failure_answer(), claim_rolled_back=False)
                return Status.FAILED, answer
    except Exception as exc:
        # The claim was rolled back with the handler's work: the row is as the claimer read it.
        return Status.FAILED, _failure_record(claim, exc, failure_answer(), claim_rolled_back=True)


def _run_kind(claim: _Claim, kind: MessageType, envelope: Envelope) -> tuple[str, Answer] | None:
    return _run(claim, partial(kind.handle, envelope), partial(kind.failure_answer, envelope))


def _handled(event_id: int, answer: Answer | None) -> tuple[str, Answer]:
    return (Status.IGNORED if answer is None else Status.PROCESSED), _answer_store(event_id, answer)


def _failure_record(
    claim: _Claim, exc: Exception, answer: Answer, *, claim_rolled_back: bool
) -> Answer:
    """Store the failure on the row. Still under the claim (a re-run's savepoint was rolled back)
    the row is ours and its attempt already counted. After the claim was rolled back with the
    handler's work, only a row still as the claimer read it is written (another worker may have
    taken it over since), and this attempt is counted unless it was the stored delivery's first."""
    logger.exception("vapi webhook handler failed", extra={"event_id": claim.event_id})
    rows = WebhookEvent.objects.filter(pk=claim.event_id)
    counted = 0
    if claim_rolled_back:
        rows = rows.filter(status=claim.status, attempts=claim.attempts)
        counted = 0 if claim.first_run else 1
    rows.update(
        status=Status.FAILED,
        error=_error_text(exc),
        traceback=traceback.format_exc(),
        response=answer,
        attempts=F("attempts") + counted,
        processed_at=None,
    )
    return answer


def _redelivered(
    row: sql.InboxRow, envelope: Envelope, kind: MessageType, *, answered: Answer | None = None
) -> Answer:
    """A copy of a stored delivery. Processed or ignored: replay its answer. Failed (its attempt
    left nothing), or received with its worker gone: run it again, once, here; `answered` is the
    answer a read-only handler already gave this copy."""
    stored = (
        WebhookEvent.objects.filter(dedupe_key=row.dedupe_key)
        .order_by()
        .values_list("pk", "status", "attempts", "response")
        .first()
    )
    if stored is None:
        return answered or {}
    event_id, status, attempts, response = stored
    if status in (Status.FAILED, Status.RECEIVED):
        claim = _Claim(event_id, status, attempts)
        if answered is not None:
            if sql.webhook_event_claim(
                event_id=event_id, status=status, attempts=attempts, now=timezone.now(),
                count_attempt=True, skip_locked=False, answer=answered,
            ):  # fmt: skip
                return answered
        else:
            outcome = _run_kind(claim, kind, envelope)
            if outcome is not None:
                return outcome[1]
        return _stored_answer(row.dedupe_key)  # the copy that claimed it first: its answer
    return response if isinstance(response, dict) else {}


@dataclass
class ReprocessResult:
    processed: int = 0
    ignored: int = 0
    failed: int = 0
    # Claimed by someone else between selection and claim (a redelivery, a worker still on it).
    skipped: int = 0

    def summary(self) -> str:
        text = f"{self.processed} processed, {self.ignored} ignored, {self.failed} failed."
        return f"{text} {self.skipped} skipped (in flight)." if self.skipped else text


def webhook_events_reprocess(*, events: Any) -> ReprocessResult:
    """Run the handler again for each stored delivery, one transaction each.

    For failed deliveries nothing of the first attempt survived (it was rolled back), and the
    same holds for a received one whose worker died, so this is the first real run. Handlers are
    idempotent (upserts, once-per-call activities, a tour is booked once per lead and time), so
    re-running a processed delivery is safe too. Each delivery is claimed first, as a redelivery
    claims it: one that another worker is running, or ran meanwhile, is skipped.
    """
    result = ReprocessResult()
    for event_id in [event.pk for event in events]:
        status = _reprocess_one(event_id)
        setattr(result, status, getattr(result, status) + 1)
    return result


def _reprocess_one(event_id: int) -> str:
    event = WebhookEvent.objects.filter(pk=event_id).first()
    if event is None:
        return "skipped"
    message = (event.payload or {}).get("message") if isinstance(event.payload, dict) else None
    kind = MESSAGES.get(event.message_type)
    claim = _Claim(event.pk, event.status, event.attempts)
    if kind is not None and not kind.live_only and isinstance(message, dict) and message:
        envelope = _stored_envelope(event, message)
        outcome = _run_kind(claim, kind, envelope)
    else:
        outcome = _run(claim, _no_work, dict)
    return "skipped" if outcome is None else str(outcome[0])


def _no_work() -> None:
    return None


def _stored_envelope(event: WebhookEvent, message: dict[str, Any]) -> Envelope:
    if not isinstance(message.get("type"), str):
        message = {**message, "type": event.message_type}
    return envelope_from_message(message=message, body=json.dumps(event.payload).encode())


# The periodic task re-runs a failed delivery this many times in all, then leaves it to an
# operator (a handler bug fails every time; `manage.py reprocess_webhooks --failed` runs it again
# once fixed).
REPROCESS_MAX_ATTEMPTS = 5
REPROCESS_BATCH = 500


def webhook_events_reprocess_due(*, at: Any = None) -> ReprocessResult:
    """The periodic `webhooks.reprocess` task: deliveries whose worker died (received, older than
    STUCK_AFTER) and failed ones not yet tried REPROCESS_MAX_ATTEMPTS times, oldest first."""
    at = at or timezone.now()
    due = (
        WebhookEvent.objects.filter(
            Q(status=WebhookEvent.Status.RECEIVED, received_at__lt=at - STUCK_AFTER)
            | Q(status=WebhookEvent.Status.FAILED, attempts__lt=REPROCESS_MAX_ATTEMPTS)
        )
        .order_by("received_at", "id")
        .only("id")[:REPROCESS_BATCH]
    )
    return webhook_events_reprocess(events=list(due))
