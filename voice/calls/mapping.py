"""From a Vapi Call object or server message to CallLog columns: the one mapping (pure, no queries).

The same mapping reads a webhook's `message.call` (plus the message-level fields of a
status-update or end-of-call-report) and a `GET /call` / `GET /call/{id}` object, so the webhook,
`sync_calls` and the refresh agree on every column (vapi-reference.md §3.2, §8.3).

Idempotency rules (vapi-reference.md §10.1), applied by `calls.services`:
- status only moves forward (scheduled < queued < ringing < in-progress < forwarding < ended);
- an end-of-call-report, or a Call object that has ended, is authoritative: it overwrites;
- anything else only fills blanks, so `status-update(ended)` and the report give the same final
  row in either order.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from voice.calls.analysis import call_analysis_fields
from voice.models import CallLog
from voice.vapi.payload import (
    ValueInvalid,
    as_bool,
    as_date,
    as_decimal,
    as_int,
    as_str,
    iso_to_datetime,
)

STATUS_RANK = {status: rank for rank, status in enumerate(CallLog.VAPI_STATUSES)}


STARTED_RANK = STATUS_RANK[CallLog.Status.IN_PROGRESS]


_DIRECTIONS = {
    "inboundPhoneCall": CallLog.Direction.INBOUND,
    "outboundPhoneCall": CallLog.Direction.OUTBOUND,
    "webCall": CallLog.Direction.WEB,
}


# Columns an authoritative source overwrites and any other source only fills when blank.
FACT_FIELDS = (
    "ended_reason",
    "customer_number",
    "started_at",
    "ended_at",
    "duration_seconds",
    "transcript",
    "messages",
    "recording_url",
    "stereo_recording_url",
    "summary",
    "structured_data",
    "success_evaluation",
    "cost",
    "recorded",
    "recording_basis",
)


@dataclass
class CallLogUpsert:
    call_log: CallLog
    created: bool
    previous_status: str | None  # None when created
    # The columns an update wrote (empty when nothing changed, and when created).
    changed: tuple[str, ...] = ()

    @property
    def started_now(self) -> bool:
        """Did this update move the call into conversation (in-progress or forwarding)?"""
        before = -1 if self.previous_status is None else STATUS_RANK.get(self.previous_status, -1)
        now = STATUS_RANK.get(self.call_log.status, -1)
        return before < STARTED_RANK <= now and self.call_log.status != CallLog.Status.ENDED


def call_log_fields_from_vapi(
    *, call: dict[str, Any], report: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Pure mapping to CallLog columns. `report` is an end-of-call-report message: its
    top-level fields win over the call's. Absent values are left out (never blanked)."""
    src = report or {}
    places = artifact_places(call=call, report=report)
    fields: dict[str, Any] = {
        "status": CallLog.Status.ENDED if report is not None else _status(call.get("status")),
        "ended_reason": _text(src.get("endedReason") or call.get("endedReason"), 200),
        "customer_number": _text(_obj(call.get("customer")).get("number"), 40),
        "started_at": iso_to_datetime(src.get("startedAt") or call.get("startedAt")),
        "ended_at": iso_to_datetime(src.get("endedAt") or call.get("endedAt")),
        "transcript": artifact_transcript(places),
        "messages": artifact_messages(places),
        "recording_url": artifact_recording_url(places),
        "stereo_recording_url": artifact_stereo_recording_url(places),
        # Structured outputs, else the deprecated analysis (vapi-reference.md §12.4; analysis.py).
        **call_analysis_fields(call=call, report=report),
        "cost": _cost(src.get("cost", call.get("cost"))),
    }
    duration = src.get("durationSeconds", call.get("durationSeconds"))
    if isinstance(duration, int | float) and not isinstance(duration, bool) and duration >= 0:
        fields["duration_seconds"] = round(duration)
    elif fields["started_at"] and fields["ended_at"]:
        fields["duration_seconds"] = seconds_between(fields["started_at"], fields["ended_at"])
    return {name: value for name, value in fields.items() if value not in (None, "")}


# Where a report or a Call object keeps the call's artifacts (transcript, messages, recordings),
# newest shape first; each artifact_* reader below takes the first place that has a usable value:
# 1. the report's `artifact` (OAS ServerMessageEndOfCallReport.artifact, `Artifact`);
# 2. the report's top level: real reports also carry `transcript`, `messages`, `recordingUrl`,
#    `stereoRecordingUrl` there, which the OAS omits (vapi-reference.md §12.9 "Shape drift seen
#    by users"; VapiAI/server-sdk-typescript#20);
# 3. the call's `artifact` (OAS Call.artifact; what GET /call/{id} returns, §3.2);
# 4. the call's own flat fields: older Call objects had `transcript`, `recordingUrl` and
#    `stereoRecordingUrl` (deprecated, §12.16); OAS Call still has `messages`.
# A webhook without a report (status-update) and GET /call/{id} only have places 3 and 4.
def artifact_places(*, call: dict[str, Any], report: dict[str, Any] | None) -> list[dict[str, Any]]:
    src = report or {}
    return [_obj(src.get("artifact")), src, _obj(call.get("artifact")), call]


def artifact_transcript(places: list[dict[str, Any]]) -> str:
    # OAS Artifact.transcript (a convenience text derived from `messages`).
    return next((text for place in places if (text := _text(place.get("transcript")))), "")


def artifact_messages(places: list[dict[str, Any]]) -> list[Any] | None:
    # OAS Artifact.messages / Call.messages: a list of UserMessage, BotMessage, ToolCallMessage...
    return next(
        (found for place in places if isinstance(found := place.get("messages"), list) and found),
        None,
    )


def artifact_recording_url(places: list[dict[str, Any]]) -> str:
    """The recording to play: the mono mix of both sides, else the stereo file (the whole call
    too, a side per channel), else one side's mono track as the last resort."""
    return _first_url(places, _mono_mix_urls, _stereo_urls, _one_side_urls)


def artifact_stereo_recording_url(places: list[dict[str, Any]]) -> str:
    return _first_url(places, _stereo_urls)


# vapi-reference.md §12.16: the flat `recordingUrl` / `stereoRecordingUrl` are deprecated
# (changelog 2025-04-29, 2025-08-01; OAS Artifact marks them `deprecated`) in favour of
# `recording.mono.combinedUrl` / `recording.stereoUrl` (OAS Recording, Mono). Current Vapi still
# sends both (§8.3), so in each place the nested one is read first and the flat one is the
# fallback. The `presigned*Url` values are left alone: they expire (§10.9).
def _mono_mix_urls(place: dict[str, Any]) -> list[Any]:
    mono = _obj(_obj(place.get("recording")).get("mono"))
    return [mono.get("combinedUrl"), place.get("recordingUrl")]


def _stereo_urls(place: dict[str, Any]) -> list[Any]:
    return [_obj(place.get("recording")).get("stereoUrl"), place.get("stereoRecordingUrl")]


def _one_side_urls(place: dict[str, Any]) -> list[Any]:
    mono = _obj(_obj(place.get("recording")).get("mono"))
    return [mono.get("assistantUrl"), mono.get("customerUrl")]


def _first_url(
    places: list[dict[str, Any]], *readers: Callable[[dict[str, Any]], list[Any]]
) -> str:
    """The first usable URL: every place for the first reader, then for the next one."""
    for read in readers:
        for place in places:
            for value in read(place):
                if url := _url(value):
                    return url
    return ""


def call_is_authoritative(
    *, call: dict[str, Any], report: dict[str, Any] | None, fields: dict[str, Any]
) -> bool:
    return report is not None or (
        fields.get("status") == CallLog.Status.ENDED
        and bool(call.get("analysis") or call.get("artifact"))
    )


def call_log_fields_from_event(
    *,
    call: dict[str, Any],
    report: dict[str, Any] | None,
    status: str | None,
    ended_reason: str,
    at: datetime | None,
) -> dict[str, Any]:
    fields = call_log_fields_from_vapi(call=call, report=report)
    if status in STATUS_RANK:
        fields["status"] = status
    if ended_reason:
        fields["ended_reason"] = ended_reason[:200]
    if at is not None:
        if fields.get("status") in (CallLog.Status.IN_PROGRESS, CallLog.Status.FORWARDING):
            fields.setdefault("started_at", at)
        elif fields.get("status") == CallLog.Status.ENDED:
            fields.setdefault("ended_at", at)
    return fields


def structured_answers(data: dict[str, Any]) -> dict[str, Any]:
    """The assistant's structuredDataPlan output (HELPERS contract schema), leniently typed:
    a value that doesn't parse is dropped rather than failing the whole report."""
    readers = {
        "first_name": lambda v: as_str(v, max_length=100),
        "last_name": lambda v: as_str(v, max_length=100),
        "email": lambda v: as_str(v, max_length=254),
        "move_in_date": as_date,
        "bedrooms": as_int,
        "budget": as_decimal,
        "has_pets": as_bool,
        "pets": as_str,
    }
    answers: dict[str, Any] = {}
    for name, read in readers.items():
        try:
            value = read(data.get(name))
        except ValueInvalid:
            continue
        if value not in (None, ""):
            answers[name] = value
    return answers


def call_log_fill_duration(call_log: CallLog) -> bool:
    if call_log.duration_seconds is None and call_log.started_at and call_log.ended_at:
        call_log.duration_seconds = seconds_between(call_log.started_at, call_log.ended_at)
        return True
    return False


def seconds_between(start: datetime, end: datetime) -> int:
    """Whole seconds, half up, never negative (the SQL fast path rounds the same way)."""
    return max(int((end - start).total_seconds() + 0.5), 0)


def call_direction(call: dict[str, Any], metadata: dict[str, Any]) -> str:
    direction = _DIRECTIONS.get(str(call.get("type")))
    if direction:
        return direction
    # No type: our outbound calls always carry a leadId in their metadata (HELPERS contract).
    return CallLog.Direction.OUTBOUND if metadata.get("leadId") else CallLog.Direction.INBOUND


def _status(value: Any) -> str | None:
    return value if value in STATUS_RANK else None


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any, max_length: int | None = None) -> str:
    if value is None or isinstance(value, dict | list):
        return ""
    text = str(value)
    return text[:max_length] if max_length else text


def _url(value: Any) -> str:
    text = _text(value)
    return text if text.startswith(("https://", "http://")) and len(text) <= 2000 else ""


def _cost(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        cost = Decimal(str(value)).quantize(Decimal("0.0001"))
    except (InvalidOperation, ValueError):
        return None
    return cost if cost.is_finite() and abs(cost) < Decimal("1000000") else None
