"""The simulator's in-memory world: assistants, calls, phone numbers, faults. One lock guards it.

No Django ORM here (or anywhere in the simulator): it plays Vapi, which has its own storage.
"""

from __future__ import annotations

import copy
import random
import threading
import uuid
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from voice.simulator.outcomes import OUTCOME_SCENARIOS, pick

VapiObject = dict[str, Any]

ORG_ID = "00000000-0000-4000-8000-00000000a91d"
# Vapi's default call concurrency: 10 slots per org (vapi-reference.md §1, "Rate limits").
DEFAULT_CONCURRENCY_LIMIT = 10
# The endedReason of a call refused for the org's concurrency limit (vapi-reference.md §1).
CONCURRENCY_BLOCKED_REASON = "call.start.error-subscription-concurrency-limit-reached"
# The demo leasing numbers (leads/demo.py), so outbound calls work out of the box.
DEMO_PHONE_NUMBERS = ("+14155550100", "+15125550142")


def now_iso() -> str:
    """Vapi's timestamp format: ISO 8601, milliseconds, `Z` (vapi-reference.md §1)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_iso(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def phone_number_id(number: str) -> str:
    # Stable across restarts, so an id saved in the app keeps working after `make run` restarts.
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"vapi-simulator:{number}"))


@dataclass
class Fault:
    """An injected failure for the next `remaining` matching requests.

    mode "status": answer `status` with Vapi's error body (and Retry-After if given);
    mode "timeout": wait `delay` seconds, then handle the request normally (the client gave up
    long before; a POST /call is then created anyway, exactly like the real thing);
    mode "malformed": answer 200 with a body that is not JSON.
    """

    mode: str = "status"
    status: int = 500
    delay: float = 0.0
    retry_after: str | None = None
    method: str | None = None
    path_prefix: str | None = None
    remaining: int = 1
    message: str = "Simulated failure."  # mode "status": the error body's message

    def matches(self, method: str, path: str) -> bool:
        if self.method and self.method.upper() != method:
            return False
        return not (self.path_prefix and not path.startswith(self.path_prefix))


class SimulatorState:
    def __init__(
        self,
        *,
        phone_numbers: tuple[str, ...] = DEMO_PHONE_NUMBERS,
        outcome_mix: dict[str, float] | None = None,
        outcome_seed: int = 0,
        time_scale: float = 1.0,
        concurrency_limit: int = DEFAULT_CONCURRENCY_LIMIT,
    ) -> None:
        self.lock = threading.RLock()
        self._seed_numbers = phone_numbers
        # What reset() returns to: the settings the simulator was started with (--outcomes,
        # --seed, --time-scale), so a test's or a demo's reset does not drop them.
        self._default_outcomes = (dict(outcome_mix) if outcome_mix else None, outcome_seed)
        self._default_time_scale = time_scale
        self._default_concurrency_limit = concurrency_limit
        # None = today's behaviour: a call without simScenario plays book_tour.
        self.outcome_mix: dict[str, float] | None = None
        self.outcome_seed = outcome_seed
        self._outcome_rng = random.Random(outcome_seed)  # noqa: S311 - simulation, not secrets
        self.outcome_counts: dict[str, int] = {}
        self.time_scale = time_scale
        # Played calls not finished yet, and the most there ever were at once (campaign tests
        # assert the dialler never had more than N calls up).
        self.active_calls: set[str] = set()
        self.peak_active_calls = 0
        # The org's concurrency limit (vapi-reference.md §1): an outbound call placed while
        # this many calls are up is refused (admit_call), and counted in concurrency_blocked.
        self.concurrency_limit = concurrency_limit
        self.concurrency_blocked = 0
        # Outbound calls placed (admitted) per customer number: "no number dialled twice".
        self.dials: dict[str, int] = {}
        # The waits a played call scheduled between its events, after the time scale: tests
        # assert on these instead of on wall-clock time.
        self.waits: deque[tuple[str, float]] = deque(maxlen=5000)
        self.assistants: dict[str, VapiObject] = {}
        self.calls: dict[str, VapiObject] = {}
        self.phone_numbers: dict[str, VapiObject] = {}
        self.credentials: dict[str, VapiObject] = {}  # webhook credentials (§9.2), by id
        self.structured_outputs: dict[str, VapiObject] = {}
        self.faults: list[Fault] = []
        # Bounded logs for tests and the demo ("was POST /call sent once?").
        self.requests: deque[tuple[str, str]] = deque(maxlen=5000)
        self.deliveries: deque[VapiObject] = deque(maxlen=5000)
        # Where calls were transferred: {"callId", "destination"} per transfer dialled.
        self.transfers: deque[VapiObject] = deque(maxlen=5000)
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.assistants.clear()
            self.calls.clear()
            self.phone_numbers.clear()
            self.credentials.clear()
            self.structured_outputs.clear()
            self.faults.clear()
            self.requests.clear()
            self.deliveries.clear()
            self.transfers.clear()
            mix, seed = self._default_outcomes
            self.set_outcomes(mix, seed=seed)
            self.time_scale = self._default_time_scale
            self.active_calls.clear()
            self.peak_active_calls = 0
            self.concurrency_limit = self._default_concurrency_limit
            self.concurrency_blocked = 0
            self.dials.clear()
            self.waits.clear()
            for number in self._seed_numbers:
                self.add_phone_number(number)

    # Phone numbers -----------------------------------------------------------------------------

    def add_phone_number(self, number: str, *, server_url: str | None = None) -> VapiObject:
        stamp = now_iso()
        record: VapiObject = {
            "id": phone_number_id(number),
            "orgId": ORG_ID,
            "provider": "vapi",
            "number": number,
            "name": f"Leasing line {number[-4:]}",
            "status": "active",
            "createdAt": stamp,
            "updatedAt": stamp,
        }
        if server_url:
            record["server"] = {"url": server_url}
        with self.lock:
            self.phone_numbers[record["id"]] = record
        return record

    def phone_number_by_number(self, number: str) -> VapiObject | None:
        with self.lock:
            for record in self.phone_numbers.values():
                if record.get("number") == number:
                    return copy.deepcopy(record)
        return None

    def credential(self, credential_id: str | None) -> VapiObject | None:
        """The stored webhook credential (secret included) a server's credentialId names."""
        with self.lock:
            found = self.credentials.get(credential_id or "")
            return copy.deepcopy(found) if found is not None else None

    # Faults --------------------------------------------------------------------------------------

    def add_fault(self, fault: Fault) -> None:
        with self.lock:
            self.faults.append(fault)

    def take_fault(self, method: str, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.remaining > 0 and fault.matches(method, path):
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self.faults.remove(fault)
                    return fault
        return None

    # Outcome mix, time scale, concurrency ---------------------------------------------------------

    def set_outcomes(self, mix: dict[str, float] | None, *, seed: int | None = None) -> None:
        """Use `mix` (already normalized, outcomes.normalize_mix) for calls without a scenario,
        restarting the seeded draw and the counts; None goes back to always book_tour."""
        with self.lock:
            self.outcome_mix = dict(mix) if mix else None
            if seed is not None:
                self.outcome_seed = seed
            self._outcome_rng = random.Random(self.outcome_seed)  # noqa: S311 - simulation
            self.outcome_counts = {}

    def draw_outcome(self) -> tuple[str, str] | None:
        """The next (outcome, scenario) from the mix, or None with no mix set.

        Drawn under the lock, so the n-th call placed gets the n-th draw of the seeded sequence
        even when calls arrive on several request threads.
        """
        with self.lock:
            if not self.outcome_mix:
                return None
            outcome = pick(self.outcome_mix, self._outcome_rng.random())
            self.outcome_counts[outcome] = self.outcome_counts.get(outcome, 0) + 1
            return outcome, OUTCOME_SCENARIOS[outcome]

    def call_began(self, call_id: str) -> None:
        with self.lock:
            self.active_calls.add(call_id)
            self.peak_active_calls = max(self.peak_active_calls, len(self.active_calls))

    def admit_call(self, call_id: str, *, count: bool = True) -> VapiObject:
        """Take a concurrency slot for outbound call `call_id`, or refuse it; the answer is the
        `subscriptionLimits` of its POST /call response (OAS SubscriptionLimits).

        Check and add happen under one lock hold: the server is threaded, and two requests
        racing for the last slot must not both get it. A refused call is not active and does not
        raise the peak. `count=False` (calls not played, play_calls off) reports the slots
        without taking one: such a call would never give it back.
        """
        with self.lock:
            limit = self.concurrency_limit
            if call_id not in self.active_calls and len(self.active_calls) >= limit:
                self.concurrency_blocked += 1
                return {
                    "concurrencyBlocked": True,
                    "concurrencyLimit": limit,
                    "remainingConcurrentCalls": 0,
                }
            if count:
                self.call_began(call_id)
                active = len(self.active_calls)
            else:
                active = len(self.active_calls) + 1
            return {
                "concurrencyBlocked": False,
                "concurrencyLimit": limit,
                # OAS SubscriptionLimits.remainingConcurrentCalls, read as the slots still free
                # once this call holds one (limit - calls up, this one included).
                "remainingConcurrentCalls": max(0, limit - active),
            }

    def record_dial(self, number: str) -> None:
        with self.lock:
            self.dials[number] = self.dials.get(number, 0) + 1

    def call_finished(self, call_id: str) -> None:
        # discard, not remove: a reset() while the call played already forgot it.
        with self.lock:
            self.active_calls.discard(call_id)

    def scaled_wait(self, call_id: str, seconds: float) -> float:
        """`seconds` of simulated pause compressed by the time scale, and logged (tests)."""
        with self.lock:
            wait = seconds / self.time_scale
            self.waits.append((call_id, wait))
            return wait

    # Logs ----------------------------------------------------------------------------------------

    def record_request(self, method: str, path: str) -> None:
        with self.lock:
            self.requests.append((method, path))

    def count_requests(self, method: str, path: str) -> int:
        with self.lock:
            return sum(1 for entry in self.requests if entry == (method, path))

    def record_delivery(self, entry: VapiObject) -> None:
        with self.lock:
            self.deliveries.append(entry)

    def record_transfer(self, call_id: str, destination: VapiObject) -> None:
        with self.lock:
            self.transfers.append({"callId": call_id, "destination": copy.deepcopy(destination)})

    def transferred_to(self, call_id: str) -> list[str]:
        """The numbers (or SIP URIs) call `call_id` was transferred to, in order."""
        with self.lock:
            return [
                str(entry["destination"].get("number") or entry["destination"].get("sipUri"))
                for entry in self.transfers
                if entry["callId"] == call_id
            ]

    # Calls ---------------------------------------------------------------------------------------

    def save_call(self, call: VapiObject) -> None:
        with self.lock:
            call["updatedAt"] = now_iso()
            self.calls[call["id"]] = copy.deepcopy(call)

    def get_call(self, call_id: str) -> VapiObject | None:
        with self.lock:
            call = self.calls.get(call_id)
            return copy.deepcopy(call) if call is not None else None

    def update_call(self, call_id: str, **changes: Any) -> VapiObject | None:
        with self.lock:
            call = self.calls.get(call_id)
            if call is None:
                return None
            call.update(copy.deepcopy(changes))
            call["updatedAt"] = now_iso()
            return copy.deepcopy(call)

    def seed_calls(
        self,
        count: int,
        *,
        start: datetime,
        step_ms: int = 1000,
        assistant_id: str | None = None,
        phone_number: str = DEMO_PHONE_NUMBERS[0],
    ) -> list[str]:
        """Finished calls spaced `step_ms` apart going back from `start` (for list/paging tests).

        step_ms=0 puts them all in the same millisecond (the paging edge case).
        """
        ids = []
        number_id = phone_number_id(phone_number)
        with self.lock:
            for index in range(count):
                stamp = datetime.fromtimestamp(start.timestamp() - index * step_ms / 1000, tz=UTC)
                created = stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z")
                call_id = str(uuid.uuid4())
                self.calls[call_id] = {
                    "id": call_id,
                    "orgId": ORG_ID,
                    "type": "outboundPhoneCall",
                    "status": "ended",
                    "endedReason": "customer-ended-call",
                    "assistantId": assistant_id,
                    "phoneNumberId": number_id,
                    "customer": {"number": "+12065550100"},
                    "createdAt": created,
                    "updatedAt": created,
                    "cost": 0.05,
                }
                ids.append(call_id)
        return ids

    def seed_finished_calls(
        self,
        count: int,
        *,
        start: datetime,
        step_ms: int = 1000,
        same_ms_every: int = 7,
        assistant_id: str | None = None,
        phone_number: str = DEMO_PHONE_NUMBERS[0],
        callers: int = 50,
        metadata: VapiObject | None = None,
        seed: int = 0,
    ) -> list[str]:
        """`count` finished calls as GET /call returns them after the fact, without playing them:
        artifact (transcript, messages, recordings), analysis, endedReason, cost and costs.

        createdAt goes back from `start` by `step_ms`; every `same_ms_every`-th call shares the
        millisecond of the one before (0 turns that off), the case a pager must not lose at a
        page boundary. Callers come from a pool of `callers` numbers (repeat callers), and
        `metadata` (our leadId/propertyId/assistantId) goes into assistantOverrides. Deterministic
        for a given `seed`. For `sync_calls` tests and its memory benchmark.
        """
        rng = random.Random(seed)  # noqa: S311 - test data, not secrets
        number_id = phone_number_id(phone_number)
        ids: list[str] = []
        offset_ms = 0
        with self.lock:
            for index in range(count):
                if index and not (same_ms_every and index % same_ms_every == 0):
                    offset_ms += step_ms
                call = _finished_call(
                    rng,
                    created_ms=int(start.timestamp() * 1000) - offset_ms,
                    assistant_id=assistant_id,
                    phone_number_id=number_id,
                    caller=f"+1206555{rng.randrange(max(callers, 1)):04d}",
                    metadata=metadata,
                )
                self.calls[call["id"]] = call
                ids.append(call["id"])
        return ids


_ENDED_REASONS = (
    "customer-ended-call",
    "customer-ended-call",
    "assistant-ended-call",
    "silence-timed-out",
    "customer-did-not-answer",
    "voicemail",
)
_LINES = (
    ("bot", "Thanks for calling Harbor View Apartments, how can I help?"),
    ("user", "Hi, do you have any two-bedroom apartments available next month?"),
    ("bot", "We do: unit 312 at $4,250 and unit 315 at $4,350. Would you like a tour?"),
    ("user", "Yes, Tuesday at ten would be great."),
    ("bot", "You're booked for Tuesday at 10 AM. See you then!"),
)


def _iso(epoch_ms: int) -> str:
    moment = datetime.fromtimestamp(epoch_ms / 1000, tz=UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _finished_call(
    rng: random.Random,
    *,
    created_ms: int,
    assistant_id: str | None,
    phone_number_id: str,
    caller: str,
    metadata: VapiObject | None,
) -> VapiObject:
    call_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    reason = rng.choice(_ENDED_REASONS)
    answered = reason not in ("customer-did-not-answer", "voicemail")
    started_ms = created_ms + rng.randrange(2_000, 9_000)
    seconds = rng.randrange(40, 400) if answered else 0
    ended_ms = started_ms + seconds * 1000 + rng.randrange(1000)
    cost = round(seconds / 60 * 0.11, 4)
    call: VapiObject = {
        "id": call_id,
        "orgId": ORG_ID,
        "type": "inboundPhoneCall" if rng.random() < 0.6 else "outboundPhoneCall",
        "status": "ended",
        "endedReason": reason,
        "phoneNumberId": phone_number_id,
        "phoneCallProvider": "vapi",
        "phoneCallTransport": "pstn",
        "customer": {"number": caller},
        "createdAt": _iso(created_ms),
        "updatedAt": _iso(ended_ms + 1500),
        "startedAt": _iso(started_ms),
        "endedAt": _iso(ended_ms),
        "cost": cost,
        "costs": [{"type": "vapi", "subType": "normal", "minutes": seconds / 60, "cost": cost}],
        "artifact": {"transcript": "", "messages": []},
        "analysis": {},
    }
    if assistant_id:
        call["assistantId"] = assistant_id
    if metadata:
        call["assistantOverrides"] = {"metadata": copy.deepcopy(metadata)}
    if answered:
        at = started_ms
        messages = []
        for role, text in _LINES:
            messages.append(
                {
                    "role": role,
                    "message": text,
                    "time": at,
                    "endTime": at + 2500,
                    "secondsFromStart": round((at - started_ms) / 1000, 2),
                    "duration": 2500,
                }
            )
            at += 3000
        base = f"https://storage.vapi.ai/{call_id}"
        call["artifact"] = {
            "transcript": "\n".join(
                f"{'AI' if role == 'bot' else 'User'}: {text}" for role, text in _LINES
            ),
            "messages": messages,
            # As the player's reports: the nested `recording` (OAS Artifact.recording) and the
            # deprecated flat copies Vapi still sends beside it (vapi-reference.md §8.3, §12.16).
            "recordingUrl": f"{base}-mono.wav",
            "stereoRecordingUrl": f"{base}-stereo.wav",
            "recording": {
                "stereoUrl": f"{base}-stereo.wav",
                "mono": {"combinedUrl": f"{base}-mono.wav"},
            },
        }
        call["analysis"] = {
            "summary": "The caller asked about two-bedroom units and booked a tour.",
            "structuredData": {"bedrooms": 2, "tour_interest": True},
            "successEvaluation": rng.choice(("true", "false")),
        }
    return call
