"""E.164 phone numbers: one parser and one model field, used by every app."""

from typing import Any

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

PHONE_INVALID = "Enter a valid phone number in E.164 format, for example +14155550100."


def phone_normalize(value: str, *, region: str | None = None) -> str:
    """Return `value` in E.164 (`+14155550100`), or raise ValidationError.

    Numbers without a country code are read in PHONE_DEFAULT_REGION (US by default), so
    "(415) 555-0100" typed by a leasing agent is accepted and stored as "+14155550100".
    """
    raw = (value or "").strip()
    if not raw:
        raise ValidationError(PHONE_INVALID, code="invalid_phone")
    try:
        parsed = phonenumbers.parse(raw, region or getattr(settings, "PHONE_DEFAULT_REGION", "US"))
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(PHONE_INVALID, code="invalid_phone") from exc
    if not phonenumbers.is_valid_number(parsed):
        raise ValidationError(PHONE_INVALID, code="invalid_phone")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def phone_normalize_or_none(value: str | None) -> str | None:
    """Lenient variant for data from outside (webhooks): a bad number becomes None."""
    try:
        return phone_normalize(value or "")
    except ValidationError:
        return None


class PhoneNumberField(models.CharField):
    """A CharField that validates and stores E.164; blank stays blank when allowed."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 16)
        super().__init__(*args, **kwargs)

    def to_python(self, value: Any) -> Any:
        value = super().to_python(value)
        if value in (None, ""):
            return value
        return phone_normalize(value)
