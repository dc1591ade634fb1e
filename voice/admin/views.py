"""Staff pages of the voice admin: the dashboard, its live-calls JSON and the call log page context.

The views are mounted by `CallLogAdmin.get_urls` behind `admin_site.admin_view` (staff only; others
are sent to the admin login). Numbers come from `voice.calls.selectors`; this module only shapes
them for the templates (the calls-per-day chart is drawn here as inline SVG geometry, no external
resource)."""

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template.defaultfilters import pluralize
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst

from properties.access import properties_visible_to
from properties.models import Property
from voice.admin.transcripts import call_log_transcript_turns
from voice.calls.selectors import (
    ANSWERED,
    FAILED,
    LIVE,
    NO_ANSWER,
    OUTCOME_LABELS,
    VOICEMAIL,
    DayCount,
    LiveCall,
    WindowStats,
    call_log_dashboard,
    call_log_list_for_lead,
    call_log_list_live,
    call_log_tours,
    call_log_window_stats,
    call_outcome,
    ended_reason_label,
    format_clock,
)
from voice.models import CallLog

LIVE_POLL_MS = 2500
CHART_OUTCOMES = (ANSWERED, VOICEMAIL, NO_ANSWER, FAILED, LIVE)


def _require_view_permission(request: HttpRequest, model_admin: admin.ModelAdmin) -> None:
    if not model_admin.has_view_permission(request):
        raise PermissionDenied


def _visible_properties(request: HttpRequest) -> QuerySet[Property] | None:
    """The properties whose calls the user may see; None: all (superusers)."""
    user = request.user
    return None if user.is_superuser else properties_visible_to(user=user)


# Dashboard -----------------------------------------------------------------------------
def voice_dashboard(request: HttpRequest, *, model_admin: admin.ModelAdmin) -> HttpResponse:
    _require_view_permission(request, model_admin)
    now = timezone.now()
    dashboard = call_log_dashboard(now=now, properties=_visible_properties(request))
    context = {
        **model_admin.admin_site.each_context(request),
        "title": "Voice dashboard",
        "subtitle": None,
        "opts": CallLog._meta,
        "dashboard": dashboard,
        "zones": dashboard.zones,
        "windows": [_window_payload(w) for w in dashboard.windows],
        "chart": calls_per_day_chart(dashboard.days),
        "outcome_labels": [(key, OUTCOME_LABELS[key]) for key in CHART_OUTCOMES],
        "top_reason_max": max((r.count for r in dashboard.top_ended_reasons), default=0),
        "live_calls": [
            _live_call_payload(call, now=now)
            for call in call_log_list_live(now=now, properties=_visible_properties(request))
        ],
        "live_url": f"{reverse('admin:voice_live_calls')}?windows=1",
        "live_poll_ms": LIVE_POLL_MS,
        "changelist_url": reverse("admin:voice_calllog_changelist"),
    }
    return TemplateResponse(request, "voice/admin/dashboard.html", context)


def voice_live_calls(request: HttpRequest, *, model_admin: admin.ModelAdmin) -> JsonResponse:
    """Calls in progress and their latest transcript lines; `?call=<vapi id>` for one call.

    `?windows=1` (the dashboard) adds the today / 7 / 30 days counters: a call that starts or
    ends while the page is open changes them, and the page redraws them from this feed.
    """
    _require_view_permission(request, model_admin)
    now = timezone.now()
    calls = call_log_list_live(
        now=now,
        vapi_call_id=request.GET.get("call") or None,
        properties=_visible_properties(request),
    )
    data: dict[str, Any] = {
        "now": now.isoformat(),
        "calls": [_live_call_payload(c, now=now) for c in calls],
    }
    if request.GET.get("windows"):
        windows = call_log_window_stats(now=now, properties=_visible_properties(request))
        data["windows"] = [_window_payload(w) for w in windows]
    return JsonResponse(data)


def call_log_by_vapi_id(
    request: HttpRequest, vapi_call_id: str, *, model_admin: admin.ModelAdmin
) -> HttpResponse:
    """Lead activities and tours know their call by Vapi id only; this finds its page."""
    _require_view_permission(request, model_admin)
    calls = model_admin.get_queryset(request)  # scoped by membership
    pk = calls.filter(vapi_call_id=vapi_call_id).values_list("pk", flat=True).first()
    if pk is None:
        raise Http404("No call with this Vapi call id.")
    return redirect("admin:voice_calllog_change", pk)


def _live_call_payload(live: LiveCall, *, now: datetime) -> dict[str, Any]:
    call = live.call_log
    lead_name = str(call.lead) if call.lead_id else ""
    return {
        "id": call.pk,
        "vapi_call_id": call.vapi_call_id,
        "url": reverse("admin:voice_calllog_change", args=[call.pk]),
        "status": call.status,
        "status_label": call.get_status_display(),
        "direction": call.direction,
        "direction_label": call.get_direction_display(),
        "who": lead_name or call.customer_number or "Unknown caller",
        "customer_number": call.customer_number,
        "property": call.property.name if call.property_id else "",
        "started_at": live.started_at.isoformat(),
        "elapsed_seconds": max(int((now - live.started_at).total_seconds()), 0),
        "lines": [
            {"role": line.role, "text": line.text, "clock": format_clock(line.seconds)}
            for line in live.lines
        ],
    }


def _window_payload(w: WindowStats) -> dict[str, Any]:
    """One counter card, as shown: the page's first paint and the live feed use the same text."""
    in_progress = f", {w.live} in progress" if w.live else ""
    parts = [
        (ANSWERED, w.answered, "answered"),
        (VOICEMAIL, w.voicemail, "voicemail"),
        (NO_ANSWER, w.no_answer, "no answer"),
        (FAILED, w.failed, "couldn't connect"),
        (LIVE, w.live, "in progress"),
    ]
    return {
        "key": w.key,
        "label": w.label,
        "since": f"since {w.first_day:%a} {w.first_day.day} {w.first_day:%b}"
        if w.first_day
        else "from midnight at each property",
        "split": {key: count for key, count, _ in parts},
        "split_label": ", ".join(f"{count} {label}" for _, count, label in parts),
        "metrics": {
            "calls": str(w.calls),
            "caption": f"call{pluralize(w.calls)}{in_progress}",
            "answered": str(w.answered),
            "voicemail": str(w.voicemail),
            "no_answer": str(w.no_answer),
            "failed": str(w.failed),
            "avg_duration": w.avg_duration or "—",
            "cost": f"${w.cost}",
            "tours": str(w.tours_booked),
            "conversion": "—" if w.conversion is None else f"{round(w.conversion * 100)}%",
        },
    }


# Calls-per-day chart (inline SVG) ------------------------------------------------------
@dataclass(frozen=True)
class ChartRect:
    x: float
    y: float
    width: float
    height: float
    css: str


@dataclass(frozen=True)
class ChartDay:
    x: float
    width: float
    title: str
    rects: list[ChartRect]
    label: str

    @property
    def center(self) -> float:
        return self.x + self.width / 2


@dataclass(frozen=True)
class ChartTick:
    y: float
    label: str


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    days: list[ChartDay]
    ticks: list[ChartTick]
    total: int

    @property
    def plot_height(self) -> int:
        return self.bottom - self.top


def _nice_max(value: int) -> int:
    """The smallest 4 x (1, 2 or 5) x 10^n at or above `value`: four whole-number grid steps."""
    magnitude = 1
    while True:
        for step in (1, 2, 5):
            if value <= 4 * step * magnitude:
                return 4 * step * magnitude
        magnitude *= 10


def calls_per_day_chart(days: list[DayCount], *, width: int = 760, height: int = 240) -> BarChart:
    """Stacked bars, one per day, outcomes bottom-up; y axis in whole calls."""
    left, right, top, bottom = 34, width - 8, 10, height - 26
    top_value = _nice_max(max((d.total for d in days), default=0))
    scale = (bottom - top) / top_value
    slot = (right - left) / max(len(days), 1)
    bar = max(slot * 0.7, 1)
    chart_days = []
    for index, day in enumerate(days):
        x = left + index * slot + (slot - bar) / 2
        y = float(bottom)
        rects = []
        for outcome in CHART_OUTCOMES:
            count = getattr(day, outcome)
            if count:
                h = count * scale
                y -= h
                rects.append(ChartRect(x=x, y=y, width=bar, height=h, css=f"o-{outcome}"))
        parts = [
            f"{getattr(day, o)} {OUTCOME_LABELS[o].lower()}"
            for o in CHART_OUTCOMES
            if getattr(day, o)
        ]
        calls = "call" if day.total == 1 else "calls"
        title = f"{day.day:%a} {day.day.day} {day.day:%b}: {day.total} {calls}"
        if parts:
            title += f" ({', '.join(parts)})"
        last = index == len(days) - 1
        label = f"{day.day.day} {day.day:%b}" if (len(days) - 1 - index) % 7 == 0 or last else ""
        chart_days.append(ChartDay(x=x, width=bar, title=title, rects=rects, label=label))
    ticks = [
        ChartTick(y=bottom - value * scale, label=str(value))
        for value in range(0, top_value + 1, top_value // 4)
    ]
    return BarChart(
        width=width,
        height=height,
        left=left,
        right=right,
        top=top,
        bottom=bottom,
        days=chart_days,
        ticks=ticks,
        total=sum(d.total for d in days),
    )


# Call log page -------------------------------------------------------------------------
def _money(value: Decimal | None) -> str:
    return "" if value is None else f"${value:,.2f}"


def _display_value(value: Any) -> str:
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if value is None or value == "":
        return "—"
    if isinstance(value, list):
        return ", ".join(_display_value(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _duration_seconds(call: CallLog) -> int | None:
    if call.duration_seconds is not None:
        return call.duration_seconds
    if call.started_at and call.ended_at:
        return max(int((call.ended_at - call.started_at).total_seconds()), 0)
    return None


def call_log_page_context(call: CallLog) -> dict[str, Any]:
    """What the read-only call log page shows, ready for the template."""
    outcome = call_outcome(status=call.status, ended_reason=call.ended_reason)
    who = str(call.lead) if call.lead_id else call.customer_number or "unknown caller"
    direction = {"inbound": "Call from", "outbound": "Call to", "web": "Web call with"}.get(
        call.direction, "Call with"
    )
    tours = list(call_log_tours(call_log=call))
    live_calls = []
    if outcome == LIVE:
        now = timezone.now()
        live_calls = [
            _live_call_payload(live, now=now)
            for live in call_log_list_live(now=now, vapi_call_id=call.vapi_call_id)
        ]
    structured = call.structured_data if isinstance(call.structured_data, dict) else {}
    return {
        "title": f"{direction} {who}",
        "call": call,
        "turns": call_log_transcript_turns(call_log=call),
        "outcome": outcome,
        "outcome_label": OUTCOME_LABELS[outcome],
        "ended_reason_label": ended_reason_label(reason=call.ended_reason),
        "duration": format_clock(_duration_seconds(call)),
        "cost": _money(call.cost),
        "structured_rows": [
            (capfirst(str(key).replace("_", " ")), _display_value(value))
            for key, value in structured.items()
        ],
        "success_evaluation": {"true": "Yes", "false": "No"}.get(
            call.success_evaluation.strip().lower(), call.success_evaluation
        ),
        "metadata_json": json.dumps(call.metadata or {}, indent=2, ensure_ascii=False),
        "tours": [(tour, reverse("admin:leads_tour_change", args=[tour.pk])) for tour in tours],
        "lead_url": (
            reverse("admin:leads_lead_change", args=[call.lead_id]) if call.lead_id else ""
        ),
        "property_url": (
            reverse("admin:properties_property_change", args=[call.property_id])
            if call.property_id
            else ""
        ),
        "assistant_url": (
            reverse("admin:voice_assistant_change", args=[call.assistant_id])
            if call.assistant_id
            else ""
        ),
        "is_live": outcome == LIVE,
        "live_calls": live_calls,
        "live_url": f"{reverse('admin:voice_live_calls')}?call={call.vapi_call_id}",
        "live_poll_ms": LIVE_POLL_MS,
    }


def lead_calls_context(*, lead_id: Any, limit: int = 25) -> list[dict[str, Any]]:
    """The "Calls" card of the lead page: the lead's latest calls with outcomes in plain words."""
    rows = []
    for call in call_log_list_for_lead(lead_id=lead_id)[:limit]:
        outcome = call_outcome(status=call.status, ended_reason=call.ended_reason)
        rows.append(
            {
                "call": call,
                "outcome": outcome,
                "outcome_label": OUTCOME_LABELS[outcome],
                "reason": ended_reason_label(reason=call.ended_reason),
                "duration": format_clock(_duration_seconds(call)),
            }
        )
    return rows
