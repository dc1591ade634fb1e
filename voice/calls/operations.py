"""Batch operations on calls behind admin actions: the lead call plan (calling hours, consent),
placing the calls, simulated inbound calls, refreshing call logs from Vapi.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone

from leads.compliance.gate import call_permission
from leads.models import CallDecision, Lead
from properties.models import Property
from voice.batch import NOT_PUSHED, Batch, OnResult, Outcome, Result, validation_error_text
from voice.calls.outbound import call_place_outbound
from voice.calls.selectors import LIVE_CALL_MAX_AGE
from voice.calls.sync import call_log_refresh
from voice.campaigns.models import Campaign
from voice.campaigns.services import campaign_create_for_leads
from voice.models import Assistant, CallLog
from voice.simulator.control import simulator_start_inbound_call
from voice.vapi import client as vapi_client
from voice.vapi.client import VapiClient
from voice.vapi.errors import (
    VapiNotFoundError,
    VoiceError,
)

# The demo caller of the README's commands; not a lead in the demo data, so the call creates one.
SIMULATED_CALLER = "+14155550199"


SKIP_NO_LEASING_PHONE = "No leasing phone number: set one so that callers can reach it."


def _simulate_inbound_one(prop: Property, from_number: str, scenario: str) -> Result:
    if not prop.leasing_phone:
        return Result(str(prop), Outcome.SKIPPED, SKIP_NO_LEASING_PHONE, prop)
    if not _calling_assistants({prop.pk}):
        return Result(str(prop), Outcome.SKIPPED, SKIP_NO_ASSISTANT.format(property=prop), prop)
    call = simulator_start_inbound_call(
        base_url=settings.VAPI_BASE_URL,
        api_key=settings.VAPI_API_KEY,
        to=prop.leasing_phone,
        from_number=from_number,
        scenario=scenario,
    )
    message = (
        f"{from_number} is calling {prop.leasing_phone} (simulator call {call['id']}, "
        f"{scenario}); watch it on the voice dashboard."
    )
    return Result(str(prop), Outcome.CALLED, message, prop)


def properties_simulate_inbound_call(
    *,
    properties: Iterable[Property],
    from_number: str = SIMULATED_CALLER,
    scenario: str = "book_tour",
    on_result: OnResult | None = None,
) -> list[Result]:
    """Have the offline simulator ring each property's leasing line, as a prospect would.

    Inbound calls have no calling-hours rule (the caller chose the time), so this shows a whole
    call at any hour. Against the real Vapi it fails with a clear message: only the simulator can
    fake a caller.
    """
    batch = Batch(on_result)
    for prop in properties:
        batch.run(prop, str(prop), partial(_simulate_inbound_one, prop, from_number, scenario))
    return batch.results


SKIP_NO_PHONE = "No phone number."


SKIP_IN_CALL = "Already in a call."


SKIP_NO_ASSISTANT = "No assistant pushed to Vapi for {property}."


SKIP_SAME_NUMBER = "Same number as another selected lead."


SKIP_PLANNED = "Not called: it was refused when the calls were planned; try again."


@dataclass(frozen=True)
class PlannedCall:
    lead: Lead
    assistant: Assistant | None
    skip_reason: str = ""
    # The compliance gate's reason code when it is the gate that skips the lead.
    skip_code: str = ""
    # Set when the gate refuses only for the hour (quiet hours, a state's Sunday or holiday,
    # the daily cap): when it would allow the call, and the lead's zone to show it in.
    next_allowed_at: datetime | None = None
    local_zone: str = ""

    @property
    def will_call(self) -> bool:
        return not self.skip_reason

    @property
    def can_schedule(self) -> bool:
        """Refused now for the time alone, with an assistant to call later (a campaign)."""
        return self.next_allowed_at is not None and self.assistant is not None


def _calling_assistants(property_ids: set[int]) -> dict[int, Assistant]:
    """The assistant that calls for each property: pushed; in sync first, latest push first."""
    candidates = Assistant.objects.filter(
        property_id__in=property_ids, vapi_assistant_id__isnull=False
    ).select_related("property")
    chosen: dict[int, Assistant] = {}
    for assistant in sorted(
        candidates,
        key=lambda a: (
            a.push_state != Assistant.PushState.OK,
            -(a.last_pushed_at.timestamp() if a.last_pushed_at else 0),
            a.pk,
        ),
    ):
        chosen.setdefault(assistant.property_id, assistant)
    return chosen


def _gate_skip(lead: Lead, now: datetime) -> tuple[str, str, datetime | None, str]:
    """(message, reason code, next allowed moment, the lead's zone) when the compliance gate
    would refuse to call `lead` at `now`; empty when it would allow the call."""
    permission = call_permission(
        organization=lead.property.organization,
        number=lead.phone,
        purpose=CallDecision.Purpose.MARKETING,
        path=CallDecision.Path.ADMIN_ACTION,
        lead=lead,
        at=now,
        record=False,
    )
    if permission.allowed:
        return "", "", None, ""
    # The gate gives a next moment only when the time is the one obstacle (its clock rules run
    # after consent and the do-not-call checks); the first zone is the one its message names.
    zone = permission.timezones[0]["zone"] if permission.timezones else ""
    return permission.message, permission.reason, permission.next_allowed_at, zone


def leads_call_plan(*, leads: QuerySet[Lead], now: datetime | None = None) -> list[PlannedCall]:
    """Which assistant would call each lead, or why the lead is skipped. Reads only (no Vapi).

    The compliance gate decides consent, do-not-call, calling hours and the daily cap, with
    record=False: the preview writes no audit row, and call_place_outbound asks the gate again
    (recording it) right before dialling, so what is shown and what happens agree.
    "Already in a call": a CallLog for the lead that has not ended, logged within the live
    window of the dashboard (a call whose end never arrived does not block the lead forever).
    """
    now = now or timezone.now()
    selected = list(leads.select_related("property__organization").order_by("pk"))
    in_call = set(
        CallLog.objects.filter(
            lead_id__in=[lead.pk for lead in selected],
            created_at__gte=now - LIVE_CALL_MAX_AGE,
        )
        # An `unknown` one is not "in a call": call_place_outbound settles it with Vapi first
        # (voice/calls/reconcile.py) and refuses the call if it was placed.
        .exclude(status__in=(CallLog.Status.ENDED, CallLog.Status.FAILED, CallLog.Status.UNKNOWN))
        .values_list("lead_id", flat=True)
    )
    assistants = _calling_assistants({lead.property_id for lead in selected})
    numbers: set[str] = set()
    plan = []
    for lead in selected:
        assistant = assistants.get(lead.property_id)
        reason, code, next_at, zone = (
            _gate_skip(lead, now) if lead.phone else (SKIP_NO_PHONE, "", None, "")
        )
        if reason:
            pass
        elif lead.pk in in_call:
            reason = SKIP_IN_CALL
        elif assistant is None:
            reason = SKIP_NO_ASSISTANT.format(property=lead.property)
        elif lead.phone in numbers:
            reason = SKIP_SAME_NUMBER
        else:
            numbers.add(lead.phone)
        plan.append(
            PlannedCall(
                lead=lead,
                assistant=assistant,
                skip_reason=reason,
                skip_code=code,
                next_allowed_at=next_at,
                local_zone=zone,
            )
        )
    return plan


def _call_one(lead: Lead, assistant: Assistant, requested_by: Any) -> Result:
    try:
        call_log = call_place_outbound(
            assistant=assistant,
            phone_number=lead.phone,
            lead=lead,
            path=CallDecision.Path.ADMIN_ACTION,
            requested_by=requested_by,
        )
    except ValidationError as exc:
        return Result(str(lead), Outcome.SKIPPED, validation_error_text(exc), lead)
    message = f"Called by {assistant.name} (Vapi call {call_log.vapi_call_id}, {call_log.status})."
    return Result(str(lead), Outcome.CALLED, message, call_log)


def _refuse_one(lead: Lead, requested_by: Any) -> Result:
    """Record the gate's decision for a lead the plan skipped for it; nothing is dialled."""
    permission = call_permission(
        organization=lead.property.organization,
        number=lead.phone,
        purpose=CallDecision.Purpose.MARKETING,
        path=CallDecision.Path.ADMIN_ACTION,
        lead=lead,
        requested_by=requested_by,
    )
    # Allowed by now (the clock reached the window between plan and record): still not called
    # in this batch, as the confirmation page said.
    return Result(
        str(lead),
        Outcome.SKIPPED,
        permission.message if not permission.allowed else SKIP_PLANNED,
        lead,
    )


def leads_call(
    *,
    plan: Sequence[PlannedCall],
    requested_by: Any = None,
    on_result: OnResult | None = None,
) -> list[Result]:
    """Place the planned calls; the skipped leads are reported with their reason.

    call_place_outbound asks the compliance gate again right before dialing (and records it).
    """
    batch = Batch(on_result)
    for item in plan:
        label = str(item.lead)
        if item.skip_code:
            # Confirmed: this is the attempt, so the gate's refusal goes on the record.
            work = partial(_refuse_one, item.lead, requested_by)
            batch.run(item.lead, label, work)
        elif item.skip_reason or item.assistant is None:
            batch.add(Result(label, Outcome.SKIPPED, item.skip_reason or NOT_PUSHED, item.lead))
        else:
            work = partial(_call_one, item.lead, item.assistant, requested_by)
            batch.run(item.lead, label, work)
    return batch.results


SCHEDULED_NAME = "Scheduled from admin — {day}"


def leads_schedule(
    *,
    plan: Sequence[PlannedCall],
    purpose: str = CallDecision.Purpose.MARKETING,
    requested_by: Any = None,
    now: datetime | None = None,
) -> list[Campaign]:
    """Schedule the plan's calls refused only for the hour, for their next allowed moment: one
    started campaign per property, of those leads alone (audience `lead_ids`).

    The campaign runner asks the gate again at dial time and, the window being closed now,
    reschedules each contact to the gate's next allowed moment; nothing is dialled here.
    """
    now = now or timezone.now()
    by_property: dict[int, list[PlannedCall]] = {}
    for item in plan:
        if item.can_schedule:
            by_property.setdefault(item.lead.property_id, []).append(item)
    campaigns = []
    for items in by_property.values():
        prop = items[0].lead.property
        today = timezone.localdate(now, prop.tz)
        moments = [item.next_allowed_at for item in items if item.next_allowed_at is not None]
        latest = max(timezone.localdate(moment, prop.tz) for moment in moments)
        campaigns.append(
            campaign_create_for_leads(
                property=prop,
                assistant=items[0].assistant,
                leads=[item.lead for item in items],
                name=SCHEDULED_NAME.format(day=today.isoformat()),
                purpose=purpose,
                starts_on=today,
                ends_on=max(latest, today),
                start=True,
                created_by=requested_by,
                at=now,
            )
        )
    return campaigns


REFRESH_NOT_FOUND = "Vapi has no call with this id (deleted at Vapi?); the log is kept as it is."


REFRESH_UNCHANGED = "Already matches Vapi."


def _call_log_label(call_log: CallLog) -> str:
    return f"{call_log.get_direction_display()} call {call_log.vapi_call_id}"


def _refresh_call_log_one(client: VapiClient, call_log: CallLog) -> Result:
    label = _call_log_label(call_log)
    try:
        upsert = call_log_refresh(call_log=call_log, client=client)
    except VapiNotFoundError:
        return Result(label, Outcome.FAILED, REFRESH_NOT_FOUND, call_log)
    if not upsert.changed:
        return Result(label, Outcome.UNCHANGED, REFRESH_UNCHANGED, upsert.call_log)
    names = ", ".join(name.replace("_", " ") for name in upsert.changed)
    return Result(label, Outcome.UPDATED, f"Updated from Vapi: {names}.", upsert.call_log)


def call_logs_refresh(
    *, call_logs: Iterable[CallLog], on_result: OnResult | None = None
) -> list[Result]:
    """GET each call from Vapi and save it with the webhook's mapping (voice/calls/sync.py): the
    repair for a call whose webhooks were missed. Vapi answers before anything is written, so a
    failure leaves that call log as it was."""
    batch = Batch(on_result)
    try:
        client = vapi_client.get_vapi_client()
    except VoiceError as exc:
        for call_log in call_logs:
            batch.add(Result(_call_log_label(call_log), Outcome.FAILED, str(exc), call_log))
        return batch.results
    for call_log in call_logs:
        work = partial(_refresh_call_log_one, client, call_log)
        batch.run(call_log, _call_log_label(call_log), work)
    return batch.results
