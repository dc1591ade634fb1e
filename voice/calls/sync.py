"""Pull calls from Vapi into the call log: `sync_calls`, the admin's "Refresh from Vapi" and
`GET /api/v1/voice/calls/{id}?refresh=true`.

A missed or failed webhook leaves a call log stale or missing; Vapi still has the call
(GET /call, GET /call/{id}). Every path here maps the Call object with the webhook's own upsert
(`call_log_upsert_from_vapi`) and finishes ended calls with the webhook's
`call_log_apply_outcome` (lead, activities), so a synced row is the row the webhook would have
written.

Memory stays bounded for any number of calls: the client streams GET /call one page at a time
(VapiClient.iter_call_pages), and each page's existing rows are read with one
`vapi_call_id IN (...)` query; neither all calls nor all call logs are ever held.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import DatabaseError, transaction
from django.db.models import Max

from voice.calls.mapping import CallLogUpsert
from voice.calls.services import (
    call_log_apply_outcome,
    call_log_changes_from_vapi,
    call_log_upsert_from_vapi,
)
from voice.models import CallLog
from voice.vapi import client as vapi_client
from voice.vapi.client import VapiClient, VapiObject
from voice.vapi.core import MAX_LIST_LIMIT
from voice.vapi.errors import VoiceError

logger = logging.getLogger(__name__)

# The default start re-reads this much before the newest call we have: a call created before it
# may have ended (and its report been missed) after; Vapi's default maximum call length is 10
# minutes. Re-read calls cost one comparison each and come out "unchanged".
SYNC_OVERLAP = timedelta(hours=1)
PROGRESS_EVERY = 500


@dataclass
class SyncResult:
    """Counts of one sync run. `error` is the VoiceError that stopped it early (the pages before
    it were saved); `failures` holds the first few per-call errors."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    since: datetime | None = None
    dry_run: bool = False
    error: VoiceError | None = None
    failures: list[str] = field(default_factory=list)

    @property
    def seen(self) -> int:
        return self.created + self.updated + self.unchanged + self.failed

    @property
    def ok(self) -> bool:
        return self.error is None and self.failed == 0

    def summary(self) -> str:
        return (
            f"{self.seen} calls: {self.created} created, {self.updated} updated, "
            f"{self.unchanged} unchanged, {self.failed} failed"
        )


OnProgress = Callable[[SyncResult], None]
MAX_FAILURES_KEPT = 20


def call_sync_default_since() -> datetime | None:
    """Where a sync starts by default: the newest call log we have, minus SYNC_OVERLAP (None when
    there are no call logs: everything Vapi has). Rows the sync itself created count too, so a
    regular sync only re-reads the overlap."""
    newest = CallLog.objects.aggregate(newest=Max("created_at"))["newest"]
    return newest - SYNC_OVERLAP if newest is not None else None


def call_log_save_from_vapi(*, call: VapiObject) -> CallLogUpsert:
    """Create or update the call log of one Vapi Call object (the webhook's mapping), then, if
    the call has ended and the row was written, the lead and activities (idempotent)."""
    with transaction.atomic():
        upsert = call_log_upsert_from_vapi(call=call, phone_number=_our_number(call))
        written = upsert.created or bool(upsert.changed)
        if written and upsert.call_log.status == CallLog.Status.ENDED:
            call_log_apply_outcome(call_log=upsert.call_log)
    return upsert


def call_log_refresh(*, call_log: CallLog, client: VapiClient | None = None) -> CallLogUpsert:
    """GET /call/{id} and save it. Vapi is asked before anything is written, so a VoiceError
    (raised) leaves the row as it was."""
    client = client or vapi_client.get_vapi_client()
    remote = client.get_call(call_log.vapi_call_id)
    return call_log_save_from_vapi(call=remote)


def calls_sync_from_vapi(
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    assistant_id: str | None = None,
    dry_run: bool = False,
    on_progress: OnProgress | None = None,
    progress_every: int = PROGRESS_EVERY,
    page_size: int = MAX_LIST_LIMIT,
    client: VapiClient | None = None,
) -> SyncResult:
    """Upsert every call Vapi has created after `since` (default: call_sync_default_since) and
    before `until`, optionally of one Vapi assistant. Returns the counts; a VoiceError stops the
    run and is returned in `result.error` with the counts so far (each page is committed as it
    is done, so a rerun picks up where this one stopped). `dry_run` reads and compares only.
    """
    result = SyncResult(
        since=since if since is not None else call_sync_default_since(), dry_run=dry_run
    )
    reported = 0
    try:
        client = client or vapi_client.get_vapi_client()
        pages = client.iter_call_pages(
            assistant_id=assistant_id,
            created_at_gt=result.since,
            created_at_lt=until,
            page_size=page_size,
        )
        # Page by page as Vapi sends them, so that one page of calls is in memory at a time.
        for page in pages:
            _sync_page(page, result=result, dry_run=dry_run)
            del page
            # httpx responses sit in reference cycles that keep the page's raw body alive until
            # a full collection, which Python runs ever more rarely as a process grows: without
            # this, peak memory grew with the number of calls (bench/sync_calls_memory.py).
            gc.collect()
            if on_progress is not None and result.seen - reported >= progress_every:
                reported = result.seen
                on_progress(result)
    except VoiceError as exc:
        result.error = exc
    if on_progress is not None and result.seen != reported:
        on_progress(result)
    return result


def _sync_page(page: list[VapiObject], *, result: SyncResult, dry_run: bool) -> None:
    ids = [str(call.get("id") or "")[:100] for call in page]
    rows = CallLog.objects.filter(vapi_call_id__in=[call_id for call_id in ids if call_id])
    existing = {row.vapi_call_id: row for row in rows}
    # One transaction per page: a page of writes commits once (far faster than autocommit per
    # statement); each call gets its own savepoint so one bad call doesn't lose the page.
    with transaction.atomic():
        for call_id, call in zip(ids, page, strict=True):
            row = existing.get(call_id)
            try:
                if not call_id:
                    raise ValueError("a Vapi call without an id")
                if row is not None and not call_log_changes_from_vapi(
                    call_log=row, call=call, phone_number=_our_number(call)
                ):
                    result.unchanged += 1
                    continue
                if dry_run:
                    if row is None:
                        result.created += 1
                    else:
                        result.updated += 1
                    continue
                upsert = call_log_save_from_vapi(call=call)
            except (ValueError, TypeError, DatabaseError) as exc:
                result.failed += 1
                logger.exception("sync_calls: call %s failed", call_id or "?")
                if len(result.failures) < MAX_FAILURES_KEPT:
                    result.failures.append(f"{call_id or '(no id)'}: {exc}")
                continue
            if upsert.created:
                result.created += 1
            elif upsert.changed:
                result.updated += 1
            else:  # a webhook brought it up to date between our read and our write
                result.unchanged += 1


def _our_number(call: dict[str, Any]) -> str:
    """Our number on the call when the Call object carries it (routes inbound calls)."""
    number = call.get("phoneNumber")
    return str(number.get("number") or "") if isinstance(number, dict) else ""
