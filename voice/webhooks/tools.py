"""The assistant's function tools, answered while the caller waits (vapi-reference.md §6.1, §8.5).

`TOOLS` maps each tool name (HELPERS contract) to a `Tool`: a function `(context, arguments) ->
str` and whether it only reads. The string is the result the assistant reads: one line, phrased to
be said or acted on. A function raises ToolError for bad input; that becomes the result's `error`
string. Business outcomes (a full slot, nothing available) are results, not errors: the assistant
should offer what we say.

This module reads arguments and phrases answers; the domain work (the caller's lead, tours,
qualification) is done by `voice.calls` and `leads` services. Tools check their input before
writing anything, so a ToolError never leaves half a booking. Any other exception fails the whole
delivery (see inbox.py): its writes roll back.
"""

import logging
import re
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from leads.callbacks.models import Callback
from leads.callbacks.services import callback_request
from leads.compliance.models import Suppression
from leads.models import Lead, LeadActivity, Tour
from leads.services import (
    QualifyAnswers,
    TourBooking,
    lead_activity_record,
    lead_qualify,
    tour_schedule,
)
from properties.localtime import LocalTime, local_time_resolve, local_today
from properties.models import Property, Unit
from properties.phone import phone_normalize_or_none
from properties.selectors import (
    local_time_phrase,
    property_is_open,
    property_next_opening,
    property_timezone,
    unit_list_alternatives,
    unit_list_available,
)
from voice.calls.optout import call_opt_out_record
from voice.calls.selectors import call_property_resolve
from voice.calls.services import call_log_lead_for_caller
from voice.vapi.payload import (
    ToolCall,
    ValueInvalid,
    as_bool,
    as_date,
    as_decimal,
    as_int,
    as_str,
    call_metadata,
    message_call,
    message_call_id,
    message_customer_number,
    message_phone_number,
)

logger = logging.getLogger(__name__)

MAX_UNITS_SAID = 3
TOOL_FAILED = "Sorry, that didn't work on our side. Offer to have the leasing team call back."


class ToolError(Exception):
    """Bad input for a tool; the message is the result's `error` string (said to the model)."""


@dataclass
class ToolContext:
    """What a tool knows about the call besides its arguments."""

    message: dict[str, Any]
    now: datetime = field(default_factory=lambda: timezone.now())

    @property
    def call(self) -> dict[str, Any]:
        return message_call(self.message)

    @property
    def call_id(self) -> str:
        return message_call_id(self.message)

    @property
    def metadata(self) -> dict[str, Any]:
        assistant = self.message.get("assistant")
        return call_metadata(
            self.call, assistant=assistant if isinstance(assistant, dict) else None
        )

    def today(self, property_id: int) -> date:
        """Today in the property's zone: from the assistant's metadata (HELPERS contract:
        `timezone`), which saves a query on the hot path, else from the property."""
        name = self.metadata.get("timezone")
        try:
            tz = zoneinfo.ZoneInfo(name) if isinstance(name, str) and name else None
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            tz = None
        return local_today(tz=tz or property_timezone(property_id=property_id), now=self.now)

    def property_id(self, arguments: dict[str, Any]) -> int:
        """The property: the tool's static `property_id` parameter (vapi-reference.md §6.1:
        merged into the arguments, the model can't spoof it), else what the call says about it
        (`call_property_resolve`: our metadata, the assistant, the routed assistant, the number
        that was called)."""
        raw = arguments.get("property_id")
        if raw not in (None, ""):
            try:
                return int(raw)
            except (TypeError, ValueError):
                raise ToolError("The property_id parameter is not a number.") from None
        found = call_property_resolve(
            metadata=self.metadata,
            vapi_assistant_id=str(self.call.get("assistantId") or ""),
            vapi_call_id=self.call_id,
            phone_number=message_phone_number(self.message),
        )
        if found is None:
            raise ToolError("I can't tell which property this call is for.")
        return found


ToolFunction = Callable[[ToolContext, dict[str, Any]], str]


def tool_call_answer(context: ToolContext, tool_call: ToolCall) -> dict[str, str]:
    """One entry of the `results` list, in the exact shape of vapi-reference.md §8.5."""
    answer = {"toolCallId": tool_call.id, "name": tool_call.name}
    tool = TOOLS.get(tool_call.name)
    if tool_call.error:
        answer["error"] = one_line(tool_call.error)
    elif tool is None:
        answer["error"] = one_line(f"Unknown tool {tool_call.name!r}.")
    else:
        try:
            answer["result"] = one_line(tool.run(context, tool_call.arguments))
        except ToolError as exc:
            answer["error"] = one_line(str(exc))
    return answer


def one_line(text: str) -> str:
    """Vapi parses multi-line results badly (custom-tools-troubleshooting, §8.5)."""
    return " ".join(text.split())


# Arguments ---------------------------------------------------------------------------------------


def _read(arguments: dict[str, Any], specs: dict[str, Callable[[Any], Any]]) -> dict[str, Any]:
    """Typed values of the known arguments; unknown ones (and the static property_id) ignored."""
    values = {}
    problems = []
    for name, read in specs.items():
        try:
            values[name] = read(arguments.get(name))
        except ValueInvalid as exc:
            problems.append(f"{name} {exc}")
    if problems:
        raise ToolError("Invalid arguments: " + "; ".join(problems) + ".")
    return values


def _required(values: dict[str, Any], *names: str) -> None:
    missing = [name for name in names if values.get(name) in (None, "")]
    if missing:
        raise ToolError("Missing required arguments: " + ", ".join(missing) + ".")


def _tour_type(value: Any) -> str:
    text = as_str(value).lower().replace("-", "_").replace(" ", "_")
    if not text:
        return Tour.Kind.IN_PERSON
    if text not in Tour.Kind.values:
        raise ValueInvalid("must be in_person, self_guided or virtual")
    return text


# check_availability ------------------------------------------------------------------------------


def tool_check_availability(context: ToolContext, arguments: dict[str, Any]) -> str:
    """Up to three matching units said naturally; when none match, the nearest alternatives."""
    values = _read(arguments, {"bedrooms": as_int, "max_rent": as_decimal, "move_in_date": as_date})
    property_id = context.property_id(arguments)
    units = unit_list_available(property_id=property_id, **_unit_filters(values))
    if units:
        return f"Available: {_units_phrase(units, today=context.today(property_id))}."
    alternatives = unit_list_alternatives(property_id=property_id, **_unit_filters(values))
    wanted = _request_phrase(values)
    if not alternatives:
        return (
            f"Nothing is available {wanted}right now. Offer to have the leasing team call back "
            "when something opens up."
        )
    nearest = _units_phrase(alternatives, today=context.today(property_id))
    return f"Nothing matches {wanted}exactly. Closest options: {nearest}."


def _unit_filters(values: dict[str, Any]) -> dict[str, Any]:
    return {
        "bedrooms": values["bedrooms"],
        "max_rent": values["max_rent"],
        "move_in_date": values["move_in_date"],
        "limit": MAX_UNITS_SAID,
    }


def _units_phrase(units: list[Unit], *, today: date) -> str:
    return "; ".join(
        f"unit {unit.unit_number}, {_beds(unit.bedrooms)} {_baths(unit.bathrooms)}, "
        f"${unit.monthly_rent:,.0f} a month, {_available_phrase(unit.available_from, today)}"
        for unit in units
    )


def _request_phrase(values: dict[str, Any]) -> str:
    parts = []
    if values["bedrooms"] is not None:
        parts.append(f"for a {_beds(values['bedrooms'])}")
    if values["max_rent"] is not None:
        parts.append(f"under ${values['max_rent']:,.0f}")
    if values["move_in_date"] is not None:
        parts.append(f"by {_date_phrase(values['move_in_date'])}")
    return " ".join(parts) + " " if parts else ""


def _beds(bedrooms: int) -> str:
    return "studio" if bedrooms == 0 else f"{bedrooms} bed"


def _baths(bathrooms: Decimal) -> str:
    return f"{bathrooms.normalize():f} bath"


def _available_phrase(available_from: date | None, today: date) -> str:
    if available_from is None or available_from <= today:
        return "available now"
    return f"available from {_date_phrase(available_from)}"


def _date_phrase(value: date) -> str:
    return f"{value:%A, %B} {value.day}"


def datetime_phrase(value: datetime, prop: Property) -> str:
    """An instant as said at the property: "Sunday, March 14 at 10 AM". In the doubled hour of a
    fall-back night the wall time names two instants, so the phrase says which one."""
    local = value.astimezone(prop.tz)
    clock = local_time_phrase(local.time())
    phrase = f"{_date_phrase(local.date())} at {clock}"
    wall = local_time_resolve(wall=local.replace(tzinfo=None), tz=prop.tz)
    if wall.ambiguous:
        which = "earlier" if value.astimezone(UTC) == wall.instants[0] else "later"
        phrase += f" {local:%Z} (the {which} {clock})"
    return phrase


def _start_time_hint(value: datetime, prop: Property) -> str:
    """For a time in a doubled hour: the start_time (with its offset) that books exactly it."""
    local = value.astimezone(prop.tz)
    if not local_time_resolve(wall=local.replace(tzinfo=None), tz=prop.tz).ambiguous:
        return ""
    return f" (start_time {local.isoformat(timespec='minutes')})"


# Leads for tools ---------------------------------------------------------------------------------


def _lead_for_call(
    context: ToolContext,
    *,
    property_id: int,
    first_name: str = "",
    last_name: str = "",
    phone: str = "",
    email: str = "",
) -> Lead:
    """The caller's lead, linked to the call log (`call_log_lead_for_caller`)."""
    assistant = context.message.get("assistant")
    return call_log_lead_for_caller(
        call=context.call,
        property_id=property_id,
        phone_number=message_phone_number(context.message),
        assistant_config=assistant if isinstance(assistant, dict) else None,
        # The number the caller gave, if it is one, else the caller id.
        caller_number=phone
        if phone_normalize_or_none(phone)
        else message_customer_number(context.message),
        first_name=first_name,
        last_name=last_name,
        email=email,
    )


# schedule_tour -----------------------------------------------------------------------------------


def tool_schedule_tour(context: ToolContext, arguments: dict[str, Any]) -> str:
    """Book a tour for the caller; a past, closed or full time gets free times nearby instead."""
    values = _read(
        arguments,
        {
            "first_name": lambda v: as_str(v, max_length=100),
            "last_name": lambda v: as_str(v, max_length=100),
            "phone": as_str,
            "start_time": _start_time,
            "tour_type": _tour_type,
            "unit": lambda v: as_str(v, max_length=20),
        },
    )
    _required(values, "first_name", "start_time")
    if values["phone"] and phone_normalize_or_none(values["phone"]) is None:
        raise ToolError("Invalid arguments: phone must be a phone number like +14155550123.")
    property_id = context.property_id(arguments)
    lead = _lead_for_call(
        context,
        property_id=property_id,
        first_name=values["first_name"],
        last_name=values["last_name"],
        phone=values["phone"],
    )
    booking = tour_schedule(
        property_id=property_id,
        lead=lead,
        # The wall time the caller said, and the offset only if the model wrote one.
        starts_at=values["start_time"].replace(tzinfo=None),
        utc_offset=values["start_time"].utcoffset(),
        kind=values["tour_type"],
        unit_number=values["unit"],
        vapi_call_id=context.call_id,
        now=context.now,
    )
    return _booking_phrase(booking, lead=lead)


def _start_time(value: Any) -> datetime | None:
    """ISO 8601 local time in the property's zone ("2026-12-01T14:00"). An offset is allowed
    but must be the property's at that time: it picks one 1:30 of a fall-back night."""
    text = as_str(value)
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueInvalid("must be a date and time like 2026-12-01T14:00") from None


def _booking_phrase(booking: TourBooking, *, lead: Lead) -> str:
    if booking.rejection == "no_property":
        raise ToolError("I can't find this property.")
    if booking.tour is not None:
        tour = booking.tour
        prop = tour.property
        unit = f" to see unit {tour.unit.unit_number}" if tour.unit_id else ""
        verb = "Booked" if booking.created else "Already booked"
        return (
            f"{verb}: {tour.get_kind_display().lower()} tour{unit} on "
            f"{datetime_phrase(tour.starts_at, prop)} for {lead.full_name or 'the caller'}. "
            f"Confirm the time with the caller and tell them where to meet: {prop.full_address}."
        )
    prop = lead.property
    asked = booking.asked
    if booking.rejection == "ambiguous_time" and asked is not None:
        return _ambiguous_time_phrase(asked, choices=booking.choices, prop=prop)
    if booking.rejection == "offset_mismatch" and asked is not None:
        return _offset_mismatch_phrase(asked, offset=booking.utc_offset, prop=prop)
    if booking.rejection == "missing_time" and asked is not None:
        why = _missing_time_phrase(asked)
    else:
        why = {
            "past": "That time has already passed.",
            "closed": "That time is outside our tour hours.",
            "full": "That time is fully booked.",
        }[booking.rejection]
    if not booking.alternatives:
        return f"{why} No tour times are free this week; offer a callback from the leasing team."
    times = "; ".join(
        datetime_phrase(start, prop) + _start_time_hint(start, prop)
        for start in booking.alternatives
    )
    return f"{why} Nothing was booked. Offer one of these free times instead: {times}."


def _missing_time_phrase(asked: LocalTime) -> str:
    jump = " to ".join(local_time_phrase(wall.time()) for wall in asked.gap or ())
    return (
        f"{local_time_phrase(asked.wall.time())} does not exist on {_date_phrase(asked.wall)}: "
        f"the clocks jump from {jump} that night (daylight saving time starts)."
    )


def _offset_mismatch_phrase(asked: LocalTime, *, offset: timedelta | None, prop: Property) -> str:
    """The model added an offset the property's clocks don't show then; the wall time wins."""
    clocks = " or ".join(
        f"{_offset_text(local.utcoffset())} ({local:%Z})"
        for local in (instant.astimezone(prop.tz) for instant in asked.instants)
    )
    given = _offset_text(offset)
    wall = asked.wall.isoformat(timespec="minutes")
    return (
        f"Nothing was booked: the offset {given} is not the property's at "
        f"{local_time_phrase(asked.wall.time())} on {_date_phrase(asked.wall)} (its clocks are at "
        f"{clocks}, {prop.timezone}). Confirm the local time with the caller, then send "
        f"start_time as the property's local time without an offset, for example {wall}."
    )


def _offset_text(offset: timedelta | None) -> str:
    """timedelta(hours=-7) -> "-07:00", as in ISO 8601."""
    minutes = (offset or timedelta()) // timedelta(minutes=1)
    return f"{'-' if minutes < 0 else '+'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _ambiguous_time_phrase(asked: LocalTime, *, choices: list[datetime], prop: Property) -> str:
    """Ask which of the two; the model books again with the offset we give it."""
    clock = local_time_phrase(asked.wall.time())
    minutes = (asked.instants[-1] - asked.instants[0]) // timedelta(minutes=1)
    back = "an hour" if minutes == 60 else f"{minutes} minutes"
    said = (
        f"{clock} happens twice on {_date_phrase(asked.wall)}: the clocks go back {back} that "
        "night (daylight saving time ends). Nothing was booked."
    )
    options = []
    for start in choices:
        local = start.astimezone(prop.tz)
        which = "earlier" if start == asked.instants[0] else "later"
        options.append(
            f"the {which} {clock} ({local:%Z}, start_time {local.isoformat(timespec='minutes')})"
        )
    if len(options) == 1:
        return (
            f"{said} Only {options[0]} is within tour hours: confirm it with the caller, then "
            "call schedule_tour again with that start_time."
        )
    return (
        f"{said} Ask the caller which one they mean: {' or '.join(options)}, then call "
        "schedule_tour again with that start_time."
    )


# qualify_lead ------------------------------------------------------------------------------------


def tool_qualify_lead(context: ToolContext, arguments: dict[str, Any]) -> str:
    """Score the caller on fit and intent only (leasing-domain.md §3) and say what to do next.

    Only the contract's arguments are read: anything else the model sends (income, credit, age,
    family, ...) is ignored, never stored and never scored.
    """
    values = _read(
        arguments,
        {
            "move_in_date": as_date,
            "bedrooms": as_int,
            "budget": as_decimal,
            "has_pets": as_bool,
            "pets": as_str,
            "first_name": lambda v: as_str(v, max_length=100),
            "last_name": lambda v: as_str(v, max_length=100),
            "email": lambda v: as_str(v, max_length=254),
        },
    )
    property_id = context.property_id(arguments)
    lead = _lead_for_call(
        context,
        property_id=property_id,
        first_name=values["first_name"],
        last_name=values["last_name"],
        email=values["email"],
    )
    result = lead_qualify(
        lead=lead,
        answers=QualifyAnswers(
            move_in_date=values["move_in_date"],
            bedrooms=values["bedrooms"],
            budget=values["budget"],
            has_pets=values["has_pets"],
            pets=values["pets"],
        ),
        today=local_today(tz=lead.property.tz, now=context.now),
        vapi_call_id=context.call_id,
    )
    if lead.status in (Lead.Status.QUALIFIED, Lead.Status.TOUR_SCHEDULED) and not result.gaps:
        if lead.status == Lead.Status.TOUR_SCHEDULED:
            step = "A tour is already booked; answer any other questions."
        else:
            step = "Offer to schedule a tour (use check_availability and schedule_tour)."
        ask = f" You may still ask about: {', '.join(result.missing)}." if result.missing else ""
        return f"Lead qualified, score {result.score}/100. Next: {step}{ask}"
    notes = []
    if result.gaps:
        notes.append("Note: " + "; ".join(result.gaps) + ".")
    if result.missing:
        notes.append("Ask about: " + ", ".join(result.missing) + ".")
    return (
        f"Score {result.score}/100. {' '.join(notes)} Next: suggest other floor plans or move-in "
        "dates that fit, or offer a callback from the leasing team. Stay friendly; do not ask "
        "about income or credit."
    )


# transfer_to_human -------------------------------------------------------------------------------


# The caller asking to be called back rather than held ("call me back tomorrow", "a callback"):
# the contract gives transfer_to_human only a `reason` (HELPERS.md), so the model says it there,
# as the tool's description asks.
CALLBACK_ASKED = re.compile(
    r"\b(?:call|ring|phone)(?:\s+\w+){0,2}\s+back\b|\bcall-?backs?\b", re.IGNORECASE
)


def transfer_refused_callback_record(*, context: ToolContext, prop: Property, reason: str) -> None:
    """A transfer Vapi asked us about (transfer-destination-request) that we refused: the
    assistant offers a callback (handlers.TRANSFER_CLOSED), so it is kept as a task, even when
    the model went straight to transferCall without transfer_to_human. Its own transaction:
    this message is answered outside one (its answer is needed while the caller waits)."""
    with transaction.atomic():
        lead = _lead_for_call(context, property_id=prop.pk)
        callback_request(
            lead=lead,
            reason=reason,
            number=message_customer_number(context.message),
            vapi_call_id=context.call_id,
            note="Asked to be put through; nobody could take the call.",
            now=context.now,
        )


def tool_transfer_to_human(context: ToolContext, arguments: dict[str, Any]) -> str:
    """Record the request and tell the assistant whether to hand over now (office open) or to
    offer a tour; when nobody can take the call, or the caller asked to be called back, the
    callback it promises is recorded as a task for the property's agents (leads.callbacks).
    The transfer itself is Vapi's transferCall tool, which has no fixed destination
    (assistants/config.py), so Vapi asks us (transfer-destination-request, vapi-reference.md
    §6.2, §8.5) and office hours are checked again there: a model that transfers when told not
    to still reaches nobody."""
    values = _read(arguments, {"reason": lambda v: as_str(v, max_length=500)})
    _required(values, "reason")
    property_id = context.property_id(arguments)
    lead = _lead_for_call(context, property_id=property_id)
    lead_activity_record(
        lead=lead,
        kind=LeadActivity.Kind.TRANSFER_REQUESTED,
        text=f"Asked for a person: {values['reason']}",
        data={"reason": values["reason"]},
        vapi_call_id=context.call_id,
    )
    prop = lead.property
    is_open = property_is_open(property=prop, at=context.now)
    asked = bool(CALLBACK_ASKED.search(values["reason"]))
    if prop.transfer_phone and is_open and not asked:
        return (
            "Transfer approved. Tell the caller you are connecting them to the leasing team now, "
            "then call the transferCall tool right away."
        )
    callback, _ = callback_request(
        lead=lead,
        reason=Callback.Reason.CALLER_ASKED
        if asked
        else Callback.Reason.TRANSFER_UNAVAILABLE
        if is_open
        else Callback.Reason.AFTER_HOURS,
        number=message_customer_number(context.message),
        vapi_call_id=context.call_id,
        note=f"Asked for a person: {values['reason']}",
        now=context.now,
    )
    when = (
        f"when the office opens, {datetime_phrase(callback.due_at, prop)}"
        if callback.due_at > context.now
        else "shortly"
    )
    if asked:
        return (
            f"Callback noted: the leasing team will call back {when}. Do not transfer: tell the "
            "caller so, and answer any other questions."
        )
    opens = property_next_opening(property=prop, after=context.now) if not is_open else None
    opens_phrase = f" It opens {datetime_phrase(opens, prop)}." if opens else ""
    return (
        f"The leasing office can't take the call right now.{opens_phrase} Do not transfer: tell "
        f"the caller someone from the leasing team will call them back {when}, and offer to book "
        "a tour in the meantime."
    )


# stop_calling ------------------------------------------------------------------------------------

OPT_OUT_CONFIRMED = (
    "Done: the number is on the do-not-call list for all of our properties. Confirm once, in one "
    "sentence, that we won't call again, then end the call with endCall. Do not transfer, ask "
    "anything else or offer anything."
)
OPT_OUT_NOT_RECORDED = (
    "The number will be taken off the call list after the call. Confirm once, in one sentence, "
    "that we won't call again, then end the call with endCall."
)


def tool_stop_calling(context: ToolContext, arguments: dict[str, Any]) -> str:
    """The caller asked not to be called (calling-compliance.md §7 rules 9, 12): the number goes
    on the organization's do-not-call list before the assistant says anything more."""
    suppression = call_opt_out_record(
        message=context.message,
        source=Suppression.Source.TOOL,
        note="The assistant's stop_calling tool.",
    )
    if suppression is None:
        return OPT_OUT_NOT_RECORDED
    return OPT_OUT_CONFIRMED


@dataclass(frozen=True)
class Tool:
    run: ToolFunction
    # Writes nothing: a delivery of only such calls is answered before being stored (inbox.py).
    read_only: bool = False
    # What the model is told when the delivery failed on our side (handlers.tool_calls_failed).
    failed: str = TOOL_FAILED


TOOLS: dict[str, Tool] = {
    "check_availability": Tool(tool_check_availability, read_only=True),
    "schedule_tour": Tool(tool_schedule_tour),
    "qualify_lead": Tool(tool_qualify_lead),
    "transfer_to_human": Tool(tool_transfer_to_human),
    # A failure must not turn a stop into a callback offer (§7 rule 12); the end-of-call report
    # records the stop from the caller's words or the opt-out output.
    "stop_calling": Tool(tool_stop_calling, failed=OPT_OUT_NOT_RECORDED),
}
