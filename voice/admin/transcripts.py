"""Call transcripts as chat turns for the admin screens (Vapi's messages, else the plain
transcript).
"""

import json
import re
from dataclasses import dataclass, field
from typing import Any

from voice.calls.selectors import (
    ASSISTANT,
    CALLER,
    NOTE,
    ROLE_KINDS,
    TOOL,
    TOOL_RESULT,
    format_clock,
    humanize,
)
from voice.models import CallLog

_RESULT_ROLES = {"tool_call_result", "tool-call-result", "tool_calls_result", "tool", "function"}


TOOL_LABELS = {
    "check_availability": "Checked availability",
    "schedule_tour": "Booked a tour",
    "qualify_lead": "Saved the caller's details",
    "transfer_to_human": "Asked for a transfer to staff",
}


@dataclass(frozen=True)
class ToolCallView:
    id: str
    name: str
    label: str
    arguments: list[tuple[str, str]]
    result: str | None = None


@dataclass(frozen=True)
class ChatTurn:
    kind: str  # assistant | caller | system | tool | tool_result | note
    text: str = ""
    seconds: float | None = None
    tool_calls: list[ToolCallView] = field(default_factory=list)
    name: str = ""

    @property
    def clock(self) -> str:
        return format_clock(self.seconds)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    return json.dumps(value, ensure_ascii=False, default=str)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        return float(value)
    except ValueError:
        return None


def _arguments(raw: Any) -> list[tuple[str, str]]:
    # vapi-reference.md §8.4: arguments arrive as an object or as a JSON string.
    if isinstance(raw, str):
        try:
            raw = json.loads(raw or "{}")
        except ValueError:
            return [("arguments", raw)] if raw.strip() else []
    if not isinstance(raw, dict):
        return [] if raw in (None, "", []) else [("arguments", _text(raw))]
    return [(str(key), _text(value)) for key, value in raw.items() if key != "property_id"]


def _tool_calls(item: dict[str, Any]) -> list[dict[str, Any]]:
    calls = item.get("toolCalls") or item.get("tool_calls") or item.get("toolCallList") or []
    if isinstance(calls, dict):
        calls = [calls]
    if not calls and ("function" in item or "toolCallId" in item):
        calls = [item]
    return [call for call in calls if isinstance(call, dict)]


def call_log_transcript_turns(*, call_log: CallLog) -> list[ChatTurn]:
    """The call's conversation as chat turns, tool results folded into their tool call.

    Reads Vapi's `artifact.messages` (vapi-reference.md §3.2) leniently; when there are none, falls
    back to the plain transcript ("AI: ..." / "User: ..." lines).
    """
    items = [m for m in (call_log.messages or []) if isinstance(m, dict)]
    if not items:
        return _turns_from_transcript(call_log.transcript)

    results: dict[str, str] = {}
    for item in items:
        if str(item.get("role", "")).lower() in _RESULT_ROLES and item.get("toolCallId"):
            results[str(item["toolCallId"])] = _text(item.get("result", item.get("message")))

    base_ms = _base_epoch_ms(call_log, items)
    turns: list[ChatTurn] = []
    for item in items:
        role = str(item.get("role", "")).lower()
        seconds = _number(item.get("secondsFromStart"))
        if seconds is None and base_ms is not None:
            epoch_ms = _number(item.get("time"))
            seconds = None if epoch_ms is None else max((epoch_ms - base_ms) / 1000, 0)
        if role in _RESULT_ROLES:
            call_id = str(item.get("toolCallId") or "")
            if call_id and any(call_id == t.id for turn in turns for t in turn.tool_calls):
                continue  # shown under its tool call
            name = str(item.get("name") or "")
            text = _text(item.get("result", item.get("message")))
            turns.append(ChatTurn(kind=TOOL_RESULT, text=text, seconds=seconds, name=name))
            continue
        kind = ROLE_KINDS.get(role, NOTE)
        if kind == TOOL:
            views = []
            for call in _tool_calls(item):
                function = call.get("function") if isinstance(call.get("function"), dict) else call
                name = str(function.get("name") or "")
                call_id = str(call.get("id") or call.get("toolCallId") or "")
                views.append(
                    ToolCallView(
                        id=call_id,
                        name=name,
                        label=TOOL_LABELS.get(name, humanize(name) or "Tool call"),
                        arguments=_arguments(function.get("arguments", function.get("parameters"))),
                        result=results.get(call_id) if call_id else None,
                    )
                )
            turns.append(ChatTurn(kind=TOOL, seconds=seconds, tool_calls=views))
            continue
        text = _text(item.get("message", item.get("content")))
        if text:
            turns.append(ChatTurn(kind=kind, text=text, seconds=seconds, name=role))
    return turns


def _base_epoch_ms(call_log: CallLog, items: list[dict[str, Any]]) -> float | None:
    if call_log.started_at is not None:
        return call_log.started_at.timestamp() * 1000
    times = [t for t in (_number(i.get("time")) for i in items) if t is not None]
    return min(times) if times else None


_TRANSCRIPT_LINE = re.compile(r"^\s*(AI|Assistant|Bot|User|Customer|Caller)\s*:\s*(.*)$", re.I)


def _turns_from_transcript(transcript: str) -> list[ChatTurn]:
    turns: list[ChatTurn] = []
    for line in (transcript or "").splitlines():
        match = _TRANSCRIPT_LINE.match(line)
        if match:
            who = match.group(1).lower()
            kind = ASSISTANT if who in {"ai", "assistant", "bot"} else CALLER
            turns.append(ChatTurn(kind=kind, text=match.group(2).strip()))
        elif line.strip() and turns:
            last = turns[-1]
            turns[-1] = ChatTurn(kind=last.kind, text=f"{last.text} {line.strip()}")
    return turns
