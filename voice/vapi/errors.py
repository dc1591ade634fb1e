"""The one error model for everything voice: every Vapi failure reaches callers as a VoiceError.

Subclasses let callers (and tests) tell *why* without parsing messages; everything outside
`voice/vapi/client.py` may keep catching plain `VoiceError`.

    VoiceError
    ├── VoiceConfigurationError      settings missing (VAPI_API_KEY ...), raised before any request
    ├── VoiceSetupConflictError      this object is not set up for it (no number to call from)
    ├── VapiRequestInvalidError      we refused to send a request Vapi would reject (§10.7)
    ├── VapiUnavailableError         no answer came back (connection refused, reset ...)
    │   └── VapiTimeoutError         ... within the configured connect/read timeouts
    │       └── VapiOutcomeUnknown   a POST was sent, no answer: Vapi may have acted on it
    ├── VapiResponseError            an answer came back but it is not the JSON we expect
    └── VapiAPIError                 Vapi answered with a non-2xx status
        ├── VapiBadRequestError      400: Vapi rejected the body (its messages are in details)
        ├── VapiAuthError            401 / 403
        ├── VapiNotFoundError        404
        ├── VapiConflictError        409 (e.g. deleting an assistant still in use)
        ├── VapiRateLimitedError     429
        └── VapiServerError          5xx
"""

import re
from typing import Any


class VoiceError(Exception):
    """A voice operation failed; `message` is safe to show, `details` explains why.

    `details` may hold the HTTP status, Vapi's error messages, the method and path; never API
    keys, phone numbers or other personal data. The API maps it to 503, admin shows the message,
    commands exit non-zero.
    """

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}

    def __str__(self) -> str:
        return self.message


class VoiceConfigurationError(VoiceError):
    """A setting the voice features need is missing or invalid."""


class VoiceSetupConflictError(VoiceError):
    """The operation needs set-up an object lacks (an assistant with no number to call from):
    the caller's to fix, not Vapi failing, so the API answers 409."""


class VapiRequestInvalidError(VoiceError):
    """The request would break one of Vapi's documented limits, so it was not sent."""


class VapiUnavailableError(VoiceError):
    """Vapi could not be reached (no HTTP answer)."""


class VapiTimeoutError(VapiUnavailableError):
    """Vapi did not answer within the configured timeouts."""


class VapiOutcomeUnknown(VapiTimeoutError):
    """A non-idempotent request (POST) left this machine but no answer came back: a read timeout,
    the connection closed or reset mid-response, a write cut off mid-body. Vapi may have acted on
    it (POST /call: the lead may be ringing), so it must not be repeated blindly.

    `details["outcome"]` is "unknown" and `details["error"]` the httpx exception's name. A
    definite failure (the connection never opened, or any HTTP answer) is never this error.
    """


class CallAlreadyPlacedError(VoiceError):
    """A call whose outcome was unknown turned out to have been placed: the new call is refused
    (the API answers 409 call_already_placed)."""


class VapiResponseError(VoiceError):
    """Vapi answered 2xx with a body we cannot read (not JSON, or not the expected shape)."""


class VapiAPIError(VoiceError):
    """Vapi answered with an error status; `details["status"]` has it."""

    @property
    def status(self) -> int | None:
        return self.details.get("status")


class VapiBadRequestError(VapiAPIError):
    pass


class VapiAuthError(VapiAPIError):
    pass


class VapiNotFoundError(VapiAPIError):
    pass


class VapiConflictError(VapiAPIError):
    pass


class VapiRateLimitedError(VapiAPIError):
    pass


class VapiServerError(VapiAPIError):
    pass


_STATUS_ERRORS: dict[int, type[VapiAPIError]] = {
    400: VapiBadRequestError,
    401: VapiAuthError,
    403: VapiAuthError,
    404: VapiNotFoundError,
    409: VapiConflictError,
    429: VapiRateLimitedError,
}


def api_error_class(status: int) -> type[VapiAPIError]:
    """The VapiAPIError subclass for an HTTP status (Sentry's `ApiError.from_response` idea)."""
    if status >= 500:
        return VapiServerError
    return _STATUS_ERRORS.get(status, VapiAPIError)


# Anything that looks like a phone number (7+ digits, optionally with +, spaces, dots, dashes,
# parentheses). Vapi's validation messages name fields, but we do not rely on that: error text
# ends up in logs, admin and API responses, where personal data must not appear.
_PHONE_LIKE = re.compile(r"\+?\(?\d[\d\s().-]{5,}\d")
_BEARER = re.compile(r"(?i)bearer\s+\S+")


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _redact_phone(match: re.Match[str]) -> str:
    found = match.group(0)
    digits = sum(ch.isdigit() for ch in found)
    if digits < 7 or _ISO_DATE.fullmatch(found.strip()):
        return found
    return "[redacted]"


def redact(text: str, *, limit: int = 300) -> str:
    """Strip phone-number-like digit runs and bearer tokens from text meant for messages/logs."""
    text = _BEARER.sub("Bearer [redacted]", text)
    text = _PHONE_LIKE.sub(_redact_phone, text)
    return text if len(text) <= limit else text[: limit - 1] + "…"
