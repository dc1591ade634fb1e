"""The campaign runner: claim due contacts inside the account's call budget, dial each through the
compliance gate, and decide every contact's next step from its call's outcome.

The database is the source of truth; the task queue (voice/campaigns/tasks.py) only says "look
now". So a lost message, a restarted broker, a killed worker or two schedulers at once never lose
a contact or dial one twice:

- `campaigns_dispatch` claims contacts under one lock (CallBudget): it counts the calls in
  progress on the whole Vapi account (inbound ones too) and claims at most what is left of
  VAPI_CONCURRENCY_LIMIT and of each campaign's own maximum, with SKIP LOCKED row claims
  (voice/sql.py). A claimed contact is `dialing`, with a fresh attempt id.
- `campaign_contact_dial` (one task per claim) first marks the attempt started in its own
  commit; from then on Vapi may have the call, so a second delivery of the same task, or the
  recovery of a worker that died, never dials again blindly: it records the attempt's outcome as
  unknown (voice/calls/reconcile.py) and the next dial reconciles it with Vapi's call list first
  (voice/calls/outbound.py does that before any call to a number).
- `campaign_contact_settle` applies a finished call (the end-of-call report, or the tick's
  catch-up when that report is lost): retry later, done, or failed, per the campaign's policy.
- `campaigns_tick` (periodic) recovers stale claims, settles calls whose report never came,
  closes campaigns past their end or with nobody left, then dispatches.

No transaction is ever open across a request to Vapi.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from leads.compliance.gate import CallRefusedError
from leads.compliance.models import Suppression
from leads.models import CallDecision, Lead, Tour
from voice import sql
from voice.calls.outbound import call_place_outbound
from voice.calls.reconcile import call_log_record_unknown, unknown_call_id
from voice.campaigns.models import CallBudget, Campaign, CampaignContact
from voice.campaigns.services import campaign_finish
from voice.models import CallLog
from voice.vapi.errors import CallAlreadyPlacedError, VapiOutcomeUnknown, VoiceError

logger = logging.getLogger(__name__)

State = CampaignContact.State
BUDGET_KEY = "vapi"

# Calls that hold one of the account's slots (vapi-reference.md §3.2 statuses before `ended`),
# and ours whose outcome is unknown (Vapi may be dialling). A call we never heard end stops
# counting after CALL_SLOT_MAX_AGE, so one lost report cannot shrink the budget for good (the
# periodic reconcile task asks Vapi about it meanwhile).
SLOT_STATUSES = (
    CallLog.Status.QUEUED,
    CallLog.Status.RINGING,
    CallLog.Status.IN_PROGRESS,
    CallLog.Status.FORWARDING,
    CallLog.Status.UNKNOWN,
)
TERMINAL_STATUSES = (CallLog.Status.ENDED, CallLog.Status.FAILED)

# Outcomes of an attempt. RETRY_OUTCOMES (models.py) may be tried again; the rest end the contact.
NO_ANSWER, BUSY, VOICEMAIL, ERROR, UNKNOWN = "no_answer", "busy", "voicemail", "error", "unknown"
TOUR_BOOKED, OPTED_OUT, QUALIFIED, NOT_INTERESTED, ANSWERED = (
    "tour_booked",
    "opted_out",
    "qualified",
    "not_interested",
    "answered",
)
UNREACHABLE = "unreachable"
CAPACITY = "capacity"

# vapi-reference.md §3.3 (endedReason, free text: unknown values count as a conversation).
ENDED_REASON_OUTCOMES = {
    "customer-did-not-answer": NO_ANSWER,
    "call.in-progress.error-providerfault-outbound-sip-408-request-timeout": NO_ANSWER,
    "call.in-progress.error-providerfault-outbound-sip-480-temporarily-unavailable": NO_ANSWER,
    "twilio-failed-to-connect-call": NO_ANSWER,
    "vonage-failed-to-connect-call": NO_ANSWER,
    "customer-busy": BUSY,
    "voicemail": VOICEMAIL,
    "twilio-reported-customer-misdialed": UNREACHABLE,
    "sip-outbound-unallocated-number": UNREACHABLE,
    "vonage-rejected": UNREACHABLE,
    # Another call took the last slot first (something else shares the account): not the
    # lead's doing, so it does not use up an attempt.
    "call.start.error-subscription-concurrency-limit-reached": CAPACITY,
    "manually-canceled": ERROR,
    "call-deleted": ERROR,
    "worker-shutdown": ERROR,
    "phone-call-provider-closed-websocket": ERROR,
}
ERROR_PREFIXES = ("call.start.error-", "pipeline-error-", "call.in-progress.error-")

SKIP_CAMPAIGN_ENDED = "campaign_ended"
SKIP_NO_ASSISTANT = "campaign_without_assistant"

CAPACITY_RETRY = timedelta(minutes=1)
# How soon an attempt whose outcome is unknown is looked at again (reconciled, then redialled
# only if Vapi has no such call).
UNKNOWN_RETRY = timedelta(seconds=30)
# Wait this long after a call ended for its end-of-call report before settling without it.
REPORT_GRACE = timedelta(seconds=30)
CATCH_UP_BATCH = 200
RECOVER_BATCH = 100


def budget_limit() -> int:
    """How many calls the Vapi account may have at once (VAPI_CONCURRENCY_LIMIT)."""
    return int(settings.VAPI_CONCURRENCY_LIMIT)


def _lease() -> timedelta:
    return timedelta(seconds=settings.CAMPAIGN_DIAL_LEASE_SECONDS)


def _slot_max_age() -> timedelta:
    return timedelta(minutes=settings.CAMPAIGN_CALL_SLOT_MAX_AGE_MINUTES)


def calls_in_progress_count(*, at: datetime) -> int:
    """Slots in use on the account: calls in progress (inbound, outbound, any path) and claimed
    attempts whose call is not recorded yet. An attempt between both counts twice for a moment:
    on the safe side."""
    calls = CallLog.objects.filter(
        status__in=SLOT_STATUSES, created_at__gte=at - _slot_max_age()
    ).count()
    claimed = CampaignContact.objects.filter(state=State.DIALING, current_call__isnull=True).count()
    return calls + claimed


def campaign_window_open(*, campaign: Campaign, at: datetime) -> bool:
    """Is `at` inside the campaign's dates and daily window (the property's local time)?

    The law's windows are the gate's business, per lead, at dial time; this is only the
    campaign's own, narrower choice.
    """
    local = at.astimezone(campaign.property.tz)
    if not campaign.starts_on <= local.date() <= campaign.ends_on:
        return False
    if campaign.daily_start is not None and campaign.daily_end is not None:
        return campaign.daily_start <= local.time().replace(tzinfo=None) < campaign.daily_end
    return True


@dataclass(frozen=True)
class Claim:
    contact_id: int
    attempt_id: str


def campaigns_dispatch(*, at: datetime | None = None) -> list[Claim]:
    """Claim as many due contacts as the account's budget and each campaign's maximum allow.

    Enqueue a dial for each returned claim once this has returned (the claims are committed).
    """
    at = at or timezone.now()
    claims: list[Claim] = []
    with transaction.atomic():
        # Everyone who claims takes this lock first: counting then claiming is one step.
        if not sql.lock_row(queryset=CallBudget.objects.filter(key=BUDGET_KEY), ticked_at=at):
            CallBudget.objects.get_or_create(key=BUDGET_KEY, defaults={"ticked_at": at})
            sql.lock_row(queryset=CallBudget.objects.filter(key=BUDGET_KEY), ticked_at=at)
        free = budget_limit() - calls_in_progress_count(at=at)
        if free <= 0:
            return []
        # A subquery per campaign, on the (campaign, state) index: the calls in progress only,
        # never a pass over a large campaign's contacts (the tick stays flat as they grow).
        active = (
            CampaignContact.objects.filter(
                campaign=OuterRef("pk"), state__in=CampaignContact.ACTIVE
            )
            .order_by()
            .values("campaign")
            .annotate(n=Count("*"))
            .values("n")
        )
        campaigns = (
            Campaign.objects.filter(status=Campaign.Status.RUNNING)
            .select_related("property")
            .annotate(active=Coalesce(Subquery(active), 0))
            # The least busy first, so that campaigns share the budget.
            .order_by("active", "id")
        )
        for campaign in campaigns:
            if free <= 0:
                break
            room = min(free, campaign.max_concurrent_calls - campaign.active)
            if room <= 0 or not campaign_window_open(campaign=campaign, at=at):
                continue
            waiting = CampaignContact.objects.filter(
                campaign=campaign, state__in=CampaignContact.WAITING
            )
            # Retries and rescheduled contacts whose moment has come first, then the ones never
            # tried. Two index range scans (campaign, state, next_attempt_at) with a LIMIT: no
            # sort over a large campaign's waiting contacts.
            due = sql.rows_claim(
                queryset=waiting.filter(next_attempt_at__lte=at).order_by("next_attempt_at"),
                limit=room,
            )
            due += sql.rows_claim(
                queryset=waiting.filter(next_attempt_at__isnull=True).order_by(),
                limit=room - len(due),
            )
            for contact_id in due:
                attempt_id = str(uuid.uuid4())
                CampaignContact.objects.filter(pk=contact_id).update(
                    state=State.DIALING,
                    attempt_id=attempt_id,
                    claimed_at=at,
                    dial_started_at=None,
                    current_call=None,
                    updated_at=at,
                )
                claims.append(Claim(contact_id=contact_id, attempt_id=attempt_id))
                free -= 1
    return claims


def _locked(contact_id: int) -> CampaignContact | None:
    return (
        CampaignContact.objects.select_for_update(of=("self",))
        .select_related("campaign", "campaign__assistant", "lead", "current_call")
        .filter(pk=contact_id)
        .first()
    )


def _save(contact: CampaignContact, at: datetime, **values: object) -> None:
    for name, value in values.items():
        setattr(contact, name, value)
    contact.updated_at = at
    contact.save(update_fields=[*values, "updated_at"])


def _wait_again(contact: CampaignContact) -> State:
    return State.SCHEDULED if contact.attempts else State.PENDING


@dataclass
class DialResult:
    status: str
    detail: str = ""


def campaign_contact_dial(
    *, contact_id: int, attempt_id: str, at: datetime | None = None
) -> DialResult:
    """Dial one claimed contact (the `campaigns.dial` task)."""
    at = at or timezone.now()
    with transaction.atomic():
        contact = _locked(contact_id)
        if contact is None or contact.state != State.DIALING or contact.attempt_id != attempt_id:
            return DialResult("stale")  # recovered, settled or cancelled meanwhile
        if contact.dial_started_at is not None:
            # This attempt began before: the task came again. A broker that lost its connection
            # hands out again tasks a live worker is still running, so a recent attempt is left
            # to that worker (the tick recovers it if the worker really died); an old one was
            # lost, and Vapi may be ringing the lead: never dial it blind.
            if at - contact.dial_started_at < _lease():
                return DialResult("in_progress")
            _record_lost_attempt(contact, at)
            return DialResult(UNKNOWN, "redelivered after the dial began")
        campaign = contact.campaign
        if campaign.status in (Campaign.Status.CANCELLED, Campaign.Status.FINISHED):
            _save(contact, at, state=State.SKIPPED, skip_reason=campaign.status, attempt_id="")
            return DialResult("skipped", campaign.status)
        if campaign.status != Campaign.Status.RUNNING:
            # Paused between the claim and the dial: back in the queue.
            _save(contact, at, state=_wait_again(contact), attempt_id="", claimed_at=None)
            return DialResult("released", campaign.status)
        if campaign.assistant is None:
            _save(contact, at, state=State.SKIPPED, skip_reason=SKIP_NO_ASSISTANT)
            return DialResult("skipped", SKIP_NO_ASSISTANT)
        previous = contact.current_call
        if previous is None and contact.last_outcome == UNKNOWN:
            previous = _last_attempt_call(contact)
        if (
            contact.last_outcome == UNKNOWN
            and previous is not None
            and previous.status not in (CallLog.Status.UNKNOWN, CallLog.Status.FAILED)
        ):
            # The earlier attempt was reconciled meanwhile: Vapi placed it. Follow that call.
            _save(contact, at, state=State.IN_CALL, current_call=previous)
            _settle_after_commit(previous)
            return DialResult("already_placed", previous.vapi_call_id)
        _save(contact, at, dial_started_at=at)
        assistant = campaign.assistant
        lead = contact.lead

    try:
        call_log = call_place_outbound(
            assistant=assistant,
            phone_number=contact.number,
            path=CallDecision.Path.CAMPAIGN,
            lead=lead,
            metadata={"campaignId": campaign.pk, "campaignContactId": contact.pk},
            purpose=campaign.purpose,
            attempt_id=attempt_id,
            leave_voicemail=not contact.voicemail_left,
        )
    except CallRefusedError as exc:
        return _refused(contact_id, attempt_id, exc)
    except CallAlreadyPlacedError as exc:
        placed = CallLog.objects.filter(pk=exc.details.get("call_log_id")).first()
        return _follow(contact_id, attempt_id, placed, "already_placed", counts=False)
    except VapiOutcomeUnknown as exc:
        unknown = CallLog.objects.filter(pk=exc.details.get("call_log_id")).first()
        return _unknown(contact_id, attempt_id, unknown)
    except VoiceError as exc:
        return _errored(contact_id, attempt_id, exc)
    except ValidationError as exc:
        with transaction.atomic():
            contact = _locked(contact_id)
            if contact is not None and contact.attempt_id == attempt_id:
                _save(
                    contact, timezone.now(), state=State.FAILED, last_error="; ".join(exc.messages)
                )
        return DialResult("failed", "; ".join(exc.messages))
    return _follow(contact_id, attempt_id, call_log, "dialled", counts=True)


def _last_attempt_call(contact: CampaignContact) -> CallLog | None:
    return contact.call_logs.order_by("-created_at", "-id").first()


def _follow(
    contact_id: int, attempt_id: str, call_log: CallLog | None, status: str, *, counts: bool
) -> DialResult:
    """The attempt reached Vapi: link its call and wait for the outcome."""
    at = timezone.now()
    with transaction.atomic():
        contact = _locked(contact_id)
        if contact is None or contact.attempt_id != attempt_id or call_log is None:
            return DialResult("stale")
        CallLog.objects.filter(pk=call_log.pk).update(campaign_contact=contact)
        values: dict[str, object] = {"current_call": call_log}
        # The attempt was given up as lost meanwhile (its worker seemed dead) and recorded as an
        # unknown outcome; here is its answer after all: the unknown-outcome record
        # of it is replaced by the real call.
        unknown_record = CallLog.objects.filter(vapi_call_id=unknown_call_id(attempt_id)).first()
        lost = unknown_record is not None
        if contact.state == State.DIALING or (lost and contact.state == State.SCHEDULED):
            values.update(state=State.IN_CALL, next_attempt_at=None)
        if counts and not lost:
            values["attempts"] = contact.attempts + 1
        _save(contact, at, **values)
        if lost:
            unknown_record.delete()
    call_log.campaign_contact_id = contact_id
    _settle_after_commit(call_log)
    return DialResult(status, call_log.vapi_call_id)


def _settle_after_commit(call_log: CallLog) -> None:
    """A call that ended before we linked it (its report raced our commit) is settled now."""
    transaction.on_commit(lambda: campaign_contact_settle(call_log=call_log, refresh=True))


def _refused(contact_id: int, attempt_id: str, exc: CallRefusedError) -> DialResult:
    """The gate said no: a closed window waits for its next allowed moment; anything else is a
    skip with the gate's reason."""
    at = timezone.now()
    with transaction.atomic():
        contact = _locked(contact_id)
        if contact is None or contact.attempt_id != attempt_id:
            return DialResult("stale")
        if exc.next_allowed_at is not None:
            _save(
                contact,
                at,
                state=_wait_again(contact),
                next_attempt_at=exc.next_allowed_at,
                attempt_id="",
                dial_started_at=None,
            )
            return DialResult("rescheduled", exc.reason)
        _save(contact, at, state=State.SKIPPED, skip_reason=exc.reason[:40], next_attempt_at=None)
    return DialResult("skipped", exc.reason)


def _unknown(contact_id: int, attempt_id: str, call_log: CallLog | None) -> DialResult:
    at = timezone.now()
    with transaction.atomic():
        contact = _locked(contact_id)
        if contact is None or contact.attempt_id != attempt_id:
            return DialResult("stale")
        if call_log is not None:
            CallLog.objects.filter(pk=call_log.pk).update(campaign_contact=contact)
        _save(
            contact,
            at,
            state=State.SCHEDULED,
            attempts=contact.attempts + 1,
            last_outcome=UNKNOWN,
            current_call=call_log,
            next_attempt_at=at + UNKNOWN_RETRY,
        )
    return DialResult(UNKNOWN)


def _record_lost_attempt(contact: CampaignContact, at: datetime) -> None:
    """An attempt that began dialling and was lost (its worker died): record it as an unknown
    outcome (inside the caller's transaction; no request is made), unless its call is known."""
    placed = CallLog.objects.filter(metadata__attemptId=contact.attempt_id).first()
    if placed is None:
        campaign = contact.campaign
        placed = (
            call_log_record_unknown(
                attempt_id=contact.attempt_id,
                attempted_at=contact.dial_started_at or at,
                assistant=campaign.assistant,
                lead=contact.lead,
                customer_number=contact.number,
                metadata={
                    "campaignId": str(campaign.pk),
                    "campaignContactId": str(contact.pk),
                    "attemptId": contact.attempt_id,
                },
                error="dialling worker lost",
            )
            if campaign.assistant is not None
            else None
        )
    if placed is not None:
        CallLog.objects.filter(pk=placed.pk).update(campaign_contact=contact)
    if placed is not None and placed.status not in (CallLog.Status.UNKNOWN, CallLog.Status.FAILED):
        _save(contact, at, state=State.IN_CALL, current_call=placed, attempts=contact.attempts + 1)
        _settle_after_commit(placed)
        return
    _save(
        contact,
        at,
        state=State.SCHEDULED,
        attempts=contact.attempts + 1,
        last_outcome=UNKNOWN,
        current_call=placed,
        next_attempt_at=at + UNKNOWN_RETRY,
    )


def _errored(contact_id: int, attempt_id: str, exc: VoiceError) -> DialResult:
    """Vapi refused or failed POST /call (nothing was placed): retry with backoff, then fail."""
    at = timezone.now()
    with transaction.atomic():
        contact = _locked(contact_id)
        if contact is None or contact.attempt_id != attempt_id:
            return DialResult("stale")
        _save(contact, at, attempts=contact.attempts + 1)
        _apply_outcome(contact, ERROR, at, error=str(exc))
    return DialResult(ERROR, str(exc))


def _retry_at(*, at: datetime, delay_minutes: int, outcome: str, attempts: int) -> datetime:
    """When to try again. A wait of whole days would ring at the same hour the lead did not pick
    up; move it three hours so the next try comes at another time of day. Errors back off."""
    if outcome == ERROR:
        delay_minutes *= 2 ** max(attempts - 1, 0)
    retry = at + timedelta(minutes=delay_minutes)
    if delay_minutes >= 720 and min(delay_minutes % 1440, 1440 - delay_minutes % 1440) < 120:
        retry += timedelta(hours=3)
    return retry


def _apply_outcome(
    contact: CampaignContact, outcome: str, at: datetime, *, error: str = ""
) -> None:
    """Decide the contact's next step from an attempt's outcome (in the caller's transaction)."""
    values: dict[str, object] = {"last_outcome": outcome, "attempt_id": "", "dial_started_at": None}
    if error:
        values["last_error"] = error[:2000]
    if outcome == VOICEMAIL:
        values["voicemail_left"] = True
    if outcome == CAPACITY:
        values.update(
            state=State.SCHEDULED,
            attempts=max(contact.attempts - 1, 0),
            next_attempt_at=at + CAPACITY_RETRY,
        )
    elif outcome in contact.campaign.retry_policy:
        rule = contact.campaign.retry_policy[outcome]
        if contact.attempts < rule["max_attempts"]:
            values.update(
                state=State.SCHEDULED,
                next_attempt_at=_retry_at(
                    at=at,
                    delay_minutes=rule["delay_minutes"],
                    outcome=outcome,
                    attempts=contact.attempts,
                ),
            )
        else:
            # Out of attempts: an error is a failure; nobody answering is simply the end.
            values.update(
                state=State.FAILED if outcome == ERROR else State.DONE, next_attempt_at=None
            )
    else:
        values.update(state=State.FAILED if outcome == UNREACHABLE else State.DONE)
        values["next_attempt_at"] = None
        if outcome == UNREACHABLE:
            values["last_error"] = "The number could not be reached (misdialled or unallocated)."
    _save(contact, at, **values)


def call_outcome(*, call_log: CallLog, lead: Lead | None, organization_id: int) -> str:
    """What an ended attempt achieved, from Vapi's endedReason and what the call left behind."""
    if call_log.status == CallLog.Status.FAILED:
        return ERROR  # reconciled: Vapi never placed it
    reason = call_log.ended_reason
    outcome = ENDED_REASON_OUTCOMES.get(reason)
    if outcome is None and reason.startswith(ERROR_PREFIXES):
        outcome = ERROR
    if outcome is not None:
        return outcome
    if Tour.objects.filter(vapi_call_id=call_log.vapi_call_id).exists():
        return TOUR_BOOKED
    number = call_log.customer_number
    if (
        number
        and Suppression.objects.filter(organization_id=organization_id, number=number).exists()
    ):
        return OPTED_OUT
    if lead is not None:
        lead.refresh_from_db(fields=["status"])
        if lead.status in (Lead.Status.LOST, Lead.Status.UNQUALIFIED):
            return NOT_INTERESTED
        if lead.status in (
            Lead.Status.QUALIFIED,
            Lead.Status.TOUR_SCHEDULED,
            Lead.Status.TOURED,
            Lead.Status.APPLIED,
            Lead.Status.LEASED,
        ):
            return QUALIFIED
    return ANSWERED


def campaign_contact_settle(
    *, call_log: CallLog, at: datetime | None = None, refresh: bool = False
) -> str | None:
    """Apply an ended attempt to its contact; the outcome, or None when there is nothing to do
    (not a campaign call, not ended yet, or already settled). Idempotent."""
    if refresh:
        call_log.refresh_from_db(fields=["status", "ended_reason", "campaign_contact"])
    if call_log.campaign_contact_id is None or call_log.status not in TERMINAL_STATUSES:
        return None
    at = at or timezone.now()
    with transaction.atomic():
        contact = _locked(call_log.campaign_contact_id)
        if contact is None or contact.current_call_id != call_log.pk:
            return None
        waiting_on_unknown = contact.state == State.SCHEDULED and contact.last_outcome == UNKNOWN
        if contact.state not in CampaignContact.ACTIVE and not waiting_on_unknown:
            return None
        if waiting_on_unknown and call_log.status == CallLog.Status.FAILED:
            return None  # not placed after all: the scheduled dial goes ahead
        outcome = call_outcome(
            call_log=call_log, lead=contact.lead, organization_id=contact.campaign.organization_id
        )
        _apply_outcome(
            contact, outcome, at, error=call_log.ended_reason if outcome == ERROR else ""
        )
    campaigns_kick()
    return outcome


def campaigns_kick() -> None:
    """Ask for a dispatch now (a slot was freed) rather than at the next tick; best effort: the
    tick does it anyway."""

    def send() -> None:
        from config.celery import app

        try:
            app.send_task("campaigns.dispatch", retry=False)
        except Exception:
            logger.warning("could not enqueue a campaign dispatch", exc_info=True)

    transaction.on_commit(send)


@dataclass
class TickResult:
    recovered: int = 0
    settled: int = 0
    closed: int = 0
    claims: list[Claim] = field(default_factory=list)


def campaign_contacts_recover(*, at: datetime | None = None) -> int:
    """Claims whose dial never reported back within CAMPAIGN_DIAL_LEASE_SECONDS: the message was
    lost or the worker died. Not begun: back in the queue. Begun: an unknown outcome."""
    at = at or timezone.now()
    stale = list(
        CampaignContact.objects.filter(
            state=State.DIALING, current_call__isnull=True, claimed_at__lt=at - _lease()
        ).values_list("pk", "attempt_id")[:RECOVER_BATCH]
    )
    recovered = 0
    for contact_id, attempt_id in stale:
        with transaction.atomic():
            contact = _locked(contact_id)
            if (
                contact is None
                or contact.state != State.DIALING
                or contact.attempt_id != attempt_id
            ):
                continue
            if contact.dial_started_at is None:
                _save(contact, at, state=_wait_again(contact), attempt_id="", claimed_at=None)
            else:
                _record_lost_attempt(contact, at)
            recovered += 1
    if recovered:
        logger.warning("campaigns: recovered %d stale dial claims", recovered)
    return recovered


def campaign_contacts_settle_ended(*, at: datetime | None = None) -> int:
    """Settle attempts whose call ended but whose end-of-call report never came (or came before
    the attempt was linked). Driven from the contacts in a call (at most the budget), never
    from the call logs (millions, most of them ended). An attempt left with an unknown outcome
    needs nothing here: its next dial looks at its call first."""
    at = at or timezone.now()
    contacts = CampaignContact.objects.filter(
        state__in=CampaignContact.ACTIVE,
        current_call__status__in=TERMINAL_STATUSES,
        current_call__updated_at__lt=at - REPORT_GRACE,
    ).select_related("current_call")[:CATCH_UP_BATCH]
    return sum(1 for c in contacts if campaign_contact_settle(call_log=c.current_call, at=at))


def campaigns_close(*, at: datetime | None = None) -> int:
    """Past its end date, a campaign's waiting contacts are skipped; a running campaign with
    nobody waiting or in a call is finished."""
    at = at or timezone.now()
    closed = 0
    campaigns = Campaign.objects.filter(
        status__in=(Campaign.Status.RUNNING, Campaign.Status.PAUSED)
    ).select_related("property")
    for campaign in campaigns:
        if at.astimezone(campaign.property.tz).date() > campaign.ends_on:
            campaign.contacts.filter(state__in=CampaignContact.WAITING).update(
                state=State.SKIPPED, skip_reason=SKIP_CAMPAIGN_ENDED, next_attempt_at=None,
                updated_at=at,
            )  # fmt: skip
        busy = campaign.contacts.filter(
            state__in=(*CampaignContact.WAITING, *CampaignContact.ACTIVE)
        ).exists()
        if not busy and campaign.status == Campaign.Status.RUNNING:
            try:
                campaign_finish(campaign=campaign, at=at)
                closed += 1
            except ValidationError:
                pass  # paused or cancelled meanwhile
    return closed


def campaigns_tick(*, at: datetime | None = None) -> TickResult:
    """One scheduler pass (the periodic `campaigns.tick` task); safe on any number of machines."""
    at = at or timezone.now()
    return TickResult(
        recovered=campaign_contacts_recover(at=at),
        settled=campaign_contacts_settle_ended(at=at),
        closed=campaigns_close(at=at),
        claims=campaigns_dispatch(at=at),
    )
