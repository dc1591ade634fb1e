"""AsyncVapiClient: the same requests, retries and errors as VapiClient, awaited.

Each test drives a coroutine with asyncio.run against the simulator's real socket.
"""

import asyncio
import socket
from datetime import UTC, datetime

import httpx
import pytest

from tests.voice.vapi_helpers import TEST_API_KEY, TIMEOUT_FAULT_DELAY, SleepRecorder
from voice.simulator.state import DEMO_PHONE_NUMBERS, Fault, phone_number_id
from voice.vapi import async_client
from voice.vapi.async_client import AsyncVapiClient
from voice.vapi.core import RetryPolicy
from voice.vapi.errors import (
    VapiAuthError,
    VapiNotFoundError,
    VapiRequestInvalidError,
    VapiResponseError,
    VapiServerError,
    VapiTimeoutError,
    VapiUnavailableError,
    VoiceConfigurationError,
)

LEAD_NUMBER = "+14155550123"


def _client(url: str, sleeps: SleepRecorder, **kwargs) -> AsyncVapiClient:
    return AsyncVapiClient(
        api_key=kwargs.pop("api_key", TEST_API_KEY),
        base_url=url,
        retry=RetryPolicy(max_retries=2, base_delay=0.2),
        sleep=sleeps.asleep,
        **kwargs,
    )


def test_async_round_trip_of_every_method(simulator, sleeps):
    simulator.app.state.seed_calls(3, start=datetime(2026, 2, 1, tzinfo=UTC))

    async def scenario():
        async with _client(simulator.url, sleeps) as client:
            assistant = await client.create_assistant({"name": "Async assistant"})
            assert (await client.get_assistant(assistant["id"]))["name"] == "Async assistant"
            patched = await client.update_assistant(assistant["id"], {"firstMessage": "Hi"})
            assert patched["firstMessage"] == "Hi"
            assert len(await client.list_assistants()) == 1
            numbers = await client.list_phone_numbers()
            assert {n["number"] for n in numbers} == set(DEMO_PHONE_NUMBERS)
            call = await client.make_outbound_call(
                assistant_id=assistant["id"],
                phone_number_id=phone_number_id(DEMO_PHONE_NUMBERS[0]),
                customer_number=LEAD_NUMBER,
                customer_name="Maya Chen",
                metadata={"leadId": 1},
            )
            assert call["assistantOverrides"]["metadata"] == {"leadId": "1"}
            assert (await client.get_call(call["id"]))["id"] == call["id"]
            assert len(await client.list_calls(limit=2)) == 2
            await client.delete_assistant(assistant["id"])
            with pytest.raises(VapiNotFoundError):
                await client.get_assistant(assistant["id"])

    asyncio.run(scenario())
    assert simulator.app.state.count_requests("POST", "/call") == 1


def test_async_iter_calls_streams_every_call(simulator, sleeps):
    ids = simulator.app.state.seed_calls(1_234, start=datetime(2026, 2, 1, tzinfo=UTC), step_ms=500)

    async def collect():
        async with _client(simulator.url, sleeps) as client:
            return [call["id"] async for call in client.iter_calls(page_size=250)]

    assert asyncio.run(collect()) == ids
    assert simulator.app.state.count_requests("GET", "/call") == 5


def test_async_get_is_retried_on_500(simulator, sleeps):
    simulator.app.state.add_fault(Fault(status=500, method="GET", remaining=2))

    async def scenario():
        async with _client(simulator.url, sleeps) as client:
            return await client.list_phone_numbers()

    assert len(asyncio.run(scenario())) == 2
    assert len(sleeps.calls) == 2
    assert simulator.app.state.count_requests("GET", "/phone-number") == 3


def test_async_post_call_is_sent_once_on_500(simulator, sleeps):
    async def scenario():
        async with _client(simulator.url, sleeps) as client:
            assistant = await client.create_assistant({"name": "Async assistant"})
            simulator.app.state.add_fault(Fault(status=500, method="POST", remaining=3))
            with pytest.raises(VapiServerError) as exc_info:
                await client.make_outbound_call(
                    assistant_id=assistant["id"],
                    phone_number_id=phone_number_id(DEMO_PHONE_NUMBERS[0]),
                    customer_number=LEAD_NUMBER,
                )
            return exc_info.value

    error = asyncio.run(scenario())
    assert error.details["attempts"] == 1
    assert simulator.app.state.count_requests("POST", "/call") == 1
    assert sleeps.calls == []


def test_async_timeout_401_malformed_and_refused(simulator, sleeps):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]

    async def scenario():
        async with _client(simulator.url, sleeps, read_timeout=0.15) as client:
            simulator.app.state.add_fault(
                Fault(mode="timeout", delay=TIMEOUT_FAULT_DELAY, method="GET", remaining=3)
            )
            with pytest.raises(VapiTimeoutError):
                await client.list_assistants()
            simulator.app.state.add_fault(Fault(mode="malformed", method="GET"))
            with pytest.raises(VapiResponseError):
                await client.list_assistants()
        async with _client(simulator.url, sleeps, api_key="wrong") as client:
            with pytest.raises(VapiAuthError):
                await client.list_assistants()
        async with _client(f"http://127.0.0.1:{closed_port}", sleeps) as client:
            with pytest.raises(VapiUnavailableError):
                await client.get_call("abc")
            with pytest.raises(VapiRequestInvalidError):
                await client.make_outbound_call(
                    assistant_id="a", phone_number_id="p", customer_number="555-0123"
                )

    asyncio.run(scenario())
    assert len(sleeps.calls) == 4  # two retries for the timeouts, two for the refused connection


def test_get_async_vapi_client_is_one_per_event_loop(settings):
    settings.VAPI_BASE_URL = "https://vapi.test"

    async def twice():
        return async_client.get_async_vapi_client(), async_client.get_async_vapi_client()

    first, second = asyncio.run(twice())
    assert first is second
    other, _ = asyncio.run(twice())
    assert other is not first  # a new loop gets its own client (httpx clients are per loop)


def test_get_async_vapi_client_needs_the_key(settings):
    settings.VAPI_API_KEY = ""
    with pytest.raises(VoiceConfigurationError, match="VAPI_API_KEY"):
        async_client.get_async_vapi_client()


def test_async_client_shares_the_sync_clients_request_building():
    """Same spec, same body: both clients build requests through _VapiCore."""
    seen: list[httpx.Request] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(201, json={"id": "call-1"})

    async def scenario():
        async with AsyncVapiClient(api_key="k", transport=httpx.MockTransport(handler)) as client:
            await client.make_outbound_call(
                assistant_id="a",
                phone_number_id="p",
                customer_number=LEAD_NUMBER,
                name="x" * 60,
            )

    asyncio.run(scenario())
    (request,) = seen
    assert request.url == "https://api.vapi.ai/call"
    assert b'"name":"' + b"x" * 40 + b'"' in request.content.replace(b" ", b"")
