"""Call-log writes: create or update a call log from Vapi, link its lead, record the lead's
call activities and the outcome of a finished call (the webhook, `sync_calls` and refresh all
write through here)."""

from datetime import datetime
from typing import Any

from django.db import models
from django.db.models import OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from leads.callbacks.models import Callback
from leads.callbacks.services import callback_complete_for_lead
from leads.models import Lead, LeadActivity
from leads.selectors import lead_get, lead_get_by_phone
from leads.services import (
    lead_activity_record,
    lead_get_or_create_for_caller,
    lead_status_advance,
    lead_update_from_call,
)
from properties.phone import phone_normalize_or_none
from properties.selectors import property_get_by_leasing_phone
from voice import sql
from voice.calls.mapping import (
    FACT_FIELDS,
    STATUS_RANK,
    CallLogUpsert,
    call_direction,
    call_is_authoritative,
    call_log_fields_from_event,
    call_log_fields_from_vapi,
    call_log_fill_duration,
    structured_answers,
)
from voice.calls.recording import recording_facts
from voice.calls.selectors import ANSWERED, call_outcome, property_id_from_metadata
from voice.models import Assistant, CallLog, TranscriptLine
from voice.vapi.payload import call_metadata


def call_log_upsert_from_vapi(
    *,
    call: dict[str, Any],
    report: dict[str, Any] | None = None,
    status: str | None = None,
    ended_reason: str = "",
    phone_number: str = "",
    assistant_config: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> CallLogUpsert:
    """Create the CallLog of `call` on first sight or bring it up to date. Run in a transaction.

    - `call`: a Vapi Call object (webhook `message.call` or a GET /call item); needs `id`.
    - `report`: the whole end-of-call-report message, when there is one (authoritative).
    - `status` / `ended_reason`: a status-update's message-level values (they beat `call.status`).
    - `phone_number`: our number that was called (E.164), for routing inbound calls to a property.
    - `assistant_config`: `message.assistant` (its metadata carries our propertyId).
    - `at`: when the event happened; fills `started_at` / `ended_at` if nothing better is known.

    A Call object whose status is "ended" and that carries analysis or artifact counts as
    authoritative too, so a sync job overwrites a stale row. The row is locked (SELECT ... FOR
    UPDATE) for the rest of the caller's transaction.
    """
    call_id = str(call.get("id") or "")[:100]
    if not call_id:
        raise ValueError("a Vapi call needs an id")
    fields = call_log_fields_from_event(
        call=call, report=report, status=status, ended_reason=ended_reason, at=at
    )
    authoritative = call_is_authoritative(call=call, report=report, fields=fields)
    metadata = call_metadata(call, assistant=assistant_config)
    if report is not None and "compliance" in report and "compliance" not in call:
        # end-of-call-report.compliance (recording consent) is read with the call's own.
        call = {**call, "compliance": report["compliance"]}

    # A live status without a report usually means first sight (the fast path in the handler
    # already missed): try the INSERT first. Otherwise (ended, report, sync) read first.
    likely_new = report is None and fields.get("status") != CallLog.Status.ENDED
    call_log = (
        None
        if likely_new
        else CallLog.objects.select_for_update().filter(vapi_call_id=call_id).first()
    )
    if call_log is None:
        call_log = _call_log_build(
            call_id=call_id, call=call, fields=fields, metadata=metadata, phone_number=phone_number
        )
        inserted = sql.call_log_insert_if_new(call_log=call_log)
        if inserted is not None:
            if inserted.lead_id:
                call_log_record_started(call_log=inserted)
            return CallLogUpsert(call_log=inserted, created=True, previous_status=None)
        # Another delivery created it first (it committed: the unique key made us wait).
        call_log = CallLog.objects.select_for_update().get(vapi_call_id=call_id)

    previous = call_log.status
    changed = _call_log_merge(
        call_log,
        call=call,
        fields=fields,
        authoritative=authoritative,
        metadata=metadata,
        phone_number=phone_number,
    )
    if changed:
        call_log.save(update_fields=[*changed, "updated_at"])
    return CallLogUpsert(
        call_log=call_log, created=False, previous_status=previous, changed=tuple(changed)
    )


def call_log_changes_from_vapi(
    *, call_log: CallLog, call: dict[str, Any], phone_number: str = ""
) -> list[str]:
    """The columns `call_log_upsert_from_vapi(call=call, phone_number=...)` would change on this
    row, found without writing: the row object is changed in memory only (discard it). A sync job
    reads a page of rows at once and skips the ones this leaves alone, so "unchanged" means the
    mapping (the same as the upsert's, one code path) found nothing to write."""
    fields = call_log_fields_from_event(
        call=call, report=None, status=None, ended_reason="", at=None
    )
    return _call_log_merge(
        call_log,
        call=call,
        fields=fields,
        authoritative=call_is_authoritative(call=call, report=None, fields=fields),
        metadata=call_metadata(call),
        phone_number=phone_number,
    )


def _call_log_merge(
    call_log: CallLog,
    *,
    call: dict[str, Any],
    fields: dict[str, Any],
    authoritative: bool,
    metadata: dict[str, Any],
    phone_number: str,
) -> list[str]:
    """Apply the idempotency rules (module docstring) to the row in memory; the changed columns."""
    changed: list[str] = []
    fields = recording_facts(
        fields,
        call=call,
        report=None,
        metadata={**(call_log.metadata or {}), **metadata},
        ended=authoritative,
    )
    new_status = fields.pop("status", None)
    if new_status and STATUS_RANK[new_status] > STATUS_RANK.get(call_log.status, -1):
        call_log.status = new_status
        changed.append("status")
    for name in FACT_FIELDS:
        if name not in fields:
            continue
        current = getattr(call_log, name)
        if (authoritative or current in (None, "", [], {})) and current != fields[name]:
            setattr(call_log, name, fields[name])
            changed.append(name)
    if "duration_seconds" not in fields and call_log_fill_duration(call_log):
        changed.append("duration_seconds")
    if metadata and any(call_log.metadata.get(k) != v for k, v in metadata.items()):
        call_log.metadata = {**call_log.metadata, **metadata}
        changed.append("metadata")
    if authoritative and (call_log.lead_id is None or call_log.property_id is None):
        links = call_links_resolve(
            call=call,
            metadata=metadata,
            phone_number=phone_number,
            customer_number=call_log.customer_number,
            property_id=call_log.property_id,
        )
        for name, value in links.items():
            attname = name if name.endswith("_id") else f"{name}_id"
            if value is not None and getattr(call_log, attname) is None:
                setattr(call_log, name, value)
                changed.append(attname.removesuffix("_id"))
    return [*dict.fromkeys(changed)]


# Statuses a status-update applies to a known call with one UPDATE (no read first).
FAST_STATUSES = (
    CallLog.Status.RINGING,
    CallLog.Status.IN_PROGRESS,
    CallLog.Status.FORWARDING,
    CallLog.Status.ENDED,
)


def call_log_advance_from_vapi(
    *, call: dict[str, Any], status: str, ended_reason: str = "", at: datetime | None = None
) -> sql.CallLogAdvance | None:
    """The one-UPDATE move of a known call to `status` (`voice.sql`), or None when the status
    can't take that path. It does what the full upsert does for a status-update of an existing
    call (status forward only; start, end, reason and duration filled only when blank); when it
    matches no row (first sight, or the call is already that far) the caller runs
    `call_log_upsert_from_vapi`."""
    call_id = str(call.get("id") or "")[:100]
    if status not in FAST_STATUSES or not call_id or not sql.call_log_advance_supported():
        return None
    fields = call_log_fields_from_vapi(call=call)
    started_at = fields.get("started_at")
    ended_at = fields.get("ended_at")
    if status == CallLog.Status.ENDED:
        ended_at = ended_at or at
    elif status != CallLog.Status.RINGING:
        started_at = started_at or at
    return sql.CallLogAdvance(
        call_id=call_id,
        status=status,
        earlier=tuple(value for value, rank in STATUS_RANK.items() if rank < STATUS_RANK[status]),
        started_at=started_at,
        ended_at=ended_at,
        ended_reason=ended_reason or fields.get("ended_reason", ""),
        updated_at=timezone.now(),
    )


def call_log_after_advance(*, call_id: str, status: str, lead_id: int | None) -> None:
    """After the one-UPDATE path: a lead's "call started" when the conversation began (once per
    call; the DB constraint makes repeats no-ops). Nothing to do for most deliveries."""
    if lead_id is not None and status in (CallLog.Status.IN_PROGRESS, CallLog.Status.FORWARDING):
        call_log_record_started(
            call_log=CallLog.objects.select_related("lead").get(vapi_call_id=call_id)
        )


def call_log_first_sight(
    *,
    call: dict[str, Any],
    status: str | None = None,
    ended_reason: str = "",
    phone_number: str = "",
    assistant_config: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> CallLog | None:
    """An unsaved CallLog for a call seen for the first time by a status-update, built exactly as
    `call_log_upsert_from_vapi` builds one (links resolved: one query), for
    `voice.sql.call_log_insert_and_store`. None without a call id."""
    call_id = str(call.get("id") or "")[:100]
    if not call_id:
        return None
    fields = call_log_fields_from_event(
        call=call, report=None, status=status, ended_reason=ended_reason, at=at
    )
    return _call_log_build(
        call_id=call_id,
        call=call,
        fields=fields,
        metadata=call_metadata(call, assistant=assistant_config),
        phone_number=phone_number,
    )


def _call_log_build(
    *,
    call_id: str,
    call: dict[str, Any],
    fields: dict[str, Any],
    metadata: dict[str, Any],
    phone_number: str,
) -> CallLog:
    links = call_links_resolve(
        call=call,
        metadata=metadata,
        phone_number=phone_number,
        customer_number=fields.get("customer_number", ""),
    )
    fields = recording_facts(
        fields,
        call=call,
        report=None,
        metadata=metadata,
        ended=fields.get("status") == CallLog.Status.ENDED,
    )
    call_log = CallLog(
        vapi_call_id=call_id,
        direction=call_direction(call, metadata),
        metadata=metadata,
        **links,
        **fields,
    )
    call_log_fill_duration(call_log)
    return call_log


def call_links_resolve(
    *,
    call: dict[str, Any],
    metadata: dict[str, Any],
    phone_number: str = "",
    customer_number: str = "",
    property_id: int | None = None,
) -> dict[str, Any]:
    """The property, assistant and lead a call belongs to.

    Order: our metadata (`assistantId`, `propertyId`, `leadId`; HELPERS contract), then Vapi's
    `call.assistantId`, then the leasing number that was called; the lead by metadata, else by
    the caller's number within the property.
    """
    caller = phone_normalize_or_none(customer_number)
    assistant = _assistant_for(call=call, metadata=metadata, caller=caller)
    prop_id = property_id or (assistant.property_id if assistant else None)
    if prop_id is None:
        prop_id = property_id_from_metadata(metadata)
    if prop_id is None:
        prop = property_get_by_leasing_phone(phone=phone_normalize_or_none(phone_number) or "")
        prop_id = prop.pk if prop else None
    lead_id = None
    if prop_id is not None:
        lead = lead_get(lead_id=metadata.get("leadId"), property_id=prop_id)
        if lead is not None:
            lead_id = lead.pk
        elif assistant is not None and assistant.property_id == prop_id:
            lead_id = assistant.caller_lead_id  # looked up with the assistant, same query
        else:
            lead = lead_get_by_phone(property_id=prop_id, phone=caller)
            lead_id = lead.pk if lead else None
    return {"assistant": assistant, "property_id": prop_id, "lead_id": lead_id}


def call_log_record_routing(
    *,
    call: dict[str, Any],
    assistant: Assistant,
    lead_id: int | None,
    metadata: dict[str, Any],
) -> None:
    """Remember which assistant (and property) `assistant-request` routed an inbound call to.

    Later messages of the call may carry neither `call.assistantId` nor our metadata
    (vapi-reference.md §10.4, §10.5), so the call log is where tool calls and the final report
    find them. One statement on the routing path (its 7.5 s cap, §8.1): INSERT ... ON CONFLICT DO
    NOTHING, so a replayed request changes nothing; only when a status-update created the row
    first does a second statement fill its blank assistant and property. Runs in autocommit (the
    inbox answers routing before storing it): either statement is atomic on its own.
    """
    call_id = str(call.get("id") or "")[:100]
    if not call_id:
        return
    fields = call_log_fields_from_event(
        call=call, report=None, status=None, ended_reason="", at=None
    )
    call_log = CallLog(
        vapi_call_id=call_id,
        # assistant-request is inbound routing: inbound unless the call says otherwise.
        direction=call_direction(call, {}),
        property_id=assistant.property_id,
        assistant=assistant,
        lead_id=lead_id,
        metadata=metadata,
        **recording_facts(fields, call=call, report=None, metadata=metadata, ended=False),
    )
    if sql.call_log_insert_if_new(call_log=call_log) is None:
        CallLog.objects.filter(vapi_call_id=call_id, assistant__isnull=True).update(
            assistant=assistant,
            property_id=Coalesce("property_id", Value(assistant.property_id)),
            updated_at=timezone.now(),
        )


def call_log_link_lead(*, call_log: CallLog, lead: Lead) -> None:
    """Attach a lead found or created during the call (by a tool or the report)."""
    if call_log.lead_id == lead.pk:
        return
    call_log.lead = lead
    call_log.save(update_fields=["lead", "updated_at"])
    call_log_record_started(call_log=call_log)


def call_log_lead_for_caller(
    *,
    call: dict[str, Any],
    property_id: int,
    phone_number: str = "",
    assistant_config: dict[str, Any] | None = None,
    caller_number: str = "",
    first_name: str = "",
    last_name: str = "",
    email: str = "",
) -> Lead:
    """The caller's lead during a call (a tool asked): the call log's, else by `caller_number`,
    else a new one. It is linked to the call log, which is locked for the rest of the caller's
    transaction, and created here if no status-update came first (an assistant may not subscribe
    to them). Names and email only fill blanks (staff corrections win)."""
    call_id = str(call.get("id") or "")[:100]
    call_log = (
        CallLog.objects.select_for_update(of=("self",))
        .select_related("lead")
        .filter(vapi_call_id=call_id)
        .first()
        if call_id
        else None
    )
    if call_log is None and call_id:
        call_log = call_log_upsert_from_vapi(
            call=call, phone_number=phone_number, assistant_config=assistant_config
        ).call_log
    if call_log and call_log.lead and call_log.lead.property_id == property_id:
        lead = call_log.lead
        lead_update_from_call(lead=lead, first_name=first_name, last_name=last_name, email=email)
        return lead
    source = {
        "inboundPhoneCall": Lead.Source.PHONE,
        "outboundPhoneCall": Lead.Source.OUTBOUND,
        "webCall": Lead.Source.OTHER,
    }.get(str(call.get("type")), Lead.Source.PHONE)
    lead, _ = lead_get_or_create_for_caller(
        property_id=property_id,
        phone=phone_normalize_or_none(caller_number),
        first_name=first_name,
        last_name=last_name,
        email=email,
        source=source,
    )
    if call_log is not None and call_log.property_id in (None, property_id):
        call_log_link_lead(call_log=call_log, lead=lead)
    return lead


def call_log_record_started(*, call_log: CallLog) -> None:
    """The lead's "call started" activity; kept once per call by a DB constraint."""
    if call_log.lead_id is None:
        return
    lead_activity_record(
        lead=call_log.lead,
        kind=LeadActivity.Kind.CALL_STARTED,
        text=f"{call_log.get_direction_display()} call started.",
        data={"customer_number": call_log.customer_number},
        vapi_call_id=call_log.vapi_call_id,
    )


def call_log_apply_outcome(*, call_log: CallLog) -> Lead | None:
    """After the final record: create or update the lead from the call and its structured data,
    and add "call ended" with the summary (vapi-reference.md §4.5: analysis may be missing)."""
    if call_log.property_id is None:
        return None
    answers = structured_answers(call_log.structured_data)
    lead = call_log.lead
    if lead is None:
        phone = phone_normalize_or_none(call_log.customer_number)
        if phone is None and not answers:
            return None  # nothing to make a lead from (e.g. an anonymous web call)
        lead, _ = lead_get_or_create_for_caller(
            property_id=call_log.property_id,
            phone=phone,
            first_name=answers.get("first_name", ""),
            last_name=answers.get("last_name", ""),
            email=answers.get("email", ""),
            source=Lead.Source.PHONE
            if call_log.direction == CallLog.Direction.INBOUND
            else Lead.Source.OUTBOUND
            if call_log.direction == CallLog.Direction.OUTBOUND
            else Lead.Source.OTHER,
        )
        call_log_link_lead(call_log=call_log, lead=lead)
    else:
        call_log_record_started(call_log=call_log)
    lead_update_from_call(
        lead=lead,
        first_name=answers.get("first_name", ""),
        last_name=answers.get("last_name", ""),
        email=answers.get("email", ""),
        move_in_date=answers.get("move_in_date"),
        bedrooms=answers.get("bedrooms"),
        budget=answers.get("budget"),
        has_pets=answers.get("has_pets"),
        pets=answers.get("pets", ""),
        contacted_at=call_log.ended_at,
    )
    if call_log.transcript:  # a conversation happened, not just a ring-out
        lead_status_advance(lead=lead, status=Lead.Status.CONTACTED)
    reason = call_log.ended_reason or "ended"
    duration = f", {call_log.duration_seconds}s" if call_log.duration_seconds is not None else ""
    lead_activity_record(
        lead=lead,
        kind=LeadActivity.Kind.CALL_ENDED,
        text=f"Call ended ({reason}{duration}). {call_log.summary}".strip(),
        data={
            "ended_reason": call_log.ended_reason,
            "duration_seconds": call_log.duration_seconds,
            "success_evaluation": call_log.success_evaluation,
        },
        vapi_call_id=call_log.vapi_call_id,
    )
    call_log_keep_callbacks(call_log=call_log, lead=lead)
    return lead


def call_log_keep_callbacks(*, call_log: CallLog, lead: Lead) -> int:
    """An outbound call that reached the lead keeps the callbacks promised to it (how many).

    Only a conversation counts: no answer, busy, voicemail or a call that never connected leaves
    the callback open for a person. An inbound call is the lead calling us, not the call back we
    owe. Outbound calls are the AI's (a person's call back is marked in the admin); a campaign's
    are told apart by their campaign contact, or the `campaignId` in the call's metadata.
    """
    if call_log.direction != CallLog.Direction.OUTBOUND:
        return 0
    if call_outcome(status=call_log.status, ended_reason=call_log.ended_reason) != ANSWERED:
        return 0
    metadata = call_log.metadata if isinstance(call_log.metadata, dict) else {}
    return callback_complete_for_lead(
        lead=lead,
        done_reason=Callback.DoneReason.CAMPAIGN_CALL_CONNECTED
        if call_log.campaign_contact_id or metadata.get("campaignId")
        else Callback.DoneReason.AI_CALL_CONNECTED,
        vapi_call_id=call_log.vapi_call_id,
        # A callback promised on this very call, or after it began (a late refresh of an old
        # call), is a new promise that this call did not keep.
        promised_before=call_log.started_at or call_log.created_at,
        now=call_log.ended_at,
    )


def _assistant_for(
    *, call: dict[str, Any], metadata: dict[str, Any], caller: str | None
) -> Assistant | None:
    """The call's assistant, annotated with `caller_lead_id`: the property's lead with the
    caller's number, found by the same query (a first sight is on the hot path)."""
    caller_lead = (
        Subquery(
            Lead.objects.filter(property_id=OuterRef("property_id"), phone=caller)
            .order_by()
            .values("pk")[:1]
        )
        if caller
        else Value(None, output_field=models.BigIntegerField())
    )
    # Only what the call log links to: assistants carry long prompts and pushed configs.
    assistants = Assistant.objects.only("pk", "property_id").annotate(caller_lead_id=caller_lead)
    local_id = metadata.get("assistantId")
    if local_id not in (None, ""):
        try:
            found = assistants.filter(pk=int(local_id)).first()
        except (TypeError, ValueError):
            found = None
        if found is not None:
            return found
    vapi_id = call.get("assistantId")
    if vapi_id:
        return assistants.filter(vapi_assistant_id=str(vapi_id)).first()
    return None


def transcript_line_record(*, vapi_call_id: str, role: str, text: str, spoken_at: datetime) -> None:
    """Keep one final transcript line of a call in progress (the live view); a replayed line is
    the same line (unique call/time/role) and is not stored twice."""
    TranscriptLine.objects.bulk_create(
        [TranscriptLine(vapi_call_id=vapi_call_id, role=role[:20], text=text, spoken_at=spoken_at)],
        ignore_conflicts=True,
    )
