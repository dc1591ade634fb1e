"""Batch operations behind the voice admin actions and `sync_assistants`.

Each service takes the selected objects and returns one `Result` per object (created, updated,
unchanged, called, skipped with the reason, failed with Vapi's error) so that callers can report
every object. A VoiceError for one object is that object's result, never an exception; after an
error that will hit every object the same way (no API key, Vapi unreachable, key refused) the rest
are reported as not tried instead of each waiting for the same failure.

The per-object work is done by the single-object services (voice/assistants.py, voice/calls.py),
which talk to Vapi before writing and so leave nothing half-written when Vapi fails.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import timezone

from leads.models import Lead
from properties.models import Property
from voice.assistants import (
    assistant_build_config,
    assistant_create_or_update,
    assistant_push,
    test_assistant,
    update_assistant_knowledge,
)
from voice.call_sync import call_log_refresh
from voice.calls import call_place_outbound
from voice.models import Assistant, CallLog
from voice.selectors import LIVE_CALL_MAX_AGE
from voice.simulator.control import simulator_start_inbound_call
from voice.vapi import client as vapi_client
from voice.vapi.client import MAX_LIST_LIMIT, VapiClient, VapiObject, truncate
from voice.vapi.errors import (
    VapiAuthError,
    VapiNotFoundError,
    VapiUnavailableError,
    VoiceConfigurationError,
    VoiceError,
)


class Outcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    CALLED = "called"
    SKIPPED = "skipped"
    FAILED = "failed"


@dataclass(frozen=True)
class Result:
    """What happened to one object. `message` is safe to show to staff (no secrets)."""

    label: str
    outcome: Outcome
    message: str
    obj: Any = None

    @property
    def failed(self) -> bool:
        return self.outcome == Outcome.FAILED


OnResult = Callable[[Result], None]

# Errors that would repeat for every remaining object: stop instead of trying each one.
SYSTEMIC_ERRORS = (VoiceConfigurationError, VapiUnavailableError, VapiAuthError)

NOT_TRIED = "Not tried: {error}"
NOT_PUSHED = "Not on Vapi yet: push it first."


def _error_text(exc: ValidationError) -> str:
    return "; ".join(exc.messages)


class _Batch:
    """Runs the work for one object after another, one Result each; after a systemic error the
    remaining objects are reported as not tried."""

    def __init__(self, on_result: OnResult | None) -> None:
        self.results: list[Result] = []
        self.stopped_by: VoiceError | None = None
        self._on_result = on_result

    def add(self, result: Result) -> None:
        self.results.append(result)
        if self._on_result is not None:
            self._on_result(result)

    def run(self, item: Any, label: str, work: Callable[[], Result]) -> None:
        if self.stopped_by is not None:
            self.add(Result(label, Outcome.SKIPPED, NOT_TRIED.format(error=self.stopped_by), item))
            return
        try:
            result = work()
        except VoiceError as exc:
            result = Result(label, Outcome.FAILED, str(exc), item)
            if isinstance(exc, SYSTEMIC_ERRORS):
                self.stopped_by = exc
        except ValidationError as exc:
            result = Result(label, Outcome.FAILED, _error_text(exc), item)
        self.add(result)


def _assistant_label(assistant: Assistant) -> str:
    """The assistant's name, with its property's unless the name already says it."""
    prop = str(assistant.property)
    return assistant.name if prop in assistant.name else f"{prop} / {assistant.name}"


# Pushing assistants ----------------------------------------------------------------------------


def _config_changes(assistant: Assistant) -> list[str]:
    """Top-level config keys that differ from the last push (what a push would change)."""
    config = assistant_build_config(assistant=assistant)
    pushed = assistant.last_pushed_config or {}
    return sorted(
        key for key in config.keys() | pushed.keys() if config.get(key) != pushed.get(key)
    )


def _push_one(assistant: Assistant, *, dry_run: bool) -> Result:
    label = _assistant_label(assistant)
    old_id = assistant.vapi_assistant_id
    if dry_run:
        changes = _config_changes(assistant)  # builds the config: bad local values show up here
        if not old_id:
            return Result(label, Outcome.CREATED, "Would create it at Vapi.", assistant)
        changed = ", ".join(changes) if changes else "nothing changed since the last push"
        return Result(label, Outcome.UPDATED, f"Would update it at Vapi ({changed}).", assistant)
    assistant_push(assistant=assistant)
    if not old_id:
        message = f"Created at Vapi (id {assistant.vapi_assistant_id})."
        return Result(label, Outcome.CREATED, message, assistant)
    if assistant.vapi_assistant_id != old_id:
        message = (
            f"Vapi no longer had {old_id}: created it again (id {assistant.vapi_assistant_id})."
        )
        return Result(label, Outcome.CREATED, message, assistant)
    return Result(label, Outcome.UPDATED, "Configuration pushed to Vapi.", assistant)


def _create_for_property(prop: Property, *, dry_run: bool) -> Result:
    if dry_run:
        message = "Would create an assistant from the property data at Vapi."
        return Result(str(prop), Outcome.CREATED, message, prop)
    # The same service as create_assistant and the API: it never makes a second assistant
    # (one made since the property was read is pushed instead).
    saved = assistant_create_or_update(property=prop)
    assistant = saved.assistant
    if not saved.created:
        return Result(str(prop), Outcome.UPDATED, "Configuration pushed to Vapi.", assistant)
    message = (
        f"Created assistant “{assistant.name}” from the property data "
        f"(Vapi id {assistant.vapi_assistant_id})."
    )
    return Result(str(prop), Outcome.CREATED, message, assistant)


def assistants_push_for_properties(
    *,
    properties: Iterable[Property],
    dry_run: bool = False,
    on_result: OnResult | None = None,
) -> list[Result]:
    """Build each property's assistant from its data and push it: create one for a property
    that has none, push (create or PATCH) each one it has. One result per assistant."""
    batch = _Batch(on_result)
    for prop in properties:
        own = sorted(prop.assistants.all(), key=lambda a: a.pk)
        if not own:
            batch.run(prop, str(prop), partial(_create_for_property, prop, dry_run=dry_run))
        for assistant in own:
            assistant.property = prop  # labels and config without another query
            work = partial(_push_one, assistant, dry_run=dry_run)
            batch.run(assistant, _assistant_label(assistant), work)
    return batch.results


def assistants_push(
    *,
    assistants: Iterable[Assistant],
    dry_run: bool = False,
    on_result: OnResult | None = None,
) -> list[Result]:
    """Push each assistant's configuration: create it at Vapi without a Vapi id, else PATCH."""
    batch = _Batch(on_result)
    for assistant in assistants:
        work = partial(_push_one, assistant, dry_run=dry_run)
        batch.run(assistant, _assistant_label(assistant), work)
    return batch.results


def _refresh_one(assistant: Assistant) -> Result:
    label = _assistant_label(assistant)
    had_id = bool(assistant.vapi_assistant_id)
    update_assistant_knowledge(assistant=assistant)
    if not had_id:
        message = "Was not on Vapi yet: created it with the current property data."
        return Result(label, Outcome.CREATED, message, assistant)
    message = "Knowledge refreshed: units, rents, availability, hours and policies pushed."
    return Result(label, Outcome.UPDATED, message, assistant)


def assistants_refresh_knowledge(
    *, assistants: Iterable[Assistant], on_result: OnResult | None = None
) -> list[Result]:
    """Re-render units, rents, availability, office hours and policies into each prompt; push."""
    batch = _Batch(on_result)
    for assistant in assistants:
        batch.run(assistant, _assistant_label(assistant), partial(_refresh_one, assistant))
    return batch.results


def _test_call_one(assistant: Assistant, phone_number: str) -> Result:
    label = _assistant_label(assistant)
    if not assistant.vapi_assistant_id:
        return Result(label, Outcome.SKIPPED, NOT_PUSHED, assistant)
    try:
        call_log = test_assistant(assistant_id=assistant.pk, phone_number=phone_number)
    except ValidationError as exc:
        return Result(label, Outcome.SKIPPED, _error_text(exc), assistant)
    message = f"Test call placed (Vapi call {call_log.vapi_call_id}, {call_log.status})."
    return Result(label, Outcome.CALLED, message, call_log)


def assistants_place_test_call(
    *,
    assistants: Iterable[Assistant],
    phone_number: str,
    on_result: OnResult | None = None,
) -> list[Result]:
    """Have each assistant call `phone_number` (a staff phone) now; a CallLog per placed call."""
    batch = _Batch(on_result)
    for assistant in assistants:
        work = partial(_test_call_one, assistant, phone_number)
        batch.run(assistant, _assistant_label(assistant), work)
    return batch.results


# A prospect calling in (simulator only) ----------------------------------------------------------

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
    batch = _Batch(on_result)
    for prop in properties:
        batch.run(prop, str(prop), partial(_simulate_inbound_one, prop, from_number, scenario))
    return batch.results


# Calling leads -----------------------------------------------------------------------------------

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
        return Result(str(lead), Outcome.SKIPPED, _error_text(exc), lead)
    message = f"Called by {assistant.name} (Vapi call {call_log.vapi_call_id}, {call_log.status})."
    return Result(str(lead), Outcome.CALLED, message, call_log)


def leads_call(*, plan: Sequence[PlannedCall], on_result: OnResult | None = None) -> list[Result]:
    """Place the planned calls; the skipped leads are reported with their reason.

    call_place_outbound checks consent and do-not-call again right before dialing.
    """
    batch = _Batch(on_result)
    for item in plan:
        label = str(item.lead)
        if item.skip_reason or item.assistant is None:
            batch.add(Result(label, Outcome.SKIPPED, item.skip_reason or NOT_PUSHED, item.lead))
        else:
            batch.run(item.lead, label, partial(_call_one, item.lead, item.assistant))
    return batch.results


# Pulling assistants from Vapi --------------------------------------------------------------------

# What Vapi adds to an assistant; everything else is config.
SERVER_KEYS = frozenset({"id", "orgId", "createdAt", "updatedAt", "latestVersion"})
PULL_NOT_FOUND = (
    "Not found at Vapi (404): the local row is kept. Push it to create it again, or delete it."
)
PULL_NEVER_PUSHED = "Never pushed to Vapi: nothing to pull."
PULL_LIST_LABEL = "Vapi assistant list"
# The prompt we push wraps the staff's instructions between these headings
# (templates/voice/assistant_system_prompt.txt); only the instructions are pulled.
_INSTRUCTIONS = re.compile(
    r"^# How to work\n(?P<text>.*?)\n+# Rules you always follow$", re.DOTALL | re.MULTILINE
)


def _config_of(remote: VapiObject) -> VapiObject:
    return {key: value for key, value in remote.items() if key not in SERVER_KEYS}


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _system_message(remote: VapiObject) -> str | None:
    for message in _dict(remote.get("model")).get("messages") or []:
        if isinstance(message, dict) and message.get("role") == "system":
            content = message.get("content")
            return content if isinstance(content, str) else None
    return None


def assistant_fields_from_remote(
    *, assistant: Assistant, remote: VapiObject
) -> tuple[dict[str, Any], list[str]]:
    """The local field values that make `assistant` build what Vapi has, plus notes about remote
    settings this app does not manage. A field is left out when the local row already builds
    the remote value (a blank first message builds the default greeting, and so on)."""
    built = assistant_build_config(assistant=assistant)
    changes: dict[str, Any] = {}
    notes: list[str] = []

    name = remote.get("name")
    if isinstance(name, str) and name.strip() and name != built["name"]:
        changes["name"] = truncate(name)
    first_message = remote.get("firstMessage")
    if isinstance(first_message, str) and first_message != built["firstMessage"]:
        changes["first_message"] = first_message

    model = _dict(remote.get("model"))
    if model.get("provider") not in (None, "openai"):
        notes.append(f"its {model['provider']} model is not managed here (a push resets it)")
    elif isinstance(model.get("model"), str) and model["model"] != built["model"]["model"]:
        changes["model"] = model["model"]

    prompt = _system_message(remote)
    if prompt is not None:
        found = _INSTRUCTIONS.search(prompt)
        default = render_to_string("voice/default_instructions.txt").strip()
        if found is None:
            notes.append("its prompt was rewritten outside this app and was not pulled")
        elif found["text"].strip() != (assistant.system_prompt.strip() or default):
            text = found["text"].strip()
            changes["system_prompt"] = "" if text == default else text

    voice = _dict(remote.get("voice"))
    remote_voice = (voice.get("provider"), voice.get("voiceId"))
    if remote_voice[0] and remote_voice != (built["voice"]["provider"], built["voice"]["voiceId"]):
        changes["voice_provider"] = str(remote_voice[0])
        changes["voice_id"] = str(remote_voice[1] or "")

    language = _dict(remote.get("transcriber")).get("language")
    if isinstance(language, str) and language != built["transcriber"].get("language"):
        changes["language"] = language
    return changes, notes


def _notes_text(notes: list[str]) -> str:
    return f" Note: {'; '.join(notes)}." if notes else ""


def _pull_one(client: VapiClient, assistant: Assistant, *, dry_run: bool) -> Result:
    label = _assistant_label(assistant)
    if not assistant.vapi_assistant_id:
        return Result(label, Outcome.SKIPPED, PULL_NEVER_PUSHED, assistant)
    try:
        remote = client.get_assistant(assistant.vapi_assistant_id)
    except VapiNotFoundError:
        return Result(label, Outcome.FAILED, PULL_NOT_FOUND, assistant)
    changes, notes = assistant_fields_from_remote(assistant=assistant, remote=remote)
    note = _notes_text(notes)
    if not changes:
        return Result(label, Outcome.UNCHANGED, f"Matches Vapi.{note}", assistant)
    names = ", ".join(sorted(changes))
    if dry_run:
        return Result(label, Outcome.UPDATED, f"Would update {names} from Vapi.{note}", assistant)
    for field_name, value in changes.items():
        setattr(assistant, field_name, value)
    # What Vapi has now: a later dry-run push compares against it.
    assistant.last_pushed_config = _config_of(remote)
    assistant.full_clean()
    with transaction.atomic():
        assistant.save(update_fields=[*changes, "last_pushed_config", "updated_at"])
    return Result(label, Outcome.UPDATED, f"Updated {names} from Vapi.{note}", assistant)


def _import_remote(prop: Property, remote: VapiObject, *, dry_run: bool) -> Result:
    """A Vapi assistant made for `prop` (metadata.propertyId) that has no local row."""
    remote_id = str(remote["id"])
    assistant = Assistant(property=prop, name=truncate(str(remote.get("name") or "")))
    assistant.name = assistant.name or f"Assistant {remote_id[:8]}"
    changes, notes = assistant_fields_from_remote(assistant=assistant, remote=remote)
    label, note = _assistant_label(assistant), _notes_text(notes)
    if dry_run:
        message = f"Would add Vapi assistant {remote_id}, which has no local row.{note}"
        return Result(label, Outcome.CREATED, message, prop)
    for field_name, value in changes.items():
        setattr(assistant, field_name, value)
    assistant.vapi_assistant_id = remote_id
    assistant.last_pushed_config = _config_of(remote)
    assistant.push_state = Assistant.PushState.OK
    assistant.full_clean()
    with transaction.atomic():
        assistant.save()
    message = f"Added Vapi assistant {remote_id}, which had no local row.{note}"
    return Result(label, Outcome.CREATED, message, assistant)


def assistants_pull(
    *,
    properties: QuerySet[Property] | None = None,
    dry_run: bool = False,
    on_result: OnResult | None = None,
) -> list[Result]:
    """Refresh local assistants from Vapi: GET each one and update the fields that differ, then
    add the Vapi assistants that carry one of our property ids but have no local row. An
    assistant gone from Vapi is reported (failed), never deleted. `properties` limits both."""
    batch = _Batch(on_result)
    local = Assistant.objects.select_related("property").order_by("property__name", "pk")
    if properties is not None:
        local = local.filter(property__in=properties)
    try:
        client = vapi_client.get_vapi_client()
    except VoiceError as exc:
        for assistant in local:
            batch.add(Result(_assistant_label(assistant), Outcome.FAILED, str(exc), assistant))
        if not batch.results:
            batch.add(Result(PULL_LIST_LABEL, Outcome.FAILED, str(exc)))
        return batch.results
    for assistant in local:
        work = partial(_pull_one, client, assistant, dry_run=dry_run)
        batch.run(assistant, _assistant_label(assistant), work)
    if batch.stopped_by is not None:
        return batch.results

    scope = Property.objects.all() if properties is None else properties
    by_pk = {str(prop.pk): prop for prop in scope}
    known = set(
        Assistant.objects.exclude(vapi_assistant_id=None).values_list(
            "vapi_assistant_id", flat=True
        )
    )
    try:
        listing = client.list_assistants(limit=MAX_LIST_LIMIT)
    except VoiceError as exc:
        batch.add(Result(PULL_LIST_LABEL, Outcome.FAILED, str(exc)))
        return batch.results
    for remote in listing:
        if not isinstance(remote, dict) or not remote.get("id") or str(remote["id"]) in known:
            continue
        prop = by_pk.get(str(_dict(remote.get("metadata")).get("propertyId")))
        if prop is None:
            continue  # not made by this app (or outside --property)
        label = f"{prop} / {remote.get('name') or remote['id']}"
        batch.run(prop, label, partial(_import_remote, prop, remote, dry_run=dry_run))
    return batch.results


# Call logs ---------------------------------------------------------------------------------------

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
    """GET each call from Vapi and save it with the webhook's mapping (voice/call_sync.py): the
    repair for a call whose webhooks were missed. Vapi answers before anything is written, so a
    failure leaves that call log as it was."""
    batch = _Batch(on_result)
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
