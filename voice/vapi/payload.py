"""Tolerant reading of Vapi server messages: one place for every payload-shape quirk.

vapi-reference.md §8 (shapes), §8.4 (tool-call arguments as object or JSON string), §10.1 (no
event id: we build a dedupe key), §10.8 (parse leniently: missing fields, new types, new enums).
"""

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def message_call(message: dict[str, Any]) -> dict[str, Any]:
    return _obj(message.get("call"))


def message_call_id(message: dict[str, Any]) -> str:
    call_id = message_call(message).get("id")
    return str(call_id)[:100] if call_id else ""


def message_timestamp(message: dict[str, Any]) -> datetime | None:
    """`message.timestamp` is epoch milliseconds (a number; vapi-reference.md §1)."""
    return epoch_to_datetime(message.get("timestamp"))


def message_customer_number(message: dict[str, Any]) -> str:
    """The caller (inbound) or callee (outbound): `call.customer.number`, else `customer.number`."""
    number = _obj(message_call(message).get("customer")).get("number") or _obj(
        message.get("customer")
    ).get("number")
    return str(number) if number else ""


def message_phone_number(message: dict[str, Any]) -> str:
    """Our Vapi number on the call: `message.phoneNumber.number`, else `call.phoneNumber.number`."""
    number = _obj(message.get("phoneNumber")).get("number") or _obj(
        message_call(message).get("phoneNumber")
    ).get("number")
    return str(number) if number else ""


def call_metadata(call: dict[str, Any], *, assistant: dict[str, Any] | None = None) -> dict:
    """Our ids on a call (HELPERS contract): the assistant config's metadata (`propertyId`,
    `timezone`), overridden per call by `assistantOverrides.metadata` (`leadId`, `propertyId`,
    `assistantId`). vapi-reference.md §10.4: `Call` has no top-level metadata."""
    merged: dict[str, Any] = {}
    for source in (assistant, call.get("assistant")):
        merged.update(_obj(_obj(source).get("metadata")))
    merged.update(_obj(_obj(call.get("assistantOverrides")).get("metadata")))
    return merged


def epoch_to_datetime(value: Any) -> datetime | None:
    """Epoch seconds or milliseconds (told apart by size) to an aware UTC datetime."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    if number != number or number <= 0:  # NaN or nonsense
        return None
    if number > 1e11:  # seconds won't reach 1e11 until the year 5138
        number /= 1000
    try:
        return datetime.fromtimestamp(number, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def iso_to_datetime(value: Any) -> datetime | None:
    """Vapi's ISO 8601 date-times ("2026-01-01T10:00:05.000Z") to aware datetimes."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    arguments: dict[str, Any] = field(default_factory=dict)
    error: str = ""  # set when the arguments could not be read


def tool_calls_parse(message: dict[str, Any]) -> list[ToolCall]:
    """Every tool call in a `tool-calls` (or legacy `function-call`) message, in order.

    Follows the "robust handler" of vapi-reference.md §8.4: `toolCallList`, else
    `toolWithToolCallList[].toolCall`, else `toolCalls`; the function may be wrapped or not;
    arguments may be `arguments` or `parameters`, an object or a JSON string.
    """
    if message.get("type") == "function-call":
        function = _obj(message.get("functionCall"))
        return [_tool_call(function, function)]
    raw = message.get("toolCallList")
    if not isinstance(raw, list) or not raw:
        raw = [_obj(item).get("toolCall") for item in message.get("toolWithToolCallList") or []]
        raw = [item for item in raw if isinstance(item, dict)] or message.get("toolCalls") or []
    return [_tool_call(item, _obj(item.get("function")) or item) for item in raw if _obj(item)]


def _tool_call(item: dict[str, Any], function: dict[str, Any]) -> ToolCall:
    tool_call_id = str(item.get("id") or item.get("toolCallId") or "")
    name = str(function.get("name") or "")
    raw = function.get("arguments", function.get("parameters", {}))
    if isinstance(raw, str):
        try:
            raw = json.loads(raw or "{}")
        except ValueError:
            return ToolCall(tool_call_id, name, {}, "The arguments are not valid JSON.")
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        return ToolCall(tool_call_id, name, {}, "The arguments must be a JSON object.")
    return ToolCall(tool_call_id, name, raw)


class ValueInvalid(ValueError):
    pass


def as_int(value: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueInvalid("must be a whole number")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise ValueInvalid("must be a whole number") from exc
    if number != number.to_integral_value() or number < 0:
        raise ValueInvalid("must be a whole number")
    return int(number)


def as_decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueInvalid("must be a number")
    text = str(value).strip().replace("$", "").replace(",", "")
    try:
        number = Decimal(text)
    except InvalidOperation as exc:
        raise ValueInvalid("must be a number") from exc
    if not number.is_finite() or number < 0:
        raise ValueInvalid("must be a positive number")
    return number.quantize(Decimal("0.01"))


def as_date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    try:
        return date.fromisoformat(str(value).strip()[:10])
    except ValueError as exc:
        raise ValueInvalid("must be a date like 2026-12-01") from exc


def as_bool(value: Any) -> bool | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "yes", "y", "1"):
        return True
    if text in ("false", "no", "n", "0"):
        return False
    raise ValueInvalid("must be true or false")


def as_str(value: Any, *, max_length: int = 255) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        raise ValueInvalid("must be text")
    return " ".join(str(value).split())[:max_length]
