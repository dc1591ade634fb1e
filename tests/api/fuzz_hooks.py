"""Schemathesis hooks for the API fuzz run (tests/api/test_fuzz.py): the rules JSON Schema cannot
state, so that the valid requests schemathesis generates are valid for the API too.

Nothing here relaxes a check: the API still answers every request schemathesis sends, and every
default check judges the answers. These hooks only keep "valid" requests (positive mode) inside
the documented rules that span several fields or need a library to decide:

- a phone number (`format: phone`) is one `phonenumbers` accepts;
- office hours close after they open, and one day's hours do not overlap;
- call metadata has at most 20 keys of 1 to 100 characters, without NUL or lone surrogates
  (OpenAPI 3.0 has no `propertyNames`);
- a campaign ends on or after its start day, and its daily window (both ends or neither) ends
  after it starts;
- an assistant's greetings carry their disclosures (voice/assistants/validation.py: "AI" in the
  inbound one; {legal_name}, "AI" and the opt-out in the outbound one): a generated greeting the
  check refuses becomes blank (the default greeting).
"""

import django
import schemathesis
from hypothesis import strategies as st

django.setup()  # in `st`'s process: the rules come from the product's modules

from django.core.exceptions import ValidationError  # noqa: E402
from django.utils.dateparse import parse_time  # noqa: E402

from properties.serializers import PHONE_FORMAT  # noqa: E402
from voice.api.serializers import METADATA_KEY_LENGTH, METADATA_MAX_KEYS  # noqa: E402
from voice.assistants.validation import DISCLOSURE_VALIDATORS  # noqa: E402

# Valid US numbers (555-01xx and 555-1xxx lines are valid for phonenumbers).
schemathesis.openapi.format(
    PHONE_FORMAT,
    st.builds(
        "+1{}555{:04d}".format,
        st.sampled_from(["415", "503", "212", "312", "617"]),
        st.integers(0, 9999),
    ),
)


@schemathesis.hook
def map_case(context, case):
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or not isinstance(case.body, dict):
        return case
    hours = case.body.get("office_hours")
    if isinstance(hours, list):
        case.body["office_hours"] = _plausible_hours(hours)
    metadata = case.body.get("metadata")
    if isinstance(metadata, dict):
        keys = [key for key in metadata if _storable_key(key)][:METADATA_MAX_KEYS]
        case.body["metadata"] = {key: metadata[key] for key in keys}
    _plausible_campaign(case.body)
    for name, validate in DISCLOSURE_VALIDATORS.items():
        if isinstance(case.body.get(name), str) and not _passes(validate, case.body[name]):
            case.body[name] = ""
    return case


def _passes(validate, value: str) -> bool:
    try:
        validate(value.strip())  # the API trims strings first
    except ValidationError:
        return False
    return True


def _plausible_campaign(body: dict) -> None:
    """Dates in order (swapped when not); a daily window with both ends in order, or none."""
    starts, ends = body.get("starts_on"), body.get("ends_on")
    if isinstance(starts, str) and isinstance(ends, str) and ends < starts:
        body["starts_on"], body["ends_on"] = ends, starts
    if "daily_start" not in body and "daily_end" not in body:
        return
    start = parse_time(str(body.get("daily_start") or "")[:8] or "x")
    end = parse_time(str(body.get("daily_end") or "")[:8] or "x")
    if start is None or end is None or start == end:
        body["daily_start"] = body["daily_end"] = None
    elif end < start:
        body["daily_start"], body["daily_end"] = body["daily_end"], body["daily_start"]


def _plausible_hours(hours: list) -> list:
    """The items that open before they close, without an overlap on the same day."""
    kept: list = []
    for item in hours:
        if not isinstance(item, dict) or not _opens_before_closing(item):
            continue
        if any(
            other["weekday"] == item.get("weekday")
            and _minutes(item["opens_at"]) < _minutes(other["closes_at"])
            and _minutes(other["opens_at"]) < _minutes(item["closes_at"])
            for other in kept
        ):
            continue
        kept.append(item)
    return kept


def _storable_key(key: str) -> bool:
    try:
        key.encode()
    except UnicodeEncodeError:  # a lone surrogate
        return False
    return 1 <= len(key) <= METADATA_KEY_LENGTH and "\x00" not in key


def _opens_before_closing(item: dict) -> bool:
    try:
        return _minutes(item["opens_at"]) < _minutes(item["closes_at"])
    except (KeyError, TypeError, ValueError):
        return True  # not this rule's business: the schema decides


def _minutes(value: str) -> int:
    hours, minutes = value.split(":")[:2]
    return int(hours) * 60 + int(minutes)
