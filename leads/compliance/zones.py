"""Where a called person may be: candidate time zones and states, each with where it came from.

calling-compliance.md §7 rules 3-4: candidates = the address zone, plus the ZIP zone, plus every
zone of the number's area code (a union), and the state set = {address state, ZIP state,
area-code state}; a call must be allowed in all of them. An area code (or a ZIP) is a location
proxy, not a safe harbour (§1 "Hours"), which is why each only ever adds candidates. The
property's time zone is deliberately not a candidate: it is where the apartment is, not where
the called person is.

ZIP → zone and state come from `zipcodes`' bundled USPS data (offline, no lookups at call
time). A ZIP names one zone even where its state has two (32501 Pensacola → America/Chicago,
46320 Hammond → America/Chicago). Its state still adds all of that state's zones, like the
address state does, since one ZIP is a proxy too; the ZIP's own zone is what the audit row
shows as "ZIP 32501", and the only one it adds for ZIPs outside the states and DC (Puerto Rico).

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
import zipcodes
from phonenumbers import geocoder
from phonenumbers import timezone as phone_timezone

from leads.compliance.rules import STATE_TIME_ZONES, US_STATES

_STATE_BY_NAME = {name: code for code, name in US_STATES.items()}
_STATE_SUFFIX = re.compile(r", ([A-Z]{2})$")
_UNKNOWN_ZONE = "Etc/Unknown"
# Five digits, optionally with the +4 (with or without its hyphen): "32501", "32501-1234".
_ZIP = re.compile(r"(\d{5})(?:-?\d{4})?")


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


def zip_places(postal_code: str) -> tuple[str, list[tuple[str, str]]]:
    """The 5-digit ZIP of `postal_code` and its (zone, state) pairs; ('', []) if it is no ZIP.

    A zone or state the data does not know (military APO/FPO ZIPs have neither) is ''.
    """
    match = _ZIP.fullmatch((postal_code or "").strip())
    if match is None:
        return "", []
    zip5 = match.group(1)
    try:
        rows = zipcodes.matching(zip5)
    except ValueError:  # the package's own format check; ours is the same, so defensive only
        return "", []
    available = zoneinfo.available_timezones()
    places = []
    for row in rows:
        zone = row.get("timezone") or ""
        state = (row.get("state") or "").upper()
        places.append((zone if zone in available else "", state if state in US_STATES else ""))
    return zip5, places


def call_location(
    *,
    parsed: phonenumbers.PhoneNumber,
    state: str = "",
    time_zone: str = "",
    postal_code: str = "",
) -> Location:
    """Candidate zones and states for calling `parsed`, given the lead's address (if any).

    An invalid or unknown `postal_code` adds nothing: it is no evidence of where anyone is.
    """
    location = Location()
    if time_zone and time_zone in zoneinfo.available_timezones():
        location.add_zone(time_zone, "lead time zone")
    state = (state or "").strip().upper()
    if state in US_STATES:
        location.add_state(state, "address")
    zip5, places = zip_places(postal_code)
    for zip_zone, zip_state in places:
        if zip_zone:
            location.add_zone(zip_zone, f"ZIP {zip5}")
        if zip_state:
            location.add_state(zip_state, f"ZIP {zip5}")
    # Toll-free and other non-geographic numbers say nothing about where the person is.
    if phonenumbers.is_number_geographical(parsed):
        npa = area_code(parsed)
        for zone in phone_timezone.time_zones_for_number(parsed):
            location.add_zone(zone, f"area code {npa}")
        npa_state = number_state(parsed)
        if npa_state:
            location.add_state(npa_state, f"area code {npa}")
    return location
