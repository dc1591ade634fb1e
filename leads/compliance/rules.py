"""The calling rules as data: federal and state windows, Sunday and holiday bans, daily caps,
all-party recording states, and the time zones of each state.

Source: /work/shared/calling-compliance.md §2 (the state table) and §7 rules 2-6, researched
2026-11-25 and *not legal advice*. Rows marked *sec.* there come from secondary summaries only;
they are encoded anyway, as the stricter reading is the safe one. Change a rule here, nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time

from django.conf import settings

# Monday is 0, as in datetime.weekday().
WEEKDAYS = (0, 1, 2, 3, 4)
SATURDAY, SUNDAY = 5, 6

# 47 CFR 64.1200(c)(1) and 16 CFR 310.4(c): not before 8 a.m. or after 9 p.m. at the called
# party's location. Windows are [start, end): a call at exactly 21:00 is refused.
FEDERAL_WINDOW = (time(8), time(21))

# §7 rule 6: at most 3 AI call attempts per number per rolling 24 h, everywhere (FL 501.616(6)(b),
# MD 14-4502, OK 775C.4 and OR HB 3865 say 3; we apply it as the global default).
DAILY_CAP = 3

# 64.1200(c)(2): a registry copy older than 31 days may not be used.
DNC_MAX_AGE_DAYS = 31


@dataclass(frozen=True)
class StateRule:
    name: str
    # Window per weekday (0-6); a weekday missing from `days` means no calls that day.
    window: tuple[time, time] = FEDERAL_WINDOW
    days: dict[int, tuple[time, time]] = field(default_factory=dict)
    no_sunday: bool = False
    no_holidays: bool = False
    daily_cap: int | None = None
    all_party_recording: bool = False
    source: str = ""

    def window_on(self, weekday: int) -> tuple[time, time] | None:
        """The calling window on `weekday`, or None when the state allows no calls that day."""
        if self.days:
            return self.days.get(weekday)
        return self.window


def _every_day(window: tuple[time, time], **overrides: tuple[time, time] | None) -> dict:
    days = dict.fromkeys(range(7), window)
    for name, value in overrides.items():
        days[{"sat": SATURDAY, "sun": SUNDAY}[name]] = value
    return {day: value for day, value in days.items() if value is not None}


_8_20 = (time(8), time(20))

STATE_RULES: dict[str, StateRule] = {
    "AL": StateRule("Alabama", _8_20, no_sunday=True, no_holidays=True, source="§2 [VC1] sec."),
    "CA": StateRule("California", all_party_recording=True, source="§2 [RS]; PC 632"),
    "CT": StateRule(
        "Connecticut", (time(9), time(20)), all_party_recording=True, source="§2 [VC1] sec."
    ),
    "DE": StateRule("Delaware", all_party_recording=True, source="§2 [RS] sec."),
    "FL": StateRule(
        "Florida", _8_20, daily_cap=3, all_party_recording=True, source="Fla. Stat. 501.616(6)"
    ),
    "IL": StateRule("Illinois", all_party_recording=True, source="§2 [RS]; 720 ILCS 5/14-2"),
    "KY": StateRule("Kentucky", (time(10), time(21)), source="§2 [VC1], [CD] sec."),
    "LA": StateRule("Louisiana", _8_20, no_sunday=True, no_holidays=True, source="§2 [VC1] sec."),
    # Maine: automated calls 09-17 Monday to Friday only.
    "ME": StateRule(
        "Maine", days=dict.fromkeys(WEEKDAYS, (time(9), time(17))), source="§2 [VC1], [CD] sec."
    ),
    "MD": StateRule(
        "Maryland", _8_20, daily_cap=3, all_party_recording=True, source="Com. Law 14-4502"
    ),
    "MA": StateRule("Massachusetts", _8_20, all_party_recording=True, source="§2 [VC1] sec."),
    "MI": StateRule(
        "Michigan", (time(9), time(21)), all_party_recording=True, source="§2 [VC1] sec."
    ),
    "MN": StateRule("Minnesota", (time(9), time(21)), source="§2 [VC1] sec."),
    "MS": StateRule("Mississippi", _8_20, no_sunday=True, source="§2 [VC1] sec."),
    "MT": StateRule("Montana", all_party_recording=True, source="§2 [RS]"),
    "NH": StateRule("New Hampshire", all_party_recording=True, source="§2 [RS]"),
    "NV": StateRule("Nevada", all_party_recording=True, source="§2 [RS] sec."),
    "OK": StateRule("Oklahoma", _8_20, daily_cap=3, source="15 O.S. 775C.4"),
    "OR": StateRule("Oregon", _8_20, daily_cap=3, source="HB 3865 (from 2026-01-01)"),
    # The Sunday ban (SB 992, 2026-10-18) is UNVERIFIED: behind COMPLIANCE_PA_SUNDAY_BAN.
    "PA": StateRule(
        "Pennsylvania", no_holidays=True, all_party_recording=True, source="jenkinslaw.org 2019"
    ),
    # Rhode Island: 09-18 Monday to Friday, 10-17 Saturday, never on Sunday or holidays.
    "RI": StateRule(
        "Rhode Island",
        days={**dict.fromkeys(WEEKDAYS, (time(9), time(18))), SATURDAY: (time(10), time(17))},
        no_sunday=True,
        no_holidays=True,
        source="§2 [VC1] sec.",
    ),
    # Texas: 09-21 Monday to Saturday, 12-21 Sunday (Bus. & Com. 301.051).
    "TX": StateRule(
        "Texas", days=_every_day((time(9), time(21)), sun=(time(12), time(21))), source="301.051"
    ),
    "UT": StateRule("Utah", no_sunday=True, no_holidays=True, source="§2 [VC1] sec."),
    "WA": StateRule(
        "Washington", _8_20, all_party_recording=True, source="RCW 19.158.040(2); 9.73.030"
    ),
    "WY": StateRule("Wyoming", _8_20, source="§2 [VC1], [CD] sec."),
}

# §4: all-party consent to record (CA, FL, IL, MD, MA, MT, NH, PA, WA by statute; CT, DE, NV, MI
# per secondary sources). Not used by the gate; the recording rule (§7 rule 15) will read it.
ALL_PARTY_RECORDING_STATES = frozenset(
    code for code, rule in STATE_RULES.items() if rule.all_party_recording
)

# §2 note on Washington (RCW 80.36.400): no automatic dialing and announcing device for
# unsolicited calls, so only leads who asked to be contacted, never bought or imported lists.
ADAD_RESTRICTED_STATES = {"WA"}

# States that keep their own do-not-call list (§1 "State lists").
STATE_DNC_LISTS = {"CO", "FL", "IN", "LA", "MA", "MO", "OK", "PA", "TN", "TX", "WY"}

US_STATES: dict[str, str] = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "DC": "District of Columbia",
    "FL": "Florida", "GA": "Georgia", "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois",
    "IN": "Indiana", "IA": "Iowa", "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana",
    "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota",
    "MS": "Mississippi", "MO": "Missouri", "MT": "Montana", "NE": "Nebraska", "NV": "Nevada",
    "NH": "New Hampshire", "NJ": "New Jersey", "NM": "New Mexico", "NY": "New York",
    "NC": "North Carolina", "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon",
    "PA": "Pennsylvania", "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota",
    "TN": "Tennessee", "TX": "Texas", "UT": "Utah", "VT": "Vermont", "VA": "Virginia",
    "WA": "Washington", "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming",
}  # fmt: skip

# Every IANA zone in use in each state, so a state-level location never misses a zone (§7 rule 3:
# the call must be inside the window in *all* candidates). Split states list both sides, e.g. the
# Florida panhandle (Central) and Indiana's north-west and south-west corners (Central). Source:
# general knowledge of the US time-zone boundaries (GK in calling-compliance.md's terms); zones
# that share an offset and rules with a listed one (America/Juneau, America/Kentucky/...) add
# nothing and are left out.
STATE_TIME_ZONES: dict[str, tuple[str, ...]] = {
    "AK": ("America/Anchorage", "America/Adak"),
    "AZ": ("America/Phoenix", "America/Denver"),  # the Navajo Nation keeps daylight time
    "FL": ("America/New_York", "America/Chicago"),
    "ID": ("America/Boise", "America/Los_Angeles"),
    "IN": ("America/Indiana/Indianapolis", "America/Chicago"),
    "KS": ("America/Chicago", "America/Denver"),
    "KY": ("America/New_York", "America/Chicago"),
    "MI": ("America/Detroit", "America/Chicago"),
    "ND": ("America/Chicago", "America/Denver"),
    "NE": ("America/Chicago", "America/Denver"),
    "NV": ("America/Los_Angeles", "America/Denver"),
    "OR": ("America/Los_Angeles", "America/Boise"),
    "SD": ("America/Chicago", "America/Denver"),
    "TN": ("America/Chicago", "America/New_York"),
    "TX": ("America/Chicago", "America/Denver"),
    "HI": ("Pacific/Honolulu",),
    **dict.fromkeys(
        ("AL", "AR", "IA", "IL", "LA", "MN", "MO", "MS", "OK", "WI"), ("America/Chicago",)
    ),
    **dict.fromkeys(("CO", "MT", "NM", "UT", "WY"), ("America/Denver",)),
    **dict.fromkeys(("CA", "WA"), ("America/Los_Angeles",)),
    **dict.fromkeys(("CT", "DC", "DE", "GA", "MA", "MD", "ME", "NC", "NH"), ("America/New_York",)),
    **dict.fromkeys(("NJ", "NY", "OH", "PA", "RI", "SC", "VA", "VT", "WV"), ("America/New_York",)),
}


def state_rule(code: str) -> StateRule | None:
    """The stricter-than-federal rule of a state, with the unverified PA Sunday ban when enabled."""
    rule = STATE_RULES.get(code)
    if code == "PA" and rule and getattr(settings, "COMPLIANCE_PA_SUNDAY_BAN", False):
        return StateRule(**{**rule.__dict__, "no_sunday": True})
    return rule
