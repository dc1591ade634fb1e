"""Writes for callbacks: promise one (or refresh the open one), and close it.

Called by the voice app: the `transfer_to_human` tool promises a callback when nobody can take
the call (or the caller asks for one), and a finished outbound call that reached the lead keeps
it. Staff close callbacks from the admin.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from leads.callbacks.models import Callback
from leads.callbacks.selectors import callback_assignee_pick, callback_due_at
from leads.models import Lead
from properties.phone import phone_normalize_or_none

NOTE_MAX_LENGTH = 2000


@transaction.atomic
def callback_request(
    *,
    lead: Lead,
    reason: str,
    number: str = "",
    vapi_call_id: str = "",
    note: str = "",
    now: datetime | None = None,
) -> tuple[Callback, bool]:
    """The lead's open callback, created or refreshed; `(callback, created)`.

    A lead is owed one call however often it asks: a repeated request keeps the open task (its
    assignee and the earlier due time, so it does not slip down the list) and adds its note.
    """
    now = now or timezone.now()
    prop = lead.property
    # An unreadable number is dropped, not refused: the lead's own number still reaches them.
    number = phone_normalize_or_none(number) or lead.phone
    due_at = callback_due_at(prop=prop, at=now)
    existing = _open_for_update(lead)
    if existing is not None:
        return _callback_refresh(
            callback=existing,
            reason=reason,
            number=number,
            due_at=due_at,
            note=note,
            vapi_call_id=vapi_call_id,
        ), False
    callback = Callback(
        property=prop,
        lead=lead,
        number=number,
        reason=reason,
        due_at=due_at,
        assigned_to=callback_assignee_pick(prop=prop),
        vapi_call_id=vapi_call_id[:100],
        note=note[:NOTE_MAX_LENGTH],
    )
    # The one-open-per-lead constraint is left to the database: another delivery for the same
    # lead may be inserting right now.
    callback.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            callback.save()
    except IntegrityError:
        existing = _open_for_update(lead)
        if existing is None:
            raise
        return _callback_refresh(
            callback=existing,
            reason=reason,
            number=number,
            due_at=due_at,
            note=note,
            vapi_call_id=vapi_call_id,
        ), False
    return callback, True


def _open_for_update(lead: Lead) -> Callback | None:
    return (
        Callback.objects.select_for_update().filter(lead=lead, status=Callback.Status.OPEN).first()
    )


def _callback_refresh(
    *, callback: Callback, reason: str, number: str, due_at: datetime, note: str, vapi_call_id: str
) -> Callback:
    # The caller asking in so many words is the strongest reason; keep it once given.
    if reason == Callback.Reason.CALLER_ASKED:
        callback.reason = reason
    callback.due_at = min(callback.due_at, due_at)
    callback.number = number or callback.number
    # The latest promise: the call that makes it cannot be the call that keeps it.
    callback.vapi_call_id = vapi_call_id[:100] or callback.vapi_call_id
    if note and note not in callback.note:
        callback.note = "\n".join(filter(None, [callback.note, note]))[:NOTE_MAX_LENGTH]
    callback.full_clean(validate_constraints=False)
    callback.save(
        update_fields=["reason", "due_at", "number", "note", "vapi_call_id", "updated_at"]
    )
    return callback


@transaction.atomic
def callback_complete(
    *,
    callback: Callback,
    done_reason: str,
    user: AbstractBaseUser | None = None,
    vapi_call_id: str = "",
    now: datetime | None = None,
) -> bool:
    """Close an open callback as kept; False when it was already closed (nothing changes)."""
    return _callback_close(
        callback=callback,
        status=Callback.Status.DONE,
        done_reason=done_reason,
        user=user,
        vapi_call_id=vapi_call_id,
        now=now,
    )


@transaction.atomic
def callback_cancel(
    *, callback: Callback, user: AbstractBaseUser | None = None, now: datetime | None = None
) -> bool:
    """Close an open callback without a call (the lead is unreachable, a duplicate...)."""
    return _callback_close(
        callback=callback,
        status=Callback.Status.CANCELLED,
        done_reason=Callback.DoneReason.MANUAL,
        user=user,
        now=now,
    )


def _callback_close(
    *,
    callback: Callback,
    status: str,
    done_reason: str,
    user: AbstractBaseUser | None,
    vapi_call_id: str = "",
    now: datetime | None,
) -> bool:
    # Lock and re-read: the admin and an end-of-call report may close the same task at once.
    locked = Callback.objects.select_for_update().filter(pk=callback.pk).first()
    if locked is None or locked.status != Callback.Status.OPEN:
        return False
    locked.status = status
    locked.done_reason = done_reason
    locked.done_at = now or timezone.now()
    locked.done_by = user
    locked.done_vapi_call_id = vapi_call_id[:100]
    locked.full_clean(validate_constraints=False)
    locked.save(
        update_fields=[
            "status",
            "done_reason",
            "done_at",
            "done_by",
            "done_vapi_call_id",
            "updated_at",
        ]
    )
    for field in ("status", "done_reason", "done_at", "done_by", "done_vapi_call_id"):
        setattr(callback, field, getattr(locked, field))
    return True


@transaction.atomic
def callback_complete_for_lead(
    *,
    lead: Lead,
    done_reason: str,
    vapi_call_id: str = "",
    promised_before: datetime | None = None,
    now: datetime | None = None,
) -> int:
    """Close the lead's open callbacks that a call reaching the lead keeps: those promised
    before `promised_before` (when the call began) and not on the call itself. How many."""
    callbacks = Callback.objects.filter(lead=lead, status=Callback.Status.OPEN)
    if vapi_call_id:
        callbacks = callbacks.exclude(vapi_call_id=vapi_call_id)
    if promised_before is not None:
        callbacks = callbacks.filter(created_at__lt=promised_before)
    closed = 0
    for callback in callbacks:
        closed += callback_complete(
            callback=callback, done_reason=done_reason, vapi_call_id=vapi_call_id, now=now
        )
    return closed
