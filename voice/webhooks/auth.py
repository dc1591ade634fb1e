"""Webhook verification, before anything is read or stored (vapi-reference.md §9).

Two modes, chosen by VAPI_WEBHOOK_AUTH_MODE:
- "hmac" (default): Vapi's HMAC credential. `x-signature` = hex HMAC-SHA256 of
  `f"{x-timestamp}.".encode() + raw body` with VAPI_WEBHOOK_SECRET (§9.2 defaults). The timestamp
  may be epoch seconds or milliseconds (§9.2 (a) is undocumented) and must lie within
  VAPI_WEBHOOK_TOLERANCE_SECONDS of our clock, which stops replays of captured deliveries.
- "secret": the static `X-Vapi-Secret` header (§9.1).
Every comparison is constant-time. Nothing here logs a secret, a signature or the body.
"""

import hashlib
import hmac
from collections.abc import Mapping

from django.conf import settings
from django.utils import timezone


class WebhookAuthError(Exception):
    """Verification failed; the message is a reason that is safe to log (no secrets)."""


class WebhookNotConfiguredError(WebhookAuthError):
    """No secret is configured and debug is off: every delivery is refused (see checks.py)."""


AUTH_MODES = ("hmac", "secret")
SECRET_HEADER = "X-Vapi-Secret"  # noqa: S105 - a header name, not a secret


def webhook_request_verify(
    *, headers: Mapping[str, str], body: bytes, now: float | None = None
) -> None:
    """Raise WebhookAuthError unless the delivery is authentic. `headers` is case-insensitive
    (Django's `request.headers`); `body` is the exact raw bytes (never re-serialised: §9.2 (b))."""
    secret: str = settings.VAPI_WEBHOOK_SECRET
    if not secret:
        if settings.DEBUG:
            return  # local development against the simulator; checks.py warns about it
        raise WebhookNotConfiguredError("VAPI_WEBHOOK_SECRET is not set")
    mode = settings.VAPI_WEBHOOK_AUTH_MODE
    if mode == "secret":
        given = headers.get(SECRET_HEADER, "")
        if not given:
            raise WebhookAuthError(f"missing {SECRET_HEADER} header")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            raise WebhookAuthError(f"wrong {SECRET_HEADER}")
        return
    if mode != "hmac":
        raise WebhookNotConfiguredError(f"unknown VAPI_WEBHOOK_AUTH_MODE {mode!r}")

    timestamp = headers.get(settings.VAPI_WEBHOOK_TIMESTAMP_HEADER, "").strip()
    signature = headers.get(settings.VAPI_WEBHOOK_SIGNATURE_HEADER, "").strip().lower()
    if not timestamp or not signature:
        raise WebhookAuthError("missing signature or timestamp header")
    sent_at = _timestamp_seconds(timestamp)
    if sent_at is None:
        raise WebhookAuthError("unreadable timestamp")
    now = timezone.now().timestamp() if now is None else now
    if abs(now - sent_at) > settings.VAPI_WEBHOOK_TOLERANCE_SECONDS:
        raise WebhookAuthError("timestamp outside the allowed window")
    # A GitHub-style "sha256=" prefix is an HMAC-plan option (signaturePrefix, §9.2).
    signature = signature.removeprefix("sha256=")
    expected = webhook_signature(secret=secret, timestamp=timestamp, body=body)
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        raise WebhookAuthError("signature mismatch")


def webhook_signature(*, secret: str, timestamp: str, body: bytes) -> str:
    """Hex HMAC-SHA256 over `{timestamp}.{body}` (the HMAC plan's default payloadFormat)."""
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def _timestamp_seconds(value: str) -> float | None:
    try:
        number = float(value)
    except ValueError:
        return None
    if number != number or number in (float("inf"), float("-inf")) or number <= 0:
        return None
    # Milliseconds (the HELPERS contract) or seconds (also accepted): seconds stay below 1e11
    # until the year 5138.
    return number / 1000 if number > 1e11 else number
