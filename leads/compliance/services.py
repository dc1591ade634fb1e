"""Writes to the consent ledger, the do-not-call list and the registry snapshots."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from leads.compliance.models import (
    CONSENT_REVOKED_NUMBER_REASSIGNED,
    Consent,
    DncNumber,
    DncSnapshot,
    Suppression,
)
from leads.compliance.optout import opt_out_detect
from leads.models import Lead, LeadActivity
from properties.models import Organization
from properties.phone import phone_normalize

DNC_LINE_INVALID = "Line {line}: {value!r} is not a 10-digit number or 'areacode,number'."
DNC_BATCH_SIZE = 5000
CONSENT_REVOKED_WRONG_NUMBER = CONSENT_REVOKED_NUMBER_REASSIGNED


def suppression_add(
    *,
    organization: Organization,
    number: str,
    source: str,
    note: str = "",
    lead: Lead | None = None,
    created_by=None,
    vapi_call_id: str = "",
) -> Suppression:
    """Put `number` on the organization's do-not-call list (64.1200(d)); idempotent.

    A repeated opt-out changes nothing: the first request (its date and channel) is the record.
    """
    number = phone_normalize(number)
    existing = Suppression.objects.filter(organization=organization, number=number).first()
    if existing is not None:
        return existing
    suppression = Suppression(
        organization=organization,
        number=number,
        source=source,
        note=note,
        lead=lead,
        created_by=created_by,
        vapi_call_id=vapi_call_id,
    )
    suppression.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            suppression.save()
    except IntegrityError:  # a concurrent opt-out for the same number won the race
        return Suppression.objects.get(organization=organization, number=number)
    return suppression


def lead_do_not_call_sync(*, lead: Lead, user=None) -> Suppression | None:
    """A lead whose do-not-call box is ticked (or who opted out) is on the org's list."""
    if not (lead.do_not_call or lead.opted_out_at) or not lead.phone:
        return None
    return suppression_add(
        organization=lead.property.organization,
        number=lead.phone,
        source=Suppression.Source.LEAD_FLAG,
        note=f"Do-not-call ticked on lead {lead.pk}.",
        lead=lead,
        created_by=user,
    )


def lead_note_opt_out_record(
    *, lead: Lead, text: str, note: LeadActivity | None = None, user=None
) -> Suppression | None:
    """A staff note saying the lead asked not to be called ("lead emailed: don't call") is an
    opt-out like any other (§7 rule 9: any channel, staff entry included); None when it is not.

    The number goes on the organization's list, and the lead is marked the way the do-not-call
    box marks it, so the lead page and every path agree. `note`: the note's activity, which
    records the suppression it caused.
    """
    if not opt_out_detect(text) or not lead.phone:
        return None
    if not lead.do_not_call or lead.opted_out_at is None:
        lead.do_not_call = True
        lead.opted_out_at = lead.opted_out_at or timezone.now()
        lead.save(update_fields=["do_not_call", "opted_out_at", "updated_at"])
    suppression = suppression_add(
        organization=lead.property.organization,
        number=lead.phone,
        source=Suppression.Source.STAFF_NOTE,
        note=f"Staff note on lead {lead.pk}: {text[:500]}",
        lead=lead,
        created_by=user,
    )
    if note is not None and note.pk is not None:
        note.data = {**(note.data or {}), "opt_out": True, "suppression_id": suppression.pk}
        note.save(update_fields=["data"])
    return suppression


def consent_record(
    *,
    organization: Organization,
    number: str,
    kind: str,
    disclosure: str,
    source: str,
    given_at: datetime | None = None,
    lead: Lead | None = None,
    recorded_by=None,
    signature_method: str = "",
    evidence_url: str = "",
    evidence_ip: str | None = None,
    recording_url: str = "",
    evidence_note: str = "",
    reassigned_checked_at: date | None = None,
) -> Consent:
    """Record a consent exactly as given: for one number, one organization."""
    consent = Consent(
        organization=organization,
        number=phone_normalize(number),
        kind=kind,
        disclosure=disclosure,
        source=source,
        given_at=given_at or timezone.now(),
        lead=lead,
        recorded_by=recorded_by,
        signature_method=signature_method,
        evidence_url=evidence_url,
        evidence_ip=evidence_ip,
        recording_url=recording_url,
        evidence_note=evidence_note,
        reassigned_checked_at=reassigned_checked_at,
    )
    consent.full_clean()
    consent.save()
    return consent


def consent_revoke(*, consent: Consent, how: str, at: datetime | None = None) -> Consent:
    if consent.revoked_at is None:
        consent.revoked_at = at or timezone.now()
        consent.revoked_how = how
        consent.save(update_fields=["revoked_at", "revoked_how"])
    return consent


def consent_revoke_for_number(
    *, organization: Organization, number: str, how: str, at: datetime | None = None
) -> int:
    """Revoke every live consent for exactly `number` in the organization; how many were."""
    at = at or timezone.now()
    return Consent.objects.filter(
        organization=organization, number=phone_normalize(number), revoked_at__isnull=True
    ).update(revoked_at=at, revoked_how=how)


@transaction.atomic
def wrong_number_record(
    *,
    organization: Organization,
    number: str,
    note: str = "",
    lead: Lead | None = None,
    vapi_call_id: str = "",
) -> Suppression:
    """The called person said it is a wrong number (§7 rule 17, 64.1200(m)): whoever consented
    no longer answers there, so the number is suppressed and its consents are void.

    Both, because a later consent for the number by its new owner must be a fresh one, and the
    suppression keeps the number from being dialled on the old consent meanwhile. Idempotent.
    """
    suppression = suppression_add(
        organization=organization,
        number=number,
        source=Suppression.Source.WRONG_NUMBER,
        note=note,
        lead=lead,
        vapi_call_id=vapi_call_id,
    )
    consent_revoke_for_number(
        organization=organization, number=number, how=CONSENT_REVOKED_WRONG_NUMBER
    )
    return suppression


def dnc_parse_lines(*, lines: Iterable[str], area_code: str) -> Iterator[str]:
    """E.164 numbers from a registry file: "4155550100" or "415,5550100" per line.

    The FTC's download is one 10-digit number per line; some exports split the area code into
    its own column. Blank lines and a header line without digits are skipped.
    """
    for index, raw in enumerate(lines, start=1):
        line = raw.strip().strip('"')
        if not line or not any(ch.isdigit() for ch in line):
            continue
        digits = "".join(ch for ch in line if ch.isdigit())
        if "," in line:
            npa, _, rest = (part.strip().strip('"') for part in line.partition(","))
            digits = "".join(ch for ch in npa + rest if ch.isdigit())
        if len(digits) == 11 and digits.startswith("1"):
            digits = digits[1:]
        if len(digits) != 10:
            raise ValueError(DNC_LINE_INVALID.format(line=index, value=raw.rstrip("\n")))
        if area_code and not digits.startswith(area_code):
            continue
        yield f"+1{digits}"


@transaction.atomic
def dnc_import(
    *, lines: Iterable[str], area_code: str, downloaded_at: datetime, registry: str = "national"
) -> DncSnapshot:
    """Store one registry download for one area code, in bulk; older snapshots stay for audit."""
    snapshot = DncSnapshot.objects.create(
        registry=registry, area_code=area_code, downloaded_at=downloaded_at
    )
    batch: list[DncNumber] = []
    count = 0
    for number in dnc_parse_lines(lines=lines, area_code=area_code):
        batch.append(DncNumber(snapshot=snapshot, number=number))
        if len(batch) >= DNC_BATCH_SIZE:
            DncNumber.objects.bulk_create(batch)
            count += len(batch)
            batch = []
    DncNumber.objects.bulk_create(batch)
    snapshot.count = count + len(batch)
    snapshot.save(update_fields=["count"])
    return snapshot
