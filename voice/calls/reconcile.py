"""Outbound calls whose outcome is unknown: recorded, then checked against Vapi's call list.

POST /call is never repeated blindly (voice/vapi/core.py): when it was sent but no answer came
back (read timeout, connection closed or reset, a write cut off: VapiOutcomeUnknown), Vapi may be
dialling. call_place_outbound then records a CallLog with status `unknown` (`call_log_record_
unknown`), and before any new call to that number (`call_logs_reconcile_number`), or from
`manage.py reconcile_calls` (`call_logs_reconcile_unknown`), we look the attempt up in GET /call:

- found: the CallLog becomes that call (its Vapi id and status, then the webhook's mapping), and
  the new call is refused (CallAlreadyPlacedError): the lead was dialled already;
- not found: the CallLog becomes `failed` ("not placed") and the new call goes ahead.

Vapi is always asked first and each CallLog is written in its own short transaction afterwards:
no transaction is held open across a request, and a VoiceError while asking leaves the CallLog
`unknown` (and nothing dialled).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from voice.calls.sync import call_log_refresh, call_log_save_from_vapi
from voice.models import Assistant, CallLog
from voice.vapi import client as vapi_client
from voice.vapi.client import VapiClient, VapiObject
from voice.vapi.core import parse_vapi_datetime
from voice.vapi.errors import CallAlreadyPlacedError

logger = logging.getLogger(__name__)

# How far around our attempt Vapi's createdAt is looked for: our clock and Vapi's may differ, and
# Vapi stamps the call when it handles the request, which may be well after we sent it (the
# read timeout is 20 s by default).
RECONCILE_WINDOW = timedelta(minutes=5)
RECONCILE_PAGE_SIZE = 100

NOT_PLACED = "Not placed: Vapi has no such call."
ALREADY_PLACED = (
    "This number was already called: an earlier call whose outcome was unknown was placed after "
    "all (Vapi call {vapi_call_id}). Check that call before calling again."
)


def unknown_call_id(attempt_id: str) -> str:
    """The CallLog's vapi_call_id until Vapi's id is known (the column is unique and required)."""
    return f"unknown-{attempt_id}"


def call_log_record_unknown(
    *,
    attempt_id: str,
    attempted_at: datetime,
    assistant: Assistant,
    lead: Any,
    customer_number: str,
    metadata: dict[str, str],
    error: str,
) -> CallLog:
    """Record an attempt whose outcome is unknown (after the request returned; a short
    transaction of its own)."""
    with transaction.atomic():
        # get_or_create: a campaign may have recorded this attempt as lost already (its worker
        # looked dead: voice/campaigns/runner.py); it is the same attempt.
        call_log, _ = CallLog.objects.get_or_create(
            vapi_call_id=unknown_call_id(attempt_id),
            defaults={
                "property": assistant.property,
                "assistant": assistant,
                "lead": lead,
                "direction": CallLog.Direction.OUTBOUND,
                "status": CallLog.Status.UNKNOWN,
                "customer_number": customer_number,
                "ended_reason": f"outcome unknown ({error})"[:200],
                "metadata": {**metadata, "attemptedAt": attempted_at.isoformat()},
            },
        )
    logger.warning(
        "outbound attempt %s: outcome unknown (%s), call log %s", attempt_id, error, call_log.pk
    )
    return call_log


@dataclass(frozen=True)
class Reconciled:
    call_log: CallLog
    placed: bool


def call_logs_reconcile_number(*, number: str, client: VapiClient | None = None) -> None:
    """Reconcile the `unknown` CallLogs of `number` (E.164) before it is called again.

    CallAlreadyPlacedError when one of them was placed after all; a VoiceError when Vapi cannot
    be asked (the caller must not dial then).
    """
    pending = list(CallLog.objects.filter(status=CallLog.Status.UNKNOWN, customer_number=number))
    if not pending:
        return
    client = client or vapi_client.get_vapi_client()
    results = [call_log_reconcile(call_log=call_log, client=client) for call_log in pending]
    placed = [result for result in results if result.placed]
    if placed:
        call_log = placed[0].call_log
        raise CallAlreadyPlacedError(
            ALREADY_PLACED.format(vapi_call_id=call_log.vapi_call_id),
            details={"call_log_id": call_log.pk, "vapi_call_id": call_log.vapi_call_id},
        )


def call_logs_reconcile_unknown(*, client: VapiClient | None = None) -> list[Reconciled]:
    """Reconcile every `unknown` CallLog (manage.py reconcile_calls). A VoiceError stops it; the
    CallLogs done so far stay done."""
    pending = list(CallLog.objects.filter(status=CallLog.Status.UNKNOWN).order_by("created_at"))
    if not pending:
        return []
    client = client or vapi_client.get_vapi_client()
    return [call_log_reconcile(call_log=call_log, client=client) for call_log in pending]


def call_log_reconcile(*, call_log: CallLog, client: VapiClient) -> Reconciled:
    """Look one `unknown` CallLog up in Vapi's call list and settle it (see the module)."""
    call = _find_call(call_log, client)
    if call is None:
        with transaction.atomic():
            updated = CallLog.objects.filter(pk=call_log.pk, status=CallLog.Status.UNKNOWN).update(
                status=CallLog.Status.FAILED, ended_reason=NOT_PLACED, updated_at=timezone.now()
            )
        call_log.refresh_from_db()
        if updated:
            logger.info("call log %s: outcome unknown -> not placed", call_log.pk)
        return Reconciled(call_log, placed=call_log.status != CallLog.Status.FAILED)
    settled = _mark_placed(call_log, call)
    logger.info("call log %s: outcome unknown -> placed (%s)", call_log.pk, settled.vapi_call_id)
    return Reconciled(settled, placed=True)


def _window(call_log: CallLog) -> tuple[datetime, datetime]:
    try:
        attempted_at = datetime.fromisoformat(str(call_log.metadata.get("attemptedAt")))
    except ValueError:
        attempted_at = call_log.created_at
    return attempted_at - RECONCILE_WINDOW, call_log.created_at + RECONCILE_WINDOW


def _find_call(call_log: CallLog, client: VapiClient) -> VapiObject | None:
    """The Vapi call of this attempt, or None.

    By our `attemptId` first: we send it in assistantOverrides.metadata, and Vapi echoes
    assistantOverrides on the Call object (vapi-reference.md §3.2, inferred from the schema, not
    documented). Should Vapi ever not echo it, the customer number within the time window is the
    fallback: an outbound call to this number, created around our attempt, that no other attempt
    of ours claims. Both readings are accepted because the cost is lopsided: taking someone
    else's call for ours refuses one call wrongly (and settles the log, so the next try goes
    ahead); missing ours would dial the lead twice.
    """
    attempt_id = str(call_log.metadata.get("attemptId") or "")
    start, end = _window(call_log)
    fallback: list[VapiObject] = []
    for call in client.iter_calls(
        created_at_ge=start, created_at_le=end, page_size=RECONCILE_PAGE_SIZE
    ):
        theirs = str(_metadata(call).get("attemptId") or "")
        if theirs:
            if attempt_id and theirs == attempt_id:
                return call
            continue  # another attempt of ours
        customer = call.get("customer") if isinstance(call.get("customer"), dict) else {}
        if call.get("id") and customer.get("number") == call_log.customer_number:
            fallback.append(call)
    if not fallback:
        return None
    # Calls another CallLog of ours already claims for another attempt are not this one.
    claimed = {
        row.vapi_call_id
        for row in CallLog.objects.filter(vapi_call_id__in=[str(c["id"]) for c in fallback])
        if (row.metadata or {}).get("attemptId") not in (None, "", attempt_id)
    }
    candidates = [call for call in fallback if str(call["id"]) not in claimed]
    if not candidates:
        return None
    # The one created closest to our attempt.
    attempted = start + RECONCILE_WINDOW
    return min(candidates, key=lambda c: abs(_created(c, attempted) - attempted))


def _created(call: VapiObject, default: datetime) -> datetime:
    try:
        return parse_vapi_datetime(str(call.get("createdAt")))
    except ValueError:
        return default


def _metadata(call: VapiObject) -> dict[str, Any]:
    overrides = call.get("assistantOverrides")
    metadata = overrides.get("metadata") if isinstance(overrides, dict) else None
    return metadata if isinstance(metadata, dict) else {}


def _mark_placed(call_log: CallLog, call: VapiObject) -> CallLog:
    """The `unknown` CallLog becomes Vapi's call; if a webhook or sync already recorded that call
    under its Vapi id, that row takes over what only we knew and the placeholder goes."""
    call_id = str(call["id"])[:100]
    with transaction.atomic():
        row = CallLog.objects.select_for_update().filter(pk=call_log.pk).first()
        if row is not None and row.status == CallLog.Status.UNKNOWN:
            existing = CallLog.objects.select_for_update().filter(vapi_call_id=call_id).first()
            if existing is None:
                row.vapi_call_id = call_id
                row.status = CallLog.Status.QUEUED
                row.ended_reason = ""
                row.save()
            else:
                existing.property = existing.property or row.property
                existing.assistant = existing.assistant or row.assistant
                existing.lead = existing.lead or row.lead
                existing.direction = CallLog.Direction.OUTBOUND
                existing.customer_number = existing.customer_number or row.customer_number
                existing.metadata = {**row.metadata, **(existing.metadata or {})}
                # A campaign's attempt (voice/campaigns/runner.py) follows its call.
                existing.campaign_contact_id = (
                    existing.campaign_contact_id or row.campaign_contact_id
                )
                existing.save()
                row.delete()
        upsert = call_log_save_from_vapi(call=call)
    return upsert.call_log


STALE_BATCH = 100


def call_logs_refresh_stale(*, at: datetime | None = None, client: VapiClient | None = None) -> int:
    """Calls Vapi placed that never reported their end (a lost end-of-call report and status
    update): after CAMPAIGN_CALL_SLOT_MAX_AGE_MINUTES, ask GET /call/{id} and save what it says.
    A VoiceError stops it (raised); the calls refreshed so far stay refreshed."""
    at = at or timezone.now()
    age = timedelta(minutes=settings.CAMPAIGN_CALL_SLOT_MAX_AGE_MINUTES)
    stale = list(
        CallLog.objects.filter(
            status__in=(
                CallLog.Status.QUEUED,
                CallLog.Status.RINGING,
                CallLog.Status.IN_PROGRESS,
                CallLog.Status.FORWARDING,
            ),
            created_at__lt=at - age,
        ).order_by("created_at")[:STALE_BATCH]
    )
    if not stale:
        return 0
    client = client or vapi_client.get_vapi_client()
    for call_log in stale:
        call_log_refresh(call_log=call_log, client=client)
    return len(stale)
