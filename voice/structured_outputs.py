"""The structured outputs every assistant uses, defined once, and the service that keeps them at
Vapi (vapi-reference.md §12.4: structured outputs replace the deprecated `analysisPlan`).

Vapi extracts each output after the call and sends the results in the end-of-call report's
`artifact.structuredOutputs`, keyed by output id (voice/calls/analysis.py reads them). Assistants
reference the outputs by id in `artifactPlan.structuredOutputIds`; `structured_outputs_sync` runs
before every assistant push, so a push never names an output Vapi does not have.

Why four outputs and not one per field: the lead answers (name, email, move-in date, bedrooms,
budget, pets, tour interest) are one extraction over one conversation, and one object output
"leasing_call" gives exactly the dict the old `analysis.structuredData` gave (`structured_answers`
reads both). The summary and the success verdict fill their own CallLog columns, as
`analysis.summary` / `analysis.successEvaluation` did. The opt-out request is a compliance signal
that other code (and Vapi scorecards, which read boolean outputs) must find on its own, so it is
a boolean output of its own rather than a key buried in the lead object.

It sits at the top of `voice` because `assistants` (pushing) and `calls` (reading reports) both
need it, and `calls` must not import `assistants`.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from voice.models import StructuredOutput
from voice.vapi import client as vapi_client
from voice.vapi.client import VapiClient, VapiObject
from voice.vapi.core import DEFAULT_BASE_URL
from voice.vapi.errors import VapiNotFoundError, VapiResponseError

logger = logging.getLogger(__name__)

# Output names (OAS CreateStructuredOutputDTO.name: 1-40 characters). Prefixed: the Vapi org may
# hold other outputs, and these are found again by name.
LEASING_CALL = "leasing_call"
CALL_SUMMARY = "leasing_call_summary"
CALL_SUCCESS = "leasing_call_success"
OPT_OUT = "leasing_call_opt_out"

# The lead answers (HELPERS.md contract fields). Only keys of Vapi's JsonSchema (type, items,
# properties, description, pattern, format, required, enum, title): no minimum/maximum/nullable.
LEASING_CALL_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "first_name": {"type": "string", "description": "The caller's first name."},
        "last_name": {"type": "string", "description": "The caller's last name."},
        "move_in_date": {
            "type": "string",
            "format": "date",
            "description": "Desired move-in date, YYYY-MM-DD.",
        },
        "bedrooms": {"type": "integer", "description": "Bedrooms wanted; 0 means a studio."},
        "budget": {"type": "number", "description": "Highest monthly rent in US dollars."},
        "has_pets": {"type": "boolean", "description": "Whether the caller has pets."},
        "pets": {"type": "string", "description": "Kind, number and size of the pets."},
        "tour_interest": {
            "type": "boolean",
            "description": "Whether the caller wants to tour or booked a tour.",
        },
        "email": {"type": "string", "format": "email", "description": "The caller's email."},
    },
}

# CreateStructuredOutputDTO bodies, in the order assistants list them. No `model`: Vapi's default
# extraction model and prompts (OAS StructuredOutput.model) are good enough for these.
STRUCTURED_OUTPUTS: tuple[VapiObject, ...] = (
    {
        "name": LEASING_CALL,
        "type": "ai",
        "description": (
            "What the caller said about themselves and their apartment search on a call with "
            "an apartment community's virtual leasing assistant. Leave out anything the caller "
            "did not say; never guess."
        ),
        "schema": LEASING_CALL_SCHEMA,
    },
    {
        "name": CALL_SUMMARY,
        "type": "ai",
        "description": "A summary of the leasing call in 2-3 sentences, for the leasing team.",
        "schema": {"type": "string", "description": "The summary, 2-3 sentences."},
    },
    {
        "name": CALL_SUCCESS,
        "type": "ai",
        "description": (
            "Whether the call was a success: the caller's questions were answered and, if they "
            "were interested, a tour was booked or their details were taken for follow-up."
        ),
        "schema": {"type": "boolean", "description": "true if the call was a success."},
    },
    {
        "name": OPT_OUT,
        "type": "ai",
        "description": (
            "Whether the caller asked not to be called again (do not call me, take me off your "
            "list, stop calling). Anything less explicit is false."
        ),
        "schema": {"type": "boolean", "description": "true if the caller opted out of calls."},
    },
)

STRUCTURED_OUTPUT_NAMES = tuple(output["name"] for output in STRUCTURED_OUTPUTS)


def definition_hash(definition: VapiObject) -> str:
    return hashlib.sha256(json.dumps(definition, sort_keys=True).encode()).hexdigest()


def _target() -> str:
    """A fingerprint of the Vapi (URL and org key, from the settings get_vapi_client reads) the
    stored ids belong to. Only a digest of the key is kept, never the key."""
    base_url = getattr(settings, "VAPI_BASE_URL", "") or DEFAULT_BASE_URL
    key = getattr(settings, "VAPI_API_KEY", "")
    return hashlib.sha256(f"{base_url.rstrip('/')}\n{key}".encode()).hexdigest()[:32]


# Selectors ------------------------------------------------------------------------------------


def structured_output_ids() -> list[str]:
    """The Vapi ids of our outputs, in definition order, as last synced (no network). Outputs
    never synced are left out; the push services sync first, so a push has them all."""
    ids = dict(
        StructuredOutput.objects.filter(name__in=STRUCTURED_OUTPUT_NAMES).values_list(
            "name", "vapi_id"
        )
    )
    return [ids[name] for name in STRUCTURED_OUTPUT_NAMES if name in ids]


def structured_output_names_by_id() -> dict[str, str]:
    """Vapi id → our output name, for reading end-of-call reports."""
    rows = StructuredOutput.objects.filter(name__in=STRUCTURED_OUTPUT_NAMES)
    return {vapi_id: name for name, vapi_id in rows.values_list("name", "vapi_id")}


# Service --------------------------------------------------------------------------------------


@dataclass
class StructuredOutputsSynced:
    ids: dict[str, str]  # name -> Vapi id, every output
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    found: list[str] = field(default_factory=list)  # existed at Vapi by name, adopted here

    def summary(self) -> str:
        parts = [
            f"{len(names)} {label}"
            for label, names in (
                ("created", self.created),
                ("updated", self.updated),
                ("found by name", self.found),
            )
            if names
        ]
        return ", ".join(parts) or "all in sync"


def _remote_id(remote: Any, name: str) -> str:
    remote_id = remote.get("id") if isinstance(remote, dict) else None
    if not remote_id:
        raise VapiResponseError(
            f"Vapi did not return an id for the structured output {name}.",
            details={"path": "/structured-output"},
        )
    return str(remote_id)


def _find_by_name(client: VapiClient, name: str) -> VapiObject | None:
    """The oldest output at Vapi with exactly this name (two processes racing may have made two;
    always adopting the oldest makes them agree)."""
    page = client.list_structured_outputs(name=name, limit=100)
    items = page.get("results") if isinstance(page, dict) else page
    matches = [
        item
        for item in items or []
        if isinstance(item, dict) and item.get("name") == name and item.get("id")
    ]
    matches.sort(key=lambda item: str(item.get("createdAt") or ""))
    return matches[0] if matches else None


def _differs(remote: VapiObject, definition: VapiObject) -> dict[str, Any]:
    """The keys of `definition` whose value at Vapi is different (what a PATCH must send)."""
    changes = {
        key: value
        for key, value in definition.items()
        if key != "name" and remote.get(key) != value
    }
    # Vapi defaults `type` to "ai" and may leave it out of a response.
    if changes.get("type") == "ai" and remote.get("type") is None:
        del changes["type"]
    return changes


def _sync_one(
    client: VapiClient,
    definition: VapiObject,
    row: StructuredOutput | None,
    *,
    verify: bool,
    result: StructuredOutputsSynced,
) -> str:
    name = definition["name"]
    digest = definition_hash(definition)
    vapi_id = row.vapi_id if row is not None else None
    if vapi_id:
        try:
            if row is not None and row.definition_hash != digest:
                client.update_structured_output(vapi_id, _without_name(definition))
                result.updated.append(name)
            elif verify:
                remote = client.get_structured_output(vapi_id)
                changes = _differs(remote, definition)
                if changes:  # edited in the dashboard: put ours back
                    client.update_structured_output(vapi_id, changes)
                    result.updated.append(name)
            return vapi_id
        except VapiNotFoundError:
            logger.warning(
                "vapi structured output %s (%s) is gone; finding it again", name, vapi_id
            )
    remote = _find_by_name(client, name)
    if remote is not None:
        vapi_id = str(remote["id"])
        changes = _differs(remote, definition)
        if changes:
            client.update_structured_output(vapi_id, changes)
        result.found.append(name)
        return vapi_id
    created = client.create_structured_output(definition)
    result.created.append(name)
    return _remote_id(created, name)


def _without_name(definition: VapiObject) -> VapiObject:
    return {key: value for key, value in definition.items() if key != "name"}


def structured_outputs_sync(
    *, client: VapiClient | None = None, verify: bool = False
) -> StructuredOutputsSynced:
    """Make sure every output in STRUCTURED_OUTPUTS exists at Vapi as defined; store the ids.

    Idempotent. When every stored row matches its definition and the configured Vapi, nothing is
    sent (so an assistant push costs no extra request). Otherwise each output is PATCHed (its
    definition changed), found by name (the row was lost, or points at another Vapi), or created.
    `verify=True` also GETs each stored output: one deleted or edited in the dashboard is found,
    created or corrected again (sync_assistants does this once per run). Talks to Vapi before
    writing; raises VoiceError when Vapi fails (rows already synced in this run are kept).
    """
    rows = {
        row.name: row for row in StructuredOutput.objects.filter(name__in=STRUCTURED_OUTPUT_NAMES)
    }
    target = _target()
    current = {definition["name"]: definition_hash(definition) for definition in STRUCTURED_OUTPUTS}
    result = StructuredOutputsSynced(ids={name: row.vapi_id for name, row in rows.items()})
    if not verify and all(
        name in rows and rows[name].definition_hash == digest and rows[name].target == target
        for name, digest in current.items()
    ):
        return result
    client = client or vapi_client.get_vapi_client()
    for definition in STRUCTURED_OUTPUTS:
        name = definition["name"]
        row = rows.get(name)
        if row is not None and row.target != target:
            row = None  # an id from another Vapi means nothing here
        vapi_id = _sync_one(client, definition, row, verify=verify, result=result)
        result.ids[name] = vapi_id
        with transaction.atomic():
            StructuredOutput.objects.update_or_create(
                name=name,
                defaults={
                    "vapi_id": vapi_id,
                    "definition_hash": current[name],
                    "target": target,
                    "synced_at": timezone.now(),
                },
            )
    if result.created or result.updated or result.found:
        logger.info("vapi structured outputs synced: %s", result.summary())
    return result
