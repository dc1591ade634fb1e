"""Opt-outs heard on a call become the organization's do-not-call entry at once (calling-
compliance.md §7 rules 8-10, 12, 16): written synchronously while the delivery is handled, so the
row exists before the call ends.

The number is the customer's (`customer.number`: the caller on an inbound call, the dialled
number on an outbound one); the organization is the one owning the call's property, so one stop
covers every property of the organization (rule 10). Idempotent: `suppression_add` keeps the
first request, so several channels in one call leave one row.
"""

import logging
from collections.abc import Iterator
from typing import Any

from leads.compliance.models import Suppression
from leads.compliance.optout import dtmf_opt_out, opt_out_detect, wrong_number_detect
from leads.compliance.services import suppression_add, wrong_number_record
from leads.selectors import lead_get_by_phone
from properties.models import Property
from properties.phone import phone_normalize_or_none
from voice.calls.analysis import OPT_OUT_KEY
from voice.calls.selectors import call_property_resolve
from voice.models import CallLog
from voice.vapi.payload import (
    call_metadata,
    message_call,
    message_call_id,
    message_customer_number,
    message_phone_number,
)

logger = logging.getLogger(__name__)

USER_ROLES = frozenset({"user", "customer"})
OUTBOUND_CALL_TYPE = "outboundPhoneCall"


def _call_number_and_property(
    message: dict[str, Any], *, source: str
) -> tuple[str, Property] | None:
    """The call's customer number (E.164) and property, or None (logged: a human must look)."""
    call = message_call(message)
    call_id = message_call_id(message)
    number = phone_normalize_or_none(message_customer_number(message))
    if number is None and call_id:
        logged = CallLog.objects.filter(vapi_call_id=call_id).values_list(
            "customer_number", flat=True
        )
        number = phone_normalize_or_none(logged.first() or "")
    assistant = message.get("assistant")
    property_id = call_property_resolve(
        metadata=call_metadata(call, assistant=assistant if isinstance(assistant, dict) else None),
        vapi_assistant_id=str(call.get("assistantId") or ""),
        vapi_call_id=call_id,
        phone_number=message_phone_number(message),
    )
    prop = (
        Property.objects.select_related("organization").filter(pk=property_id).first()
        if property_id is not None
        else None
    )
    if number is None or prop is None:
        logger.error(
            "%s heard but not recorded: no caller number or property",
            "wrong number" if source == Suppression.Source.WRONG_NUMBER else "opt-out",
            extra={"vapi_call_id": call_id, "source": source},
        )
        return None
    return number, prop


def call_opt_out_record(
    *, message: dict[str, Any], source: str, note: str = ""
) -> Suppression | None:
    """Suppress the call's customer number for the organization of the call's property; None
    when the call names no usable number or no property (logged: a human must look)."""
    found = _call_number_and_property(message, source=source)
    if found is None:
        return None
    number, prop = found
    return suppression_add(
        organization=prop.organization,
        number=number,
        source=source,
        note=note,
        lead=lead_get_by_phone(property_id=prop.pk, phone=number),
        vapi_call_id=message_call_id(message),
    )


def call_is_outbound(message: dict[str, Any]) -> bool:
    """Whether we placed the call: from the call's `type`, else the logged direction."""
    call_type = message_call(message).get("type")
    if call_type:
        return call_type == OUTBOUND_CALL_TYPE
    call_id = message_call_id(message)
    return bool(call_id) and (
        CallLog.objects.filter(vapi_call_id=call_id, direction=CallLog.Direction.OUTBOUND).exists()
    )


def call_wrong_number_record(*, message: dict[str, Any], note: str = "") -> Suppression | None:
    """The person we called says it is a wrong number (§7 rule 17): suppress the number and void
    its consents in the organization of the call's property.

    Outbound calls only: a caller who says "sorry, wrong number" dialled us by mistake, which
    says nothing about whether the person who consented still has their number."""
    if not call_is_outbound(message):
        return None
    found = _call_number_and_property(message, source=Suppression.Source.WRONG_NUMBER)
    if found is None:
        return None
    number, prop = found
    return wrong_number_record(
        organization=prop.organization,
        number=number,
        note=note,
        lead=lead_get_by_phone(property_id=prop.pk, phone=number),
        vapi_call_id=message_call_id(message),
    )


def line_wrong_number(*, role: str, text: str) -> bool:
    """Whether one line is the called person saying it is a wrong number (only their words:
    the assistant may ask "is this the wrong number?")."""
    return role.lower() in USER_ROLES and wrong_number_detect(text)


def line_opt_out_source(*, role: str, text: str) -> str | None:
    """The Suppression source for one line of the conversation, or None: only the caller's
    words count (the assistant reads the opt-out offer aloud in its opening line)."""
    if role.lower() not in USER_ROLES:
        return None
    if dtmf_opt_out(text):
        return Suppression.Source.DTMF
    if opt_out_detect(text):
        return Suppression.Source.SPOKEN
    return None


def _report_lines(message: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(role, text) of every line an end-of-call report shows: the artifact messages, then the
    plain transcript ("User: ..." lines; other speakers get the role '')."""
    artifact = message.get("artifact") if isinstance(message.get("artifact"), dict) else {}
    for source in (artifact.get("messages"), message.get("messages")):
        for item in source if isinstance(source, list) else []:
            if not isinstance(item, dict):
                continue
            text = item.get("message") or item.get("content") or ""
            yield str(item.get("role") or ""), str(text)
    for transcript in (artifact.get("transcript"), message.get("transcript")):
        for line in str(transcript or "").splitlines():
            speaker, _, text = line.partition(":")
            role = "user" if speaker.strip().lower() in ("user", "customer", "caller") else ""
            yield role, text


def report_wrong_number_line(*, message: dict[str, Any]) -> str | None:
    """The first caller line of an end-of-call report saying it is a wrong number, or None."""
    for role, text in _report_lines(message):
        if line_wrong_number(role=role, text=text):
            return text.strip()
    return None


def report_opt_out_source(*, message: dict[str, Any], call_log: CallLog | None) -> str | None:
    """The first opt-out an end-of-call report shows: a caller line (artifact messages or the
    plain transcript), else the `opt_out` structured output or analysis flag."""
    for role, text in _report_lines(message):
        found = line_opt_out_source(role=role, text=text)
        if found:
            return found
    analysis = message.get("analysis") if isinstance(message.get("analysis"), dict) else {}
    structured = analysis.get("structuredData")
    flags = [
        (call_log.structured_data or {}).get(OPT_OUT_KEY) if call_log is not None else None,
        structured.get(OPT_OUT_KEY) if isinstance(structured, dict) else None,
    ]
    if any(flag is True for flag in flags):
        return Suppression.Source.STRUCTURED_OUTPUT
    return None
