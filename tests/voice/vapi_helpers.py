"""Test doubles around Vapi: the simulator on a real socket, and a webhook receiver that checks
signatures the way HELPERS.md's contract says (written here independently of the simulator's
signing code, so a signing bug cannot hide behind a matching verification bug).

Import the fixtures into a conftest (tests/voice/conftest.py does) or a test module.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from voice.simulator import SimulatorConfig, VapiSimulator
from voice.simulator.server import RunningSimulator
from voice.vapi.client import VapiClient
from voice.vapi.core import RetryPolicy

TEST_API_KEY = "test-key"  # config.settings.test.VAPI_API_KEY
TEST_WEBHOOK_SECRET = "test-secret"
# How long the simulator's "timeout" fault holds a request before answering: many times the short
# read timeouts (0.1-0.15 s) the fault tests use, so that on a loaded machine (CI's two cores, a
# shifted clock) a client thread scheduled late still gives up before the answer arrives. The
# client does not wait for it: it hangs up, and the simulator's answer goes nowhere.
TIMEOUT_FAULT_DELAY = 2.0

ToolResponder = Callable[[str, dict[str, Any]], dict[str, Any]]


def default_tool_responder(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """What a healthy webhook might answer: one `result` string per tool call."""
    answers = {
        "check_availability": "2 two-bedroom apartments: unit 312 at $4,250 and 315 at $4,350.",
        "qualify_lead": "Saved.",
        "schedule_tour": f"Tour booked for {arguments.get('start_time')}.",
        "transfer_to_human": "A leasing agent is available; transferring now.",
    }
    return {"result": answers.get(name, "OK")}


@dataclass
class Delivery:
    headers: dict[str, str]
    body: bytes
    message: dict[str, Any]

    @property
    def type(self) -> str:
        return self.message.get("type", "")


@dataclass
class WebhookReceiver:
    """Records signed deliveries; rejects unsigned or wrongly signed ones with 401."""

    secret: str = TEST_WEBHOOK_SECRET
    mode: str = "hmac"
    tool_responder: ToolResponder = default_tool_responder
    assistant_id: str | None = None  # answer to assistant-request
    status_code: int = 200
    transfer_number: str = "+14155550101"
    transfer_error: str | None = None  # answer transfer-destination-request with this error
    deliveries: list[Delivery] = field(default_factory=list)
    rejected: list[dict[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        with self.lock:
            self.deliveries.clear()
            self.rejected.clear()
        self.secret, self.mode = TEST_WEBHOOK_SECRET, "hmac"
        self.tool_responder = default_tool_responder
        self.assistant_id = None
        self.status_code = 200
        self.transfer_error = None

    def verify(self, headers: dict[str, str], body: bytes) -> bool:
        if self.mode == "secret":
            return hmac.compare_digest(headers.get("x-vapi-secret", ""), self.secret)
        timestamp = headers.get("x-timestamp", "")
        expected = hmac.new(
            self.secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
        ).hexdigest()
        if not timestamp.isdigit() or not hmac.compare_digest(
            headers.get("x-signature", ""), expected
        ):
            return False
        # Epoch milliseconds, and fresh.
        return abs(int(timestamp) - time.time() * 1000) < 300_000

    def respond(self, message: dict[str, Any]) -> dict[str, Any]:
        kind = message.get("type")
        if kind == "tool-calls":
            results = []
            for call in message.get("toolCallList", []):
                function = call.get("function") or {}
                answer = self.tool_responder(
                    function.get("name", ""), function.get("arguments") or {}
                )
                results.append({"toolCallId": call["id"], "name": function.get("name"), **answer})
            return {"results": results}
        if kind == "transfer-destination-request":
            if self.transfer_error is not None:
                return {"error": self.transfer_error}
            return {
                "destination": {
                    "type": "number",
                    "number": self.transfer_number,
                    "message": "Transferring you to the leasing team.",
                }
            }
        if kind == "assistant-request" and self.assistant_id:
            return {"assistantId": self.assistant_id}
        return {}

    # Queries -------------------------------------------------------------------------------------

    def messages(self, kind: str | None = None, call_id: str | None = None) -> list[dict[str, Any]]:
        with self.lock:
            items = [d.message for d in self.deliveries]
        return [
            m
            for m in items
            if (kind is None or m.get("type") == kind)
            and (call_id is None or (m.get("call") or {}).get("id") == call_id)
        ]

    def types(self, call_id: str | None = None) -> list[str]:
        return [m["type"] for m in self.messages(call_id=call_id)]

    def tool_calls(self, call_id: str | None = None) -> list[tuple[str, dict[str, Any]]]:
        calls = []
        for message in self.messages("tool-calls", call_id):
            for call in message["toolCallList"]:
                calls.append((call["function"]["name"], call["function"]["arguments"]))
        return calls


def _handler_for(receiver: WebhookReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            return

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {k.lower(): v for k, v in self.headers.items()}
            if self.path != "/api/v1/voice/webhook":
                return self._send(404, {"error": "not found"})
            if not receiver.verify(headers, body):
                with receiver.lock:
                    receiver.rejected.append(headers)
                return self._send(401, {"error": "unauthorized"})
            message = json.loads(body)["message"]
            with receiver.lock:
                receiver.deliveries.append(Delivery(headers, body, message))
            if receiver.status_code != 200:
                return self._send(receiver.status_code, {"error": "simulated"})
            return self._send(200, receiver.respond(message))

        def _send(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


@dataclass
class ReceiverServer:
    receiver: WebhookReceiver
    server: ThreadingHTTPServer
    url: str  # the webhook URL (PUBLIC_BASE_URL + /api/v1/voice/webhook)
    base_url: str


class SleepRecorder:
    """Injected as the client's `sleep`: records the waits instead of waiting."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)

    async def asleep(self, seconds: float) -> None:
        self.calls.append(seconds)


# Fixtures ----------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def webhook_server() -> Iterator[ReceiverServer]:
    receiver = WebhookReceiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(receiver))
    server.daemon_threads = True
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    host, port = server.server_address[:2]
    base_url = f"http://{host}:{port}"
    yield ReceiverServer(receiver, server, f"{base_url}/api/v1/voice/webhook", base_url)
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def simulator_server(webhook_server: ReceiverServer) -> Iterator[RunningSimulator]:
    app = VapiSimulator(SimulatorConfig(api_key=TEST_API_KEY))
    running = RunningSimulator(app)
    yield running
    app.wait_for_calls(timeout=5)
    running.stop()


@pytest.fixture
def webhook_receiver(webhook_server: ReceiverServer) -> WebhookReceiver:
    webhook_server.receiver.reset()
    return webhook_server.receiver


@pytest.fixture
def simulator(
    simulator_server: RunningSimulator,
    webhook_server: ReceiverServer,
    webhook_receiver: WebhookReceiver,
) -> Iterator[RunningSimulator]:
    """The simulator, emptied, delivering webhooks to `webhook_receiver` without delays."""
    app = simulator_server.app
    app.wait_for_calls(timeout=5)
    app.state.reset()
    app.config.webhook_url = webhook_server.url
    app.config.webhook_secret = TEST_WEBHOOK_SECRET
    app.config.webhook_auth_mode = "hmac"
    app.config.message_delay = 0.0
    app.config.play_calls = True
    app.config.public_url = simulator_server.url
    yield simulator_server
    assert app.wait_for_calls(timeout=10), "a simulated call did not finish"


@pytest.fixture
def vapi_settings(
    settings: Any, simulator: RunningSimulator, webhook_server: ReceiverServer
) -> Any:
    """Point the app (get_vapi_client, PUBLIC_BASE_URL) at the simulator and the receiver."""
    settings.VAPI_BASE_URL = simulator.url
    settings.VAPI_API_KEY = TEST_API_KEY
    settings.PUBLIC_BASE_URL = webhook_server.base_url
    return settings


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture
def sim_client(simulator: RunningSimulator, sleeps: SleepRecorder) -> Iterator[VapiClient]:
    client = VapiClient(
        api_key=TEST_API_KEY,
        base_url=simulator.url,
        retry=RetryPolicy(max_retries=2, base_delay=0.2, max_delay=5.0),
        sleep=sleeps,
    )
    yield client
    client.close()


class LostAnswer(httpx.BaseTransport):
    """Forwards to the simulator; the next `remaining` POST /call fail the way `mode` says:

    - "after": forwarded (Vapi creates the call), then the answer is lost (ReadTimeout);
    - "before": never forwarded, yet a ReadTimeout (Vapi never saw it; we cannot know that);
    - "refused": ConnectError (the connection never opened: nothing was sent);
    - "500": Vapi's server error (nothing placed).

    `before_post`, when set, runs once just before the next POST /call is handled (something
    else happening while a dial is in flight).
    """

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.mode = ""
        self.remaining = 0
        self.before_post: Callable[[], None] | None = None

    def fail(self, mode: str, times: int = 1) -> None:
        self.mode, self.remaining = mode, times

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        posting = request.method == "POST" and request.url.path == "/call"
        if posting and self.before_post:
            hook, self.before_post = self.before_post, None
            hook()
        if self.remaining and posting:
            self.remaining -= 1
            if self.mode == "refused":
                raise httpx.ConnectError("connection refused", request=request)
            if self.mode == "500":
                return httpx.Response(500, json={"message": "Internal server error"})
            if self.mode == "after":
                response = self.inner.handle_request(request)
                response.read()
                response.close()
            raise httpx.ReadTimeout("timed out", request=request)
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()
