"""The one error model for everything voice: every Vapi failure reaches callers as a VoiceError."""

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
