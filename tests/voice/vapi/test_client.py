"""VapiClient against the simulator over real HTTP, and against injected faults.

Faults come from the simulator's fault queue (same socket, real status codes, headers and
timeouts) or, where a socket cannot produce them, from an httpx.MockTransport.
"""

import json
import logging
import random
import socket
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.voice.vapi_helpers import TEST_API_KEY, TIMEOUT_FAULT_DELAY, SleepRecorder
from voice.simulator.state import DEMO_PHONE_NUMBERS, Fault, phone_number_id
from voice.vapi import client as vapi_client
from voice.vapi.client import VapiClient
from voice.vapi.core import RetryPolicy
from voice.vapi.errors import (
    VapiAuthError,
    VapiBadRequestError,
    VapiNotFoundError,
    VapiRateLimitedError,
    VapiRequestInvalidError,
    VapiResponseError,
    VapiServerError,
    VapiTimeoutError,
    VapiUnavailableError,
    VoiceConfigurationError,
    VoiceError,
    redact,
)

ASSISTANT = {"name": "Test assistant", "firstMessage": "Hello!"}
LEAD_NUMBER = "+14155550123"


def _number_id() -> str:
    return phone_number_id(DEMO_PHONE_NUMBERS[0])


def _fault(simulator, **fault):
    simulator.app.state.add_fault(Fault(**fault))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# Every method over HTTP --------------------------------------------------------------------------


def test_assistant_crud_round_trip(sim_client):
    created = sim_client.create_assistant(ASSISTANT)
    assert created["id"]
    assert created["name"] == "Test assistant"

    assert sim_client.get_assistant(created["id"])["firstMessage"] == "Hello!"
    updated = sim_client.update_assistant(created["id"], {"firstMessage": "Hi there"})
    assert updated["firstMessage"] == "Hi there"
    assert updated["name"] == "Test assistant"  # PATCH keeps what it does not mention
    assert [a["id"] for a in sim_client.list_assistants()] == [created["id"]]
    assert sim_client.list_assistants(limit=0) == []

    deleted = sim_client.delete_assistant(created["id"])
    assert deleted["id"] == created["id"]
    with pytest.raises(VapiNotFoundError):
        sim_client.get_assistant(created["id"])


def test_assistant_name_is_cut_to_vapis_limit(sim_client):
    created = sim_client.create_assistant({"name": "A very long leasing assistant name for tests"})
    assert len(created["name"]) == 40


def test_make_outbound_call_sends_a_body_vapi_accepts(simulator, sim_client):
    assistant = sim_client.create_assistant(ASSISTANT)
    call = sim_client.make_outbound_call(
        assistant_id=assistant["id"],
        phone_number_id=_number_id(),
        customer_number=LEAD_NUMBER,
        customer_name="Maximiliana Bartholomew-Featherstonehaugh III",
        customer_external_id="lead-12345678901234567890123456789012345678",
        name="Outbound call about the two-bedroom at Harbor View Apartments",
        metadata={"leadId": 12, "propertyId": "3", "assistantId": 7},
        assistant_overrides={"firstMessageMode": "assistant-waits-for-user"},
    )
    # 201 from the strict simulator: no unknown keys, limits respected.
    assert call["status"] == "queued"
    assert call["type"] == "outboundPhoneCall"
    assert call["customer"]["number"] == LEAD_NUMBER
    assert len(call["customer"]["name"]) <= 40
    assert len(call["customer"]["externalId"]) <= 40
    assert len(call["name"]) <= 40
    # vapi-reference.md §3.1: our ids travel in assistantOverrides.metadata, as strings.
    assert call["assistantOverrides"]["metadata"] == {
        "leadId": "12",
        "propertyId": "3",
        "assistantId": "7",
    }
    assert "metadata" not in {k for k in call if k != "assistantOverrides"}
    assert sim_client.get_call(call["id"])["id"] == call["id"]
    assert simulator.app.state.count_requests("POST", "/call") == 1


def test_make_outbound_call_exact_body():
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(201, json={"id": "call-1", "status": "queued"})

    client = VapiClient(
        api_key="k", base_url="https://vapi.test", transport=httpx.MockTransport(handler)
    )
    client.make_outbound_call(
        assistant_id="asst-1",
        phone_number_id="pn-1",
        customer_number=LEAD_NUMBER,
        customer_name="Maya Chen",
        customer_external_id="lead-1",
        name="Lead 1",
        metadata={"leadId": "1", "skip": None},
    )
    (request,) = seen
    assert request.method == "POST"
    assert request.url == "https://vapi.test/call"
    assert request.headers["Authorization"] == "Bearer k"
    assert json.loads(request.content) == {
        "assistantId": "asst-1",
        "phoneNumberId": "pn-1",
        "customer": {"number": LEAD_NUMBER, "name": "Maya Chen", "externalId": "lead-1"},
        "name": "Lead 1",
        "assistantOverrides": {"metadata": {"leadId": "1"}},
    }


@pytest.mark.parametrize("number", ["4155550123", "+0415555", "+1 415 555 0123", ""])
def test_make_outbound_call_refuses_non_e164_numbers_before_sending(simulator, sim_client, number):
    with pytest.raises(VapiRequestInvalidError) as exc_info:
        sim_client.make_outbound_call(assistant_id="a", phone_number_id="p", customer_number=number)
    assert simulator.app.state.count_requests("POST", "/call") == 0
    if number:
        assert number not in str(exc_info.value)
        assert number not in json.dumps(exc_info.value.details)


def test_get_call_and_list_calls_filters(simulator, sim_client):
    state = simulator.app.state
    start = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
    mine = state.seed_calls(5, start=start, step_ms=60_000, assistant_id="asst-a")
    state.seed_calls(3, start=start, step_ms=60_000, assistant_id="asst-b")

    assert sim_client.get_call(mine[0])["assistantId"] == "asst-a"
    assert len(sim_client.list_calls()) == 8
    listed = sim_client.list_calls(assistant_id="asst-a")
    assert [c["id"] for c in listed] == mine  # newest first
    assert len(sim_client.list_calls(phone_number_id=_number_id(), limit=2)) == 2
    window = sim_client.list_calls(
        assistant_id="asst-a",
        created_at_gt=start - timedelta(minutes=3, seconds=30),
        created_at_lt=start - timedelta(seconds=30),
    )
    assert [c["id"] for c in window] == mine[1:4]
    assert sim_client.list_calls(created_at_gt="2030-01-01T00:00:00.000Z") == []


def test_list_calls_refuses_a_limit_vapi_would_reject(simulator, sim_client):
    with pytest.raises(VapiRequestInvalidError):
        sim_client.list_calls(limit=1001)
    assert simulator.app.state.count_requests("GET", "/call") == 0


def test_list_calls_needs_aware_datetimes(sim_client):
    with pytest.raises(VapiRequestInvalidError):
        sim_client.list_calls(created_at_gt=datetime(2026, 1, 1))


def test_list_phone_numbers(sim_client):
    numbers = sim_client.list_phone_numbers()
    assert {n["number"] for n in numbers} == set(DEMO_PHONE_NUMBERS)
    assert all(n["id"] for n in numbers)


def test_iter_calls_walks_every_call_page_by_page(simulator, sim_client):
    """A later sync_calls walks 5,000+ calls: all of them, lazily, one page in memory."""
    start = datetime(2026, 3, 1, tzinfo=UTC)
    ids = simulator.app.state.seed_calls(5_050, start=start, step_ms=7_000)

    calls = sim_client.iter_calls(page_size=1000)
    first = next(calls)
    assert first["id"] == ids[0]
    assert simulator.app.state.count_requests("GET", "/call") == 1  # lazy: one page so far

    seen = [first["id"], *(call["id"] for call in calls)]
    assert seen == ids  # every call once, newest first
    assert simulator.app.state.count_requests("GET", "/call") == 6


def test_iter_calls_does_not_lose_calls_sharing_a_millisecond_at_a_page_boundary(
    simulator, sim_client
):
    state = simulator.app.state
    start = datetime(2026, 3, 1, tzinfo=UTC)
    newer = state.seed_calls(8, start=start, step_ms=1000)
    same_ms = state.seed_calls(6, start=start - timedelta(seconds=30), step_ms=0)
    older = state.seed_calls(4, start=start - timedelta(minutes=5), step_ms=1000)

    seen = [call["id"] for call in sim_client.iter_calls(page_size=10)]

    assert sorted(seen) == sorted(newer + same_ms + older)
    assert len(seen) == len(set(seen))


def test_iter_calls_respects_filters_and_upper_bound(simulator, sim_client):
    state = simulator.app.state
    start = datetime(2026, 3, 1, tzinfo=UTC)
    mine = state.seed_calls(30, start=start, step_ms=1000, assistant_id="asst-a")
    state.seed_calls(30, start=start, step_ms=1000, assistant_id="asst-b")
    seen = list(
        sim_client.iter_calls(
            assistant_id="asst-a", created_at_lt=start - timedelta(seconds=9), page_size=7
        )
    )
    assert [c["id"] for c in seen] == mine[10:]


# Configuration -----------------------------------------------------------------------------------


def test_missing_api_key_is_a_clear_error_before_any_request(settings):
    settings.VAPI_API_KEY = ""
    with pytest.raises(VoiceConfigurationError) as exc_info:
        vapi_client.get_vapi_client()
    assert "VAPI_API_KEY" in str(exc_info.value)
    with pytest.raises(VoiceConfigurationError, match="VAPI_API_KEY"):
        VapiClient(api_key="", transport=httpx.MockTransport(lambda r: pytest.fail("sent")))


def test_base_url_must_be_http(settings):
    settings.VAPI_BASE_URL = "api.vapi.ai"
    with pytest.raises(VoiceConfigurationError, match="VAPI_BASE_URL"):
        vapi_client.get_vapi_client()


def test_factory_reuses_one_pooled_client_per_settings(settings):
    settings.VAPI_BASE_URL = "https://vapi.test"
    first = vapi_client.get_vapi_client()
    assert vapi_client.get_vapi_client() is first
    settings.VAPI_BASE_URL = "https://other.vapi.test"
    second = vapi_client.get_vapi_client()
    assert second is not first
    assert second.base_url == "https://other.vapi.test"


# Faults ------------------------------------------------------------------------------------------


def test_401_is_an_auth_error_without_the_key_anywhere(simulator, caplog):
    caplog.set_level(logging.DEBUG)
    client = VapiClient(api_key="sk-wrong-key-123", base_url=simulator.url, sleep=SleepRecorder())
    with pytest.raises(VapiAuthError) as exc_info:
        client.list_assistants()
    error = exc_info.value
    assert error.details["status"] == 401
    assert error.details["method"] == "GET"
    assert error.details["path"] == "/assistant"
    assert "VAPI_API_KEY" in str(error)
    assert simulator.app.state.count_requests("GET", "/assistant") == 1  # not retried
    for text in (str(error), json.dumps(error.details), caplog.text):
        assert "sk-wrong-key-123" not in text


def test_404_is_not_found_and_not_retried(simulator, sim_client, sleeps):
    with pytest.raises(VapiNotFoundError) as exc_info:
        sim_client.get_call("0b8f2c2e-0000-4000-8000-000000000000")
    assert exc_info.value.details["status"] == 404
    assert exc_info.value.details["vapi_messages"] == ["Couldn't Find Call."]
    assert sleeps.calls == []


def test_400_carries_vapis_messages(simulator, sim_client):
    with pytest.raises(VapiBadRequestError) as exc_info:
        sim_client.create_assistant({"name": "x", "serverUrl": "https://old.example"})
    error = exc_info.value
    assert error.details["vapi_messages"] == ["property serverUrl should not exist"]
    assert "property serverUrl should not exist" in str(error)
    assert simulator.app.state.count_requests("POST", "/assistant") == 1


def test_429_with_retry_after_is_waited_out_then_retried(simulator, sim_client, sleeps):
    _fault(simulator, mode="status", status=429, retry_after="1.5", method="GET")
    assert sim_client.list_phone_numbers()
    assert sleeps.calls == [1.5]
    assert simulator.app.state.count_requests("GET", "/phone-number") == 2


def test_429_asking_to_wait_too_long_fails_fast_with_retry_after(simulator, sim_client, sleeps):
    _fault(simulator, mode="status", status=429, retry_after="120", method="GET")
    with pytest.raises(VapiRateLimitedError) as exc_info:
        sim_client.list_phone_numbers()
    assert exc_info.value.details["retry_after"] == 120.0
    assert sleeps.calls == []


def test_500_on_get_is_retried_with_backoff_then_succeeds(simulator, sim_client, sleeps):
    _fault(simulator, mode="status", status=500, method="GET", remaining=2)
    assert len(sim_client.list_phone_numbers()) == 2
    assert simulator.app.state.count_requests("GET", "/phone-number") == 3
    # base 0.2 s, doubled each time, half of it random (equal jitter).
    assert 0.1 <= sleeps.calls[0] <= 0.2
    assert 0.2 <= sleeps.calls[1] <= 0.4


def test_500_on_get_gives_up_after_the_retry_budget(simulator, sim_client, sleeps):
    _fault(simulator, mode="status", status=503, method="GET", remaining=5)
    with pytest.raises(VapiServerError) as exc_info:
        sim_client.get_assistant("a1b2c3")
    assert exc_info.value.details["status"] == 503
    assert exc_info.value.details["attempts"] == 3
    assert simulator.app.state.count_requests("GET", "/assistant/a1b2c3") == 3
    assert len(sleeps.calls) == 2


@pytest.mark.parametrize("method", ["PATCH", "DELETE"])
def test_patch_and_delete_are_retried_too(simulator, sim_client, sleeps, method):
    assistant = sim_client.create_assistant(ASSISTANT)
    _fault(simulator, mode="status", status=502, method=method)
    if method == "PATCH":
        sim_client.update_assistant(assistant["id"], {"firstMessage": "Hey"})
    else:
        sim_client.delete_assistant(assistant["id"])
    assert simulator.app.state.count_requests(method, f"/assistant/{assistant['id']}") == 2


def test_post_call_is_sent_exactly_once_when_vapi_answers_500(simulator, sim_client, sleeps):
    assistant = sim_client.create_assistant(ASSISTANT)
    _fault(simulator, mode="status", status=500, method="POST", path_prefix="/call", remaining=3)
    with pytest.raises(VapiServerError) as exc_info:
        sim_client.make_outbound_call(
            assistant_id=assistant["id"], phone_number_id=_number_id(), customer_number=LEAD_NUMBER
        )
    assert simulator.app.state.count_requests("POST", "/call") == 1
    assert exc_info.value.details == {
        "operation": "make_outbound_call",
        "method": "POST",
        "path": "/call",
        "attempts": 1,
        "status": 500,
        "vapi_error": "Internal Server Error",
        "vapi_messages": ["Simulated failure."],
    }
    assert sleeps.calls == []


def test_post_call_is_not_retried_on_429_either(simulator, sim_client, sleeps):
    assistant = sim_client.create_assistant(ASSISTANT)
    _fault(simulator, mode="status", status=429, retry_after="1", method="POST")
    with pytest.raises(VapiRateLimitedError):
        sim_client.make_outbound_call(
            assistant_id=assistant["id"], phone_number_id=_number_id(), customer_number=LEAD_NUMBER
        )
    assert simulator.app.state.count_requests("POST", "/call") == 1


# The concurrency limit (vapi-reference.md §1; OAS SubscriptionLimits). Vapi's docs do not say
# whether a start over the limit answers 201 with an ended call or an error status; the client
# must handle both readings.
CONCURRENCY_BLOCKED = "call.start.error-subscription-concurrency-limit-reached"


def test_post_call_over_the_concurrency_limit_as_a_400_is_a_bad_request(sleeps):
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(
            400,
            json={
                "statusCode": 400,
                "error": "Bad Request",
                "message": "Couldn't Create Call. Subscription Concurrency Limit Reached (10).",
            },
        )

    client = VapiClient(api_key="k", transport=httpx.MockTransport(handler), sleep=sleeps)
    with pytest.raises(VapiBadRequestError) as exc_info:
        client.make_outbound_call(
            assistant_id="a", phone_number_id="p", customer_number=LEAD_NUMBER
        )
    error = exc_info.value
    assert isinstance(error, VoiceError)
    assert error.status == 400
    assert "Concurrency Limit Reached" in str(error)
    assert error.details["vapi_messages"] == [
        "Couldn't Create Call. Subscription Concurrency Limit Reached (10)."
    ]
    assert len(sent) == 1  # POST /call is never retried
    assert sleeps.calls == []


def test_post_call_over_the_concurrency_limit_as_a_201_returns_the_ended_call(
    simulator, sim_client
):
    assistant = sim_client.create_assistant(ASSISTANT)
    simulator.app.state.concurrency_limit = 1
    simulator.app.state.call_began("a-call-placed-elsewhere")  # the one slot is taken

    call = sim_client.make_outbound_call(
        assistant_id=assistant["id"], phone_number_id=_number_id(), customer_number=LEAD_NUMBER
    )

    assert (call["status"], call["endedReason"]) == ("ended", CONCURRENCY_BLOCKED)
    assert call["subscriptionLimits"] == {
        "concurrencyBlocked": True,
        "concurrencyLimit": 1,
        "remainingConcurrentCalls": 0,
    }


def test_post_assistant_is_not_retried(simulator, sim_client, sleeps):
    _fault(simulator, mode="status", status=500, method="POST")
    with pytest.raises(VapiServerError):
        sim_client.create_assistant(ASSISTANT)
    assert simulator.app.state.count_requests("POST", "/assistant") == 1


def _short_timeout_client(url: str, sleeps: SleepRecorder) -> VapiClient:
    return VapiClient(
        api_key=TEST_API_KEY,
        base_url=url,
        connect_timeout=1.0,
        read_timeout=0.15,
        retry=RetryPolicy(max_retries=2, base_delay=0.2),
        sleep=sleeps,
    )


def test_read_timeout_on_get_is_retried_then_reported(simulator, sleeps):
    _fault(simulator, mode="timeout", delay=TIMEOUT_FAULT_DELAY, method="GET", remaining=3)
    with (
        _short_timeout_client(simulator.url, sleeps) as client,
        pytest.raises(VapiTimeoutError) as exc_info,
    ):
        client.list_assistants()
    assert exc_info.value.details["attempts"] == 3
    assert exc_info.value.details["error"] == "ReadTimeout"
    assert len(sleeps.calls) == 2


def test_read_timeout_on_post_call_is_not_retried(simulator, sleeps):
    with _short_timeout_client(simulator.url, sleeps) as client:
        assistant = client.create_assistant(ASSISTANT)
        _fault(
            simulator, mode="timeout", delay=TIMEOUT_FAULT_DELAY, method="POST", path_prefix="/call"
        )
        with pytest.raises(VapiTimeoutError):
            client.make_outbound_call(
                assistant_id=assistant["id"],
                phone_number_id=_number_id(),
                customer_number=LEAD_NUMBER,
            )
    assert simulator.app.state.count_requests("POST", "/call") == 1
    assert sleeps.calls == []
    # Why no retry: Vapi got the request and is dialing anyway (the call exists).
    deadline = time.monotonic() + 3
    while not simulator.app.state.calls and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(simulator.app.state.calls) == 1


def test_connection_refused_is_retried_then_unavailable(sleeps):
    client = VapiClient(
        api_key="k",
        base_url=f"http://127.0.0.1:{_free_port()}",
        retry=RetryPolicy(max_retries=2, base_delay=0.2),
        sleep=sleeps,
    )
    with pytest.raises(VapiUnavailableError) as exc_info:
        client.list_calls()
    assert not isinstance(exc_info.value, VapiTimeoutError)
    assert exc_info.value.details["error"] == "ConnectError"
    assert exc_info.value.details["attempts"] == 3
    assert len(sleeps.calls) == 2


def test_post_call_is_retried_only_when_the_connection_never_opened():
    """A refused connection means no byte reached Vapi, so no call can have been placed."""
    attempts = []

    def handler(request: httpx.Request) -> httpx.Response:
        attempts.append(request)
        if len(attempts) == 1:
            raise httpx.ConnectError("refused", request=request)
        if len(attempts) == 2:
            raise httpx.RemoteProtocolError("server disconnected", request=request)
        return httpx.Response(201, json={"id": "c"})

    client = VapiClient(api_key="k", transport=httpx.MockTransport(handler), sleep=SleepRecorder())
    kwargs = {"assistant_id": "a", "phone_number_id": "p", "customer_number": LEAD_NUMBER}
    # 1st: ConnectError -> retried; 2nd: dropped after sending -> may have dialed: stop.
    with pytest.raises(VapiUnavailableError):
        client.make_outbound_call(**kwargs)
    assert len(attempts) == 2


def test_malformed_json_is_a_response_error(simulator, sim_client, sleeps):
    _fault(simulator, mode="malformed", method="GET")
    with pytest.raises(VapiResponseError) as exc_info:
        sim_client.list_assistants()
    assert exc_info.value.details["status"] == 200
    assert exc_info.value.details["error"] == "invalid JSON"


def test_wrong_shape_is_a_response_error():
    client = VapiClient(
        api_key="k", transport=httpx.MockTransport(lambda r: httpx.Response(200, json={"a": 1}))
    )
    with pytest.raises(VapiResponseError, match="JSON list"):
        client.list_calls()


def test_error_details_and_logs_never_carry_phone_numbers_or_keys(caplog):
    caplog.set_level(logging.DEBUG)

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            400,
            json={
                "statusCode": 400,
                "error": "Bad Request",
                "message": ["customer.number +14155550123 is not reachable"],
            },
        )

    client = VapiClient(api_key="sk-live-secret", transport=httpx.MockTransport(handler))
    with pytest.raises(VapiBadRequestError) as exc_info:
        client.make_outbound_call(
            assistant_id="a", phone_number_id="p", customer_number=LEAD_NUMBER
        )
    text = str(exc_info.value) + json.dumps(exc_info.value.details) + caplog.text
    assert LEAD_NUMBER not in text
    assert "sk-live-secret" not in text
    assert "[redacted]" in str(exc_info.value)


def test_every_failure_is_a_voice_error():
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadError("boom", request=request)

    client = VapiClient(api_key="k", transport=httpx.MockTransport(handler), sleep=SleepRecorder())
    with pytest.raises(VoiceError):
        client.get_call("abc")
    with pytest.raises(VapiRequestInvalidError):
        client.get_call("../assistant")  # never lets an id reach another endpoint


def test_redact_keeps_dates_and_small_numbers():
    assert redact("limit must not be greater than 1000") == "limit must not be greater than 1000"
    assert redact("on 2026-01-02 call (415) 555-0123") == "on 2026-01-02 call [redacted]"
    assert redact("Authorization: Bearer abc.def") == "Authorization: Bearer [redacted]"


def test_backoff_stays_within_its_bounds():
    policy = RetryPolicy(max_retries=5, base_delay=1.0, max_delay=3.0)
    rng = random.Random(4)  # noqa: S311 - jitter, not crypto
    for retry in range(1, 6):
        ceiling = min(3.0, 2 ** (retry - 1))
        for _ in range(20):
            assert ceiling / 2 <= policy.backoff(retry, rng) <= ceiling


# Every method x every fault ----------------------------------------------------------------------

ASSISTANT_ID = "assistant-under-test"
CALL_ID = "call-under-test"


def _method_table(number_id: str) -> dict:
    """method name -> (HTTP method, path, call)."""
    call_kwargs = {
        "assistant_id": ASSISTANT_ID,
        "phone_number_id": number_id,
        "customer_number": LEAD_NUMBER,
    }
    return {
        "create_assistant": ("POST", "/assistant", lambda c: c.create_assistant(ASSISTANT)),
        "get_assistant": (
            "GET",
            f"/assistant/{ASSISTANT_ID}",
            lambda c: c.get_assistant(ASSISTANT_ID),
        ),
        "update_assistant": (
            "PATCH",
            f"/assistant/{ASSISTANT_ID}",
            lambda c: c.update_assistant(ASSISTANT_ID, {"firstMessage": "Hi"}),
        ),
        "delete_assistant": (
            "DELETE",
            f"/assistant/{ASSISTANT_ID}",
            lambda c: c.delete_assistant(ASSISTANT_ID),
        ),
        "list_assistants": ("GET", "/assistant", lambda c: c.list_assistants()),
        "make_outbound_call": ("POST", "/call", lambda c: c.make_outbound_call(**call_kwargs)),
        "get_call": ("GET", f"/call/{CALL_ID}", lambda c: c.get_call(CALL_ID)),
        "list_calls": ("GET", "/call", lambda c: c.list_calls(limit=10)),
        "iter_calls": ("GET", "/call", lambda c: list(c.iter_calls(page_size=10))),
        "list_phone_numbers": ("GET", "/phone-number", lambda c: c.list_phone_numbers()),
    }


METHODS = list(_method_table("x"))
# fault -> (error class, attempts for GET/PATCH/DELETE, attempts for POST)
FAULTS = {
    "timeout": (VapiTimeoutError, 3, 1),
    "refused": (VapiUnavailableError, 3, 3),  # never reached Vapi: safe to retry even POST
    "401": (VapiAuthError, 1, 1),
    "404": (VapiNotFoundError, 1, 1),
    "429": (VapiRateLimitedError, 3, 1),
    "500": (VapiServerError, 3, 1),
    "malformed": (VapiResponseError, 1, 1),
}


@pytest.mark.parametrize("fault", list(FAULTS))
@pytest.mark.parametrize("method_name", METHODS)
def test_every_method_under_every_fault(simulator, method_name, fault):
    http_method, path, call = _method_table(_number_id())[method_name]
    error_class, idempotent_attempts, post_attempts = FAULTS[fault]
    expected_attempts = post_attempts if http_method == "POST" else idempotent_attempts
    sleeps = SleepRecorder()
    url = simulator.url if fault != "refused" else f"http://127.0.0.1:{_free_port()}"
    client = VapiClient(
        api_key="wrong-key" if fault == "401" else TEST_API_KEY,
        base_url=url,
        # Short only where the timeout is the fault: on a loaded machine another fault's slow
        # answer must not become a retried timeout.
        read_timeout=0.1 if fault == "timeout" else 5.0,
        retry=RetryPolicy(max_retries=2, base_delay=0.2, max_delay=5.0),
        sleep=sleeps,
    )
    state = simulator.app.state
    if fault == "timeout":
        state.add_fault(
            Fault(mode="timeout", delay=TIMEOUT_FAULT_DELAY, method=http_method, remaining=9)
        )
    elif fault in ("404", "429", "500"):
        retry_after = "0.5" if fault == "429" else None
        state.add_fault(Fault(status=int(fault), retry_after=retry_after, remaining=9))
    elif fault == "malformed":
        state.add_fault(Fault(mode="malformed", remaining=9))

    with client, pytest.raises(error_class) as exc_info:
        call(client)

    error = exc_info.value
    assert isinstance(error, VoiceError)
    assert error.details["method"] == http_method
    assert error.details["path"] == path
    assert error.details["attempts"] == expected_attempts
    assert len(sleeps.calls) == expected_attempts - 1
    if fault == "429" and http_method != "POST":
        assert sleeps.calls == [0.5, 0.5]  # Retry-After wins over the backoff
    if fault != "refused":
        assert state.count_requests(http_method, path) == expected_attempts
    if fault in ("401", "404", "429", "500"):
        assert error.details["status"] == int(fault)
    assert TEST_API_KEY not in str(error)
    assert LEAD_NUMBER not in str(error) + json.dumps(error.details)
