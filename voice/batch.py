"""The result bookkeeping of batch operations behind admin actions and commands (one Result per
item).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.core.exceptions import ValidationError

from voice.vapi.errors import (
    VapiAuthError,
    VapiUnavailableError,
    VoiceConfigurationError,
    VoiceError,
)


class Outcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    CALLED = "called"
    SKIPPED = "skipped"
    FAILED = "failed"


@dataclass(frozen=True)
class Result:
    """What happened to one object. `message` is safe to show to staff (no secrets)."""

    label: str
    outcome: Outcome
    message: str
    obj: Any = None

    @property
    def failed(self) -> bool:
        return self.outcome == Outcome.FAILED


OnResult = Callable[[Result], None]


# Errors that would repeat for every remaining object: stop instead of trying each one.
SYSTEMIC_ERRORS = (VoiceConfigurationError, VapiUnavailableError, VapiAuthError)


NOT_TRIED = "Not tried: {error}"
NOT_PUSHED = "Not on Vapi yet: push it first."


def validation_error_text(exc: ValidationError) -> str:
    return "; ".join(exc.messages)


class Batch:
    """Runs the work for one object after another, one Result each; after a systemic error the
    remaining objects are reported as not tried."""

    def __init__(self, on_result: OnResult | None) -> None:
        self.results: list[Result] = []
        self.stopped_by: VoiceError | None = None
        self._on_result = on_result

    def add(self, result: Result) -> None:
        self.results.append(result)
        if self._on_result is not None:
            self._on_result(result)

    def run(self, item: Any, label: str, work: Callable[[], Result]) -> None:
        if self.stopped_by is not None:
            self.add(Result(label, Outcome.SKIPPED, NOT_TRIED.format(error=self.stopped_by), item))
            return
        try:
            result = work()
        except VoiceError as exc:
            result = Result(label, Outcome.FAILED, str(exc), item)
            if isinstance(exc, SYSTEMIC_ERRORS):
                self.stopped_by = exc
        except ValidationError as exc:
            result = Result(label, Outcome.FAILED, validation_error_text(exc), item)
        self.add(result)
