"""A fake Vapi API as a plain WSGI app (vapi-reference.md §1-§3, §7).

Shapes and status codes follow Vapi: 201 on POST, JSON arrays for lists, 404/400/401 with the
NestJS error body `{statusCode, error, message}`, strict body validation (validation.py), and
webhook credentials (`/credential`, vapi-reference.md §9.2; in real-Vapi mode only they sign).
After POST /call (or an inbound call started through the control endpoint) a background thread
plays the call and sends the webhooks Vapi would send (player.py).

Control endpoints (not Vapi's; same bearer key), for tests, demos and `simulate_inbound_call`:
    POST /_simulator/inbound  {"to": "+1...", "from": "+1...", "scenario": "book_tour"}
    POST /_simulator/faults   {"mode": "status"|"timeout"|"malformed", "status": 500, "count": 1,
                               "delay": 0, "retryAfter": "2", "method": "GET", "path": "/call",
                               "message": "Simulated failure."}
    POST /_simulator/seed-calls {"count": 5000, "start": "2026-01-01T00:00:00Z", "stepMs": 1000,
                               "sameMsEvery": 7, "assistantId": "...", "metadata": {...}}
                              finished calls held without playing them (sync_calls, benchmarks)
    POST /_simulator/outcomes {"mix": {"answered": 0.5, "no_answer": 0.3, "busy": 0.1,
                               "voicemail": 0.1} | null, "seed": 7, "timeScale": 60,
                               "concurrencyLimit": 10}
                              outcomes of outbound calls without simScenario (outcomes.py), how
                              much faster than real time calls play, and the org's concurrent
                              call slots (vapi-reference.md §1; a POST /call over the limit
                              answers 201 with a call already ended for the limit)
    POST /_simulator/reset
    GET  /_simulator/state    request counts, webhook deliveries, the transfers dialled, outcome
                              counts, calls in progress and their peak, the time scale, the
                              concurrency limit and the calls it refused, repeat dials
"""

from __future__ import annotations

import copy
import io
import json
import logging
import struct
import threading
import time
import uuid
import wave
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

from voice.simulator import validation
from voice.simulator.outcomes import (
    OutcomeMixError,
    normalize_mix,
    validate_concurrency_limit,
    validate_time_scale,
)
from voice.simulator.playback import CallPlayer
from voice.simulator.scenarios import CONCURRENCY_BLOCKED, SCENARIOS
from voice.simulator.state import (
    CONCURRENCY_BLOCKED_REASON,
    DEFAULT_CONCURRENCY_LIMIT,
    ORG_ID,
    Fault,
    SimulatorState,
    VapiObject,
    now_iso,
    parse_iso,
)

logger = logging.getLogger("voice.simulator")

StartResponse = Callable[..., Any]

HTTP_REASONS = {
    200: "OK",
    201: "Created",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    409: "Conflict",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}

LIST_FILTERS = (
    "limit",
    "createdAtGt",
    "createdAtLt",
    "createdAtGe",
    "createdAtLe",
    "updatedAtGt",
    "updatedAtLt",
    "updatedAtGe",
    "updatedAtLe",
)
CALL_FILTERS = (*LIST_FILTERS, "id", "assistantId", "phoneNumberId")
# OAS GET /structured-output query parameters.
STRUCTURED_OUTPUT_FILTERS = (*LIST_FILTERS, "id", "name", "page", "sortOrder", "sortBy")


@dataclass
class SimulatorConfig:
    api_key: str = "simulator-key"
    # The org-level server URL (vapi-reference.md §8.1): where assistant-request and messages of
    # calls without an assistant server go.
    webhook_url: str = "http://127.0.0.1:8000/api/v1/voice/webhook"
    webhook_secret: str = "simulator-secret"  # noqa: S105 - the documented simulator value
    webhook_auth_mode: str = "hmac"  # "hmac" | "secret" (HELPERS.md webhook auth contract)
    message_delay: float = 0.0  # seconds between webhook messages of a played call
    webhook_timeout: float = 20.0
    public_url: str = "http://127.0.0.1:8001"  # for recording URLs
    play_calls: bool = True
    # "Real Vapi" mode: sign a delivery only when the server it goes to (tool, assistant, phone
    # number) has a credentialId naming an HMAC or bearer credential made through /credential,
    # with that credential's plan, and send it unsigned otherwise, as Vapi does
    # (vapi-reference.md §9.2). Off (the default, `make run`): every delivery is signed with
    # webhook_secret per webhook_auth_mode.
    real_vapi: bool = False
    # OAS Assistant.latestVersion on every assistant answer (vapi-reference.md §12.14): None is
    # an org not onboarded to versioning; a label like "v3" plays a versioned org.
    assistant_latest_version: str | None = None
    # Campaign rehearsals (outcomes.py): the outcome mix of outbound calls placed without
    # simScenario (None = always book_tour, as before), its seed, and the time scale (1.0 = the
    # message_delay pauses as given; 60 = sixty times faster). Startup values; the
    # /_simulator/outcomes control endpoint changes them until the next reset.
    outcome_mix: dict[str, float] | None = None
    outcome_seed: int = 0
    time_scale: float = 1.0
    # The org's concurrent call slots (vapi-reference.md §1: Vapi's default is 10). An outbound
    # POST /call placed while this many calls are up is refused for the limit. Startup value;
    # /_simulator/outcomes {"concurrencyLimit": n} changes it until the next reset.
    concurrency_limit: int = DEFAULT_CONCURRENCY_LIMIT


class HttpError(Exception):
    def __init__(self, status: int, message: str | list[str]) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def error_body(status: int, message: str | list[str]) -> VapiObject:
    """NestJS's default error shape (vapi-reference.md §1)."""
    return {"message": message, "error": HTTP_REASONS.get(status, "Error"), "statusCode": status}


class VapiSimulator:
    """The WSGI application. `state` is public so in-process tests can seed and inspect it."""

    def __init__(self, config: SimulatorConfig | None = None) -> None:
        self.config = config or SimulatorConfig()
        mix = self.config.outcome_mix
        self.state = SimulatorState(
            # Normalized here too: a config built in code may give relative weights (60/40).
            outcome_mix=normalize_mix(mix) if mix else None,
            outcome_seed=self.config.outcome_seed,
            time_scale=self.config.time_scale,
            concurrency_limit=validate_concurrency_limit(self.config.concurrency_limit),
        )
        self._players: list[threading.Thread] = []
        # How a played call pauses; tests may swap it to run scaled waits without sleeping.
        self.sleep: Callable[[float], None] = time.sleep

    # WSGI ----------------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET").upper()
        path = environ.get("PATH_INFO", "/") or "/"
        if path.startswith("/recordings/") and method == "GET":
            return self._recording(start_response)
        self.state.record_request(method, path)
        if environ.get("HTTP_AUTHORIZATION", "") != f"Bearer {self.config.api_key}":
            # Vapi answers 401 before looking at the route or the body.
            return self._respond(start_response, 401, error_body(401, "Invalid Key."))
        fault = self.state.take_fault(method, path)
        if fault is not None:
            if fault.mode == "timeout":
                time.sleep(fault.delay)
            elif fault.mode == "malformed":
                return self._raw(start_response, 200, b'{"id": "truncated', "application/json")
            else:
                headers = [("Retry-After", fault.retry_after)] if fault.retry_after else []
                body = error_body(fault.status, fault.message)
                return self._respond(start_response, fault.status, body, headers)
        try:
            query = {k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
            status, body = self._route(method, path, query, environ)
        except HttpError as exc:
            status, body = exc.status, error_body(exc.status, exc.message)
        except Exception:  # the simulator must answer like a server, not crash the thread
            logger.exception("simulator error on %s %s", method, path)
            status, body = 500, error_body(500, "Internal server error")
        return self._respond(start_response, status, body)

    def _route(
        self, method: str, path: str, query: dict[str, str], environ: dict[str, Any]
    ) -> tuple[int, Any]:
        parts = [part for part in path.split("/") if part]
        handlers: dict[tuple[str, str, int], Callable[..., tuple[int, Any]]] = {
            ("POST", "assistant", 1): lambda: self.create_assistant(self._body(environ)),
            ("GET", "assistant", 1): lambda: self.list_assistants(query),
            ("GET", "assistant", 2): lambda: self.get_assistant(parts[1]),
            ("PATCH", "assistant", 2): lambda: self.update_assistant(parts[1], self._body(environ)),
            ("DELETE", "assistant", 2): lambda: self.delete_assistant(parts[1]),
            ("POST", "call", 1): lambda: self.create_call(self._body(environ)),
            ("GET", "call", 1): lambda: self.list_calls(query),
            ("GET", "call", 2): lambda: self.get_call(parts[1]),
            ("DELETE", "call", 2): lambda: self.delete_call(parts[1]),
            ("GET", "phone-number", 1): lambda: self.list_phone_numbers(query),
            ("GET", "phone-number", 2): lambda: self.get_phone_number(parts[1]),
            ("PATCH", "phone-number", 2): lambda: self.update_phone_number(
                parts[1], self._body(environ)
            ),
            ("POST", "credential", 1): lambda: self.create_credential(self._body(environ)),
            ("GET", "credential", 1): lambda: self.list_credentials(query),
            ("GET", "credential", 2): lambda: self.get_credential(parts[1]),
            ("PATCH", "credential", 2): lambda: self.update_credential(
                parts[1], self._body(environ)
            ),
            **self._structured_output_routes(parts, query, environ),
        }
        if parts and parts[0] == "_simulator" and len(parts) == 2:
            return self._control(method, parts[1], environ)
        handler = handlers.get((method, parts[0] if parts else "", len(parts)))
        if handler is None:
            raise HttpError(404, f"Cannot {method} {path}")
        return handler()

    def _body(self, environ: dict[str, Any]) -> Any:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        raw = environ["wsgi.input"].read(length) if length else b""
        if not raw:
            return {}
        try:
            return json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise HttpError(400, f"Unexpected token in JSON at position {exc.pos}") from exc

    @staticmethod
    def _respond(
        start_response: StartResponse,
        status: int,
        body: Any,
        headers: list[tuple[str, str]] | None = None,
    ) -> list[bytes]:
        data = json.dumps(body).encode()
        start_response(
            f"{status} {HTTP_REASONS.get(status, 'Status')}",
            [
                ("Content-Type", "application/json; charset=utf-8"),
                ("Content-Length", str(len(data))),
                *(headers or []),
            ],
        )
        return [data]

    @staticmethod
    def _raw(start_response: StartResponse, status: int, data: bytes, ctype: str) -> list[bytes]:
        start_response(
            f"{status} {HTTP_REASONS.get(status, 'Status')}",
            [("Content-Type", ctype), ("Content-Length", str(len(data)))],
        )
        return [data]

    def _recording(self, start_response: StartResponse) -> list[bytes]:
        """One second of silence, so recording links in the admin open something."""
        buffer = io.BytesIO()
        with wave.open(buffer, "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(8000)
            out.writeframes(struct.pack("<h", 0) * 8000)
        return self._raw(start_response, 200, buffer.getvalue(), "audio/wav")

    # Assistants (vapi-reference.md §4) ------------------------------------------------------------

    def create_assistant(self, body: Any) -> tuple[int, Any]:
        self._validate(validation.validate_assistant(body))
        self._check_structured_output_ids(body)
        stamp = now_iso()
        assistant = {
            **copy.deepcopy(body),
            "id": str(uuid.uuid4()),
            "orgId": ORG_ID,
            "createdAt": stamp,
            "updatedAt": stamp,
            "latestVersion": self.config.assistant_latest_version,
        }
        with self.state.lock:
            self.state.assistants[assistant["id"]] = assistant
        return 201, assistant

    def list_assistants(self, query: dict[str, str]) -> tuple[int, Any]:
        limit = self._list_params(query, LIST_FILTERS)
        with self.state.lock:
            items = copy.deepcopy(list(self.state.assistants.values()))
        return 200, self._filter_sorted(items, query)[:limit]

    def get_assistant(self, assistant_id: str) -> tuple[int, Any]:
        with self.state.lock:
            assistant = self.state.assistants.get(assistant_id)
            if assistant is None:
                raise HttpError(404, "Couldn't Find Assistant.")
            return 200, copy.deepcopy(assistant)

    def update_assistant(self, assistant_id: str, body: Any) -> tuple[int, Any]:
        self._validate(validation.validate_assistant(body))
        self._check_structured_output_ids(body)
        with self.state.lock:
            assistant = self.state.assistants.get(assistant_id)
            if assistant is None:
                raise HttpError(404, "Couldn't Find Assistant.")
            # vapi-reference.md §2: top-level keys replace (a sent `model` replaces the model).
            assistant.update(copy.deepcopy(body))
            assistant["updatedAt"] = now_iso()
            assistant["latestVersion"] = self.config.assistant_latest_version
            return 200, copy.deepcopy(assistant)

    def delete_assistant(self, assistant_id: str) -> tuple[int, Any]:
        with self.state.lock:
            assistant = self.state.assistants.pop(assistant_id, None)
        if assistant is None:
            raise HttpError(404, "Couldn't Find Assistant.")
        return 200, assistant

    # Calls (vapi-reference.md §3) -----------------------------------------------------------------

    def create_call(self, body: Any) -> tuple[int, Any]:
        self._validate(validation.validate_call(body))
        with self.state.lock:
            assistant_id = body.get("assistantId")
            if assistant_id and assistant_id not in self.state.assistants:
                raise HttpError(
                    400, f"Couldn't Get Assistant. `assistantId` {assistant_id} Does Not Exist."
                )
            number_id = body.get("phoneNumberId")
            if number_id and number_id not in self.state.phone_numbers:
                raise HttpError(
                    400, f"Couldn't Get Phone Number. `phoneNumberId` {number_id} Does Not Exist."
                )
        if body.get("customers") or body.get("customerId") or body.get("schedulePlan"):
            raise HttpError(400, "The simulator only plays single, immediate calls to `customer`.")
        call = self._new_call(
            call_type="outboundPhoneCall",
            assistant_id=assistant_id,
            phone_number_id=number_id,
            customer=body["customer"],
            assistant_overrides=body.get("assistantOverrides"),
            name=body.get("name"),
            transient_assistant=body.get("assistant"),
        )
        # vapi-reference.md §1 (DOCS:calls/call-concurrency) and OAS SubscriptionLimits: every
        # POST /call response carries the org's concurrency figures. The slot is taken (or
        # refused) atomically under the state's lock: the server answers on several threads.
        limits = self.state.admit_call(call["id"], count=self.config.play_calls)
        if limits["concurrencyBlocked"]:
            return 201, {**self._refuse_for_concurrency(call), "subscriptionLimits": limits}
        self.state.record_dial(str(body["customer"].get("number") or ""))
        metadata = (body.get("assistantOverrides") or {}).get("metadata") or {}
        # An explicit simScenario wins; otherwise the outcome mix, when one is set, decides
        # (answered, no answer, busy, voicemail), and without one every call is answered.
        scenario = metadata.get("simScenario")
        if not scenario:
            drawn = self.state.draw_outcome()
            scenario = drawn[1] if drawn else "book_tour"
        self._play(call["id"], scenario, inbound=False, begin=False)  # admit_call took the slot
        return 201, {**call, "subscriptionLimits": limits}

    def _refuse_for_concurrency(self, call: VapiObject) -> VapiObject:
        """A start refused for the concurrency limit: the call is over before it began.

        vapi-reference.md §1: "A blocked start ends with endedReason =
        call.start.error-subscription-concurrency-limit-reached". The docs do not say whether
        POST /call then answers 201 with that ended call or an error status; the simulator plays
        the 201 reading (our client maps a 400 to VapiBadRequestError either way, see
        tests/voice/vapi/test_client.py). The call takes no slot, draws no outcome, and its
        status-update "ended" and end-of-call-report are sent like any ended call's.
        """
        ended = self.state.update_call(
            call["id"],
            status="ended",
            endedReason=CONCURRENCY_BLOCKED_REASON,
            endedAt=now_iso(),
            cost=0,
        )
        self._play(call["id"], CONCURRENCY_BLOCKED, inbound=False, begin=False)
        return ended or call

    def _new_call(
        self,
        *,
        call_type: str,
        assistant_id: str | None,
        phone_number_id: str | None,
        customer: VapiObject,
        assistant_overrides: VapiObject | None = None,
        name: str | None = None,
        transient_assistant: VapiObject | None = None,
    ) -> VapiObject:
        stamp = now_iso()
        call: VapiObject = {
            "id": str(uuid.uuid4()),
            "orgId": ORG_ID,
            "type": call_type,
            "status": "queued",
            "createdAt": stamp,
            "updatedAt": stamp,
            "phoneNumberId": phone_number_id,
            "phoneCallProvider": "vapi",
            "phoneCallTransport": "pstn",
            "customer": copy.deepcopy(customer),
        }
        if assistant_id:
            call["assistantId"] = assistant_id
        if transient_assistant:
            call["assistant"] = copy.deepcopy(transient_assistant)
        if assistant_overrides:
            call["assistantOverrides"] = copy.deepcopy(assistant_overrides)
        if name:
            call["name"] = name
        self.state.save_call(call)
        return self.state.get_call(call["id"]) or call

    def list_calls(self, query: dict[str, str]) -> tuple[int, Any]:
        limit = self._list_params(query, CALL_FILTERS)
        with self.state.lock:
            items = [
                call
                for call in self.state.calls.values()
                if all(
                    call.get(key) == query[key]
                    for key in ("id", "assistantId", "phoneNumberId")
                    if key in query
                )
            ]
            items = copy.deepcopy(self._filter_sorted(items, query)[:limit])
        return 200, items

    def get_call(self, call_id: str) -> tuple[int, Any]:
        call = self.state.get_call(call_id)
        if call is None:
            raise HttpError(404, "Couldn't Find Call.")
        return 200, call

    def delete_call(self, call_id: str) -> tuple[int, Any]:
        # vapi-reference.md §1-§2: 200 with the deleted call; 404 for an unknown one. The 503
        # Vapi answers when recordings could not be erased comes from an injected fault.
        with self.state.lock:
            call = self.state.calls.pop(call_id, None)
        if call is None:
            raise HttpError(404, "Couldn't Find Call.")
        return 200, call

    # Phone numbers (vapi-reference.md §7) ---------------------------------------------------------

    def list_phone_numbers(self, query: dict[str, str]) -> tuple[int, Any]:
        limit = self._list_params(query, LIST_FILTERS)
        with self.state.lock:
            items = copy.deepcopy(list(self.state.phone_numbers.values()))
        return 200, self._filter_sorted(items, query)[:limit]

    def get_phone_number(self, number_id: str) -> tuple[int, Any]:
        with self.state.lock:
            record = self.state.phone_numbers.get(number_id)
            if record is None:
                raise HttpError(404, "Couldn't Find Phone Number.")
            return 200, copy.deepcopy(record)

    def update_phone_number(self, number_id: str, body: Any) -> tuple[int, Any]:
        self._validate(validation.validate_phone_number_update(body))
        with self.state.lock:
            record = self.state.phone_numbers.get(number_id)
            if record is None:
                raise HttpError(404, "Couldn't Find Phone Number.")
            record.update(copy.deepcopy(body))
            record["updatedAt"] = now_iso()
            return 200, copy.deepcopy(record)

    # Webhook credentials (vapi-reference.md §9.2; the path is not in the public OAS) -----------

    @staticmethod
    def _public_credential(record: VapiObject) -> VapiObject:
        """What the API answers: the plan without its secret. Whether Vapi echoes secretKey is
        undocumented, so the product must never rely on reading it back."""
        shown = copy.deepcopy(record)
        plan = shown.get("authenticationPlan") or {}
        for secret in ("secretKey", "token", "clientSecret"):
            if secret in plan:
                plan[secret] = "[REDACTED]"
        return shown

    def create_credential(self, body: Any) -> tuple[int, Any]:
        self._validate(validation.validate_credential(body, create=True))
        stamp = now_iso()
        record = {
            **copy.deepcopy(body),
            "id": str(uuid.uuid4()),
            "orgId": ORG_ID,
            "createdAt": stamp,
            "updatedAt": stamp,
            "authenticationSession": {},
        }
        with self.state.lock:
            self.state.credentials[record["id"]] = record
        return 201, self._public_credential(record)

    def list_credentials(self, query: dict[str, str]) -> tuple[int, Any]:
        limit = self._list_params(query, LIST_FILTERS)
        with self.state.lock:
            items = [self._public_credential(c) for c in self.state.credentials.values()]
        return 200, self._filter_sorted(items, query)[:limit]

    def get_credential(self, credential_id: str) -> tuple[int, Any]:
        record = self.state.credential(credential_id)
        if record is None:
            raise HttpError(404, "Couldn't Find Credential.")
        return 200, self._public_credential(record)

    def update_credential(self, credential_id: str, body: Any) -> tuple[int, Any]:
        self._validate(validation.validate_credential(body, create=False))
        with self.state.lock:
            record = self.state.credentials.get(credential_id)
            if record is None:
                raise HttpError(404, "Couldn't Find Credential.")
            record.update(copy.deepcopy(body))
            record["updatedAt"] = now_iso()
            return 200, self._public_credential(record)

    # Structured outputs (vapi-reference.md §12.4) ------------------------------------------------

    def _structured_output_routes(
        self, parts: list[str], query: dict[str, str], environ: dict[str, Any]
    ) -> dict[tuple[str, str, int], Callable[..., tuple[int, Any]]]:
        name = "structured-output"

        def body() -> Any:
            return self._body(environ)

        return {
            ("POST", name, 1): lambda: self.create_structured_output(body()),
            ("GET", name, 1): lambda: self.list_structured_outputs(query),
            ("GET", name, 2): lambda: self.get_structured_output(parts[1]),
            ("PATCH", name, 2): lambda: self.update_structured_output(parts[1], body(), query),
            ("DELETE", name, 2): lambda: self.delete_structured_output(parts[1]),
        }

    def create_structured_output(self, body: Any) -> tuple[int, Any]:
        self._validate(validation.validate_structured_output(body, create=True))
        stamp = now_iso()
        output = {
            "type": "ai",
            **copy.deepcopy(body),
            "id": str(uuid.uuid4()),
            "orgId": ORG_ID,
            "createdAt": stamp,
            "updatedAt": stamp,
        }
        with self.state.lock:
            self.state.structured_outputs[output["id"]] = output
        return 201, output

    def list_structured_outputs(self, query: dict[str, str]) -> tuple[int, Any]:
        """OAS StructuredOutputPaginatedResponse: `{results, metadata}`, not a bare array."""
        limit = self._list_params(query, STRUCTURED_OUTPUT_FILTERS)
        with self.state.lock:
            items = [
                output
                for output in self.state.structured_outputs.values()
                if all(output.get(key) == query[key] for key in ("id", "name") if key in query)
            ]
            items = copy.deepcopy(self._filter_sorted(items, query))
        if query.get("sortOrder") == "ASC":
            items.reverse()
        results = items[:limit]
        metadata = {"itemsPerPage": limit, "totalItems": len(items), "currentPage": 1}
        return 200, {"results": results, "metadata": metadata}

    def get_structured_output(self, output_id: str) -> tuple[int, Any]:
        with self.state.lock:
            output = self.state.structured_outputs.get(output_id)
            if output is None:
                raise HttpError(404, "Couldn't Find Structured Output.")
            return 200, copy.deepcopy(output)

    def update_structured_output(
        self, output_id: str, body: Any, query: dict[str, str]
    ) -> tuple[int, Any]:
        self._validate(validation.validate_structured_output(body, create=False))
        with self.state.lock:
            output = self.state.structured_outputs.get(output_id)
            if output is None:
                raise HttpError(404, "Couldn't Find Structured Output.")
            # vapi-reference.md §12.4: changing the schema needs ?schemaOverride=true.
            schema_changed = "schema" in body and body["schema"] != output.get("schema")
            if schema_changed and query.get("schemaOverride") != "true":
                raise HttpError(
                    400, "Changing the schema of a structured output needs schemaOverride=true."
                )
            output.update(copy.deepcopy(body))
            output["updatedAt"] = now_iso()
            return 200, copy.deepcopy(output)

    def delete_structured_output(self, output_id: str) -> tuple[int, Any]:
        with self.state.lock:
            output = self.state.structured_outputs.pop(output_id, None)
        if output is None:
            raise HttpError(404, "Couldn't Find Structured Output.")
        return 200, output

    def _check_structured_output_ids(self, body: Any) -> None:
        """An assistant may only reference outputs that exist (artifactPlan.structuredOutputIds)."""
        plan = body.get("artifactPlan") if isinstance(body, dict) else None
        ids = plan.get("structuredOutputIds") if isinstance(plan, dict) else None
        with self.state.lock:
            missing = [i for i in ids or [] if i not in self.state.structured_outputs]
        if missing:
            raise HttpError(400, f"Couldn't Find Structured Output(s): {', '.join(missing)}.")

    # Shared list handling -------------------------------------------------------------------------

    @staticmethod
    def _list_params(query: dict[str, str], allowed: tuple[str, ...]) -> int:
        errors = [f"property {key} should not exist" for key in query if key not in allowed]
        for key in query:
            if key.startswith(("createdAt", "updatedAt")) and key in allowed:
                try:
                    parse_iso(query[key])
                except ValueError:
                    errors.append(f"{key} must be a valid ISO 8601 date string")
        limit = 100
        if "limit" in query:
            try:
                limit = int(query["limit"])
            except ValueError:
                errors.append("limit must be a number conforming to the specified constraints")
            else:
                if not 0 <= limit <= 1000:
                    errors.append("limit must not be greater than 1000 or less than 0")
        if errors:
            raise HttpError(400, errors)
        return limit

    @staticmethod
    def _filter_sorted(items: list[VapiObject], query: dict[str, str]) -> list[VapiObject]:
        checks = {"Gt": lambda a, b: a > b, "Lt": lambda a, b: a < b}
        checks.update({"Ge": lambda a, b: a >= b, "Le": lambda a, b: a <= b})
        for key, value in query.items():
            for field in ("createdAt", "updatedAt"):
                suffix = key.removeprefix(field)
                if key.startswith(field) and suffix in checks:
                    bound, compare = parse_iso(value), checks[suffix]
                    items = [i for i in items if compare(parse_iso(i[field]), bound)]
        # Newest first, like Vapi's list endpoints in practice (vapi-reference.md §2).
        return sorted(items, key=lambda item: parse_iso(item["createdAt"]), reverse=True)

    @staticmethod
    def _validate(errors: list[str]) -> None:
        if errors:
            raise HttpError(400, errors)

    # Control endpoints ----------------------------------------------------------------------------

    def _control(self, method: str, action: str, environ: dict[str, Any]) -> tuple[int, Any]:
        if (method, action) == ("POST", "inbound"):
            return self.start_inbound_call(self._body(environ))
        if (method, action) == ("POST", "faults"):
            body = self._body(environ)
            fault = Fault(
                mode=str(body.get("mode", "status")),
                status=int(body.get("status", 500)),
                delay=float(body.get("delay", 0)),
                retry_after=str(body["retryAfter"]) if body.get("retryAfter") else None,
                method=body.get("method"),
                path_prefix=body.get("path"),
                remaining=int(body.get("count", 1)),
                message=str(body.get("message") or "Simulated failure."),
            )
            self.state.add_fault(fault)
            return 201, {"queued": fault.remaining}
        if (method, action) == ("POST", "seed-calls"):
            return self.seed_calls(self._body(environ))
        if (method, action) == ("POST", "outcomes"):
            return self.set_outcomes(self._body(environ))
        if (method, action) == ("POST", "reset"):
            self.state.reset()
            return 200, {"reset": True}
        if (method, action) == ("GET", "state"):
            with self.state.lock:
                requests: dict[str, int] = {}
                for req_method, req_path in self.state.requests:
                    key = f"{req_method} {req_path}"
                    requests[key] = requests.get(key, 0) + 1
                return 200, {
                    "requests": requests,
                    "deliveries": list(self.state.deliveries),
                    "transfers": list(self.state.transfers),
                    "outcomes": dict(self.state.outcome_counts),
                    "outcomeMix": self.state.outcome_mix,
                    "seed": self.state.outcome_seed,
                    "timeScale": self.state.time_scale,
                    "activeCalls": len(self.state.active_calls),
                    "peakActiveCalls": self.state.peak_active_calls,
                    "concurrencyLimit": self.state.concurrency_limit,
                    "concurrencyBlocked": self.state.concurrency_blocked,
                    # Outbound calls placed per customer number, only numbers dialled more than
                    # once (small; {} = no number was dialled twice), and the most for any one.
                    "dialsByNumber": {n: c for n, c in self.state.dials.items() if c > 1},
                    "maxDialsPerNumber": max(self.state.dials.values(), default=0),
                }
        raise HttpError(404, f"Cannot {method} /_simulator/{action}")

    def set_outcomes(self, body: Any) -> tuple[int, Any]:
        """Set the outcome mix (null clears it), its seed, the time scale and/or the
        concurrency limit.

        Keys left out keep their value; setting the mix or the seed restarts the seeded draw
        and the outcome counts, so "seed 7, then 200 calls" gives the same counts every time.
        """
        if not isinstance(body, dict):
            raise HttpError(400, "body must be an object")
        unknown = sorted(set(body) - {"mix", "seed", "timeScale", "concurrencyLimit"})
        if unknown:
            raise HttpError(400, [f"property {key} should not exist" for key in unknown])
        seed = body.get("seed")
        if "seed" in body and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise HttpError(400, "seed must be an integer.")
        try:
            mix = normalize_mix(body["mix"]) if body.get("mix") is not None else None
            scale = validate_time_scale(body["timeScale"]) if "timeScale" in body else None
            limit = (
                validate_concurrency_limit(body["concurrencyLimit"])
                if "concurrencyLimit" in body
                else None
            )
        except OutcomeMixError as exc:
            raise HttpError(400, str(exc)) from exc
        with self.state.lock:
            if "mix" in body or "seed" in body:
                keep = self.state.outcome_mix if "mix" not in body else mix
                self.state.set_outcomes(keep, seed=seed)
            if scale is not None:
                self.state.time_scale = scale
            if limit is not None:
                # Calls already up keep playing; only new starts are checked against it.
                self.state.concurrency_limit = limit
            return 200, {
                "mix": self.state.outcome_mix,
                "seed": self.state.outcome_seed,
                "timeScale": self.state.time_scale,
                "concurrencyLimit": self.state.concurrency_limit,
            }

    def seed_calls(self, body: Any) -> tuple[int, Any]:
        """Hold `count` finished calls without playing them (state.seed_finished_calls)."""
        if not isinstance(body, dict):
            raise HttpError(400, "body must be an object")
        errors = validation.validate(
            validation.Obj(
                {
                    "count": validation.Num(minimum=1, maximum=100_000),
                    "start": validation.Str(iso_datetime=True),
                    "stepMs": validation.Num(minimum=0, maximum=86_400_000),
                    "sameMsEvery": validation.Num(minimum=0, maximum=1000),
                    "assistantId": validation.Str(),
                    "metadata": validation.Free(),
                    "seed": validation.Num(minimum=0, maximum=2**31),
                },
                required=("count",),
            ),
            body,
        )
        self._validate(errors)
        start = body.get("start")
        ids = self.state.seed_finished_calls(
            int(body["count"]),
            start=parse_iso(start) if start else datetime.now(UTC),
            step_ms=int(body.get("stepMs", 1000)),
            same_ms_every=int(body.get("sameMsEvery", 7)),
            assistant_id=body.get("assistantId"),
            metadata=body.get("metadata"),
            seed=int(body.get("seed", 0)),
        )
        return 201, {"seeded": len(ids)}

    def start_inbound_call(self, body: Any) -> tuple[int, Any]:
        """Someone dials one of our numbers (vapi-reference.md §10.5)."""
        if not isinstance(body, dict):
            raise HttpError(400, "body must be an object")
        errors = validation.validate(
            validation.Obj(
                {
                    "to": validation.Str(pattern=validation.E164),
                    "from": validation.Str(pattern=validation.E164),
                    "scenario": validation.Str(enum=tuple(SCENARIOS)),
                },
                required=("to", "from"),
            ),
            body,
        )
        self._validate(errors)
        number = self.state.phone_number_by_number(body["to"])
        if number is None:
            raise HttpError(404, "No simulator phone number has that number.")
        call = self._new_call(
            call_type="inboundPhoneCall",
            assistant_id=number.get("assistantId"),
            phone_number_id=number["id"],
            customer={"number": body["from"]},
        )
        self._play(call["id"], body.get("scenario") or "book_tour", inbound=True)
        return 201, call

    def _play(self, call_id: str, scenario: str, *, inbound: bool, begin: bool = True) -> None:
        if not self.config.play_calls:
            return
        player = CallPlayer(self, call_id=call_id, scenario=scenario, inbound=inbound)
        if begin:
            # In progress from the moment Vapi accepted it (the 201), not when the thread
            # starts. (Outbound calls took their slot in admit_call already.)
            self.state.call_began(call_id)
        with self.state.lock:
            self._players = [p for p in self._players if p.is_alive()]
            self._players.append(player)
        player.start()

    def wait_for_calls(self, timeout: float = 10.0) -> bool:
        """Block until every played call has finished (tests); True if they all did."""
        deadline = time.monotonic() + timeout
        while True:
            with self.state.lock:
                players = list(self._players)
            if all(not p.is_alive() for p in players):
                return True
            if time.monotonic() > deadline:
                return False
            for player in players:
                player.join(timeout=max(0.0, min(0.1, deadline - time.monotonic())))
