"""The simulator's scripted model splits a tool result into facts (said) and instructions (acted
on); the results here are shaped like voice/webhooks/tools.py's. test_end_to_end.py plays the
scenarios against the real tools and checks the spoken lines."""

import re

import pytest

from voice.simulator.speech import read_tool_result

# Instruction phrases that must never reach a caller's ear (the tools' imperatives).
INSTRUCTION_PHRASES = re.compile(
    r"\b(?:Offer|Confirm|Do not|Don't|Tell the caller|Tell them|Ask about|Stay friendly|"
    r"Use check_availability|the caller)\b|\b(?:Next|Note):"
)


def _words(text: str) -> list[str]:
    return re.sub(r"[.;](\s|$)", " ", text).lower().split()


def assert_speakable(line: str) -> None:
    found = INSTRUCTION_PHRASES.search(line)
    assert found is None, f"instruction {found.group(0)!r} in a spoken line: {line!r}"


BOOKED = (
    "Booked: in-person tour on Tuesday, December 8 at 10 AM for Maya Chen. Confirm the time with "
    "the caller and tell them where to meet: 1200 Embarcadero Way, San Francisco, CA 94107."
)
FULL = (
    "That time is fully booked. Nothing was booked. Offer one of these free times instead: "
    "Tuesday, December 8 at 10:30 AM; Tuesday, December 8 at 11 AM."
)
CLOSED_NO_TIMES = (
    "That time is outside our tour hours. No tour times are free this week; offer a callback "
    "from the leasing team."
)
OFFICE_CLOSED = (
    "The leasing office can't take the call right now. It opens Monday, December 7 at 9 AM. Do "
    "not transfer: offer to book a tour or to have the team call the caller back, and note the "
    "request."
)
TRANSFER_OK = (
    "Transfer approved. Tell the caller you are connecting them to the leasing team now, then "
    "call the transferCall tool right away."
)
AVAILABLE = (
    "Available: unit 312, 2 bed 2 bath, $4,250 a month, available from Thursday, December 17; "
    "unit 315, 2 bed 2 bath, $4,350 a month, available now."
)
NOTHING = (
    "Nothing is available for a 2 bed under $2,000 right now. Offer to have the leasing team "
    "call back when something opens up."
)
QUALIFIED = (
    "Lead qualified, score 80/100. Next: Offer to schedule a tour (use check_availability and "
    "schedule_tour). You may still ask about: email."
)
NOT_QUALIFIED = (
    "Score 35/100. Note: budget below the lowest rent. Ask about: move-in date. Next: suggest "
    "other floor plans or move-in dates that fit, or offer a callback from the leasing team. Stay "
    "friendly; do not ask about income or credit."
)


@pytest.mark.parametrize(
    ("result", "facts"),
    [
        (BOOKED, ["Booked: in-person tour on Tuesday, December 8 at 10 AM for Maya Chen."]),
        (FULL, ["That time is fully booked.", "Nothing was booked."]),
        (
            CLOSED_NO_TIMES,
            ["That time is outside our tour hours.", "No tour times are free this week."],
        ),
        (
            OFFICE_CLOSED,
            [
                "The leasing office can't take the call right now.",
                "It opens Monday, December 7 at 9 AM.",
            ],
        ),
        (TRANSFER_OK, ["Transfer approved."]),
        (AVAILABLE, [AVAILABLE]),
        (NOTHING, ["Nothing is available for a 2 bed under $2,000 right now."]),
        (QUALIFIED, ["Lead qualified, score 80/100."]),
        (NOT_QUALIFIED, ["Score 35/100."]),
    ],
)
def test_facts_are_the_statements_and_never_the_instructions(result, facts):
    reply = read_tool_result(result)

    assert list(reply.facts) == facts
    # Nothing lost, nothing invented (up to case and the clause separators).
    assert _words(" ".join([*reply.facts, *reply.instructions])) == _words(result)
    for fact in reply.facts:
        assert_speakable(fact)
    for instruction in reply.instructions:
        assert INSTRUCTION_PHRASES.search(instruction) or instruction.startswith(("You may",))


def test_details_an_instruction_carries_after_its_colon():
    assert read_tool_result(BOOKED).detail("where to meet") == (
        "1200 Embarcadero Way, San Francisco, CA 94107"
    )
    assert read_tool_result(FULL).detail("free times") == (
        "Tuesday, December 8 at 10:30 AM; Tuesday, December 8 at 11 AM"
    )
    # After "Do not transfer:" comes another instruction, not a fact.
    assert read_tool_result(OFFICE_CLOSED).detail("transfer") is None


def test_what_the_model_is_told_to_do():
    assert read_tool_result(OFFICE_CLOSED).forbids("transfer")
    assert not read_tool_result(TRANSFER_OK).forbids("transfer")
    assert read_tool_result(NOTHING).mentions("call back")
    assert read_tool_result(CLOSED_NO_TIMES).mentions("callback")


def test_labelled_facts_and_abbreviations_in_addresses():
    reply = read_tool_result(
        "Booked: virtual tour on Friday, May 7 at 2 PM for Sam. Confirm the time with the caller "
        "and tell them where to meet: 10 Main St. Suite 4, Austin, TX 78701."
    )
    assert reply.fact("Booked") == "virtual tour on Friday, May 7 at 2 PM for Sam."
    assert reply.detail("where to meet") == "10 Main St. Suite 4, Austin, TX 78701"
    assert read_tool_result(AVAILABLE).fact("available") == AVAILABLE.removeprefix("Available: ")


def test_plain_answers_are_all_facts():
    reply = read_tool_result("2 two-bedroom apartments: unit 312 at $4,250 and 315 at $4,350.")
    assert reply.instructions == ()
    assert reply.spoken == "2 two-bedroom apartments: unit 312 at $4,250 and 315 at $4,350."
