"""Applying each organization's retention policy (README "Retention and redaction").

`retention_apply` walks what is due in bounded batches (keyset on the primary key: never a whole
table in memory, never a large OFFSET), each batch written in one short transaction, and marks
every row it handled (`recording_deleted_at`, `transcript_removed_at`, `payload_removed_at`), so
a second run finds nothing to do and an interrupted one resumes where it stopped.

Recordings go at Vapi first (DELETE /call/{id}), outside any transaction; only calls Vapi
confirmed (or never had) lose their links here. A failure leaves the row whole, marked
`vapi_deletion_pending`, and the next run asks again: never half-deleted.

Audit rows, do-not-call entries and consents are never touched: voice/retention/models.py says
why and for how long they are kept.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from leads.models import Lead
from properties.models import Organization
from voice.calls.redaction import data_redact, transcript_redact
from voice.models import CallLog, RetentionPolicy, TranscriptLine, WebhookEvent
from voice.retention.selectors import (
    RetentionCutoffs,
    retention_cutoffs,
    retention_leads_due,
    retention_organizations,
    retention_policy_get,
    retention_recordings_due,
    retention_transcripts_due,
    retention_webhook_payloads_due,
)
from voice.vapi import client as vapi_client
from voice.vapi.client import VapiClient
from voice.vapi.errors import (
    VapiNotFoundError,
    VapiRequestInvalidError,
    VapiServerError,
    VapiUnavailableError,
    VoiceError,
)

logger = logging.getLogger(__name__)

# What a cleared webhook delivery keeps in `payload` (the column is NOT NULL): a stub that says
# why the body is gone. Type, call id, status and times stay in their own columns.
PAYLOAD_STUB = {"removed": "retention policy"}
# After this many Vapi failures in a row (Vapi down), the run stops asking for this organization:
# every remaining call is still due and the next run tries again.
VAPI_FAILURES_BEFORE_GIVING_UP = 3

KINDS = ("recordings", "transcripts", "webhook_payloads", "leads")


@dataclass
class RetentionCounts:
    """Rows removed (or, in a dry run, due) per kind; `vapi_pending`: recordings Vapi could not
    delete this run (kept, retried next run)."""

    recordings: int = 0
    transcripts: int = 0
    webhook_payloads: int = 0
    leads: int = 0
    vapi_pending: int = 0

    def as_dict(self) -> dict[str, int]:
        return {kind: getattr(self, kind) for kind in (*KINDS, "vapi_pending")}


@dataclass
class OrganizationRetention:
    organization_id: int | None
    name: str
    policy: RetentionPolicy
    counts: RetentionCounts = field(default_factory=RetentionCounts)


@dataclass
class RetentionReport:
    at: datetime
    dry_run: bool
    organizations: list[OrganizationRetention] = field(default_factory=list)

    @property
    def totals(self) -> RetentionCounts:
        totals = RetentionCounts()
        for entry in self.organizations:
            for kind, value in entry.counts.as_dict().items():
                setattr(totals, kind, getattr(totals, kind) + value)
        return totals


def _batches(queryset: QuerySet, *, batch_size: int) -> Iterator[list[int]]:
    """Primary keys of `queryset`, `batch_size` at a time, by keyset: a row handled (or left
    pending) in one batch is never selected again in the same run."""
    last_pk = 0
    while True:
        pks = list(
            queryset.filter(pk__gt=last_pk).order_by("pk").values_list("pk", flat=True)[:batch_size]
        )
        if not pks:
            return
        last_pk = pks[-1]
        yield pks


def retention_preview(
    *, organization: Organization | None = None, at: datetime | None = None
) -> RetentionReport:
    """What the next run would remove, per organization and kind (counts only; writes nothing)."""
    return retention_apply(organization=organization, at=at, dry_run=True)


def retention_apply(
    *,
    organization: Organization | None = None,
    at: datetime | None = None,
    dry_run: bool = False,
    batch_size: int = 500,
    client: VapiClient | None = None,
) -> RetentionReport:
    """Apply the retention policy of `organization` (None: every organization, then the rows of
    none with the default policy) as of `at` (default: now).

    `dry_run` counts what is due and changes nothing (no Vapi request either). Idempotent.
    Vapi failures never raise: they are counted in `vapi_pending` and retried by the next run.
    """
    at = at or timezone.now()
    report = RetentionReport(at=at, dry_run=dry_run)
    for org in retention_organizations(organization=organization):
        policy = retention_policy_get(organization=org)
        entry = OrganizationRetention(
            organization_id=org.pk if org else None,
            name=org.name if org else "(no organization)",
            policy=policy,
        )
        report.organizations.append(entry)
        cutoffs = retention_cutoffs(policy=policy, at=at)
        if dry_run:
            entry.counts = _counts_due(organization=org, cutoffs=cutoffs)
            continue
        counts = entry.counts
        counts.recordings, counts.vapi_pending = _recordings_remove(
            organization=org, cutoffs=cutoffs, at=at, batch_size=batch_size, client=client
        )
        counts.transcripts = _transcripts_remove(
            organization=org, cutoffs=cutoffs, at=at, batch_size=batch_size, policy=policy
        )
        counts.webhook_payloads = _webhook_payloads_clear(
            organization=org, cutoffs=cutoffs, at=at, batch_size=batch_size
        )
        counts.leads = _leads_delete(organization=org, cutoffs=cutoffs, batch_size=batch_size)
    return report


def _counts_due(*, organization: Organization | None, cutoffs: RetentionCutoffs) -> RetentionCounts:
    due = {"organization": organization, "cutoffs": cutoffs}
    return RetentionCounts(
        recordings=retention_recordings_due(**due).count(),
        transcripts=retention_transcripts_due(**due).count(),
        webhook_payloads=retention_webhook_payloads_due(**due).count(),
        leads=retention_leads_due(**due).count(),
    )


def _recordings_remove(
    *,
    organization: Organization | None,
    cutoffs: RetentionCutoffs,
    at: datetime,
    batch_size: int,
    client: VapiClient | None,
) -> tuple[int, int]:
    """(recordings removed, left pending). Vapi first, then our write (see module docstring)."""
    due = retention_recordings_due(organization=organization, cutoffs=cutoffs)
    removed = pending = failures_in_a_row = 0
    for pks in _batches(due, batch_size=batch_size):
        if client is None:
            try:
                client = vapi_client.get_vapi_client()
            except VoiceError as exc:  # not configured: nothing can go at Vapi, so nothing here
                logger.warning("retention: no Vapi client: %s", exc)
        done: list[int] = []
        failed: list[int] = []
        rows = CallLog.objects.filter(pk__in=pks).values_list("pk", "vapi_call_id", "status")
        for pk, vapi_call_id, status in rows.order_by("pk"):
            if status == CallLog.Status.FAILED:  # never placed: Vapi has nothing of it
                done.append(pk)
                continue
            if client is None or failures_in_a_row >= VAPI_FAILURES_BEFORE_GIVING_UP:
                failed.append(pk)
                continue
            try:
                client.delete_call(vapi_call_id)
            except (VapiNotFoundError, VapiRequestInvalidError):
                pass  # nothing (left) at Vapi: deleted by an earlier run, or never there
            except VoiceError as exc:
                # vapi-reference.md §1: 503 = the recordings could not be erased, the call was
                # not deleted; retry later. Our links stay so nothing is half-deleted.
                logger.warning("retention: Vapi kept call %s: %s", vapi_call_id, exc)
                failed.append(pk)
                if isinstance(exc, VapiUnavailableError | VapiServerError):
                    failures_in_a_row += 1
                continue
            failures_in_a_row = 0
            done.append(pk)
        # One short transaction for the batch, after every Vapi request of it has returned.
        with transaction.atomic():
            removed += due.filter(pk__in=done).update(
                recording_url="",
                stereo_recording_url="",
                recording_deleted_at=at,
                vapi_deletion_pending=False,
            )
            due.filter(pk__in=failed).update(vapi_deletion_pending=True)
        pending += len(failed)
    return removed, pending


def _transcripts_remove(
    *,
    organization: Organization | None,
    cutoffs: RetentionCutoffs,
    at: datetime,
    batch_size: int,
    policy: RetentionPolicy,
) -> int:
    due = retention_transcripts_due(organization=organization, cutoffs=cutoffs)
    removed = 0
    redact = policy.transcript_action == RetentionPolicy.TranscriptAction.REDACT
    for pks in _batches(due, batch_size=batch_size):
        call_ids = list(
            CallLog.objects.filter(pk__in=pks)
            .exclude(vapi_call_id="")
            .values_list("vapi_call_id", flat=True)
        )
        if not redact:
            with transaction.atomic():
                removed += due.filter(pk__in=pks).update(
                    transcript="",
                    messages=[],
                    summary="",
                    structured_data={},
                    transcript_removed_at=at,
                )
                TranscriptLine.objects.filter(vapi_call_id__in=call_ids).delete()
            continue
        # Redaction is pure Python: done before the transaction opens, so it stays short.
        rows = CallLog.objects.filter(pk__in=pks).only(
            "pk", "transcript", "messages", "summary", "structured_data"
        )
        changes = {
            row.pk: {
                "transcript": transcript_redact(text=row.transcript),
                "messages": data_redact(value=row.messages),
                "summary": transcript_redact(text=row.summary),
                "structured_data": data_redact(value=row.structured_data),
            }
            for row in rows
        }
        with transaction.atomic():
            for pk, fields in changes.items():
                removed += due.filter(pk=pk).update(**fields, transcript_removed_at=at)
            # The live view's copy of the lines (TranscriptLine) is not kept in either mode.
            TranscriptLine.objects.filter(vapi_call_id__in=call_ids).delete()
    return removed


def _webhook_payloads_clear(
    *, organization: Organization | None, cutoffs: RetentionCutoffs, at: datetime, batch_size: int
) -> int:
    due = retention_webhook_payloads_due(organization=organization, cutoffs=cutoffs)
    cleared = 0
    for pks in _batches(due, batch_size=batch_size):
        with transaction.atomic():
            cleared += WebhookEvent.objects.filter(
                pk__in=pks, payload_removed_at__isnull=True
            ).update(payload=PAYLOAD_STUB, response=None, payload_removed_at=at)
    return cleared


def _leads_delete(
    *, organization: Organization | None, cutoffs: RetentionCutoffs, batch_size: int
) -> int:
    """Delete never-converted leads. Their call logs stay (lead SET_NULL) under their own
    periods; consents, do-not-call entries and call decisions stay (SET_NULL, models.py)."""
    due = retention_leads_due(organization=organization, cutoffs=cutoffs)
    deleted = 0
    for pks in _batches(due, batch_size=batch_size):
        with transaction.atomic():
            # Filtered again by `due`: a lead that converted since the batch was read stays.
            _, per_model = due.filter(pk__in=pks).delete()
        deleted += per_model.get(Lead._meta.label, 0)
    return deleted
