"""Outbound calls: ask Vapi to dial, then record the CallLog straight away.

vapi-reference.md §10.4: record the id POST /call returns against the lead before any webhook can
arrive, and send our ids in assistantOverrides.metadata for the webhooks that race ahead anyway.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from leads.compliance.disclosures import outbound_greeting
from leads.compliance.gate import CallRefusedError, call_permission
from leads.compliance.recording import RecordingRule, recording_rule
from leads.models import CallDecision, Lead
from properties.phone import phone_normalize_or_none
from voice.calls.reconcile import call_log_record_unknown, call_logs_reconcile_number
from voice.calls.recording import recording_facts, recording_metadata, recording_overrides
from voice.models import Assistant, CallLog
from voice.vapi import client as vapi_client
from voice.vapi.client import VapiClient, VapiObject
from voice.vapi.core import truncate
from voice.vapi.errors import (
    VapiOutcomeUnknown,
    VapiResponseError,
    VoiceError,
    VoiceSetupConflictError,
)

logger = logging.getLogger(__name__)

CALL_NOT_PUSHED = "This assistant is not on Vapi yet: push it first."
CALL_NO_PHONE_NUMBER = (
    "No Vapi phone number to call from: set the assistant's Vapi phone number id, or add the "
    "property's leasing number to Vapi."
)
CALL_LEAD_OTHER_PROPERTY = "This lead belongs to another property than the assistant."
CALL_OUTCOME_UNKNOWN = (
    "Vapi did not answer in time; the call may have been placed. It is checked against Vapi's "
    "call list before anyone can call this number again."
)

# vapi-reference.md §3.2: the Call.status values we keep, in the order a call moves through them.
STATUS_ORDER = [str(status) for status in CallLog.VAPI_STATUSES]


def _phone_number_id(client: VapiClient, assistant: Assistant) -> str:
    """The Vapi phone number to dial from: the assistant's, else the property's leasing number."""
    if assistant.vapi_phone_number_id:
        return assistant.vapi_phone_number_id
    leasing_phone = assistant.property.leasing_phone
    if leasing_phone:
        for number in client.list_phone_numbers(limit=1000):
            if (
                isinstance(number, dict)
                and number.get("number") == leasing_phone
                and number.get("id")
            ):
                return str(number["id"])
    raise VoiceSetupConflictError(
        CALL_NO_PHONE_NUMBER, details={"property_id": assistant.property_id}
    )


def _check_lead(*, assistant: Assistant, lead: Lead | None) -> None:
    if lead is not None and lead.property_id != assistant.property_id:
        raise ValidationError(CALL_LEAD_OTHER_PROPERTY, code="lead_other_property")


def _outbound_overrides(
    assistant: Assistant, lead: Lead | None, recording: RecordingRule, *, leave_voicemail: bool
) -> VapiObject:
    """Per-call overrides: the assistant waits for "hello", then introduces itself with the
    disclosures (leads/compliance/disclosures.py); no recording without consent where the
    person's state requires it (voice/calls/recording.py)."""
    return {
        # vapi-reference.md §10.6: on outbound calls the callee (or voicemail) speaks first.
        "firstMessageMode": "assistant-waits-for-user",
        "firstMessage": outbound_greeting(
            template=assistant.outbound_first_message,
            prop=assistant.property,
            first_name=lead.first_name if lead is not None else "",
        ),
        **recording_overrides(recording, outbound=True, pushed_config=assistant.last_pushed_config),
        # Campaigns leave a voicemail once per lead (voicemail_left). vapi-reference.md §4.6:
        # without a voicemailMessage the call hangs up on the machine; overrides merge into the
        # saved assistant and cannot remove its message, so an empty one says nothing instead
        # (OAS AssistantOverrides.voicemailMessage: a string of at most 1,000 characters).
        **({} if leave_voicemail else {"voicemailMessage": ""}),
    }


def call_place_outbound(
    *,
    assistant: Assistant,
    phone_number: str,
    path: str,
    lead: Lead | None = None,
    metadata: dict[str, Any] | None = None,
    purpose: str = CallDecision.Purpose.MARKETING,
    requested_by: Any = None,
    attempt_id: str | None = None,
    leave_voicemail: bool = True,
) -> CallLog:
    """Have `assistant` call `phone_number` now and return the CallLog recorded for it.

    The only caller of the Vapi client's make_outbound_call. Every call first passes the
    compliance gate (leads/compliance/gate.py), which records its decision; a refusal raises
    CallRefusedError (a ValidationError carrying the reason code and the next allowed moment)
    before any request. Also ValidationError for a lead of another property, and VoiceError
    when Vapi fails, in which case no CallLog is written. POST /call is sent exactly once
    (voice/vapi/core.py explains why it is never retried).

    Outcome unknown (voice/calls/reconcile.py): when POST /call was sent but no answer came back,
    Vapi may be dialling, so a CallLog with status `unknown` is recorded and VapiOutcomeUnknown
    raised (CALL_OUTCOME_UNKNOWN). Before any call to a number, that number's `unknown` CallLogs
    are reconciled with Vapi's call list: one that was placed after all refuses this call
    (CallAlreadyPlacedError); if Vapi cannot be asked, VoiceError and nothing is dialled.

    `attempt_id`: a campaign records its attempt before dialling and passes its id (otherwise a
    new one); `leave_voicemail=False` hangs up on an answering machine instead of leaving the
    assistant's voicemail (campaigns leave one per lead).
    """
    if not assistant.vapi_assistant_id:
        raise VoiceError(CALL_NOT_PUSHED, details={"assistant_id": assistant.pk})
    _check_lead(assistant=assistant, lead=lead)
    normalized = phone_normalize_or_none(phone_number)
    if normalized:
        # Never inside a transaction: asks Vapi, then settles each CallLog in its own.
        call_logs_reconcile_number(number=normalized)
    permission = call_permission(
        organization=assistant.property.organization,
        number=phone_number,
        purpose=purpose,
        path=path,
        lead=lead,
        requested_by=requested_by,
    )
    if not permission.allowed:
        raise CallRefusedError(permission)
    number = permission.number
    # §7 rule 15: the gate's candidate states (address and area code) decide the recording.
    recording = recording_rule(permission.states)

    prop = assistant.property
    # HELPERS.md contract: string values; ours win over caller-supplied keys of the same name.
    call_metadata: dict[str, str] = {str(k): str(v) for k, v in (metadata or {}).items()}
    call_metadata.update({"propertyId": str(prop.pk), "assistantId": str(assistant.pk)})
    call_metadata.update(recording_metadata(recording))
    if lead is not None:
        call_metadata["leadId"] = str(lead.pk)
    # Ours alone, one per attempt: finds this call in Vapi's call list if its answer is lost.
    # A campaign recorded it before dialling (voice/campaigns/runner.py).
    attempt_id = attempt_id or str(uuid.uuid4())
    call_metadata["attemptId"] = attempt_id

    client = vapi_client.get_vapi_client()
    phone_number_id = _phone_number_id(client, assistant)
    attempted_at = timezone.now()
    try:
        remote = client.make_outbound_call(
            assistant_id=assistant.vapi_assistant_id,
            phone_number_id=phone_number_id,
            customer_number=number,
            customer_name=lead.full_name if lead is not None else None,
            customer_external_id=f"lead-{lead.pk}" if lead is not None else None,
            name=truncate(f"{'Lead ' + str(lead.pk) if lead else 'Call'} - {prop.name}"),
            metadata=call_metadata,
            assistant_overrides=_outbound_overrides(
                assistant, lead, recording, leave_voicemail=leave_voicemail
            ),
        )
    except VapiOutcomeUnknown as exc:
        # The request returned (no transaction was open across it); record the attempt now.
        call_log = call_log_record_unknown(
            attempt_id=attempt_id,
            attempted_at=attempted_at,
            assistant=assistant,
            lead=lead,
            customer_number=number,
            metadata=call_metadata,
            error=str(exc.details.get("error") or type(exc).__name__),
        )
        raise VapiOutcomeUnknown(
            CALL_OUTCOME_UNKNOWN,
            details={**exc.details, "call_log_id": call_log.pk, "attempt_id": attempt_id},
        ) from exc
    call_id = remote.get("id") if isinstance(remote, dict) else None
    if not call_id:
        # The call may be ringing; say so rather than pretend nothing happened.
        raise VapiResponseError(
            "Vapi accepted the call but returned no call id; check the Vapi dashboard.",
            details={"method": "POST", "path": "/call"},
        )
    status = remote.get("status")
    return call_log_record_outbound(
        vapi_call_id=str(call_id),
        assistant=assistant,
        lead=lead,
        customer_number=number,
        status=status if status in STATUS_ORDER else CallLog.Status.QUEUED,
        metadata=call_metadata,
    )


def call_log_record_outbound(
    *,
    vapi_call_id: str,
    assistant: Assistant,
    lead: Lead | None,
    customer_number: str,
    status: str,
    metadata: dict[str, str],
) -> CallLog:
    """Insert the outbound CallLog, or complete the one a racing webhook already created.

    A status-update can reach the webhook before POST /call returns; then the row exists with
    what the webhook knew. We fill in what only we know (lead, assistant, direction, metadata)
    and never move the status backwards (vapi-reference.md §10.1).
    """
    defaults = {
        "property": assistant.property,
        "assistant": assistant,
        "lead": lead,
        "direction": CallLog.Direction.OUTBOUND,
        "status": status,
        "customer_number": customer_number,
        "metadata": metadata,
        **recording_facts({}, call={}, report=None, metadata=metadata, ended=False),
    }
    with transaction.atomic():
        call_log, created = CallLog.objects.select_for_update().get_or_create(
            vapi_call_id=vapi_call_id, defaults=defaults
        )
        if created:
            return call_log
        call_log.property = call_log.property or assistant.property
        call_log.assistant = call_log.assistant or assistant
        call_log.lead = call_log.lead or lead
        call_log.direction = CallLog.Direction.OUTBOUND
        call_log.customer_number = call_log.customer_number or customer_number
        if not call_log.recording_basis:
            call_log.recording_basis = defaults.get("recording_basis", "")
            call_log.recorded = defaults.get("recorded")
        call_log.metadata = {**metadata, **(call_log.metadata or {})}
        if STATUS_ORDER.index(status) > _status_rank(call_log.status):
            call_log.status = status
        call_log.save()
    logger.info("call %s: completed the CallLog a webhook created first", vapi_call_id)
    return call_log


def _status_rank(status: str) -> int:
    return STATUS_ORDER.index(status) if status in STATUS_ORDER else -1


def call_wait_for_end(
    *,
    vapi_call_id: str,
    timeout_seconds: float = 120.0,
    poll_seconds: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
) -> VapiObject:
    """Poll GET /call/{id} until the call has ended (commands' --wait); VoiceError on timeout."""
    client = vapi_client.get_vapi_client()
    deadline = time.monotonic() + timeout_seconds
    while True:
        call = client.get_call(vapi_call_id)
        if call.get("status") == CallLog.Status.ENDED:
            return call
        if time.monotonic() >= deadline:
            raise VoiceError(
                f"The call had not ended after {timeout_seconds:.0f} seconds.",
                details={"vapi_call_id": vapi_call_id, "status": call.get("status")},
            )
        sleep(poll_seconds)
