"""Nothing we push to Vapi uses a field its OpenAPI marks `deprecated: true` (the vendored list in
voice/simulator/vapi_deprecated.py), and every body still passes the simulator's strict
validation (it answers 400 otherwise)."""

import re
from collections.abc import Iterator
from typing import Any

import pytest

from leads.demo import demo_data_load
from leads.models import CallDecision, Lead
from properties.models import Property
from voice.assistants.config import assistant_build_config
from voice.assistants.services import assistant_push, assistant_update, create_property_assistant
from voice.calls.outbound import call_place_outbound
from voice.models import Assistant
from voice.simulator import vapi_deprecated
from voice.structured_outputs import STRUCTURED_OUTPUTS, structured_outputs_sync

pytestmark = pytest.mark.django_db

# (method, first path segment, with an id?) -> the DTO's deprecated paths.
DTOS = {
    ("POST", "assistant", False): vapi_deprecated.CREATE_ASSISTANT,
    ("PATCH", "assistant", True): vapi_deprecated.UPDATE_ASSISTANT,
    ("POST", "call", False): vapi_deprecated.CREATE_CALL,
    ("POST", "structured-output", False): vapi_deprecated.CREATE_STRUCTURED_OUTPUT,
    ("PATCH", "structured-output", True): vapi_deprecated.UPDATE_STRUCTURED_OUTPUT,
}


def paths(value: Any, path: str = "") -> Iterator[str]:
    """Every property path in `value`, spelled like vapi_deprecated (`[]` for list items)."""
    if isinstance(value, dict):
        for key, item in value.items():
            child = f"{path}.{key}" if path else str(key)
            yield child
            yield from paths(item, child)
    elif isinstance(value, list):
        for item in value:
            yield from paths(item, f"{path}[]")


def deprecated_in(body: Any, deprecated: frozenset[str]) -> list[str]:
    patterns = [re.compile("^" + re.escape(p).replace(r"\*", r"[^.\[]+") + "$") for p in deprecated]
    return sorted({p for p in paths(body) if any(pattern.match(p) for pattern in patterns)})


def test_the_check_finds_deprecated_fields():
    body = {"analysisPlan": {"summaryPlan": {"enabled": True}}, "artifactPlan": {}}
    assert deprecated_in(body, vapi_deprecated.CREATE_ASSISTANT) == [
        "analysisPlan",
        "analysisPlan.summaryPlan",
    ]
    call = {"assistantOverrides": {"analysisPlan": {}}, "customer": {"number": "+1"}}
    assert deprecated_in(call, vapi_deprecated.CREATE_CALL) == ["assistantOverrides.analysisPlan"]


@pytest.fixture
def demo(db):
    demo_data_load()


@pytest.mark.parametrize("elevenlabs_key", ["", "el-key"])
def test_full_assistant_config_has_no_deprecated_field(demo, vapi_settings, elevenlabs_key):
    vapi_settings.ELEVENLABS_API_KEY = elevenlabs_key
    structured_outputs_sync()
    for prop in Property.objects.all():
        config = assistant_build_config(assistant=Assistant(property=prop))
        assert config["artifactPlan"]["structuredOutputIds"]
        assert deprecated_in(config, vapi_deprecated.CREATE_ASSISTANT) == []
        assert deprecated_in(config, vapi_deprecated.UPDATE_ASSISTANT) == []


def test_structured_output_bodies_have_no_deprecated_field():
    for definition in STRUCTURED_OUTPUTS:
        assert deprecated_in(definition, vapi_deprecated.CREATE_STRUCTURED_OUTPUT) == []


def test_every_request_we_send_is_valid_and_free_of_deprecated_fields(
    calling_hours, demo, vapi_settings, simulator, monkeypatch
):
    """Create, push, update an assistant and place a call against the simulator, recording every
    body it receives."""
    app = simulator.app
    app.config.play_calls = False
    sent: list[tuple[str, str, Any]] = []
    original = app._body

    def recording_body(environ: dict[str, Any]) -> Any:
        body = original(environ)
        sent.append((environ["REQUEST_METHOD"], environ["PATH_INFO"], body))
        return body

    monkeypatch.setattr(app, "_body", recording_body)
    prop = Property.objects.get(name="Harbor View Apartments")
    assistant = create_property_assistant(property=prop)
    assistant = assistant_push(assistant=assistant)
    assistant = assistant_update(
        assistant=assistant, first_message="Hello from Harbor View, an AI!"
    )
    lead = Lead.objects.get(first_name="Maya")
    call_place_outbound(
        assistant=assistant, phone_number=lead.phone, lead=lead, path=CallDecision.Path.API
    )

    kinds = set()
    for method, path, body in sent:
        parts = [part for part in path.split("/") if part]
        key = (method, parts[0], len(parts) > 1)
        assert key in DTOS, f"unchecked request {method} {path}"
        kinds.add(key)
        assert deprecated_in(body, DTOS[key]) == [], f"{method} {path}"
    assert kinds >= {
        ("POST", "structured-output", False),
        ("POST", "assistant", False),
        ("PATCH", "assistant", True),
        ("POST", "call", False),
    }
    # The services raise on any 4xx, so the simulator's strict validation took every body.
