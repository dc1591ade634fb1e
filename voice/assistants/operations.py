"""Batch operations on assistants behind the admin actions and `sync_assistants`: push, refresh
knowledge, test calls, pull from Vapi.

Each service takes the selected objects and returns one `Result` per object (created, updated,
unchanged, called, skipped with the reason, failed with Vapi's error) so that callers can report
every object. A VoiceError for one object is that object's result, never an exception; after an
error that will hit every object the same way (no API key, Vapi unreachable, key refused) the rest
are reported as not tried instead of each waiting for the same failure.

The per-object work is done by the single-object services (voice/assistants/services.py,
voice/calls/outbound.py), which talk to Vapi before writing and so leave nothing half-written when
Vapi fails."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from properties.models import Property
from voice.assistants.config import (
    assistant_build_config,
    json_object,
)
from voice.assistants.services import (
    assistant_create_or_update,
    assistant_import_from_vapi,
    assistant_pull,
    assistant_push,
    test_assistant,
    update_assistant_knowledge,
)
from voice.batch import NOT_PUSHED, Batch, OnResult, Outcome, Result, validation_error_text
from voice.models import Assistant
from voice.vapi import client as vapi_client
from voice.vapi.client import VapiClient, VapiObject
from voice.vapi.core import MAX_LIST_LIMIT
from voice.vapi.errors import (
    VapiNotFoundError,
    VoiceError,
)


def _assistant_label(assistant: Assistant) -> str:
    """The assistant's name, with its property's unless the name already says it."""
    prop = str(assistant.property)
    return assistant.name if prop in assistant.name else f"{prop} / {assistant.name}"


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
    batch = Batch(on_result)
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
    batch = Batch(on_result)
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
    batch = Batch(on_result)
    for assistant in assistants:
        batch.run(assistant, _assistant_label(assistant), partial(_refresh_one, assistant))
    return batch.results


def _test_call_one(assistant: Assistant, phone_number: str, requested_by: Any) -> Result:
    label = _assistant_label(assistant)
    if not assistant.vapi_assistant_id:
        return Result(label, Outcome.SKIPPED, NOT_PUSHED, assistant)
    try:
        call_log = test_assistant(
            assistant_id=assistant.pk, phone_number=phone_number, requested_by=requested_by
        )
    except ValidationError as exc:
        return Result(label, Outcome.SKIPPED, validation_error_text(exc), assistant)
    message = f"Test call placed (Vapi call {call_log.vapi_call_id}, {call_log.status})."
    return Result(label, Outcome.CALLED, message, call_log)


def assistants_place_test_call(
    *,
    assistants: Iterable[Assistant],
    phone_number: str,
    requested_by: Any = None,
    on_result: OnResult | None = None,
) -> list[Result]:
    """Have each assistant call `phone_number` (a staff phone) now; a CallLog per placed call."""
    batch = Batch(on_result)
    for assistant in assistants:
        work = partial(_test_call_one, assistant, phone_number, requested_by)
        batch.run(assistant, _assistant_label(assistant), work)
    return batch.results


PULL_NOT_FOUND = (
    "Not found at Vapi (404): the local row is kept. Push it to create it again, or delete it."
)


PULL_NEVER_PUSHED = "Never pushed to Vapi: nothing to pull."


PULL_LIST_LABEL = "Vapi assistant list"


def _notes_text(notes: list[str]) -> str:
    return f" Note: {'; '.join(notes)}." if notes else ""


def _pull_one(client: VapiClient, assistant: Assistant, *, dry_run: bool) -> Result:
    label = _assistant_label(assistant)
    if not assistant.vapi_assistant_id:
        return Result(label, Outcome.SKIPPED, PULL_NEVER_PUSHED, assistant)
    try:
        pulled = assistant_pull(assistant=assistant, client=client, dry_run=dry_run)
    except VapiNotFoundError:
        return Result(label, Outcome.FAILED, PULL_NOT_FOUND, assistant)
    note = _notes_text(pulled.notes)
    if not pulled.changes:
        return Result(label, Outcome.UNCHANGED, f"Matches Vapi.{note}", assistant)
    names = ", ".join(sorted(pulled.changes))
    if dry_run:
        return Result(label, Outcome.UPDATED, f"Would update {names} from Vapi.{note}", assistant)
    return Result(label, Outcome.UPDATED, f"Updated {names} from Vapi.{note}", assistant)


def _import_remote(prop: Property, remote: VapiObject, *, dry_run: bool) -> Result:
    """A Vapi assistant made for `prop` (metadata.propertyId) that has no local row."""
    pulled = assistant_import_from_vapi(property=prop, remote=remote, dry_run=dry_run)
    remote_id = str(remote["id"])
    label, note = _assistant_label(pulled.assistant), _notes_text(pulled.notes)
    if dry_run:
        message = f"Would add Vapi assistant {remote_id}, which has no local row.{note}"
        return Result(label, Outcome.CREATED, message, prop)
    message = f"Added Vapi assistant {remote_id}, which had no local row.{note}"
    return Result(label, Outcome.CREATED, message, pulled.assistant)


def assistants_pull(
    *,
    properties: QuerySet[Property] | None = None,
    dry_run: bool = False,
    on_result: OnResult | None = None,
) -> list[Result]:
    """Refresh local assistants from Vapi: GET each one and update the fields that differ, then
    add the Vapi assistants that carry one of our property ids but have no local row. An
    assistant gone from Vapi is reported (failed), never deleted. `properties` limits both."""
    batch = Batch(on_result)
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
        prop = by_pk.get(str(json_object(remote.get("metadata")).get("propertyId")))
        if prop is None:
            continue  # not made by this app (or outside --property)
        label = f"{prop} / {remote.get('name') or remote['id']}"
        batch.run(prop, label, partial(_import_remote, prop, remote, dry_run=dry_run))
    return batch.results


UNCHANGED_SINCE_PUSH = "Unchanged since the last push: not pushed again."


def _push_if_changed(assistant: Assistant) -> Result:
    label = _assistant_label(assistant)
    if not assistant.vapi_assistant_id:
        # Creating assistants is sync_assistants' (or the admin's) job, not a setup step.
        return Result(label, Outcome.SKIPPED, NOT_PUSHED, assistant)
    changes = _config_changes(assistant)
    if not changes:
        return Result(label, Outcome.UNCHANGED, UNCHANGED_SINCE_PUSH, assistant)
    result = _push_one(assistant, dry_run=False)
    if result.outcome == Outcome.UPDATED:
        message = f"Pushed to Vapi ({', '.join(changes)} changed)."
        return Result(label, Outcome.UPDATED, message, assistant)
    return result


def assistants_push_changed(
    *, assistants: Iterable[Assistant], on_result: OnResult | None = None
) -> list[Result]:
    """Push (PATCH) only the assistants on Vapi whose built config differs from the last push
    (e.g. a new webhook credential in `server`); the rest are reported unchanged, never-pushed
    ones skipped. Unlike assistants_push, a rerun with nothing changed sends nothing."""
    batch = Batch(on_result)
    for assistant in assistants:
        batch.run(assistant, _assistant_label(assistant), partial(_push_if_changed, assistant))
    return batch.results
