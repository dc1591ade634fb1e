"""The simulator's in-memory world: assistants, calls, phone numbers, faults. One lock guards it.

No Django ORM here (or anywhere in the simulator): it plays Vapi, which has its own storage.
"""

from __future__ import annotations

import copy
import threading
import uuid
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

VapiObject = dict[str, Any]

ORG_ID = "00000000-0000-4000-8000-00000000a91d"
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

    def matches(self, method: str, path: str) -> bool:
        if self.method and self.method.upper() != method:
            return False
        return not (self.path_prefix and not path.startswith(self.path_prefix))


class SimulatorState:
    def __init__(self, *, phone_numbers: tuple[str, ...] = DEMO_PHONE_NUMBERS) -> None:
        self.lock = threading.RLock()
        self._seed_numbers = phone_numbers
        self.assistants: dict[str, VapiObject] = {}
        self.calls: dict[str, VapiObject] = {}
        self.phone_numbers: dict[str, VapiObject] = {}
        self.faults: list[Fault] = []
        # Bounded logs for tests and the demo ("was POST /call sent once?").
        self.requests: deque[tuple[str, str]] = deque(maxlen=5000)
        self.deliveries: deque[VapiObject] = deque(maxlen=5000)
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.assistants.clear()
            self.calls.clear()
            self.phone_numbers.clear()
            self.faults.clear()
            self.requests.clear()
            self.deliveries.clear()
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
