"""What the assistant must say about itself (calling-compliance.md §3, §7 rules 11, 13, 15).

- Inbound greeting (`Assistant.first_message`): says it is an AI.
- Outbound greeting (`Assistant.outbound_first_message`, blank = DEFAULT_OUTBOUND_GREETING): the
  organization's registered (legal) name and the property, "AI", the purpose, and the opt-out
  offer. Placeholders are filled per call by `outbound_greeting`.
- Voicemail: staff cannot edit it; `voicemail_message` builds one that complies (name, "AI", a
  number that takes the opt-out) or none when the property has no number to call back.

The checks live in voice/assistants/validation.py (admin form, API and services share them).
"""

from __future__ import annotations

import re
import string

from properties.models import Property

OUTBOUND_PLACEHOLDERS = ("legal_name", "property", "first_name")
OPT_OUT_OFFER = "say 'stop calling' or press 9 any time to be removed"
DEFAULT_OUTBOUND_GREETING = (
    "Hi {first_name}, this is the virtual leasing assistant for {property}, managed by "
    "{legal_name}. I'm an AI assistant, and this call may be recorded. I'm calling about your "
    "apartment search. You can " + OPT_OUT_OFFER + ". Is now a good time?"
)

# "AI" as a word (also "A.I."); "said" or "aim" do not count.
AI_WORD = re.compile(r"(?<![\w.])A\.?I\b\.?", re.IGNORECASE)
STOP_PHRASE = re.compile(r"\bstop calling\b", re.IGNORECASE)
PRESS_9 = re.compile(r"\bpress\s+9\b", re.IGNORECASE)


def says_ai(text: str) -> bool:
    return bool(AI_WORD.search(text or ""))


def offers_opt_out(text: str) -> bool:
    return bool(STOP_PHRASE.search(text or "") and PRESS_9.search(text or ""))


def placeholders(text: str) -> list[str]:
    """The `{name}` placeholders of `text`; ValueError for unbalanced braces."""
    return [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]


def outbound_greeting(*, template: str, prop: Property, first_name: str = "") -> str:
    """The outbound firstMessage of one call: the template (blank = the default) filled in."""
    text = (template or "").strip() or DEFAULT_OUTBOUND_GREETING
    values = {
        "legal_name": prop.organization.legal_name or prop.organization.name,
        "property": prop.name,
        "first_name": first_name.strip(),
    }
    filled = text.format_map(values)
    # "Hi , this is ..." when the name is unknown.
    return re.sub(r"\s+,", ",", filled)


def voicemail_message(prop: Property) -> str | None:
    """Rule 13: name, "AI", and a number that reaches the opt-out; None without such a number."""
    if not prop.leasing_phone:
        return None
    legal_name = prop.organization.legal_name or prop.organization.name
    return (
        f"Hi, this is the virtual leasing assistant, an AI, calling from {prop.name}, managed by "
        f"{legal_name}, about your apartment search. Please call us back at {prop.leasing_phone}. "
        f"To stop these calls, call {prop.leasing_phone} and say 'stop calling'. Thank you!"
    )
