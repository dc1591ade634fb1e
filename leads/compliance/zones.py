"""Where a called person may be: candidate time zones and states, each with where it came from.

calling-compliance.md §7 rules 3-4: candidates = the address zone plus every zone of the number's
area code, and the state set = {address state, area-code state}; a call must be allowed in all
of them. An area code is a location proxy, not a safe harbour (§1 "Hours"), which is why it
only ever adds candidates.

Area code → zones and state come from `phonenumbers`' own offline data (timezone and geocoder
modules) rather than a vendored NPA table: it ships with the package we already pin, is
updated with it, and covers every US area code (geocoder descriptions are a state name, e.g.
"Florida", or "City, ST" for area codes it splits by exchange). Its zones are coarse (219 →
America/New_York only, 850 → America/New_York only), so the zones of the area code's *state*
(rules.STATE_TIME_ZONES) are added too: that puts America/Chicago in for north-west Indiana and
the Florida panhandle.
"""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass, field

import phonenumbers
from phonenumbers import geocoder
from phonenumbers import timezone as phone_timezone

from leads.compliance.rules import STATE_TIME_ZONES, US_STATES

_STATE_BY_NAME = {name: code for code, name in US_STATES.items()}
_STATE_SUFFIX = re.compile(r", ([A-Z]{2})$")
_UNKNOWN_ZONE = "Etc/Unknown"


@dataclass
class Location:
    """Candidate zones and states, each mapped to the sources that put it there."""

    zones: dict[str, list[str]] = field(default_factory=dict)
    states: dict[str, list[str]] = field(default_factory=dict)

    def add_zone(self, zone: str, source: str) -> None:
        if zone and zone != _UNKNOWN_ZONE:
            self.zones.setdefault(zone, []).append(source)

    def add_state(self, state: str, source: str) -> None:
        self.states.setdefault(state, []).append(source)
        for zone in STATE_TIME_ZONES.get(state, ()):
            self.add_zone(zone, f"{source} state {state}")


def area_code(parsed: phonenumbers.PhoneNumber) -> str:
    """The NANP area code (NPA) of a +1 number, else ''."""
    if parsed.country_code != 1:
        return ""
    return str(parsed.national_number)[:3]


def number_state(parsed: phonenumbers.PhoneNumber) -> str:
    """The US state (or DC) of a number's area code from phonenumbers' geocoder, else ''."""
    if phonenumbers.region_code_for_number(parsed) != "US":
        return ""
    description = geocoder.description_for_number(parsed, "en")
    if description.startswith("Washington D.C"):
        return "DC"
    match = _STATE_SUFFIX.search(description)
    if match and match.group(1) in US_STATES:
        return match.group(1)
    return _STATE_BY_NAME.get(description.removesuffix(" State"), "")


def call_location(
    *, parsed: phonenumbers.PhoneNumber, state: str = "", time_zone: str = ""
) -> Location:
    """Candidate zones and states for calling `parsed`, given the lead's address (if any)."""
    location = Location()
    if time_zone and time_zone in zoneinfo.available_timezones():
        location.add_zone(time_zone, "lead time zone")
    state = (state or "").strip().upper()
    if state in US_STATES:
        location.add_state(state, "address")
    # Toll-free and other non-geographic numbers say nothing about where the person is.
    if phonenumbers.is_number_geographical(parsed):
        npa = area_code(parsed)
        for zone in phone_timezone.time_zones_for_number(parsed):
            location.add_zone(zone, f"area code {npa}")
        npa_state = number_state(parsed)
        if npa_state:
            location.add_state(npa_state, f"area code {npa}")
    return location
