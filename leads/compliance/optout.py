"""Opt-out detection (calling-compliance.md §7 rule 9): the phrase list and DTMF 9; and the
called person saying it is a wrong number (rule 17).

Pure functions: the callers (voice webhooks, staff notes) decide what to write. Phrases match on
word boundaries, case- and punctuation-insensitively, so "can you stop by Tuesday?" is not an
opt-out while "please stop calling me" is.
"""

import re

OPT_OUT_PHRASES = (
    "stop calling",
    "don't call",
    "do not call",
    "dont call",
    "never call",
    "take me off",
    "remove me from",
    "remove my number",
    "do not call list",
    "unsubscribe",
    "opt out",
    "opt-out",
    "revoke",
    "no more calls",
)

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'"})


def _phrase_pattern(phrase: str) -> str:
    words = [re.escape(word) for word in re.split(r"[\s-]+", phrase)]
    return r"\b" + r"[\s-]+".join(words) + r"\b"


_OPT_OUT = re.compile("|".join(_phrase_pattern(phrase) for phrase in OPT_OUT_PHRASES), re.I)

# §7 rule 17: the person who answers is not the one who consented. Kept conservative, since a
# match voids consent: "wrong number" (which covers "you have the wrong number"), "no one /
# nobody (here) by that name", and "there is no <Name> here" where <Name> is capitalised as
# transcribers write names ("there's no parking here" is a question about the property).
_WRONG_NUMBER = re.compile(
    r"\bwrong[\s-]+number\b"
    r"|\b(?:no[\s-]?one|nobody)\s+(?:(?:here|lives\s+here)\s+)?(?:by|with)\s+that\s+name\b",
    re.I,
)
# Case-sensitive on purpose: only the name must be capitalised.
_NO_NAME_HERE = re.compile(
    r"\b(?i:there's|there\s+is)\s+(?i:no)\s+(?!One\b|Way\b)[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?"
    r"\s+(?i:(?:living|that\s+lives)\s+)?(?i:here)\b"
)

# Keypad input as it may reach us (vapi-reference.md §8; the OpenAPI has no keypress message: with
# `keypadInputPlan` the digits reach the model as user input). Accepted readings: the line is only
# the digit(s) "9" (optionally with the "#"/"*" delimiters), or names the keypad ("DTMF: 9",
# "<dtmf>9</dtmf>", "pressed 9").
_DTMF_ONLY = re.compile(r"^\s*[#*]?\s*9\s*[#*]?\s*$")
_DTMF_NAMED = re.compile(r"\b(?:dtmf|keypad|pressed|press(?:es)?|digits?)\b\W{0,3}9\b", re.I)


def opt_out_detect(text: str) -> bool:
    """True when `text` asks not to be called (§7 rule 9 phrase list)."""
    if not text:
        return False
    return bool(_OPT_OUT.search(text.translate(_APOSTROPHES)))


def dtmf_opt_out(digits: str) -> bool:
    """True when keypad input is the opt-out key 9 (§7 rule 11: "press 9 any time")."""
    if not digits:
        return False
    return bool(_DTMF_ONLY.match(digits) or _DTMF_NAMED.search(digits))


def wrong_number_detect(text: str) -> bool:
    """True when `text` says the call reached the wrong person (§7 rule 17)."""
    if not text:
        return False
    text = text.translate(_APOSTROPHES)
    return bool(_WRONG_NUMBER.search(text) or _NO_NAME_HERE.search(text))
