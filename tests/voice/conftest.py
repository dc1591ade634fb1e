"""Shared voice fixtures: the Vapi simulator on a socket, a signature-checking webhook receiver."""

from tests.voice.vapi_helpers import (  # noqa: F401 - fixtures
    sim_client,
    simulator,
    simulator_server,
    sleeps,
    vapi_settings,
    webhook_receiver,
    webhook_server,
)
