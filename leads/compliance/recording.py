"""May a call be recorded from its first second? calling-compliance.md §4 and §7 rule 15.

Record without asking only when every candidate state of the called (or calling) person is a
one-party-consent state. Any all-party state (rules.ALL_PARTY_RECORDING_STATES: CA, FL, IL, MD,
MA, MT, NH, PA, WA by statute; CT, DE, NV, MI treated as yes) or no known state at all means: no
recording until the person consents (Vapi's enterprise-only recordingConsentPlan), else none.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import phonenumbers

from leads.compliance.rules import ALL_PARTY_RECORDING_STATES, US_STATES
from leads.compliance.zones import call_location, zip_places
from properties.phone import phone_normalize_or_none


@dataclass(frozen=True)
class RecordingRule:
    """`record`: record from the start. Otherwise `consent_needed`; `basis` says why."""

    record: bool
    basis: str

    @property
    def consent_needed(self) -> bool:
        return not self.record


def _names(codes: Iterable[str]) -> str:
    names = [US_STATES.get(code, code) for code in codes]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def recording_rule(states: Iterable[str]) -> RecordingRule:
    """The rule for a call whose person may be in any of `states` (two-letter codes)."""
    codes = sorted({code for code in states if code})
    all_party = [code for code in codes if code in ALL_PARTY_RECORDING_STATES]
    if all_party:
        verb = "requires" if len(all_party) == 1 else "require"
        return RecordingRule(False, f"{_names(all_party)} {verb} all-party consent")
    if not codes:
        return RecordingRule(False, "the caller's state is unknown, so all-party consent applies")
    kind = "a one-party state" if len(codes) == 1 else "one-party states"
    return RecordingRule(True, f"{kind} ({_names(codes)})")


def recording_rule_for_number(
    number: str, *, state: str = "", postal_code: str = ""
) -> RecordingRule:
    """The rule from a number's area code plus a known address state and ZIP, e.g. for inbound
    calls: the same candidate states the gate uses for outbound calls (zones.call_location)."""
    normalized = phone_normalize_or_none(number)
    if normalized is None:
        # No area code to add, but the address still says where the person may be.
        states = {state.strip().upper()} & US_STATES.keys()
        states |= {zip_state for _, zip_state in zip_places(postal_code)[1] if zip_state}
        return recording_rule(states)
    parsed = phonenumbers.parse(normalized, None)
    location = call_location(parsed=parsed, state=state, postal_code=postal_code)
    return recording_rule(location.states)
