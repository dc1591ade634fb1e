"""Scripted conversations the simulator plays: a caller and a model that follows the script.

The "model" only calls tools the assistant has, with arguments the tools declare, and carries on
from the answers our webhook sends back (e.g. tries the next day when a tour slot is taken).
"""

from __future__ import annotations

import json
import zoneinfo
from collections.abc import Callable
from datetime import date, datetime, timedelta

from voice.simulator.player import Conversation

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


def book_tour(c: Conversation) -> None:
    c.ring()
    c.answer()
    c.say_user("Hi! I'm looking for a two-bedroom apartment. What do you have available?")
    ok, result = c.tool("check_availability", {"bedrooms": 2})
    if ok:
        c.say_bot(f"Here's what I found: {_short(result)} Can I get your name?")
    first, last = c.caller_name
    today = datetime.now(_zone(c)).date()
    move_in = (today + timedelta(days=30)).isoformat()
    c.say_user(
        f"Sure, I'm {first} {last}. I'd like to move in around {move_in}, my budget is about "
        "4,500 a month, and I have a small dog."
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
        if ok and not _looks_failed(result):
            booked_at = start_time
            c.say_bot(f"You're all set: {_short(result)} Is there anything else?")
            break
        c.say_bot(f"That time doesn't work: {_short(result)}")
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
        structured_data={**qualified, "tour_interest": True},
        success=booked_at is not None,
    )


def human(c: Conversation) -> None:
    c.ring()
    c.answer()
    c.say_user("Hi, can I talk to a real person, please? I have a question about my application.")
    ok, result = c.tool(
        "transfer_to_human", {"reason": "Caller asked to speak with a person about an application"}
    )
    if ok:
        c.say_bot(_short(result))
    destination = c.transfer()
    if destination is not None:
        c.set_status("forwarding")
        c.end(
            "assistant-forwarded-call",
            summary="The caller asked for a person and was transferred to the leasing team.",
            structured_data={"tour_interest": False},
            success=True,
        )
        return
    c.say_bot(
        "I'm sorry, nobody from the team can take the call right now. They will call you back."
    )
    c.say_user("Okay, thanks. Bye.")
    c.end(
        "customer-ended-call",
        summary="The caller asked for a person; nobody was available, so the team will call back.",
        structured_data={"tour_interest": False},
        success=False,
    )


def voicemail(c: Conversation) -> None:
    """Vapi's voicemail detection hears a greeting and a beep (vapi-reference.md §4.6, §10.6)."""
    c.ring()
    c.answer_silently()
    message = c.assistant.get("voicemailMessage")
    if message:
        c.say_bot(message)
    c.end("voicemail", summary="Reached voicemail; a message was left." if message else "")


def no_answer(c: Conversation) -> None:
    c.ring()
    c.end("customer-did-not-answer")


SCENARIOS: dict[str, Callable[[Conversation], None]] = {
    "book_tour": book_tour,
    "human": human,
    "voicemail": voicemail,
    "no_answer": no_answer,
}
