"""The one compliance gate every call the product places goes through (calling-compliance.md §7).

`call_permission` answers allowed or refused with a stable reason code, a sentence a person can
act on, the next moment the call would be allowed, and the facts behind the answer; with
`record=True` it writes exactly one immutable CallDecision row (§7 rule 19). Callers that dial
raise `CallRefusedError` on a refusal: a refused call is never a silent skip.

Reason codes (stable; the API returns them as `error`):
    invalid_number, not_staff_phone, opted_out, dnc_snapshot_stale, dnc_registry,
    no_written_consent, number_reassigned, consent_other_number, state_adad_restricted,
    unknown_timezone, state_sunday, state_holiday, quiet_hours, daily_cap,
    number_reassigned_check_due
"""

from __future__ import annotations

import functools
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

import holidays
import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from leads.compliance import rules
from leads.compliance.models import (
    CONSENT_REVOKED_NUMBER_REASSIGNED,
    CallDecision,
    Consent,
    DncNumber,
    DncSnapshot,
    StaffPhone,
    Suppression,
)
from leads.compliance.zones import Location, area_code, call_location
from leads.models import Lead
from properties.models import Organization
from properties.phone import phone_normalize

Path = CallDecision.Path
Purpose = CallDecision.Purpose


class Reason:
    INVALID_NUMBER = "invalid_number"
    NOT_STAFF_PHONE = "not_staff_phone"
    OPTED_OUT = "opted_out"
    DNC_SNAPSHOT_STALE = "dnc_snapshot_stale"
    DNC_REGISTRY = "dnc_registry"
    NO_WRITTEN_CONSENT = "no_written_consent"
    NUMBER_REASSIGNED = "number_reassigned"
    CONSENT_OTHER_NUMBER = "consent_other_number"
    STATE_ADAD_RESTRICTED = "state_adad_restricted"
    UNKNOWN_TIMEZONE = "unknown_timezone"
    STATE_SUNDAY = "state_sunday"
    STATE_HOLIDAY = "state_holiday"
    QUIET_HOURS = "quiet_hours"
    DAILY_CAP = "daily_cap"
    NUMBER_REASSIGNED_CHECK_DUE = "number_reassigned_check_due"


REASONS = tuple(value for name, value in vars(Reason).items() if name.isupper())

MSG_INVALID_NUMBER = "{number!r} is not a valid phone number to call."
MSG_NOT_STAFF_PHONE = "Test calls only ring staff phones: add {number} as a staff phone first."
MSG_OPTED_OUT = "{number} asked not to be called by {org} (on its do-not-call list)."
MSG_DNC_STALE = (
    "The {registry} do-not-call list for area code {npa} was downloaded on {day}, more than "
    "{days} days ago: import a fresh copy before calling."
)
MSG_DNC_REGISTRY = (
    "{number} is on the {registry} do-not-call registry and has no written consent naming {org}."
)
MSG_NO_WRITTEN_CONSENT = (
    "{number} has no written consent to AI-voice calls from {org}: record consent first."
)
MSG_NO_CONSENT_INFORMATIONAL = "{number} has no consent to calls from {org}: record consent first."
MSG_NUMBER_REASSIGNED = (
    "{number}'s consent to calls from {org} is void: the number was reassigned or reached the "
    "wrong person. Only a new consent from whoever has the number now allows calls."
)
MSG_RECHECK_DUE = (
    "{number}'s consent was given on {given}, more than {days} days ago, and the number has not "
    "been checked against the reassigned-numbers database {since}: check it and record the day "
    "on the consent before calling."
)
MSG_CONSENT_OTHER_NUMBER = (
    "This lead consented to calls at another number, not {number}; consent never transfers."
)
MSG_ADAD = (
    "Washington bans automated calls to people who did not ask to be contacted, and this "
    "consent came from a {source}."
)
MSG_UNKNOWN_TIMEZONE = (
    "Cannot tell where {number} is (no address state or ZIP code and a non-geographic number), "
    "so the calling hours cannot be checked: add the lead's state."
)
# An en dash between the times, as calling-compliance.md writes ranges: people read this.
MSG_ORGANIZATION_WINDOW = "{org}'s calling window is {start}–{end}"  # noqa: RUF001
MSG_NEXT = " The next allowed moment is {when}."
MSG_NO_NEXT = " No allowed moment in the next {days} days."

SEARCH_STEP = timedelta(minutes=15)
SEARCH_DAYS = 8
CAP_WINDOW = timedelta(hours=24)
# Who sets a window, for the organization's own (its message names the organization).
ORGANIZATION_WINDOW = "organization"
WA_ADAD_SOURCES = {Consent.Source.IMPORT, Consent.Source.PURCHASED_LIST}


@dataclass
class CallPermission:
    allowed: bool
    reason: str
    message: str
    next_allowed_at: datetime | None
    number: str
    purpose: str
    path: str
    consent: Consent | None = None
    timezones: list[dict] = field(default_factory=list)
    states: dict[str, list[str]] = field(default_factory=dict)
    local_times: dict[str, str] = field(default_factory=dict)
    rules: list[str] = field(default_factory=list)
    dnc_snapshot_at: datetime | None = None
    decision: CallDecision | None = None


class CallRefusedError(ValidationError):
    """The gate refused a call; `code` is the reason, `message` says why and until when.

    A ValidationError so that every existing caller that reports refused input (admin actions,
    commands, the API's error handler) reports this too.
    """

    def __init__(self, permission: CallPermission) -> None:
        super().__init__(permission.message, code=permission.reason)
        self.permission = permission
        self.reason = permission.reason
        self.next_allowed_at = permission.next_allowed_at


@dataclass
class _Refusal:
    reason: str
    message: str


def call_permission(
    *,
    organization: Organization,
    number: str,
    purpose: str,
    path: str,
    lead: Lead | None = None,
    at: datetime | None = None,
    requested_by=None,
    record: bool = True,
) -> CallPermission:
    """May `organization` place a `purpose` call to `number` at `at` (default now)?

    With `record`, writes one CallDecision (an allowed decision counts as an attempt towards the
    daily cap). Reads only otherwise: the admin's preview uses record=False.
    """
    at = at or timezone.now()
    if not record:
        return _decide(organization, number, purpose, path, lead, at)[0]
    with transaction.atomic():
        # One decision at a time per organization, so that two requests at once cannot both
        # take the last call of a number's daily cap (a row lock on PostgreSQL; SQLite
        # serialises writers anyway).
        Organization.objects.select_for_update().filter(pk=organization.pk).exists()
        permission, state = _decide(organization, number, purpose, path, lead, at)
        permission.decision = CallDecision.objects.create(
            organization=organization,
            # Who asked (None for commands and anonymous requests).
            requested_by=requested_by if getattr(requested_by, "is_authenticated", False) else None,
            path=path,
            purpose=purpose,
            number=permission.number[:32],
            lead=lead,
            lead_ref=lead.pk if lead is not None else None,
            consent=state.consent,
            consent_ref=state.consent.pk if state.consent else None,
            timezones=permission.timezones,
            states=permission.states,
            local_times=permission.local_times,
            rules=permission.rules,
            dnc_snapshot_at=permission.dnc_snapshot_at,
            decision=(
                CallDecision.Decision.ALLOWED
                if permission.allowed
                else CallDecision.Decision.REFUSED
            ),
            reason=permission.reason,
            message=permission.message,
            next_allowed_at=permission.next_allowed_at,
            created_at=at,
        )
    return permission


def _decide(
    organization: Organization,
    number: str,
    purpose: str,
    path: str,
    lead: Lead | None,
    at: datetime,
) -> tuple[CallPermission, _Evaluation]:
    state = _Evaluation(organization=organization, raw_number=number, purpose=purpose, lead=lead)
    refusal = state.evaluate(at)
    permission = CallPermission(
        allowed=refusal is None,
        reason=refusal.reason if refusal else "",
        message=refusal.message if refusal else "Allowed.",
        next_allowed_at=state.next_allowed_at,
        number=state.number or number,
        purpose=purpose,
        path=path,
        consent=state.consent,
        timezones=[
            {"zone": zone, "sources": sources} for zone, sources in state.location.zones.items()
        ],
        states=state.location.states,
        local_times={
            zone: at.astimezone(zoneinfo.ZoneInfo(zone)).isoformat()
            for zone in state.location.zones
        },
        rules=state.rules,
        dnc_snapshot_at=state.dnc_snapshot_at,
    )
    return permission, state


class _Evaluation:
    """One run of the rules, in the order §7 lists them; keeps the facts for the audit row."""

    def __init__(
        self, *, organization: Organization, raw_number: str, purpose: str, lead: Lead | None
    ) -> None:
        self.organization = organization
        self.raw_number = raw_number
        self.purpose = purpose
        self.lead = lead
        self.number = ""
        self.consent: Consent | None = None
        self.location = Location()
        self.rules: list[str] = []
        self.dnc_snapshot_at: datetime | None = None
        self.next_allowed_at: datetime | None = None

    def _fmt(self, template: str, **extra) -> str:
        return template.format(
            number=self.number or self.raw_number, org=self.organization.legal_name, **extra
        )

    def evaluate(self, at: datetime) -> _Refusal | None:
        self.rules.append(Reason.INVALID_NUMBER)
        try:
            self.number = phone_normalize(self.raw_number)
        except ValidationError:
            return _Refusal(Reason.INVALID_NUMBER, self._fmt(MSG_INVALID_NUMBER))
        parsed = phonenumbers.parse(self.number)

        if self.purpose == Purpose.TEST:
            # Test calls ring the organization's own staff, who are not called parties under
            # the TCPA; the one rule is that they ring nobody else. A stop request sticks for
            # every number, a staff phone's too: a suppressed staff phone is not rung either.
            self.rules.append(Reason.NOT_STAFF_PHONE)
            if not StaffPhone.objects.filter(
                organization=self.organization, number=self.number
            ).exists():
                return _Refusal(Reason.NOT_STAFF_PHONE, self._fmt(MSG_NOT_STAFF_PHONE))
            self.rules.append(Reason.OPTED_OUT)
            if self._opted_out():
                return _Refusal(Reason.OPTED_OUT, self._fmt(MSG_OPTED_OUT))
            return None

        self.rules.append(Reason.OPTED_OUT)
        if self._opted_out():
            return _Refusal(Reason.OPTED_OUT, self._fmt(MSG_OPTED_OUT))

        self.consent = self._consent(at)
        for refusal in (self._dnc(parsed, at), self._consent_refusal(at)):
            if refusal is not None:
                return refusal

        self.location = call_location(
            parsed=parsed,
            state=self.lead.state if self.lead else "",
            time_zone=self.lead.time_zone if self.lead else "",
            postal_code=self.lead.postal_code if self.lead else "",
        )
        self.rules.append(Reason.STATE_ADAD_RESTRICTED)
        adad = set(self.location.states) & rules.ADAD_RESTRICTED_STATES
        if adad and self.consent is not None and self.consent.source in WA_ADAD_SOURCES:
            source = self.consent.get_source_display().lower()
            return _Refusal(Reason.STATE_ADAD_RESTRICTED, MSG_ADAD.format(source=source))

        self.rules.append(Reason.UNKNOWN_TIMEZONE)
        if not self.location.zones:
            return _Refusal(Reason.UNKNOWN_TIMEZONE, self._fmt(MSG_UNKNOWN_TIMEZONE))

        self.rules += [Reason.STATE_SUNDAY, Reason.STATE_HOLIDAY, Reason.QUIET_HOURS]
        self.rules.append(Reason.DAILY_CAP)
        clock = _CallingClock(
            zones=list(self.location.zones),
            states=list(self.location.states),
            attempts=self._attempts(at),
            organization_window=self.organization.calling_window,
            organization_name=self.organization.name or self.organization.legal_name,
        )
        refusal = clock.refusal(at)
        if refusal is None:
            return self._recheck_refusal(at)
        self.next_allowed_at = clock.next_allowed(after=at)
        if self.next_allowed_at is None:
            suffix = MSG_NO_NEXT.format(days=SEARCH_DAYS)
        else:
            shown = self.next_allowed_at.astimezone(zoneinfo.ZoneInfo(clock.zones[0]))
            suffix = MSG_NEXT.format(when=_moment(shown, clock.zones[0]))
        return _Refusal(refusal.reason, refusal.message + suffix)

    def _opted_out(self) -> bool:
        if self.lead is not None and (self.lead.do_not_call or self.lead.opted_out_at):
            return True
        if Suppression.objects.filter(organization=self.organization, number=self.number).exists():
            return True
        # Leads ticked "do not call" before Suppression rows existed, at any of the org's
        # properties: one stop covers the whole organization (§7 rule 10).
        return (
            Lead.objects.filter(property__organization=self.organization, phone=self.number)
            .filter(Q(do_not_call=True) | Q(opted_out_at__isnull=False))
            .exists()
        )

    def _usable_kinds(self) -> list[str]:
        if self.purpose == Purpose.INFORMATIONAL:
            return [Consent.Kind.PEWC_AI_VOICE, Consent.Kind.PEC_INFORMATIONAL]
        return [Consent.Kind.PEWC_AI_VOICE]

    def _live_consents(self, at: datetime):
        return Consent.objects.filter(
            organization=self.organization, revoked_at__isnull=True, given_at__lte=at
        )

    def _consent(self, at: datetime) -> Consent | None:
        return (
            self._live_consents(at)
            .filter(number=self.number, kind__in=self._usable_kinds())
            .order_by("-given_at", "-pk")
            .first()
        )

    def _dnc(self, parsed: phonenumbers.PhoneNumber, at: datetime) -> _Refusal | None:
        """§7 rule 7: registry copies at most 31 days old; a listed number needs PEWC."""
        self.rules += [Reason.DNC_SNAPSHOT_STALE, Reason.DNC_REGISTRY]
        npa = area_code(parsed)
        if not npa:
            return None
        latest: dict[str, DncSnapshot] = {}
        for snapshot in DncSnapshot.objects.filter(area_code=npa, downloaded_at__lte=at):
            current = latest.get(snapshot.registry)
            if current is None or snapshot.downloaded_at > current.downloaded_at:
                latest[snapshot.registry] = snapshot
        if not latest:
            return None
        self.dnc_snapshot_at = min(s.downloaded_at for s in latest.values())
        limit = at - timedelta(days=rules.DNC_MAX_AGE_DAYS)
        for snapshot in sorted(latest.values(), key=lambda s: s.downloaded_at):
            if snapshot.downloaded_at < limit:
                return _Refusal(
                    Reason.DNC_SNAPSHOT_STALE,
                    MSG_DNC_STALE.format(
                        registry=snapshot.registry,
                        npa=npa,
                        day=f"{snapshot.downloaded_at:%Y-%m-%d}",
                        days=rules.DNC_MAX_AGE_DAYS,
                    ),
                )
        listed = (
            DncNumber.objects.filter(snapshot__in=latest.values(), number=self.number)
            .select_related("snapshot")
            .first()
        )
        pewc = self.consent is not None and self.consent.kind == Consent.Kind.PEWC_AI_VOICE
        if listed is not None and not pewc:
            return _Refusal(
                Reason.DNC_REGISTRY, self._fmt(MSG_DNC_REGISTRY, registry=listed.snapshot.registry)
            )
        return None

    def _consent_refusal(self, at: datetime) -> _Refusal | None:
        """§7 rule 1: consent for this exact number and organization, of the right kind."""
        self.rules += [
            Reason.NO_WRITTEN_CONSENT,
            Reason.NUMBER_REASSIGNED,
            Reason.CONSENT_OTHER_NUMBER,
        ]
        if self.consent is not None:
            return None
        # §7 rule 17: consent voided because the number reached someone else says so, rather
        # than "record consent first" (which the old record would seem to satisfy); any live
        # consent for the number (its new owner's) makes it an ordinary missing-kind case.
        if (
            Consent.objects.filter(
                organization=self.organization,
                number=self.number,
                revoked_how=CONSENT_REVOKED_NUMBER_REASSIGNED,
                given_at__lte=at,
            )
            .exclude(revoked_at__isnull=True)
            .exists()
            and not self._live_consents(at).filter(number=self.number).exists()
        ):
            return _Refusal(Reason.NUMBER_REASSIGNED, self._fmt(MSG_NUMBER_REASSIGNED))
        if self.lead is not None:
            elsewhere = (
                self._live_consents(at)
                .filter(Q(lead=self.lead) | Q(number=self.lead.phone or "-"))
                .exclude(number=self.number)
            )
            if elsewhere.exists():
                return _Refusal(Reason.CONSENT_OTHER_NUMBER, self._fmt(MSG_CONSENT_OTHER_NUMBER))
        template = (
            MSG_NO_CONSENT_INFORMATIONAL
            if self.purpose == Purpose.INFORMATIONAL
            else MSG_NO_WRITTEN_CONSENT
        )
        return _Refusal(Reason.NO_WRITTEN_CONSENT, self._fmt(template))

    def _recheck_refusal(self, at: datetime) -> _Refusal | None:
        """§7 rule 17 (64.1200(m)): consent older than COMPLIANCE_CONSENT_RECHECK_DAYS needs a
        reassigned-numbers check (`Consent.reassigned_checked_at`) no older than that either.

        Checked last, after the hours: no moment makes this call allowed until someone checks
        (next_allowed_at stays empty), while a call refused for the hour still says when to
        come back. 0 days turns the check off."""
        self.rules.append(Reason.NUMBER_REASSIGNED_CHECK_DUE)
        days = getattr(settings, "COMPLIANCE_CONSENT_RECHECK_DAYS", 90)
        consent = self.consent
        if consent is None or not days or days < 0:
            return None
        limit = at - timedelta(days=days)
        if consent.given_at >= limit:
            return None
        checked = consent.reassigned_checked_at
        if checked is not None and checked >= limit.astimezone(UTC).date():
            return None
        since = f"since {checked:%Y-%m-%d}" if checked is not None else "since then"
        given = f"{consent.given_at.astimezone(UTC):%Y-%m-%d}"
        return _Refusal(
            Reason.NUMBER_REASSIGNED_CHECK_DUE,
            self._fmt(MSG_RECHECK_DUE, given=given, days=days, since=since),
        )

    def _attempts(self, at: datetime) -> list[datetime]:
        """Allowed decisions for this number in the 24 h before `at`: each was an attempt."""
        return list(
            CallDecision.objects.filter(
                organization=self.organization,
                number=self.number,
                decision=CallDecision.Decision.ALLOWED,
                created_at__gt=at - CAP_WINDOW,
                created_at__lte=at,
            )
            .order_by("created_at")
            .values_list("created_at", flat=True)
        )


@functools.cache
def _holidays(state: str, year: int) -> holidays.HolidayBase:
    # Federal plus the state's own holidays, including the observed days (the stricter reading).
    return holidays.country_holidays("US", subdiv=state, years=year)


def _moment(local: datetime, zone: str) -> str:
    return f"{local:%H:%M} on {local:%A, %B} {local.day} in {zone}"


def _rule_name(state: str) -> str:
    rule = rules.state_rule(state)
    return f"{rule.name if rule else rules.US_STATES.get(state, state)} rules"


class _CallingClock:
    """The time-dependent rules (§7 rules 2-6) for one set of candidate zones and states."""

    def __init__(
        self,
        *,
        zones: Sequence[str],
        states: Sequence[str],
        attempts: list[datetime],
        organization_window: tuple[time, time] = rules.FEDERAL_WINDOW,
        organization_name: str = "",
    ):
        self.zones = list(zones)
        self.tzs = [zoneinfo.ZoneInfo(zone) for zone in zones]
        self.states = [(state, rules.state_rule(state)) for state in states]
        self.attempts = attempts
        caps = [rule.daily_cap for _, rule in self.states if rule and rule.daily_cap]
        self.cap = min([rules.DAILY_CAP, *caps])
        # The organization's own window (§7 rule 2: federal ∩ each state's ∩ the org's). The
        # default equals the federal window and then adds nothing, so messages stay the law's.
        self.organization_window = organization_window
        self.organization_name = organization_name

    def _windows(self, weekday: int) -> list[tuple[str, tuple[time, time] | None]]:
        """Every window that applies on `weekday`, as (who sets it, window or None for "no calls
        that day"). Order breaks ties: a state's rule, then the federal one, then the
        organization's, so the organization is named only when its own choice is what binds."""
        windows = [
            (_rule_name(state), window)
            for state, rule in self.states
            if rule and (window := rule.window_on(weekday)) != rules.FEDERAL_WINDOW
        ]
        windows.append(("federal rules", rules.FEDERAL_WINDOW))
        if self.organization_window != rules.FEDERAL_WINDOW:
            windows.append((ORGANIZATION_WINDOW, self.organization_window))
        return windows

    def _quiet_hours(self, zone: str, local: datetime) -> _Refusal | None:
        """Refused when `local` is outside any window; the message names the binding one (the
        latest start when too early, the earliest end when too late)."""
        now = f"It is {local:%H:%M} on {local:%A} in {zone}"
        windows = self._windows(local.weekday())
        for who, window in windows:
            if window is None:
                return _Refusal(Reason.QUIET_HOURS, f"{now} ({who} allow no calls on {local:%A}s).")
        bounds = [(who, window) for who, window in windows if window is not None]
        early = [(who, window) for who, window in bounds if local.time() < window[0]]
        late = [(who, window) for who, window in bounds if local.time() >= window[1]]
        if early:
            latest = max(window[0] for _, window in early)
            who, window = next(item for item in early if item[1][0] == latest)
            rule = f"{who} start calls at {window[0]:%H:%M}"
        elif late:
            earliest = min(window[1] for _, window in late)
            who, window = next(item for item in late if item[1][1] == earliest)
            rule = f"{who} end calls at {window[1]:%H:%M}"
        else:
            return None
        if who == ORGANIZATION_WINDOW:
            start, end = window
            rule = MSG_ORGANIZATION_WINDOW.format(
                org=self.organization_name, start=f"{start:%H:%M}", end=f"{end:%H:%M}"
            )
        return _Refusal(Reason.QUIET_HOURS, f"{now} ({rule}).")

    def refusal(self, at: datetime) -> _Refusal | None:
        locals_ = [(zone, at.astimezone(tz)) for zone, tz in zip(self.zones, self.tzs, strict=True)]
        for zone, local in locals_:
            for state, rule in self.states:
                if rule and rule.no_sunday and local.weekday() == rules.SUNDAY:
                    return _Refusal(
                        Reason.STATE_SUNDAY,
                        f"It is {local:%H:%M} on Sunday in {zone} "
                        f"({_rule_name(state)} ban calls on Sundays).",
                    )
        for zone, local in locals_:
            for state, rule in self.states:
                if rule and rule.no_holidays:
                    name = _holidays(state, local.year).get(local.date())
                    if name:
                        return _Refusal(
                            Reason.STATE_HOLIDAY,
                            f"It is {name} ({local:%A, %B} {local.day}) in {zone} "
                            f"({_rule_name(state)} ban calls on holidays).",
                        )
        for zone, local in locals_:
            refusal = self._quiet_hours(zone, local)
            if refusal is not None:
                return refusal
        recent = [t for t in self.attempts if at - CAP_WINDOW < t <= at]
        if len(recent) >= self.cap:
            return _Refusal(
                Reason.DAILY_CAP,
                f"{len(recent)} calls to this number in the last 24 hours already (the limit "
                f"is {self.cap}).",
            )
        return None

    def next_allowed(self, *, after: datetime) -> datetime | None:
        """The first moment after `after` every rule allows: 15-minute steps over 8 days, plus
        the instants at which an attempt leaves the 24-hour window."""
        start = after.replace(second=0, microsecond=0)
        start += timedelta(minutes=-(start.minute % 15)) + SEARCH_STEP
        end = after + timedelta(days=SEARCH_DAYS)
        candidates = {start + SEARCH_STEP * i for i in range(int((end - start) / SEARCH_STEP))}
        candidates |= {t + CAP_WINDOW for t in self.attempts if t + CAP_WINDOW > after}
        # The organization may start at any minute (09:10); its start each day in each zone is
        # a candidate too, so the answer is not rounded up to the next quarter hour.
        start_at = self.organization_window[0]
        for tz in self.tzs:
            first = after.astimezone(tz).date()
            for offset in range(SEARCH_DAYS + 1):
                moment = datetime.combine(first + timedelta(days=offset), start_at, tzinfo=tz)
                if after < moment < end:
                    candidates.add(moment)
        for moment in sorted(candidates):
            if self.refusal(moment) is None:
                return moment
        return None
