"""Batch operations on calls behind admin actions: the lead call plan (calling hours, consent),
placing the calls, simulated inbound calls, refreshing call logs from Vapi.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone

from leads.models import Lead
from properties.models import Property
from voice.batch import NOT_PUSHED, Batch, OnResult, Outcome, Result, validation_error_text
from voice.calls.outbound import call_place_outbound
from voice.calls.selectors import LIVE_CALL_MAX_AGE
from voice.calls.sync import call_log_refresh
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


# TCPA (leasing-domain.md §6): vendors call between 9 AM and 9 PM local time; the federal rule
# is 8 AM-9 PM at the called party's location and some states are stricter. We use the
# property's time zone (where a lead lives is not known).
CALLING_HOURS = (time(9, 0), time(21, 0))


SKIP_NO_PHONE = "No phone number."


SKIP_DO_NOT_CALL = "On the do-not-call list."


SKIP_OPTED_OUT = "Opted out of calls."


SKIP_NO_CONSENT = "No consent to AI calls (TCPA): record consent first."


SKIP_IN_CALL = "Already in a call."


SKIP_NO_ASSISTANT = "No assistant pushed to Vapi for {property}."


SKIP_CALLING_HOURS = (
    "Outside calling hours (9:00-21:00 {timezone}; it is {local} there). "
    "Calls can be placed from {allowed}."
)


SKIP_SAME_NUMBER = "Same number as another selected lead."


@dataclass(frozen=True)
class PlannedCall:
    lead: Lead
    assistant: Assistant | None
    skip_reason: str = ""

    @property
    def will_call(self) -> bool:
        return not self.skip_reason


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


def _outside_calling_hours(prop: Property, now: datetime) -> str:
    local = timezone.localtime(now, prop.tz)
    opens, closes = CALLING_HOURS
    if opens <= local.time() < closes:
        return ""
    return SKIP_CALLING_HOURS.format(
        timezone=prop.timezone,
        local=f"{local:%H:%M}",
        allowed=_calling_hours_phrase(calling_hours_next_start(prop=prop, after=now), local),
    )


def calling_hours_next_start(*, prop: Property, after: datetime) -> datetime:
    """The next start of calling hours at the property after `after` (an aware instant).

    Built from the local calendar day, so a daylight-saving change in between is honoured
    (9:00 exists on every US transition day: the changes happen at 2:00).
    """
    local = timezone.localtime(after, prop.tz)
    day = local.date() if local.time() < CALLING_HOURS[0] else local.date() + timedelta(days=1)
    return datetime.combine(day, CALLING_HOURS[0], tzinfo=prop.tz)


def _calling_hours_phrase(start: datetime, local_now: datetime) -> str:
    day = "today" if start.date() == local_now.date() else "tomorrow"
    return f"{start:%H:%M} {day} ({start:%A, %B} {start.day}, {start:%Z})"


def leads_call_plan(*, leads: QuerySet[Lead], now: datetime | None = None) -> list[PlannedCall]:
    """Which assistant would call each lead, or why the lead is skipped. Reads only (no Vapi).

    "Already in a call": a CallLog for the lead that has not ended, logged within the live
    window of the dashboard (a call whose end never arrived does not block the lead forever).
    `now` is injectable for tests; calling hours are checked in the property's time zone.
    """
    now = now or timezone.now()
    selected = list(leads.select_related("property").order_by("pk"))
    in_call = set(
        CallLog.objects.filter(
            lead_id__in=[lead.pk for lead in selected],
            created_at__gte=now - LIVE_CALL_MAX_AGE,
        )
        .exclude(status=CallLog.Status.ENDED)
        .values_list("lead_id", flat=True)
    )
    assistants = _calling_assistants({lead.property_id for lead in selected})
    numbers: set[str] = set()
    plan = []
    for lead in selected:
        assistant = assistants.get(lead.property_id)
        if not lead.phone:
            reason = SKIP_NO_PHONE
        elif lead.do_not_call:
            reason = SKIP_DO_NOT_CALL
        elif lead.opted_out_at:
            reason = SKIP_OPTED_OUT
        elif not lead.consent_to_call:
            reason = SKIP_NO_CONSENT
        elif lead.pk in in_call:
            reason = SKIP_IN_CALL
        elif assistant is None:
            reason = SKIP_NO_ASSISTANT.format(property=lead.property)
        elif lead.phone in numbers:
            reason = SKIP_SAME_NUMBER
        else:
            reason = _outside_calling_hours(lead.property, now)
        if not reason:
            numbers.add(lead.phone)
        plan.append(PlannedCall(lead=lead, assistant=assistant, skip_reason=reason))
    return plan


def _call_one(lead: Lead, assistant: Assistant) -> Result:
    try:
        call_log = call_place_outbound(assistant=assistant, phone_number=lead.phone, lead=lead)
    except ValidationError as exc:
        return Result(str(lead), Outcome.SKIPPED, validation_error_text(exc), lead)
    message = f"Called by {assistant.name} (Vapi call {call_log.vapi_call_id}, {call_log.status})."
    return Result(str(lead), Outcome.CALLED, message, call_log)


def leads_call(*, plan: Sequence[PlannedCall], on_result: OnResult | None = None) -> list[Result]:
    """Place the planned calls; the skipped leads are reported with their reason.

    call_place_outbound checks consent and do-not-call again right before dialing.
    """
    batch = Batch(on_result)
    for item in plan:
        label = str(item.lead)
        if item.skip_reason or item.assistant is None:
            batch.add(Result(label, Outcome.SKIPPED, item.skip_reason or NOT_PUSHED, item.lead))
        else:
            batch.run(item.lead, label, partial(_call_one, item.lead, item.assistant))
    return batch.results


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
