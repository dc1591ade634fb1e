"""Outcome mixes for outbound calls placed without an explicit scenario (campaign rehearsals).

A real dialling campaign reaches some people, rings out on others, hits busy lines and
voicemail boxes. The mix says in which proportions the simulator plays those outcomes; each
outcome is played by a scenario (scenarios.py) ending with the `endedReason` Vapi documents for
it (see ../shared/vapi-reference.md §3.3; the project never reads that file at run time, so the
strings live here and in scenarios.py):

    answered  -> book_tour   ends "customer-ended-call" (a conversation took place)
    no_answer -> no_answer   ends "customer-did-not-answer"
    busy      -> busy        ends "customer-busy"
    voicemail -> voicemail   ends "voicemail"
"""

from __future__ import annotations

import math
from collections.abc import Mapping

# Fixed order: the seeded draw walks the outcomes in this order, so the same seed gives the same
# outcomes whatever order a client listed the mix's keys in.
OUTCOME_SCENARIOS: dict[str, str] = {
    "answered": "book_tour",
    "no_answer": "no_answer",
    "busy": "busy",
    "voicemail": "voicemail",
}
OUTCOMES: tuple[str, ...] = tuple(OUTCOME_SCENARIOS)


class OutcomeMixError(ValueError):
    """A mix the simulator cannot use; the message says why (it is sent back as the 400's)."""


def normalize_mix(raw: object) -> dict[str, float]:
    """Validate `raw` ({outcome: weight}) and scale its weights to sum to 1.

    Weights are relative (60/30/10 works as well as 0.6/0.3/0.1); outcomes left out get 0.
    """
    if not isinstance(raw, Mapping) or not raw:
        raise OutcomeMixError(
            f"mix must be a non-empty object of outcome weights ({', '.join(OUTCOMES)})."
        )
    unknown = sorted(str(key) for key in raw if key not in OUTCOME_SCENARIOS)
    if unknown:
        raise OutcomeMixError(
            f"mix has unknown outcome(s) {', '.join(unknown)}; known: {', '.join(OUTCOMES)}."
        )
    weights: dict[str, float] = {}
    for key, value in raw.items():
        # bool is an int in Python, but `true` as a weight is a client bug, not 1.
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise OutcomeMixError(f"mix weight for {key} must be a number.")
        if not math.isfinite(value) or value < 0:
            raise OutcomeMixError(f"mix weight for {key} must be a finite number >= 0.")
        weights[str(key)] = float(value)
    total = sum(weights.values())
    if total <= 0:
        raise OutcomeMixError("mix weights must sum to more than 0.")
    return {outcome: weights.get(outcome, 0.0) / total for outcome in OUTCOMES}


def parse_mix_text(text: str) -> dict[str, float]:
    """The command line's form, "answered=0.5,no_answer=0.3,busy=0.1", normalized."""
    raw: dict[str, float] = {}
    for part in (piece.strip() for piece in text.split(",")):
        if not part:
            continue
        key, sep, value = part.partition("=")
        if not sep:
            raise OutcomeMixError(f"expected outcome=weight, got {part!r}.")
        try:
            raw[key.strip()] = float(value)
        except ValueError as exc:
            raise OutcomeMixError(f"mix weight for {key.strip()} must be a number.") from exc
    return normalize_mix(raw)


def pick(mix: Mapping[str, float], draw: float) -> str:
    """The outcome a uniform `draw` in [0, 1) lands on, walking OUTCOMES in order."""
    cumulative = 0.0
    last = OUTCOMES[0]
    for outcome in OUTCOMES:
        weight = mix.get(outcome, 0.0)
        if weight <= 0:
            continue
        last = outcome
        cumulative += weight
        if draw < cumulative:
            return outcome
    return last  # rounding left the cumulative sum a hair under 1


def validate_time_scale(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise OutcomeMixError("timeScale must be a number.")
    if not math.isfinite(value) or value <= 0:
        raise OutcomeMixError("timeScale must be a finite number > 0.")
    return float(value)


def validate_concurrency_limit(value: object) -> int:
    """The org's concurrent call slots (vapi-reference.md §1; Vapi's default is 10)."""
    # bool is an int in Python, but `true` as a limit is a client bug, not 1.
    if isinstance(value, bool) or not isinstance(value, int):
        raise OutcomeMixError("concurrencyLimit must be an integer.")
    if value < 1:
        raise OutcomeMixError("concurrencyLimit must be a positive integer (at least 1).")
    return value
