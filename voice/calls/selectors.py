"""Reads of call logs: call outcomes and ended-reason labels, the dashboard numbers, the calls in
progress (with their latest transcript lines) and the API's lists.

Outcome buckets are defined once here (`OUTCOME_RULES`) and used both in SQL (`call_outcome_q`)
and in Python (`call_outcome`), so the dashboard and the call pages always agree.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import (
    Avg,
    Case,
    Count,
    DateField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    When,
)
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from leads.models import Tour
from properties.access import properties_visible_to
from properties.models import Property
from properties.phone import phone_normalize_or_none
from properties.selectors import property_get_by_leasing_phone
from voice.models import Assistant, CallLog, TranscriptLine

# Outcomes ---------------------------------------------------------------------
# vapi-reference.md §3.3. A call that ended is "answered" unless its ended reason falls in one of
# the buckets below; a call that has not ended is "live".
ANSWERED = "answered"


VOICEMAIL = "voicemail"


NO_ANSWER = "no_answer"


FAILED = "failed"


LIVE = "live"


OUTCOME_LABELS = {
    ANSWERED: "Answered",
    VOICEMAIL: "Voicemail",
    NO_ANSWER: "No answer",
    FAILED: "Couldn't connect",
    LIVE: "In progress",
}


# bucket -> (exact ended reasons, ended-reason prefixes)
OUTCOME_RULES: dict[str, tuple[frozenset[str], tuple[str, ...]]] = {
    VOICEMAIL: (frozenset({"voicemail"}), ()),
    NO_ANSWER: (frozenset({"customer-did-not-answer", "customer-busy"}), ()),
    FAILED: (
        frozenset(
            {
                "twilio-failed-to-connect-call",
                "twilio-reported-customer-misdialed",
                "vonage-rejected",
                "vonage-failed-to-connect-call",
                "sip-outbound-unallocated-number",
                "customer-did-not-give-microphone-permission",
                "manually-canceled",
                "call-start-error-neither-assistant-nor-server-set",
                "assistant-not-found",
                "assistant-not-valid",
            }
        ),
        (
            "call.start.error-",
            "assistant-request-",
            "call.in-progress.error-providerfault-outbound-sip-",
        ),
    ),
}


LIVE_STATUSES = (
    CallLog.Status.QUEUED,
    CallLog.Status.RINGING,
    CallLog.Status.IN_PROGRESS,
    CallLog.Status.FORWARDING,
)


# A call whose "ended" event never arrived must not stay on the live board forever.
LIVE_CALL_MAX_AGE = timedelta(hours=2)


LIVE_LINES_PER_CALL = 60


def call_outcome(*, status: str, ended_reason: str) -> str:
    """The outcome bucket of one call (same rules as `call_outcome_q`)."""
    if status == CallLog.Status.FAILED:  # our attempt that Vapi never placed
        return FAILED
    if status != CallLog.Status.ENDED:
        return LIVE
    for bucket, (exact, prefixes) in OUTCOME_RULES.items():
        if ended_reason in exact or ended_reason.startswith(prefixes):
            return bucket
    return ANSWERED


def call_outcome_q(*, outcome: str) -> Q:
    """A filter for the calls in one outcome bucket."""
    if outcome == LIVE:
        return ~Q(status__in=(CallLog.Status.ENDED, CallLog.Status.FAILED))
    ended = Q(status=CallLog.Status.ENDED)
    if outcome == FAILED:
        return (ended & _reason_q(outcome)) | Q(status=CallLog.Status.FAILED)
    if outcome == ANSWERED:
        unanswered = Q()
        for bucket in OUTCOME_RULES:
            unanswered |= _reason_q(bucket)
        return ended & ~unanswered
    return ended & _reason_q(outcome)


def _reason_q(bucket: str) -> Q:
    exact, prefixes = OUTCOME_RULES[bucket]
    q = Q(ended_reason__in=sorted(exact))
    for prefix in prefixes:
        q |= Q(ended_reason__startswith=prefix)
    return q


# Ended reasons in plain words -----------------------------------------------------------
ENDED_REASON_LABELS = {
    "customer-ended-call": "Caller hung up",
    "assistant-ended-call": "Assistant ended the call",
    "assistant-said-end-call-phrase": "Assistant said goodbye and hung up",
    "assistant-ended-call-after-message-spoken": "Assistant hung up after its closing message",
    "assistant-ended-call-with-hangup-task": "Assistant hung up",
    "assistant-forwarded-call": "Transferred to the leasing office",
    "silence-timed-out": "Hung up after a long silence",
    "exceeded-max-duration": "Reached the maximum call length",
    "voicemail": "Went to voicemail",
    "manually-canceled": "Cancelled before it connected",
    "call-deleted": "Call deleted",
    "scheduled-call-deleted": "Scheduled call deleted",
    "customer-busy": "Line was busy",
    "customer-did-not-answer": "No answer",
    "customer-did-not-give-microphone-permission": "Caller blocked the microphone",
    "twilio-failed-to-connect-call": "Could not connect the call",
    "vonage-failed-to-connect-call": "Could not connect the call",
    "vonage-rejected": "Carrier rejected the call",
    "twilio-reported-customer-misdialed": "Wrong number",
    "sip-outbound-unallocated-number": "Number not in service",
    "customer-ended-call-during-transfer": "Caller hung up during the transfer",
    "call.in-progress.error-transfer-failed": "Transfer to the office failed",
    "call.forwarding.operator-busy": "Office line busy during the transfer",
    "call.forwarding.no-answer": "Office did not pick up the transfer",
    "call-start-error-neither-assistant-nor-server-set": "No assistant set up for this number",
    "assistant-not-found": "Assistant not found at Vapi",
    "assistant-not-valid": "Vapi rejected the assistant settings",
    "call.start.error-subscription-insufficient-credits": "Vapi account is out of credits",
    "call.start.error-subscription-frozen": "Vapi account is frozen",
    "call.start.error-subscription-concurrency-limit-reached": "Too many calls at once",
    "worker-shutdown": "Vapi restarted during the call",
    "phone-call-provider-closed-websocket": "Phone line dropped",
}


# Families of reasons: (prefix, plain words); the rest of the value is added as detail.
ENDED_REASON_PREFIX_LABELS = (
    ("call.in-progress.error-vapifault-", "Vapi error during the call"),
    ("call.in-progress.error-providerfault-", "Provider error during the call"),
    ("call.in-progress.error-warm-transfer-", "Transfer to the office failed"),
    ("call.start.error-", "Call could not start"),
    ("assistant-request-", "Could not load the assistant"),
    ("pipeline-error-", "Voice pipeline error"),
)


def humanize(value: str) -> str:
    words = re.sub(r"[-_.]+", " ", value).strip()
    return words[:1].upper() + words[1:]


def ended_reason_label(*, reason: str) -> str:
    """Vapi's `endedReason` in plain words; unknown values are made readable, never hidden."""
    if not reason:
        return ""
    if reason in ENDED_REASON_LABELS:
        return ENDED_REASON_LABELS[reason]
    for prefix, label in ENDED_REASON_PREFIX_LABELS:
        if reason.startswith(prefix):
            detail = humanize(reason[len(prefix) :]).lower()
            return f"{label} ({detail})" if detail else label
    return humanize(reason)


def call_log_get(*, pk: Any) -> CallLog | None:
    """One call with everything its page shows, or None."""
    return CallLog.objects.select_related("lead", "property", "assistant").filter(pk=pk).first()


def call_log_list_for_lead(*, lead_id: Any) -> QuerySet[CallLog]:
    """A lead's calls, newest first, without the heavy JSON and transcript columns."""
    return (
        CallLog.objects.filter(lead_id=lead_id)
        .defer("messages", "transcript", "structured_data", "metadata")
        .order_by("-created_at", "-id")
    )


def call_log_tours(*, call_log: CallLog) -> QuerySet[Tour]:
    """Tours booked on this call (leads link to calls by Vapi call id)."""
    return (
        Tour.objects.filter(vapi_call_id=call_log.vapi_call_id)
        .exclude(vapi_call_id="")
        .select_related("unit", "property", "lead")
        .order_by("starts_at")
    )


# Dashboard -------------------------------------------------------------------------
# Day boundaries are each property's own: a call counts on the calendar day it was logged
# (CallLog.created_at) in its property's time zone, because "calls today" at a Pacific property
# means since midnight in Los Angeles, whatever zone the admin runs in. Calls without a property
# use settings.TIME_ZONE (DJANGO_TIME_ZONE). "7 days" and "30 days" are that local today plus the
# 6 (29) local days before it, up to and including `now`.
WINDOWS = (("today", "Today", 1), ("7d", "Last 7 days", 7), ("30d", "Last 30 days", 30))


TOP_REASONS = 5


@dataclass(frozen=True)
class ZoneToday:
    """One zone the dashboard counts days in, and what its clock says at `now`."""

    zone: str
    local_now: datetime
    fallback: bool  # the zone of calls without a property (settings.TIME_ZONE)

    @property
    def today(self) -> date:
        return self.local_now.date()


@dataclass(frozen=True)
class DashboardZones:
    """The property zones (one query) and the fallback zone for calls without a property."""

    property_zones: tuple[str, ...]
    fallback: tzinfo

    def todays(self, *, now: datetime) -> list[ZoneToday]:
        fallback = str(self.fallback)
        rows = [
            ZoneToday(zone=name, local_now=now.astimezone(ZoneInfo(name)), fallback=False)
            for name in self.property_zones
            if name != fallback
        ]
        rows.append(
            ZoneToday(zone=fallback, local_now=now.astimezone(self.fallback), fallback=True)
        )
        return sorted(rows, key=lambda z: (z.local_now.utcoffset() or timedelta(0), z.zone))


def dashboard_zones(
    *, fallback: tzinfo | None = None, properties: QuerySet[Property] | None = None
) -> DashboardZones:
    properties = Property.objects.all() if properties is None else properties
    names = properties.order_by("timezone").values_list("timezone", flat=True).distinct()
    return DashboardZones(
        property_zones=tuple(names), fallback=fallback or timezone.get_default_timezone()
    )


@dataclass(frozen=True)
class WindowStats:
    key: str
    label: str
    start: datetime  # the earliest local midnight the window starts at, over all zones
    first_day: date | None  # its first local day, when every zone agrees on it
    calls: int
    answered: int
    voicemail: int
    no_answer: int
    failed: int
    live: int
    avg_duration_seconds: float | None
    cost: Decimal
    calls_with_tour: int
    tours_booked: int

    @property
    def conversion(self) -> float | None:
        """Share of answered calls on which at least one tour was booked (0..1)."""
        return self.calls_with_tour / self.answered if self.answered else None

    @property
    def avg_duration(self) -> str:
        return format_clock(self.avg_duration_seconds)


@dataclass(frozen=True)
class DayCount:
    day: date
    answered: int
    voicemail: int
    no_answer: int
    failed: int
    live: int

    @property
    def total(self) -> int:
        return self.answered + self.voicemail + self.no_answer + self.failed + self.live


@dataclass(frozen=True)
class ReasonCount:
    reason: str
    label: str
    count: int


@dataclass(frozen=True)
class Dashboard:
    now: datetime
    zones: list[ZoneToday]
    windows: list[WindowStats]
    days: list[DayCount]
    top_ended_reasons: list[ReasonCount]


def _local_midnight(day: date, tz: tzinfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=tz)


def _zone_q(zone: str, zones: DashboardZones) -> Q:
    """The calls whose days are counted in `zone`."""
    q = Q(property__timezone=zone) if zone in zones.property_zones else Q(pk__in=[])
    if zone == str(zones.fallback):
        q |= Q(property__isnull=True) | ~Q(property__timezone__in=zones.property_zones)
    return q


def _last_days_q(*, now: datetime, days: int, zones: DashboardZones) -> tuple[Q, datetime]:
    """Calls logged since local midnight `days - 1` days ago, each in its own zone; and the
    earliest of those midnights (to narrow the query by index)."""
    q = Q(pk__in=[])
    starts = []
    for zone in zones.todays(now=now):
        start = _local_midnight(zone.today - timedelta(days=days - 1), zone.local_now.tzinfo)
        starts.append(start)
        q |= _zone_q(zone.zone, zones) & Q(created_at__gte=start)
    return q, min(starts)


def _calls_between(
    *, start: datetime, now: datetime, properties: QuerySet[Property] | None = None
) -> QuerySet[CallLog]:
    calls = CallLog.objects.filter(created_at__gte=start, created_at__lte=now).order_by()
    # `properties`: what the viewer may see (properties/access.py); None = every call.
    return calls if properties is None else calls.filter(property__in=properties)


def call_log_window_stats(
    *,
    now: datetime,
    tz: tzinfo | None = None,
    zones: DashboardZones | None = None,
    properties: QuerySet[Property] | None = None,
) -> list[WindowStats]:
    """Counts, outcomes, average duration, cost and tours for today / 7 days / 30 days
    (1 query, + 1 for the zones unless given)."""
    zones = zones or dashboard_zones(fallback=tz)
    todays = zones.todays(now=now)
    windows = {key: _last_days_q(now=now, days=n, zones=zones) for key, _, n in WINDOWS}
    tours = (
        Tour.objects.filter(vapi_call_id=OuterRef("vapi_call_id"))
        .order_by()
        .values("vapi_call_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    calls = _calls_between(
        start=min(start for _, start in windows.values()), now=now, properties=properties
    ).annotate(tours_n=Coalesce(Subquery(tours, output_field=IntegerField()), 0))
    aggregates: dict[str, Any] = {}
    for key, (in_window, _) in windows.items():
        aggregates |= {
            f"{key}_calls": Count("id", filter=in_window),
            **{
                f"{key}_{outcome}": Count("id", filter=in_window & call_outcome_q(outcome=outcome))
                for outcome in (ANSWERED, VOICEMAIL, NO_ANSWER, FAILED, LIVE)
            },
            f"{key}_avg": Avg(
                "duration_seconds",
                filter=in_window
                & call_outcome_q(outcome=ANSWERED)
                & Q(duration_seconds__isnull=False),
            ),
            f"{key}_cost": Sum("cost", filter=in_window),
            f"{key}_with_tour": Count("id", filter=in_window & Q(tours_n__gt=0)),
            f"{key}_tours": Sum("tours_n", filter=in_window),
        }
    row = calls.aggregate(**aggregates)
    stats = []
    for key, label, n in WINDOWS:
        first_days = {zone.today - timedelta(days=n - 1) for zone in todays}
        stats.append(
            WindowStats(
                key=key,
                label=label,
                start=windows[key][1],
                first_day=first_days.pop() if len(first_days) == 1 else None,
                calls=row[f"{key}_calls"],
                answered=row[f"{key}_{ANSWERED}"],
                voicemail=row[f"{key}_{VOICEMAIL}"],
                no_answer=row[f"{key}_{NO_ANSWER}"],
                failed=row[f"{key}_{FAILED}"],
                live=row[f"{key}_{LIVE}"],
                avg_duration_seconds=(
                    None if row[f"{key}_avg"] is None else float(row[f"{key}_avg"])
                ),
                cost=Decimal(row[f"{key}_cost"] or 0).quantize(Decimal("0.01")),
                calls_with_tour=row[f"{key}_with_tour"],
                tours_booked=row[f"{key}_tours"] or 0,
            )
        )
    return stats


def call_log_daily_counts(
    *,
    now: datetime,
    days: int = 30,
    tz: tzinfo | None = None,
    zones: DashboardZones | None = None,
    properties: QuerySet[Property] | None = None,
) -> list[DayCount]:
    """Calls per local calendar day (each in its property's zone) by outcome, oldest first,
    days without calls included. The last day is the latest local today among the zones."""
    zones = zones or dashboard_zones(fallback=tz)
    todays = zones.todays(now=now)
    last = max(zone.today for zone in todays)
    first = last - timedelta(days=days - 1)
    local_day = Case(
        *(
            When(
                _zone_q(zone.zone, zones),
                then=TruncDate("created_at", tzinfo=zone.local_now.tzinfo),
            )
            for zone in todays
        ),
        output_field=DateField(),
    )
    start = min(_local_midnight(first, zone.local_now.tzinfo) for zone in todays)
    rows = (
        _calls_between(start=start, now=now, properties=properties)
        .annotate(day=local_day)
        .values("day")
        .annotate(
            **{
                outcome: Count("id", filter=call_outcome_q(outcome=outcome))
                for outcome in (ANSWERED, VOICEMAIL, NO_ANSWER, FAILED, LIVE)
            }
        )
        .order_by("day")
    )
    by_day = {row["day"]: row for row in rows}
    counts = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        row = by_day.get(day, {})
        counts.append(
            DayCount(
                day=day,
                answered=row.get(ANSWERED, 0),
                voicemail=row.get(VOICEMAIL, 0),
                no_answer=row.get(NO_ANSWER, 0),
                failed=row.get(FAILED, 0),
                live=row.get(LIVE, 0),
            )
        )
    return counts


def call_log_top_ended_reasons(
    *,
    now: datetime,
    days: int = 30,
    limit: int = TOP_REASONS,
    tz: tzinfo | None = None,
    zones: DashboardZones | None = None,
    properties: QuerySet[Property] | None = None,
) -> list[ReasonCount]:
    """The most frequent ended reasons of the last `days` local days."""
    zones = zones or dashboard_zones(fallback=tz)
    in_window, start = _last_days_q(now=now, days=days, zones=zones)
    rows = (
        _calls_between(start=start, now=now, properties=properties)
        .filter(in_window, status=CallLog.Status.ENDED)
        .exclude(ended_reason="")
        .values("ended_reason")
        .annotate(n=Count("id"))
        .order_by("-n", "ended_reason")[:limit]
    )
    return [
        ReasonCount(
            reason=row["ended_reason"],
            label=ended_reason_label(reason=row["ended_reason"]),
            count=row["n"],
        )
        for row in rows
    ]


def call_log_dashboard(
    *,
    now: datetime | None = None,
    tz: tzinfo | None = None,
    properties: QuerySet[Property] | None = None,
) -> Dashboard:
    """Everything the voice dashboard shows except the live calls (4 queries). `tz` is the zone
    of calls without a property (default settings.TIME_ZONE)."""
    now = now or timezone.now()
    zones = dashboard_zones(fallback=tz, properties=properties)
    return Dashboard(
        now=now,
        zones=zones.todays(now=now),
        windows=call_log_window_stats(now=now, zones=zones, properties=properties),
        days=call_log_daily_counts(now=now, zones=zones, properties=properties),
        top_ended_reasons=call_log_top_ended_reasons(now=now, zones=zones, properties=properties),
    )


# Live calls ----------------------------------------------------------------------------
@dataclass(frozen=True)
class LiveLine:
    role: str  # assistant | caller | other
    text: str
    spoken_at: datetime
    seconds: float | None


@dataclass(frozen=True)
class LiveCall:
    call_log: CallLog
    started_at: datetime
    lines: list[LiveLine]


def call_log_list_live(
    *,
    now: datetime | None = None,
    vapi_call_id: str | None = None,
    properties: QuerySet[Property] | None = None,
) -> list[LiveCall]:
    """Calls in progress right now (logged within LIVE_CALL_MAX_AGE) with their latest
    transcript lines (2 queries)."""
    now = now or timezone.now()
    calls = (
        CallLog.objects.filter(status__in=LIVE_STATUSES, created_at__gte=now - LIVE_CALL_MAX_AGE)
        .select_related("lead", "property")
        .defer("messages", "transcript", "structured_data", "metadata")
        .order_by("created_at", "id")
    )
    if vapi_call_id is not None:
        calls = calls.filter(vapi_call_id=vapi_call_id)
    if properties is not None:  # what the viewer may see (properties/access.py)
        calls = calls.filter(property__in=properties)
    calls = list(calls)
    lines_by_call: dict[str, list[TranscriptLine]] = {c.vapi_call_id: [] for c in calls}
    if calls:
        for line in TranscriptLine.objects.filter(vapi_call_id__in=list(lines_by_call)).order_by(
            "spoken_at", "id"
        ):
            lines_by_call[line.vapi_call_id].append(line)
    live = []
    for call in calls:
        started = call.started_at or call.created_at
        lines = [
            LiveLine(
                role=_live_role(line.role),
                text=line.text,
                spoken_at=line.spoken_at,
                seconds=max((line.spoken_at - started).total_seconds(), 0),
            )
            for line in lines_by_call[call.vapi_call_id][-LIVE_LINES_PER_CALL:]
        ]
        live.append(LiveCall(call_log=call, started_at=started, lines=lines))
    return live


def _live_role(role: str) -> str:
    kind = ROLE_KINDS.get(role.lower())
    return kind if kind in (ASSISTANT, CALLER) else "other"


def call_log_list(*, user: AbstractBaseUser) -> QuerySet[CallLog]:
    """The calls at the properties the user sees (a call with no property belongs to no one)."""
    return CallLog.objects.filter(
        property__in=properties_visible_to(user=user, superuser_sees_all=False)
    )


def call_log_list_summary(*, user: AbstractBaseUser) -> QuerySet[CallLog]:
    """`call_log_list` without the large columns the list does not show."""
    return call_log_list(user=user).defer("transcript", "messages", "structured_data", "metadata")


# A call's conversation --------------------------------------------------------------------
ASSISTANT = "assistant"


CALLER = "caller"


SYSTEM = "system"


TOOL = "tool"


TOOL_RESULT = "tool_result"


NOTE = "note"


ROLE_KINDS = {
    "bot": ASSISTANT,
    "assistant": ASSISTANT,
    "ai": ASSISTANT,
    "user": CALLER,
    "customer": CALLER,
    "human": CALLER,
    "system": SYSTEM,
    "tool_calls": TOOL,
    "tool-calls": TOOL,
    "tool_call": TOOL,
    "tool-call": TOOL,
}


def format_clock(seconds: float | None) -> str:
    """Seconds from call start as m:ss (h:mm:ss past an hour)."""
    if seconds is None:
        return ""
    total = max(int(seconds), 0)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


# Which property a call is for -------------------------------------------------------------------


def property_id_from_metadata(metadata: dict[str, Any]) -> int | None:
    """`propertyId` from our metadata, if it names a property that exists."""
    try:
        pk = int(metadata.get("propertyId"))
    except (TypeError, ValueError):
        return None
    return pk if Property.objects.filter(pk=pk).exists() else None


def call_property_resolve(
    *,
    metadata: dict[str, Any],
    vapi_assistant_id: str = "",
    vapi_call_id: str = "",
    phone_number: str = "",
) -> int | None:
    """The property a call is for when a tool call names none, or None.

    In order: our metadata (`propertyId`, HELPERS contract), the call's Vapi assistant
    (`call.assistantId`), the assistant the call was routed to (its call log, written when
    `assistant-request` routed it: an inbound call may carry neither of the first two,
    vapi-reference.md §10.5), then the property whose leasing number was called (`phone_number`,
    `message.phoneNumber.number`). One indexed query per step tried; most calls stop at the first.
    """
    found = property_id_from_metadata(metadata)
    if found is None and vapi_assistant_id:
        found = (
            Assistant.objects.filter(vapi_assistant_id=vapi_assistant_id)
            .values_list("property_id", flat=True)
            .first()
        )
    if found is None and vapi_call_id:
        routed = (
            CallLog.objects.filter(vapi_call_id=vapi_call_id)
            .values_list("property_id", "assistant__property_id")
            .first()
        )
        if routed is not None:
            found = routed[0] or routed[1]
    if found is None:
        prop = property_get_by_leasing_phone(phone=phone_normalize_or_none(phone_number) or "")
        found = prop.pk if prop else None
    return found
