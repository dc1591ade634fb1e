"""Assistant writes: create (one per property), push, configure functions, update knowledge, update,
delete, place a test call. The config itself is built by `config.py`.

The rule for every service here: talk to Vapi first, outside any transaction, then write the
local row in one short `atomic` block. A VoiceError from Vapi therefore never leaves a
half-written row; a failed *push* of an existing row is recorded on it (push_state,
last_push_error) and re-raised.
"""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from leads.models import CallDecision
from properties.models import Property
from voice.assistants.config import (
    DEFAULT_LANGUAGE,
    DEFAULT_MODEL,
    SERVER_MESSAGES,
    assistant_build_config,
    assistant_fields_from_remote,
    default_assistant_name,
    model_config,
    remote_config,
    webhook_server_config,
)
from voice.assistants.selectors import assistant_get
from voice.assistants.validation import assistant_settings_validate
from voice.calls.outbound import call_place_outbound
from voice.models import Assistant, CallLog
from voice.structured_outputs import structured_outputs_sync
from voice.vapi import client as vapi_client
from voice.vapi.client import VapiClient, VapiObject
from voice.vapi.core import truncate
from voice.vapi.errors import VapiNotFoundError, VapiResponseError, VoiceError

logger = logging.getLogger(__name__)


def _remote_id(remote: Any) -> str:
    remote_id = remote.get("id") if isinstance(remote, dict) else None
    if not remote_id:
        raise VapiResponseError(
            "Vapi did not return an assistant id.", details={"path": "/assistant"}
        )
    return str(remote_id)


def _delete_remote_quietly(client: VapiClient, remote_id: str) -> None:
    """Undo a Vapi create whose local row could not be written (best effort, logged)."""
    try:
        client.delete_assistant(remote_id)
    except VoiceError:
        logger.exception(
            "vapi assistant %s created but not saved locally; delete it by hand", remote_id
        )


def _latest_version(remote: Any) -> str | None:
    """OAS `Assistant.latestVersion`: the published version label, null when unversioned."""
    value = remote.get("latestVersion") if isinstance(remote, dict) else None
    return str(value)[:40] if value else None


def _mark_pushed(
    assistant: Assistant, *, config: VapiObject, remote_id: str, remote: Any = None
) -> None:
    # The version label Vapi answered (see assistant_push for why we never publish).
    assistant.latest_version = _latest_version(remote)
    assistant.vapi_assistant_id = remote_id
    assistant.last_pushed_config = config
    assistant.last_pushed_at = timezone.now()
    assistant.push_state = Assistant.PushState.OK
    assistant.last_push_error = ""


PUSH_FIELDS = [
    "vapi_assistant_id",
    "last_pushed_config",
    "last_pushed_at",
    "push_state",
    "last_push_error",
    "latest_version",
    "updated_at",
]


def _record_push_failure(assistant: Assistant, exc: VoiceError) -> None:
    error = str(exc)
    if exc.details.get("status"):
        error = f"{error} [HTTP {exc.details['status']}]"
    assistant.push_state = Assistant.PushState.FAILED
    assistant.last_push_error = error
    if assistant.pk:
        Assistant.objects.filter(pk=assistant.pk).update(
            push_state=assistant.push_state, last_push_error=error, updated_at=timezone.now()
        )


def create_property_assistant(
    *,
    property: Property,
    name: str | None = None,
    first_message: str | None = None,
    outbound_first_message: str | None = None,
    system_prompt: str | None = None,
    voice_provider: str | None = None,
    voice_id: str | None = None,
    model: str | None = None,
    language: str | None = None,
) -> Assistant:
    """Create the property's assistant at Vapi, then save it locally.

    Raises ValidationError for bad local values (before any request) and VoiceError when Vapi
    fails; in both cases no Assistant row exists afterwards.
    """
    assistant_settings_validate(
        {
            "voice_provider": voice_provider,
            "model": model,
            "language": language,
            "first_message": first_message,
            "outbound_first_message": outbound_first_message,
        },
        legal_name=property.organization.legal_name,
    )
    assistant = Assistant(
        property=property,
        name=truncate(name) if name else default_assistant_name(property),
        first_message=first_message or "",
        outbound_first_message=outbound_first_message or "",
        system_prompt=system_prompt or "",
        voice_provider=voice_provider or "",
        voice_id=voice_id or "",
        model=model or DEFAULT_MODEL,
        language=language or DEFAULT_LANGUAGE,
    )
    assistant.full_clean()
    client = vapi_client.get_vapi_client()
    structured_outputs_sync(client=client)  # the config references them by id
    config = assistant_build_config(assistant=assistant)
    remote = client.create_assistant(config)
    remote_id = _remote_id(remote)
    _mark_pushed(assistant, config=config, remote_id=remote_id, remote=remote)
    try:
        with transaction.atomic():
            assistant.save()
    except Exception:
        _delete_remote_quietly(client, remote_id)
        raise
    logger.info("assistant %s created at vapi as %s", assistant.pk, remote_id)
    return assistant


@dataclass(frozen=True)
class PropertyAssistantSaved:
    """What assistant_create_or_update did: created a new assistant, or updated the existing one
    (`changed`: the settings it was given that differ from what the assistant had)."""

    assistant: Assistant
    created: bool
    changed: tuple[str, ...] = ()


def _assistant_choice(assistant: Assistant) -> str:
    return f"{assistant.pk} “{assistant.name}”"


def assistant_create_or_update(
    *,
    property: Property,
    name: str | None = None,
    first_message: str | None = None,
    outbound_first_message: str | None = None,
    system_prompt: str | None = None,
    voice_provider: str | None = None,
    voice_id: str | None = None,
    model: str | None = None,
    language: str | None = None,
) -> PropertyAssistantSaved:
    """The property's assistant, created or brought up to date: safe to repeat.

    A property without an assistant gets one (create_property_assistant). A property that has
    one keeps it: the settings given (None = keep) are changed at Vapi and here, and it is pushed
    with the current property data, so a retry or a second run never makes a second assistant.
    A property with several assistants (made before this rule) is a ValidationError naming them:
    which one to keep is the operator's call. Raises like assistant_update / assistant_push.
    """
    settings_given = {
        "name": name,
        "first_message": first_message,
        "outbound_first_message": outbound_first_message,
        "system_prompt": system_prompt,
        "voice_provider": voice_provider,
        "voice_id": voice_id,
        "model": model,
        "language": language,
    }
    existing = list(Assistant.objects.filter(property=property).order_by("pk")[:3])
    if not existing:
        created = create_property_assistant(property=property, **settings_given)
        return PropertyAssistantSaved(assistant=created, created=True)
    if len(existing) > 1:
        more = " and more" if len(existing) > 2 else ""
        names = ", ".join(_assistant_choice(a) for a in existing[:2]) + more
        raise ValidationError(
            f"{property} already has several assistants ({names}); keep one: delete the others "
            "in the admin, or change one with PATCH /api/v1/voice/assistants/<id>."
        )
    assistant = existing[0]
    assistant.property = property  # the config builder reads it; saves a query
    if name:
        settings_given["name"] = truncate(name)
    changes = {
        field_name: value
        for field_name, value in settings_given.items()
        if value is not None and value != getattr(assistant, field_name)
    }
    if changes:
        # PATCHes the whole config (current property data included) when it is on Vapi.
        assistant = assistant_update(assistant=assistant, **changes)
    if not changes or not assistant.vapi_assistant_id:
        assistant = assistant_push(assistant=assistant)  # POST if never pushed, else PATCH
    return PropertyAssistantSaved(assistant=assistant, created=False, changed=tuple(changes))


def assistant_push(*, assistant: Assistant) -> Assistant:
    """Make Vapi match the local row: POST if it has no Vapi id yet, else PATCH the full config.

    An id Vapi no longer knows (deleted in the dashboard) is created again. Success and failure
    are both recorded on the row (push_state, last_pushed_*/last_push_error); failures re-raise.
    """
    created_id: str | None = None
    try:
        client = vapi_client.get_vapi_client()
        structured_outputs_sync(client=client)  # the config references them by id
        config = assistant_build_config(assistant=assistant)
        if assistant.vapi_assistant_id:
            # No publish call after this PATCH: Vapi's OpenAPI (the OAS of vapi-reference.md §0)
            # has no draft or publish path, only the AssistantDraft / CreateAssistantDraftDTO /
            # AssistantVersion schemas and `Assistant.latestVersion`, and PATCH /assistant/{id}
            # returns an Assistant. Whether that PATCH only edits a draft on an org onboarded to
            # versioning is UNVERIFIED (§12.14). So we PATCH as before and store the
            # `latestVersion` Vapi answers (the admin's "Live version"); a live test on a
            # versioned org settles the rest.
            try:
                remote = client.update_assistant(assistant.vapi_assistant_id, config)
            except VapiNotFoundError:
                logger.warning(
                    "vapi assistant %s is gone at Vapi; creating it again",
                    assistant.vapi_assistant_id,
                )
                remote = client.create_assistant(config)
                created_id = _remote_id(remote)
        else:
            remote = client.create_assistant(config)
            created_id = _remote_id(remote)
        remote_id = _remote_id(remote)
    except VoiceError as exc:
        _record_push_failure(assistant, exc)
        raise
    _mark_pushed(assistant, config=config, remote_id=remote_id, remote=remote)
    try:
        with transaction.atomic():
            assistant.save(update_fields=PUSH_FIELDS)
    except Exception:
        if created_id:
            _delete_remote_quietly(client, created_id)
        raise
    return assistant


def _patch_and_record(assistant: Assistant, build: Any) -> Assistant:
    """PATCH the top-level keys `build()` returns; record the result like assistant_push."""
    if not assistant.vapi_assistant_id:
        return assistant_push(assistant=assistant)
    try:
        changes = build()
        client = vapi_client.get_vapi_client()
        remote = client.update_assistant(assistant.vapi_assistant_id, changes)
    except VoiceError as exc:
        _record_push_failure(assistant, exc)
        raise
    config = {**(assistant.last_pushed_config or {}), **changes}
    _mark_pushed(assistant, config=config, remote_id=assistant.vapi_assistant_id, remote=remote)
    with transaction.atomic():
        assistant.save(update_fields=PUSH_FIELDS)
    return assistant


def configure_assistant_functions(*, assistant: Assistant) -> Assistant:
    """Re-push the tools, and the server URL and serverMessages they depend on.

    vapi-reference.md §2: PATCH replaces `model` whole, so the full model (prompt included) goes.
    """

    def build() -> VapiObject:
        return {
            "model": model_config(assistant),
            "server": webhook_server_config(),
            "serverMessages": list(SERVER_MESSAGES),
        }

    return _patch_and_record(assistant, build)


def update_assistant_knowledge(*, assistant: Assistant) -> Assistant:
    """Re-render the prompt from current units, rents, availability, hours and policies; PATCH."""

    def build() -> VapiObject:
        config = assistant_build_config(assistant=assistant)
        keys = ("model", "voicemailMessage", "endCallMessage")
        return {key: config[key] for key in keys if key in config}

    return _patch_and_record(assistant, build)


EDITABLE_FIELDS = frozenset(
    {
        "name",
        "first_message",
        "outbound_first_message",
        "system_prompt",
        "voice_provider",
        "voice_id",
        "model",
        "language",
        "vapi_phone_number_id",
    }
)


def assistant_update(*, assistant: Assistant, **changes: Any) -> Assistant:
    """Change local fields and PATCH Vapi with the resulting config, then save.

    On ValidationError or VoiceError the row (and the `assistant` object) stay as they were. An
    assistant never pushed is only saved locally (assistant_push creates it at Vapi).
    """
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "This field cannot be changed here."))
    assistant_settings_validate(changes, legal_name=assistant.property.organization.legal_name)
    updated = copy.copy(assistant)
    for field_name, value in changes.items():
        setattr(updated, field_name, "" if value is None and field_name != "model" else value)
    if isinstance(updated.name, str):
        updated.name = truncate(updated.name)
    updated.full_clean()
    if updated.vapi_assistant_id:
        client = vapi_client.get_vapi_client()
        structured_outputs_sync(client=client)  # the config references them by id
        config = assistant_build_config(assistant=updated)
        remote = client.update_assistant(updated.vapi_assistant_id, config)
        _mark_pushed(updated, config=config, remote_id=updated.vapi_assistant_id, remote=remote)
    with transaction.atomic():
        updated.save()
    return updated


def assistant_delete(*, assistant: Assistant) -> None:
    """Delete at Vapi, then locally. Already gone at Vapi (404) counts as deleted."""
    if assistant.vapi_assistant_id:
        try:
            vapi_client.get_vapi_client().delete_assistant(assistant.vapi_assistant_id)
        except VapiNotFoundError:
            logger.info("vapi assistant %s was already deleted", assistant.vapi_assistant_id)
    with transaction.atomic():
        assistant.delete()


def test_assistant(*, assistant_id: int | str, phone_number: str, requested_by: Any) -> CallLog:
    """Place a test call from the assistant to `phone_number`, one of the organization's staff
    phones (the compliance gate refuses any other number: `not_staff_phone`)."""
    assistant = assistant_get(assistant_id=assistant_id)
    return call_place_outbound(
        assistant=assistant,
        phone_number=phone_number,
        metadata={"testCall": "true"},
        path=CallDecision.Path.TEST_CALL,
        purpose=CallDecision.Purpose.TEST,
        requested_by=requested_by,
    )


# The spec's name starts with `test_`: tell pytest it is not a test when a test module imports it.
test_assistant.__test__ = False  # type: ignore[attr-defined]


test_assistant.__test__ = False  # type: ignore[attr-defined]  # not a pytest test


# Pulling from Vapi ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AssistantPulled:
    assistant: Assistant
    changes: dict[str, Any]  # the local fields that differed from Vapi (written unless dry run)
    notes: list[str]  # remote settings this app does not manage


def assistant_pull(
    *, assistant: Assistant, client: VapiClient | None = None, dry_run: bool = False
) -> AssistantPulled:
    """GET the assistant from Vapi and update the local fields that differ (nothing on a dry
    run). VapiNotFoundError when Vapi has no such assistant: the local row is kept."""
    client = client or vapi_client.get_vapi_client()
    remote = client.get_assistant(assistant.vapi_assistant_id)
    changes, notes = assistant_fields_from_remote(assistant=assistant, remote=remote)
    version = _latest_version(remote)
    if not dry_run and version != assistant.latest_version:
        assistant.latest_version = version  # published since (e.g. in the dashboard)
        Assistant.objects.filter(pk=assistant.pk).update(latest_version=version)
    if changes and not dry_run:
        for field_name, value in changes.items():
            setattr(assistant, field_name, value)
        # What Vapi has now: a later dry-run push compares against it.
        assistant.last_pushed_config = remote_config(remote)
        assistant.full_clean()
        with transaction.atomic():
            assistant.save(update_fields=[*changes, "last_pushed_config", "updated_at"])
    return AssistantPulled(assistant=assistant, changes=changes, notes=notes)


def assistant_import_from_vapi(
    *, property: Property, remote: VapiObject, dry_run: bool = False
) -> AssistantPulled:
    """Save a Vapi assistant made for `property` (its metadata.propertyId) that has no local row
    (an unsaved row on a dry run)."""
    remote_id = str(remote["id"])
    assistant = Assistant(property=property, name=truncate(str(remote.get("name") or "")))
    assistant.name = assistant.name or f"Assistant {remote_id[:8]}"
    changes, notes = assistant_fields_from_remote(assistant=assistant, remote=remote)
    if not dry_run:
        for field_name, value in changes.items():
            setattr(assistant, field_name, value)
        assistant.vapi_assistant_id = remote_id
        assistant.latest_version = _latest_version(remote)
        assistant.last_pushed_config = remote_config(remote)
        assistant.push_state = Assistant.PushState.OK
        assistant.full_clean()
        with transaction.atomic():
            assistant.save()
    return AssistantPulled(assistant=assistant, changes=changes, notes=notes)
