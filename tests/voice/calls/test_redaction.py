"""Redaction of transcripts (issue 17, acceptance 5): a transcript written to trip it loses every
phone number, e-mail address, card and account number, and nothing else."""

import re
from pathlib import Path

import pytest

from voice.calls.redaction import data_redact, transcript_redact

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "redaction"


def _fixture(name: str) -> str:
    return (FIXTURES / name).read_text()


def test_the_tricky_transcript_loses_every_number_and_address_and_nothing_else():
    redacted = transcript_redact(text=_fixture("transcript.txt"))

    assert redacted == _fixture("transcript.redacted.txt")


def test_no_phone_number_or_address_survives_in_any_form():
    redacted = transcript_redact(text=_fixture("transcript.txt"))

    assert "@" not in redacted
    assert " at gmail" not in redacted
    assert " dot org" not in redacted
    # No run of seven or more digits, however it is broken up, and no spoken digits in a row.
    assert not re.search(r"\d(?:[\s.()\-]*\d){6,}", redacted)
    assert not re.search(r"\b(?:oh|zero|five|one|two)[\s,]+(?:oh|zero|five|one|two)\b", redacted)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("call (206) 555-0142.", "call [phone]."),
        ("at 206-555-0142!", "at [phone]!"),
        ("at 206.555.0142", "at [phone]"),
        ("at +1 206 555 0142", "at [phone]"),
        ("at +12065550142", "at [phone]"),
        ("at 2065550142 ok", "at [phone] ok"),
        ("at two oh six five five five zero one four two", "at [phone]"),
        ("it's two oh six 555 zero one four two.", "it's [phone]."),
        ("five five five, zero one four two", "[phone]"),
        ("double five five eight six seven five three zero nine", "[phone]"),
        ("JOHN DOT SMITH AT GMAIL DOT COM", "[email]"),
        ("mail a.b-c@mail.example.co.uk now", "mail [email] now"),
        ("card 5500 0000 0000 0004 please", "card [card] please"),
        ("account 12345678", "account [number]"),
    ],
)
def test_each_form_is_redacted(text, expected):
    assert transcript_redact(text=text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Oh, one bedroom or two? Unit 204 rents for $1,850; the tour is 12/15 at 10:30.",
        "We'd move in March 1, 2027, with two dogs and one cat.",
        "Meet me at the office at noon. Look at unit twelve.",
        "Move-in 2027-03-01, or 03.15.2027, or 3-1-27.",
        "4111 1111 1111 1112",  # 16 digits failing Luhn: an account number, not a card
        "",
    ],
)
def test_ordinary_speech_is_left_alone(text):
    expected = "[number]" if text.startswith("4111") else text
    assert transcript_redact(text=text) == expected


def test_redaction_is_idempotent():
    once = transcript_redact(text=_fixture("transcript.txt"))
    assert transcript_redact(text=once) == once


def test_call_log_messages_are_redacted_field_by_field():
    messages = [
        {"role": "bot", "message": "Your number?", "time": 1, "secondsFromStart": 0.5},
        {"role": "user", "message": "two oh six 555 zero one four two", "time": 2},
        {
            "role": "tool_calls",
            "toolCalls": [
                {
                    "id": "call_1234567890",
                    "type": "function",
                    "function": {
                        "name": "qualify_lead",
                        "arguments": '{"email": "maya.chen@example.com"}',
                    },
                }
            ],
        },
    ]

    redacted = data_redact(value=messages)

    assert redacted[0] == messages[0]
    assert redacted[1] == {"role": "user", "message": "[phone]", "time": 2}
    tool_call = redacted[2]["toolCalls"][0]
    assert tool_call["id"] == "call_1234567890"
    assert tool_call["function"] == {"name": "qualify_lead", "arguments": '{"email": "[email]"}'}
