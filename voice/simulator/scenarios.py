"""Scripted conversations the simulator plays: a caller and a model that follows the script.

The "model" only calls tools the assistant has, with arguments the tools declare, and carries on
from the answers our webhook sends back (e.g. tries the next day when a tour slot is taken).
Like a real model it never reads a tool result aloud: results are written for the model (facts
plus instructions, voice/webhooks/tools.py), so it speaks its own line built from the facts
(speech.py) and acts on the instructions (no transfer when told "Do not transfer").
"""

from __future__ import annotations

import json
import re
import zoneinfo
from collections.abc import Callable
from datetime import date, datetime, timedelta

from voice.simulator.player import Conversation
from voice.simulator.speech import ToolReply, read_tool_result
from voice.simulator.state import CONCURRENCY_BLOCKED_REASON

TOUR_WEEKDAYS = (1, 2, 3)  # Tuesday-Thursday
TOUR_HOUR = 10


def _zone(conversation: Conversation) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(str(conversation.metadata.get("timezone") or "UTC"))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def next_tour_days(today: date, count: int = 3) -> list[date]:
    """The next `count` Tuesdays-Thursdays after `today` (never today: give the team notice)."""
    days: list[date] = []
    day = today
    while len(days) < count:
        day += timedelta(days=1)
        if day.weekday() in TOUR_WEEKDAYS:
            days.append(day)
    return days


def _looks_failed(result: str) -> bool:
    """Our tools answer in prose or JSON; JSON with ok/success/booked false means "no"."""
    try:
        data = json.loads(result)
    except (TypeError, ValueError):
        return False
    return isinstance(data, dict) and any(
        data.get(key) is False for key in ("ok", "success", "booked")
    )


def _short(text: str, limit: int = 220) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# What a model says from the facts of each tool's result -----------------------------------------

CALLBACK_OFFER = "I can have someone from the leasing team call you back."
# Facts that mean schedule_tour booked nothing (tools.py phrases rejections as statements).
NOT_BOOKED = ("nothing was booked", "already passed", "outside our tour hours", "fully booked")


def _availability_line(reply: ToolReply) -> str:
    available = reply.fact("Available")
    if available:
        return f"Here's what we have: {available}"
    closest = reply.fact("Closest options")
    if closest:
        other = " ".join(f for f in reply.facts if not f.lower().startswith("closest options:"))
        return f"{other} The closest options are {closest}".strip()
    line = reply.spoken or "I couldn't find anything that matches right now."
    if reply.mentions("call back", "callback"):
        line += f" {CALLBACK_OFFER}"
    return line


def _tour_booked(reply: ToolReply) -> bool:
    if reply.fact("Booked") or reply.fact("Already booked"):
        return True
    return not any(phrase in reply.spoken.lower() for phrase in NOT_BOOKED)


def _booked_line(reply: ToolReply, *, first: str) -> str:
    booked = reply.fact("Booked") or reply.fact("Already booked")
    if booked is None:
        return f"You're all set: {reply.spoken}"
    # "in person tour on Tuesday, December 8 at 10 AM for Maya Chen." is said to Maya: no name.
    booked = re.sub(r"\s+for [^,.]+\.$", ".", booked)
    line = f"You're all set, {first}: {booked[0].lower()}{booked[1:]}"
    where = reply.detail("where to meet")
    return f"{line} We'll meet you at {where}." if where else line


def _not_booked_line(reply: ToolReply) -> str:
    facts = [fact for fact in reply.facts if fact.lower() != "nothing was booked."]
    line = f"I'm sorry. {' '.join(facts) or 'That time does not work.'}"
    free = reply.detail("free times")
    if free:
        *others, last = free.split("; ")
        choices = f"{', '.join(others)} or {last}" if others else last
        line += f" I could do {choices} instead."
    elif reply.mentions("call back", "callback"):
        line += f" {CALLBACK_OFFER}"
    return line


def book_tour(c: Conversation) -> None:
    c.ring()
    c.answer()
    c.say_user("Hi! I'm looking for a two-bedroom apartment. What do you have available?")
    ok, result = c.tool("check_availability", {"bedrooms": 2})
    if ok:
        c.say_bot(f"{_short(_availability_line(read_tool_result(result)))} Can I get your name?")
    first, last = c.caller_name
    today = datetime.now(_zone(c)).date()
    move_in = (today + timedelta(days=30)).isoformat()
    email = f"{first}.{last}@example.com".lower()
    c.say_user(
        f"Sure, I'm {first} {last}. I'd like to move in around {move_in}, my budget is about "
        f"4,500 a month, and I have a small dog. My email is {email}."
    )
    qualified = {
        "first_name": first,
        "last_name": last,
        "move_in_date": move_in,
        "bedrooms": 2,
        "budget": 4500,
        "has_pets": True,
        "pets": "one small dog",
    }
    c.tool("qualify_lead", qualified)
    c.say_bot(f"Thanks, {first}! Would you like to come see one of the two-bedrooms in person?")
    booked_at: str | None = None
    for attempt, day in enumerate(next_tour_days(today)):
        ask = "Yes, could I come by on" if attempt == 0 else "How about"
        c.say_user(f"{ask} {day:%A}, {day:%B} {day.day}, at 10 in the morning?")
        start_time = f"{day.isoformat()}T{TOUR_HOUR:02d}:00"
        ok, result = c.tool(
            "schedule_tour",
            {
                "first_name": first,
                "last_name": last,
                "phone": c.caller_number,
                "start_time": start_time,
                "tour_type": "in_person",
            },
        )
        reply = read_tool_result(result)
        if ok and not _looks_failed(result) and _tour_booked(reply):
            booked_at = start_time
            c.say_bot(f"{_booked_line(reply, first=first)} Is there anything else?")
            break
        c.say_bot(_not_booked_line(reply))
    if booked_at is None:
        c.say_bot("I couldn't find a time that works; the leasing team will call you to set one.")
    c.say_user("No, that's all. Thank you, bye!")
    when = f" for {booked_at.replace('T', ' at ')}" if booked_at else ""
    summary = (
        f"{first} {last} asked about two-bedroom apartments, plans to move in around {move_in} "
        "with a budget of about $4,500 a month and has a small dog. "
        + (
            f"An in-person tour was booked{when}."
            if booked_at
            else "No tour time could be booked; the team will follow up."
        )
    )
    c.end(
        "customer-ended-call",
        summary=summary,
        # The email is only in the report (structured outputs), not in the qualify_lead call.
        structured_data={**qualified, "email": email, "tour_interest": True},
        success=booked_at is not None,
    )


def _no_person_available(c: Conversation, why: str = "") -> None:
    why = why or "Nobody from the team can take the call right now."
    c.say_bot(
        f"I'm sorry. {why} I can book you a tour, or have someone from the leasing team call "
        "you back."
    )
    c.say_user("Please have someone call me back. Thanks, bye.")
    c.end(
        "customer-ended-call",
        summary="The caller asked for a person; nobody was available, so the team will call back.",
        structured_data={"tour_interest": False},
        success=False,
    )


def _not_transferred(c: Conversation) -> None:
    """Nothing was dialled. If our server's refusal was just said (transfer-destination-request's
    `error`, which offers the alternatives), the caller answers it; otherwise the model
    apologises and offers them."""
    if c.messages and c.messages[-1]["role"] == "bot":
        c.say_user("Okay, please have someone call me back. Thanks, bye.")
        c.end(
            "customer-ended-call",
            summary="The caller asked for a person; the transfer was refused, so the team will "
            "call back.",
            structured_data={"tour_interest": False},
            success=False,
        )
        return
    _no_person_available(c)


def _transferred(c: Conversation) -> None:
    """The transfer was dialled: the call leaves the assistant (vapi-reference.md §3.3)."""
    c.set_status("forwarding")
    c.end(
        "assistant-forwarded-call",
        summary="The caller asked for a person and was transferred to the leasing team.",
        structured_data={"tour_interest": False},
        success=True,
    )


def _ask_for_a_person(c: Conversation) -> None:
    c.ring()
    c.answer()
    c.say_user("Hi, can I talk to a real person, please? I have a question about my application.")


def _transfer_to_human(c: Conversation) -> tuple[bool, str]:
    return c.tool(
        "transfer_to_human", {"reason": "Caller asked to speak with a person about an application"}
    )


def human(c: Conversation) -> None:
    """A model that follows instructions: transfer_to_human, then transferCall only if told to."""
    _ask_for_a_person(c)
    ok, result = _transfer_to_human(c)
    reply = read_tool_result(result) if ok else None
    if reply is not None and reply.forbids("transfer"):
        # Told not to transfer (office closed): say why, offer the alternatives, no transfer.
        _no_person_available(c, reply.spoken)
        return
    if ok:
        c.say_bot("Of course. Let me connect you with our leasing team.")
    if c.transfer() is not None:
        _transferred(c)
        return
    _not_transferred(c)


def human_insists(c: Conversation) -> None:
    """A model that calls transfer_to_human, then transferCall whatever the answer said (told
    "Do not transfer" or not): only the transfer-destination-request answer can stop it."""
    _ask_for_a_person(c)
    _transfer_to_human(c)
    c.say_bot("Of course. Let me connect you with our leasing team.")
    if c.transfer() is not None:
        _transferred(c)
        return
    _not_transferred(c)


def transfer_direct(c: Conversation) -> None:
    """A model that ignores its instructions and calls transferCall straight away, without
    transfer_to_human."""
    _ask_for_a_person(c)
    c.say_bot("Sure, let me transfer you.")
    if c.transfer() is not None:
        _transferred(c)
        return
    _not_transferred(c)


def voicemail(c: Conversation) -> None:
    """Vapi's voicemail detection hears a greeting and a beep (vapi-reference.md §4.6, §10.6)."""
    c.ring()
    c.answer_silently()
    message = c.assistant.get("voicemailMessage")
    if message:
        c.say_bot(message)
    c.end("voicemail", summary="Reached voicemail; a message was left." if message else "")


def no_answer(c: Conversation) -> None:
    """It rings out: `customer-did-not-answer` (../shared/vapi-reference.md §3.3)."""
    c.ring()
    c.end("customer-did-not-answer")


def busy(c: Conversation) -> None:
    """The line is busy: the carrier refuses the call before it rings, and Vapi ends it with
    `customer-busy` (../shared/vapi-reference.md §3.3, "Customer unreachable")."""
    c.set_status("queued")
    c.end("customer-busy")


# The start refused for the org's concurrency limit: not a scenario a client can ask for
# (simScenario, inbound), only what POST /call plays when no slot is free (app.py).
CONCURRENCY_BLOCKED = "concurrency_blocked"


def concurrency_blocked(c: Conversation) -> None:
    """Refused before dialling: the call ends at once with the reason vapi-reference.md §1
    documents for a blocked start; the ended status-update and end-of-call-report still go out."""
    c.end(CONCURRENCY_BLOCKED_REASON)


def _opt_out_line(reply: ToolReply | None) -> str:
    """One confirmation sentence, from the result's facts (calling-compliance.md §7 rule 12)."""
    done = reply.fact("Done") if reply is not None else None
    if done:
        done = done.rstrip(".").replace("the number", "your number", 1)
        return f"Understood: {done}, and we won't call you again, goodbye."
    return "Understood, we won't call you again, goodbye."


def _stop(c: Conversation, *, source: str) -> None:
    """A model that follows the stop_calling result: confirm once, then endCall."""
    ok, result = c.tool("stop_calling", {})
    reply = read_tool_result(result) if ok else None
    if ok:  # a failed tool already said its request-failed line, the one confirmation
        c.say_bot(_opt_out_line(reply))
    report = {
        "summary": f"The caller asked not to be called again ({source}); the call was ended.",
        "structured_data": {"tour_interest": False},
        "success": False,
        "opt_out": True,
    }
    told_to_end = reply is None or reply.mentions("end the call")
    if told_to_end and c.end_call(**report):
        return
    c.end("customer-ended-call", **report)


def opt_out(c: Conversation) -> None:
    """The caller asks not to be called again (calling-compliance.md §7 rules 9, 12)."""
    c.ring()
    c.answer()
    c.say_user("Please stop calling me. Take me off your list.")
    _stop(c, source="said")


def opt_out_keypad(c: Conversation) -> None:
    """The caller presses 9 (§7 rule 11's offer). With keypadInputPlan the digits reach the
    model and the transcript as the caller's input, the reading voice/calls/optout.py accepts."""
    c.ring()
    c.answer()
    c.say_user("9")
    _stop(c, source="pressed 9")


def recording_consent(c: Conversation) -> None:
    """book_tour where a recordingConsentPlan asks: the caller agrees (the default anyway)."""
    c.recording_consent = True
    book_tour(c)


def recording_declined(c: Conversation) -> None:
    """book_tour where the caller declines recording: says "I disagree" (verbal) or hangs up
    (stay-on-line)."""
    c.recording_consent = False
    book_tour(c)


SCENARIOS: dict[str, Callable[[Conversation], None]] = {
    "book_tour": book_tour,
    "human": human,
    "human_insists": human_insists,
    "transfer_direct": transfer_direct,
    "voicemail": voicemail,
    "no_answer": no_answer,
    "busy": busy,
    "opt_out": opt_out,
    "opt_out_keypad": opt_out_keypad,
    "recording_consent": recording_consent,
    "recording_declined": recording_declined,
}
# Played by the simulator itself, never chosen by a client.
REFUSED_STARTS: dict[str, Callable[[Conversation], None]] = {
    CONCURRENCY_BLOCKED: concurrency_blocked,
}
