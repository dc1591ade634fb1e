"""Redaction of personal numbers and addresses in call transcripts (retention policy, "redact").

`transcript_redact` is pure: it replaces every phone number, e-mail address, card number and
account-like digit run with a marker ("[phone]", "[email]", "[card]", "[number]") and leaves every
other character as it was. Transcripts are speech-to-text output, so numbers arrive in every form a
person says them: "(206) 555-0142", "206.555.0142", "+1 206 555 0142", "two oh six five five five
zero one four two", "two oh six 555 zero one four two", and addresses as "john dot smith at gmail
dot com". The `phonenumbers` matcher finds the written forms; the digit-run scanner below finds
the spoken and mixed ones (and cards and account numbers, which are no phone numbers at all).
"""

from __future__ import annotations

import re
from typing import Any

import phonenumbers

PHONE = "[phone]"
EMAIL = "[email]"
CARD = "[card]"
NUMBER = "[number]"
MARKERS = (PHONE, EMAIL, CARD, NUMBER)

# Written addresses; then the spoken form ("john dot smith at gmail dot com", "jane underscore
# doe at example dot org"). The spoken form needs "dot <tld>" at the end, so "meet at noon" or
# "look at unit twelve" is never taken for an address.
_EMAIL = re.compile(r"\b[\w.%+-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}\b", re.IGNORECASE)
_TLDS = r"(?:com|net|org|edu|gov|io|co|us|info|biz|me|ai|app|dev)"
_SPOKEN_PART = r"[a-z0-9]+(?:(?:\s+(?:dot|underscore|dash|hyphen)\s+|[._-])[a-z0-9]+)*"
_SPOKEN_EMAIL = re.compile(
    rf"\b{_SPOKEN_PART}\s+(?:at|@)\s+[a-z0-9-]+(?:(?:\s+dot\s+|\.)[a-z0-9-]+)*"
    rf"(?:\s+dot\s+|\.){_TLDS}\b",
    re.IGNORECASE,
)

# One "digit token": a run of digits, or a spoken digit. "oh"/"o" only count after another digit
# token (see _DIGIT_RUN), so "Oh, great" stays. "double five" is 55, "triple zero" 000.
_WORD_DIGITS = {
    "zero": "0",
    "oh": "0",
    "o": "0",
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
}
_WORD = r"(?:zero|one|two|three|four|five|six|seven|eight|nine)"
_MULT = r"(?:(?:double|triple)\s+)?"
_FIRST = rf"(?:\d+|{_MULT}{_WORD})"
_NEXT = rf"(?:\d+|{_MULT}(?:{_WORD}|oh|o))"
# Between tokens: spaces, dashes, dots, parentheses, or a comma a speaker's pause put there.
_SEP = r"(?:[ \t]*[-.,()][ \t]*|[ \t]+)"
_DIGIT_RUN = re.compile(
    rf"(?<![\w+])(?:\+[ \t]*)?(?:\([ \t]*)?{_FIRST}(?:{_SEP}{_NEXT})*(?![\w])",
    re.IGNORECASE,
)
_TOKEN = re.compile(rf"\d+|{_MULT}(?:{_WORD}|oh|o)\b", re.IGNORECASE)


def _digits(run: str) -> str:
    out = []
    for token in _TOKEN.findall(run):
        if token[0].isdigit():
            out.append(token)
            continue
        parts = token.lower().split()
        times = {"double": 2, "triple": 3}.get(parts[0], 1)
        out.append(_WORD_DIGITS[parts[-1]] * times)
    return "".join(out)


def _luhn(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


# A written date ("2027-03-01", "03.01.2027", "3-1-2027") is eight digits but no account number:
# call analysis holds move-in dates in this form.
_DATE = re.compile(r"\d{4}([-.])\d{1,2}\1\d{1,2}|\d{1,2}([-.])\d{1,2}\2(?:\d{4}|\d{2})")


def _marker(run: str, digits: str) -> str | None:
    """The marker for a digit run, or None to leave it (a price, a unit, a year, a time)."""
    if _DATE.fullmatch(run):
        return None
    count = len(digits)
    if 13 <= count <= 19 and _luhn(digits):
        return CARD
    international = run.lstrip().startswith("+")
    if count in (7, 10) or (count == 11 and digits.startswith("1")):
        return PHONE
    if international and 8 <= count <= 15:
        return PHONE
    # Routing numbers are 9 digits, account numbers usually 8-17: any run this long is personal.
    if count >= 8:
        return NUMBER
    return None


def _replace_runs(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        run = match.group(0)
        marker = _marker(run, _digits(run))
        return run if marker is None else marker

    return _DIGIT_RUN.sub(replace, text)


def _replace_matcher(text: str) -> str:
    # Leniency.POSSIBLE takes "206.555.0142", "(206) 555 0142", "+1-206-555-0142": whatever the
    # scanner left. Matches are replaced from the end so earlier offsets stay valid.
    matches = list(
        phonenumbers.PhoneNumberMatcher(text, "US", leniency=phonenumbers.Leniency.POSSIBLE)
    )
    for match in reversed(matches):
        text = text[: match.start] + PHONE + text[match.end :]
    return text


def transcript_redact(*, text: str) -> str:
    """`text` with every phone number, e-mail address, card and account number replaced by a
    marker; everything else byte for byte as it was. Idempotent (markers hold no digits)."""
    if not text:
        return text
    text = _EMAIL.sub(EMAIL, text)
    text = _SPOKEN_EMAIL.sub(EMAIL, text)
    text = _replace_runs(text)
    return _replace_matcher(text)


# Keys of a Vapi message (vapi-reference.md §3.2 artifact.messages) that name or time things
# rather than hold what someone said; everything else that is a string is redacted.
_STRUCTURAL_KEYS = frozenset({"role", "type", "name", "id", "toolCallId", "time", "endTime"})


def data_redact(*, value: Any) -> Any:
    """`value` (call-log messages, structured data: JSON) with every spoken or written string
    redacted by `transcript_redact`, keys and structure kept."""
    if isinstance(value, str):
        return transcript_redact(text=value)
    if isinstance(value, list):
        return [data_redact(value=item) for item in value]
    if isinstance(value, dict):
        return {
            key: item if key in _STRUCTURAL_KEYS else data_redact(value=item)
            for key, item in value.items()
        }
    return value
