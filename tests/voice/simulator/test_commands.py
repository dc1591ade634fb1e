"""The commands the README names: thin, talking to the simulator, non-zero exit on VoiceError."""

import os
import socket
import subprocess
import sys
import time
from io import StringIO
from pathlib import Path

import httpx
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from leads.demo import demo_data_load
from leads.models import Lead
from properties.models import Property
from voice.models import Assistant, CallLog
from voice.simulator.state import DEMO_PHONE_NUMBERS, Fault

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def demo(vapi_settings, calling_hours):
    demo_data_load()


def _run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_create_assistant_by_name_and_by_id(demo, simulator):
    output = _run("create_assistant", "--property", "Harbor View Apartments")
    assistant = Assistant.objects.get()
    assert f"Created assistant {assistant.pk}" in output
    assert assistant.vapi_assistant_id in simulator.app.state.assistants

    cedar = Property.objects.get(name="Cedar Park Residences")
    _run(
        "create_assistant", "--property", str(cedar.pk), "--name", "Cedar desk", "--language", "es"
    )
    created = Assistant.objects.get(property=cedar)
    assert created.name == "Cedar desk"
    assert created.language == "es"


def test_create_assistant_again_updates_the_propertys_assistant(demo, simulator):
    first = _run("create_assistant", "--property", "Harbor View Apartments")
    assistant = Assistant.objects.get()
    assert f"Created assistant {assistant.pk} (Harbor View Apartments leasing assistant)" in first

    again = _run("create_assistant", "--property", "Harbor View Apartments")

    assert f"Updated assistant {assistant.pk}" in again
    assert "already has it, instead of creating a second one" in again
    assert "no setting changed" in again
    assert Assistant.objects.get().pk == assistant.pk
    assert list(simulator.app.state.assistants) == [assistant.vapi_assistant_id]
    assert simulator.app.state.count_requests("POST", "/assistant") == 1
    assert simulator.app.state.count_requests("PATCH", f"/assistant/{assistant.vapi_assistant_id}")


def test_create_assistant_again_with_options_changes_only_those(demo, simulator):
    _run("create_assistant", "--property", "Harbor View Apartments", "--name", "Harbor desk")
    assistant = Assistant.objects.get()

    options = ["--voice-provider", "11labs", "--voice-id", "paula", "--language", "es"]
    output = _run("create_assistant", "--property", "harbor view", *options)

    assert f"Updated assistant {assistant.pk} (Harbor desk)" in output
    assert "changed: voice provider, voice id, language" in output
    updated = Assistant.objects.get()
    assert (updated.pk, updated.name) == (assistant.pk, "Harbor desk")  # --name left out: kept
    assert (updated.voice_provider, updated.voice_id, updated.language) == ("11labs", "paula", "es")
    (remote,) = simulator.app.state.assistants.values()
    assert remote["name"] == "Harbor desk"
    assert remote["voice"]["voiceId"] == "paula"
    assert remote["transcriber"]["language"] == "es"


def test_create_assistant_refuses_a_property_with_several_assistants(demo, simulator):
    from tests.factories import AssistantFactory

    harbor = Property.objects.get(name="Harbor View Apartments")
    older, newer = AssistantFactory(property=harbor), AssistantFactory(property=harbor)

    with pytest.raises(CommandError, match="already has several assistants") as raised:
        _run("create_assistant", "--property", "Harbor View Apartments")

    assert f"{older.pk} “{older.name}”" in str(raised.value)
    assert f"{newer.pk} “{newer.name}”" in str(raised.value)
    assert Assistant.objects.filter(property=harbor).count() == 2
    assert simulator.app.state.assistants == {}


def test_create_assistant_errors_exit_non_zero(demo, simulator):
    with pytest.raises(CommandError, match="No property matches"):
        _run("create_assistant", "--property", "Nowhere Towers")
    simulator.app.state.add_fault(Fault(status=500, method="POST"))
    with pytest.raises(CommandError, match="internal error"):
        _run("create_assistant", "--property", "cedar")
    assert not Assistant.objects.exists()


def test_place_call_with_lead_and_scenario(demo, simulator, webhook_receiver):
    _run("create_assistant", "--property", "Harbor View Apartments")
    assistant = Assistant.objects.get()
    lead = Lead.objects.get(first_name="Maya")

    output = _run(
        "place_call",
        "--assistant",
        str(assistant.pk),
        "--to",
        lead.phone,
        "--lead",
        str(lead.pk),
        "--scenario",
        "human",
        "--wait",
    )

    call_log = CallLog.objects.get()
    assert call_log.vapi_call_id in output
    assert "Ended: assistant-forwarded-call" in output
    assert call_log.lead == lead
    assert call_log.metadata["simScenario"] == "human"
    assert "transfer-destination-request" in webhook_receiver.types(call_log.vapi_call_id)


def test_place_call_failures_exit_non_zero(demo, simulator):
    _run("create_assistant", "--property", "Harbor View Apartments")
    assistant = Assistant.objects.get()
    sam = Lead.objects.get(first_name="Sam")  # demo lead without consent
    with pytest.raises(CommandError, match=r"Refused \(no_written_consent\)"):
        _run(
            "place_call", "--assistant", str(assistant.pk), "--to", sam.phone, "--lead", str(sam.pk)
        )
    with pytest.raises(CommandError, match="no assistant"):
        _run("place_call", "--assistant", "424242", "--to", "+12065550100")
    simulator.app.state.add_fault(Fault(status=500, method="POST", path_prefix="/call"))
    maya = Lead.objects.get(first_name="Maya")  # consented: the gate lets the call through
    with pytest.raises(CommandError, match="internal error"):
        _run("place_call", "--assistant", assistant.vapi_assistant_id, "--to", maya.phone)
    assert simulator.app.state.count_requests("POST", "/call") == 1
    assert not CallLog.objects.exists()


def test_simulate_inbound_call(demo, simulator, webhook_receiver):
    _run("create_assistant", "--property", "Harbor View Apartments")
    webhook_receiver.assistant_id = Assistant.objects.get().vapi_assistant_id

    output = _run(
        "simulate_inbound_call",
        "--to",
        DEMO_PHONE_NUMBERS[0],
        "--from",
        "+12065550188",
        "--scenario",
        "book_tour",
        "--wait",
    )

    assert "Ended: customer-ended-call" in output
    assert webhook_receiver.types()[0] == "assistant-request"
    assert webhook_receiver.rejected == []


def test_simulate_inbound_call_needs_the_simulator(demo, simulator, settings):
    with pytest.raises(CommandError, match="refused the call"):
        _run("simulate_inbound_call", "--to", "+19995550000", "--from", "+12065550188")
    settings.VAPI_API_KEY = "wrong"
    with pytest.raises(CommandError, match="refused VAPI_API_KEY"):
        _run("simulate_inbound_call", "--to", DEMO_PHONE_NUMBERS[0], "--from", "+12065550188")


def test_missing_api_key_fails_clearly(settings):
    settings.VAPI_API_KEY = ""
    from tests.factories import PropertyFactory

    PropertyFactory(name="Keyless Court")
    with pytest.raises(CommandError, match="VAPI_API_KEY is not set"):
        _run("create_assistant", "--property", "Keyless Court")


def test_vapi_simulator_command_serves_the_api():
    """`manage.py vapi_simulator` as `make run` starts it: a real process on a real port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "VAPI_"))},
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DJANGO_DEBUG": "true",
        "VAPI_API_KEY": "simulator-key",
        "VAPI_WEBHOOK_SECRET": "simulator-secret",
    }
    process = subprocess.Popen(  # noqa: S603 - our own manage.py
        [sys.executable, "manage.py", "vapi_simulator", "--port", str(port), "--delay", "0"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        url = f"http://127.0.0.1:{port}/phone-number"
        headers = {"Authorization": "Bearer simulator-key"}
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.get(url, headers=headers)
                break
            except httpx.ConnectError:
                assert process.poll() is None, process.stdout.read().decode()
                assert time.monotonic() < deadline, "the simulator did not start"
                time.sleep(0.1)
        assert response.status_code == 200
        assert {n["number"] for n in response.json()} == set(DEMO_PHONE_NUMBERS)
    finally:
        process.terminate()
        process.wait(timeout=10)
