"""Contract tests against Vapi's own schemas (vapi-server-sdk 3.0.0, generated from Vapi's OpenAPI;
vapi-reference.md §0), independent of the simulator's hand-written validation.

The SDK models accept unknown keys (extra="allow") and keep them in `model_extra`; walking the
parsed tree for any such key finds exactly the "property X should not exist" errors Vapi's
strict validation would give. The app itself never imports the SDK.
"""

import copy
import inspect
import json
import re
from typing import Any

import pydantic
import pytest
from vapi.calls.client import CallsClient
from vapi.types import (
    AssistantOverrides,
    Call,
    CreateAssistantDto,
    CreateCustomerDto,
    ServerMessageAssistantRequest,
    ServerMessageEndOfCallReport,
    ServerMessageStatusUpdate,
    ServerMessageToolCalls,
    ServerMessageTranscript,
    ServerMessageTransferDestinationRequest,
)

from leads.demo import demo_data_load
from leads.models import CallDecision, Lead
from properties.models import Property
from tests.factories import ConsentFactory
from voice.assistants.config import assistant_build_config
from voice.assistants.services import create_property_assistant
from voice.calls.outbound import call_place_outbound
from voice.models import Assistant

pytestmark = pytest.mark.django_db

MESSAGE_MODELS = {
    "assistant-request": ServerMessageAssistantRequest,
    "status-update": ServerMessageStatusUpdate,
    "transcript": ServerMessageTranscript,
    "tool-calls": ServerMessageToolCalls,
    "transfer-destination-request": ServerMessageTransferDestinationRequest,
    "end-of-call-report": ServerMessageEndOfCallReport,
}


def unknown_keys(value: Any, path: str = "$") -> list[str]:
    """Every key in the parsed tree that the SDK schema does not define."""
    problems: list[str] = []
    if isinstance(value, pydantic.BaseModel):
        problems += [f"{path}.{key}" for key in (value.model_extra or {})]
        for name in type(value).model_fields:
            problems += unknown_keys(getattr(value, name), f"{path}.{name}")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            problems += unknown_keys(item, f"{path}[{index}]")
    return problems


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _arguments_as_strings(message: dict) -> dict:
    """vapi-reference.md §8.4: the SDK types function.arguments as a JSON string, docs and live
    payloads show an object; the simulator sends objects (receivers must take both)."""
    message = copy.deepcopy(message)
    tool_calls = [
        *message.get("toolCallList", []),
        *(item["toolCall"] for item in message.get("toolWithToolCallList", [])),
    ]
    for tool_call in tool_calls:
        tool_call["function"]["arguments"] = json.dumps(tool_call["function"]["arguments"])
    return message


@pytest.fixture
def demo(db):
    demo_data_load()


@pytest.mark.parametrize("elevenlabs_key", ["", "el-key"])
def test_assistant_config_has_only_keys_vapi_defines(demo, settings, elevenlabs_key):
    settings.ELEVENLABS_API_KEY = elevenlabs_key
    for prop in Property.objects.all():
        config = assistant_build_config(assistant=Assistant(property=prop))
        parsed = CreateAssistantDto.model_validate(config)
        assert unknown_keys(parsed) == []
        # The walk went deep: the unions resolved to Vapi's typed variants.
        assert type(parsed.model).__name__ == "CreateAssistantDtoModel_Openai"
        assert type(parsed.transcriber).__name__ == "CreateAssistantDtoTranscriber_Deepgram"
        expected_voice = "11Labs" if elevenlabs_key else "Vapi"
        assert type(parsed.voice).__name__ == f"CreateAssistantDtoVoice_{expected_voice}"
        tool_types = [type(tool).__name__.rsplit("_", 1)[-1] for tool in parsed.model.tools]
        assert tool_types == ["Function"] * 5 + ["TransferCall", "EndCall"]


def test_the_walk_does_catch_unknown_keys():
    parsed = CreateAssistantDto.model_validate(
        {"serverUrl": "x", "model": {"provider": "openai", "model": "gpt-4o", "functions": []}}
    )
    assert unknown_keys(parsed) == ["$.serverUrl", "$.model.functions"]


def test_outbound_call_body_has_only_keys_vapi_defines(
    demo, vapi_settings, simulator, calling_hours
):
    prop = Property.objects.get(name="Harbor View Apartments")
    assistant = create_property_assistant(property=prop)
    lead = Lead.objects.get(first_name="Maya")
    simulator.app.config.play_calls = False

    call_log = call_place_outbound(
        assistant=assistant, phone_number=lead.phone, lead=lead, path=CallDecision.Path.COMMAND
    )

    stored = simulator.app.state.calls[call_log.vapi_call_id]
    create_parameters = {
        _camel(name)
        for name in inspect.signature(CallsClient.create).parameters
        if name not in {"self", "request_options"}
    }
    sent_top_level = {"assistantId", "phoneNumberId", "customer", "name", "assistantOverrides"}
    assert sent_top_level <= create_parameters
    assert "metadata" not in create_parameters  # vapi-reference.md §3.1
    assert unknown_keys(CreateCustomerDto.model_validate(stored["customer"])) == []
    assert unknown_keys(AssistantOverrides.model_validate(stored["assistantOverrides"])) == []


@pytest.mark.parametrize("scenario", ["book_tour", "human", "voicemail", "no_answer"])
def test_simulated_webhooks_match_vapis_message_schemas(
    demo, vapi_settings, simulator, webhook_receiver, scenario, calling_hours
):
    prop = Property.objects.get(name="Harbor View Apartments")
    assistant = create_property_assistant(property=prop)
    webhook_receiver.assistant_id = assistant.vapi_assistant_id
    lead = Lead.objects.get(first_name="Maya")
    call_place_outbound(
        assistant=assistant,
        phone_number=lead.phone,
        lead=lead,
        metadata={"simScenario": scenario},
        path=CallDecision.Path.COMMAND,
    )
    simulator.app.wait_for_calls(timeout=10)

    seen = set()
    for message in webhook_receiver.messages():
        seen.add(message["type"])
        parsed = MESSAGE_MODELS[message["type"]].model_validate(_arguments_as_strings(message))
        # Two known differences from the SDK's typing, on purpose:
        # - `phoneNumber`: the SDK types it as the *create* DTO (no id, no number), but Vapi
        #   sends the stored number (vapi-reference.md §8.3 example: id, provider, number), and
        #   inbound routing needs `number`.
        # - `assistant`: the CreateAssistantDto in use, checked key by key in the test above.
        problems = [
            p for p in unknown_keys(parsed) if not p.startswith(("$.phone_number.", "$.assistant."))
        ]
        assert problems == [], message["type"]
        assert unknown_keys(Call.model_validate(message["call"])) == []
    assert {"status-update", "end-of-call-report"} <= seen


def test_played_call_as_returned_by_get_call_matches_the_call_schema(
    demo, vapi_settings, simulator, webhook_receiver, calling_hours
):
    prop = Property.objects.get(name="Harbor View Apartments")
    assistant = create_property_assistant(property=prop)
    ConsentFactory(organization=prop.organization, number="+12065550100")
    call_log = call_place_outbound(
        assistant=assistant, phone_number="+12065550100", path=CallDecision.Path.COMMAND
    )
    simulator.app.wait_for_calls(timeout=10)

    from voice.vapi.client import get_vapi_client

    fetched = get_vapi_client().get_call(call_log.vapi_call_id)
    assert fetched["status"] == "ended"
    parsed = Call.model_validate(fetched)
    assert unknown_keys(parsed) == []
    assert re.fullmatch(r"[0-9a-f-]{36}", parsed.id)
