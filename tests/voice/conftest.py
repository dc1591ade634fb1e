"""Shared voice fixtures: the Vapi simulator on a socket, a signature-checking webhook receiver,
and the simulator wired to the live server's webhook (whole calls end to end)."""

from collections.abc import Iterator
from typing import Any

import pytest

from tests.voice.vapi_helpers import (  # noqa: F401 - fixtures
    sim_client,
    simulator,
    simulator_server,
    sleeps,
    vapi_settings,
    webhook_receiver,
    webhook_server,
)
from voice.simulator import SimulatorConfig, VapiSimulator
from voice.simulator.server import RunningSimulator

LIVE_API_KEY = "test-key"
LIVE_SECRET = "test-secret"


@pytest.fixture
def vapi(live_server: Any, settings: Any) -> Iterator[RunningSimulator]:
    """The simulator, signing its webhooks with our secret and posting them to the live server."""
    running = RunningSimulator(
        VapiSimulator(
            SimulatorConfig(
                api_key=LIVE_API_KEY,
                webhook_url=f"{live_server.url}/api/v1/voice/webhook",
                webhook_secret=LIVE_SECRET,
            )
        )
    )
    running.app.config.public_url = running.url
    settings.VAPI_BASE_URL = running.url
    settings.VAPI_API_KEY = LIVE_API_KEY
    settings.VAPI_WEBHOOK_SECRET = LIVE_SECRET
    settings.VAPI_WEBHOOK_AUTH_MODE = "hmac"
    settings.PUBLIC_BASE_URL = live_server.url
    yield running
    running.app.wait_for_calls(timeout=10)
    running.stop()
