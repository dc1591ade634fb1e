"""The assistant config built from property data, and the services that sync it with Vapi."""

import json
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from leads.demo import demo_data_load
from properties.models import OfficeHours, Property, Unit
from tests.clock import today_in
from tests.factories import AssistantFactory, PropertyFactory, StaffPhoneFactory, UnitFactory
from voice.assistants.config import (
    assistant_build_config,
    assistant_system_prompt,
    availability_lines,
    office_hours_lines,
)
from voice.assistants.services import (
    assistant_delete,
    assistant_push,
    assistant_update,
    configure_assistant_functions,
    create_property_assistant,
    test_assistant,
    update_assistant_knowledge,
)
from voice.models import Assistant, StructuredOutput
from voice.simulator.state import Fault
from voice.simulator.validation import validate_assistant
from voice.structured_outputs import (
    LEASING_CALL,
    STRUCTURED_OUTPUT_NAMES,
    STRUCTURED_OUTPUTS,
    structured_outputs_sync,
)
from voice.vapi.errors import VapiBadRequestError, VapiServerError, VoiceError

pytestmark = pytest.mark.django_db

FUNCTION_ARGUMENTS = {  # HELPERS.md "Function tools ... and their argument names, exactly"
    "check_availability": ({"bedrooms", "max_rent", "move_in_date"}, set()),
    "schedule_tour": (
        {"first_name", "last_name", "phone", "start_time", "tour_type", "unit"},
        {"first_name", "start_time"},
    ),
    "qualify_lead": (
        {
            "move_in_date",
            "bedrooms",
            "budget",
            "has_pets",
            "pets",
            "first_name",
            "last_name",
            "email",
        },
        set(),
    ),
    "transfer_to_human": ({"reason"}, {"reason"}),
}
STRUCTURED_FIELDS = {
    "first_name": "string",
    "last_name": "string",
    "move_in_date": "string",
    "bedrooms": "integer",
    "budget": "number",
    "has_pets": "boolean",
    "pets": "string",
    "tour_interest": "boolean",
    "email": "string",
}


@pytest.fixture
def harbor_view() -> Property:
    demo_data_load(today=date(2026, 12, 1))
    return Property.objects.get(name="Harbor View Apartments")


def _config(prop: Property, **fields) -> dict:
    return assistant_build_config(assistant=Assistant(property=prop, **fields))


def _tools(config: dict) -> dict[str, dict]:
    tools = config["model"]["tools"]
    return {t["function"]["name"] if t["type"] == "function" else t["type"]: t for t in tools}


# The config --------------------------------------------------------------------------------------


def test_demo_property_config_passes_vapis_strict_validation(harbor_view, settings):
    for elevenlabs_key in ("", "el-key"):
        settings.ELEVENLABS_API_KEY = elevenlabs_key
        config = _config(harbor_view, name="Harbor View leasing")
        assert validate_assistant(config) == []
        assert json.loads(json.dumps(config)) == config  # plain JSON, nothing else


def test_config_pins_tools_server_and_messages(harbor_view, settings):
    settings.PUBLIC_BASE_URL = "https://leasing.example.com"
    config = _config(harbor_view, name="Harbor View leasing")
    tools = _tools(config)

    assert set(tools) == {*FUNCTION_ARGUMENTS, "stop_calling", "transferCall", "endCall"}
    # §7 rule 12: the opt-out tool takes no arguments and says nothing before its result.
    stop = tools["stop_calling"]
    assert stop["function"]["parameters"] == {"type": "object", "properties": {}}
    assert stop["parameters"] == [{"key": "property_id", "value": str(harbor_view.pk)}]
    assert {m["type"] for m in stop["messages"]} == {"request-response-delayed", "request-failed"}
    for name, (arguments, required) in FUNCTION_ARGUMENTS.items():
        tool = tools[name]
        parameters = tool["function"]["parameters"]
        assert parameters["type"] == "object"
        assert set(parameters["properties"]) == arguments
        assert set(parameters.get("required", [])) == required
        assert tool["parameters"] == [{"key": "property_id", "value": str(harbor_view.pk)}]
        assert tool["async"] is False
        spoken = {m["type"] for m in tool["messages"]}
        assert spoken == {"request-start", "request-response-delayed", "request-failed"}
    schedule = tools["schedule_tour"]["function"]["parameters"]["properties"]
    assert schedule["tour_type"]["enum"] == ["in_person", "self_guided", "virtual"]
    assert tools["check_availability"]["function"]["parameters"]["properties"]["bedrooms"] == {
        "type": "integer",
        "description": "Number of bedrooms; 0 means a studio.",
    }
    # No fixed destination: every transfer asks our server, which checks office hours (§6.2).
    assert tools["transferCall"] == {"type": "transferCall", "destinations": []}
    assert "+14155550101" not in json.dumps(config)
    prompt = config["model"]["messages"][0]["content"]
    assert "- transferCall: connects the caller to a person" in prompt
    assert "call stop_calling right away" in prompt
    assert config["keypadInputPlan"]["enabled"] is True  # "press 9 to be removed" (§7 rule 11)
    assert "end the call with endCall" in prompt

    assert config["server"] == {
        "url": "https://leasing.example.com/api/v1/voice/webhook",
        "timeoutSeconds": 20,
    }
    assert config["serverMessages"] == [
        "status-update",
        "end-of-call-report",
        "tool-calls",
        "transfer-destination-request",
        "hang",
        'transcript[transcriptType="final"]',
    ]
    assert config["metadata"] == {
        "propertyId": str(harbor_view.pk),
        "timezone": "America/Los_Angeles",
    }
    assert config["model"]["provider"] == "openai"
    assert config["model"]["model"] == "gpt-4o"
    assert config["transcriber"] == {"provider": "deepgram", "model": "nova-3", "language": "en"}
    assert config["voicemailDetection"]["provider"] == "vapi"
    assert "Harbor View Apartments" in config["voicemailMessage"]
    assert "AI" in config["firstMessage"]


def test_config_references_the_structured_outputs_instead_of_an_analysis_plan(
    vapi_settings, simulator, harbor_view
):
    # vapi-reference.md §12.4: analysisPlan is deprecated; outputs are referenced by id.
    structured_outputs_sync()
    config = _config(harbor_view)
    assert "analysisPlan" not in config
    stored = dict(StructuredOutput.objects.values_list("name", "vapi_id"))
    assert config["artifactPlan"] == {
        "recordingEnabled": True,
        "structuredOutputIds": [stored[name] for name in STRUCTURED_OUTPUT_NAMES],
    }
    lead_schema = next(o for o in STRUCTURED_OUTPUTS if o["name"] == LEASING_CALL)["schema"]
    assert {k: v["type"] for k, v in lead_schema["properties"].items()} == STRUCTURED_FIELDS


def test_voice_is_elevenlabs_only_with_its_key(harbor_view, settings):
    settings.ELEVENLABS_API_KEY = ""
    assert _config(harbor_view)["voice"] == {"provider": "vapi", "voiceId": "Elliot"}
    settings.ELEVENLABS_API_KEY = "el-key"
    voice = _config(harbor_view)["voice"]
    assert voice == {"provider": "11labs", "voiceId": "sarah", "model": "eleven_turbo_v2_5"}
    assert "el-key" not in json.dumps(_config(harbor_view))  # the key stays in Vapi's settings
    chosen = _config(harbor_view, voice_provider="openai", voice_id="nova")["voice"]
    assert chosen == {"provider": "openai", "voiceId": "nova"}


def test_voice_without_a_default_needs_an_id(harbor_view):
    with pytest.raises(VoiceError, match="voice id"):
        _config(harbor_view, voice_provider="cartesia")


def test_language_reaches_the_transcriber(harbor_view):
    assert _config(harbor_view, language="es")["transcriber"] == {
        "provider": "deepgram",
        "model": "nova-2",
        "language": "es",
    }
    assert _config(harbor_view, language="en-us")["transcriber"]["language"] == "en-US"


def test_names_are_cut_to_40_characters():
    prop = PropertyFactory(name="The Residences at Willow Creek Crossing Phase Two")
    config = _config(prop)
    assert len(config["name"]) <= 40
    assert config["name"].endswith("leasing assistant")
    assert validate_assistant(config) == []


def test_without_staff_number_the_transfer_is_decided_at_call_time():
    prop = PropertyFactory(transfer_phone="")
    config = _config(prop)
    assert _tools(config)["transferCall"]["destinations"] == []
    assert validate_assistant(config) == []


def test_webhook_credential_is_referenced_never_the_secret(harbor_view, settings):
    settings.VAPI_WEBHOOK_CREDENTIAL_ID = "cred-123"
    config = _config(harbor_view)
    assert config["server"]["credentialId"] == "cred-123"
    assert settings.VAPI_WEBHOOK_SECRET not in json.dumps(config)


# The prompt --------------------------------------------------------------------------------------


def test_prompt_has_facts_hours_availability_and_guardrails(harbor_view):
    prompt = assistant_system_prompt(
        assistant=Assistant(property=harbor_view), today=date(2026, 12, 1)
    )
    assert "Harbor View Apartments" in prompt
    assert "1200 Embarcadero Way, San Francisco, CA 94107" in prompt
    assert "Monday-Friday: 9:00 AM-6:00 PM" in prompt
    assert "Saturday: 10:00 AM-5:00 PM" in prompt
    assert "Sunday: closed" in prompt
    assert "2 bedroom: 2 units (The Harbor (2 bed)), $4,250 to $4,350 a month" in prompt
    assert "Studio: 1 unit (The Pier (Studio)), $2,450 a month, available now" in prompt
    assert "3 bedroom" not in prompt  # occupied units are not offered
    assert "Application fee: $45" in prompt
    assert "Rooftop deck with bay views" in prompt
    assert "America/Los_Angeles" in prompt
    # Guardrails: AI disclosure, fair housing, no screening.
    assert "AI disclosure" in prompt
    # calling-compliance.md §7 rule 14: asked "are you a real person?", the truthful answer
    # and the offer of a human.
    assert "whether you are a real person, a human, a robot, a bot or an AI" in prompt
    assert 'answer "I\'m an AI assistant" and offer to connect them with a person' in prompt
    assert "familial status" in prompt
    assert "never ask about or comment on income" in prompt
    assert "criminal history" in prompt
    # Vapi renders "now" at call time (Liquid), so dates in the prompt never go stale.
    assert '{{"now" | date: "%A, %B %-d, %Y %-I:%M %p", "America/Los_Angeles"}}' in prompt


@pytest.mark.parametrize(
    ("zone", "local_evening"),
    [
        # 20:00 on the fall-back Sunday in Los Angeles is already Monday in UTC.
        ("America/Los_Angeles", "2027-11-07T20:00:00-08:00"),
        # 21:30 on the spring-forward Sunday in New York is already Monday in UTC.
        ("America/New_York", "2027-03-14T21:30:00-04:00"),
    ],
)
def test_prompt_dates_and_hours_are_the_property_s_own(clock, zone, local_evening):
    evening = datetime.fromisoformat(local_evening)
    clock.move_to(evening)
    prop = PropertyFactory(timezone=zone, with_office_hours=False)
    OfficeHours.objects.create(property=prop, weekday=6, opens_at=time(1), closes_at=time(4))
    UnitFactory(property=prop, available_from=evening.date() + timedelta(days=1))
    prompt = assistant_system_prompt(assistant=Assistant(property=prop))
    assert f"as of {evening.date().isoformat()}" in prompt  # the property's today, not UTC's
    assert f"available from {(evening.date() + timedelta(days=1)).isoformat()}" in prompt
    assert "Office hours (local time):" in prompt
    assert "Sunday: 1:00 AM-4:00 AM" in prompt  # wall-clock hours, whatever the offset that day
    assert f'"{zone}"}}}}' in prompt  # Vapi renders "now" in the property's zone
    assert "some local times do not exist and some happen twice" in prompt


def test_custom_instructions_keep_the_rules_and_facts(harbor_view):
    prompt = assistant_system_prompt(
        assistant=Assistant(property=harbor_view, system_prompt="Speak like a pirate."),
        today=date(2026, 12, 1),
    )
    assert "Speak like a pirate." in prompt
    assert "Greet the caller warmly" not in prompt
    assert "familial status" in prompt
    assert "Monday-Friday" in prompt


def test_office_hours_lines_merge_equal_days():
    prop = PropertyFactory(with_office_hours=False)
    for weekday in (0, 1, 2):
        OfficeHours.objects.create(
            property=prop, weekday=weekday, opens_at=time(9), closes_at=time(17)
        )
    OfficeHours.objects.create(property=prop, weekday=3, opens_at=time(12), closes_at=time(20))
    OfficeHours.objects.create(property=prop, weekday=5, opens_at=time(8, 30), closes_at=time(12))
    OfficeHours.objects.create(property=prop, weekday=5, opens_at=time(13), closes_at=time(15))
    assert office_hours_lines(prop) == [
        "Monday-Wednesday: 9:00 AM-5:00 PM",
        "Thursday: 12:00 PM-8:00 PM",
        "Friday: closed",
        "Saturday: 8:30 AM-12:00 PM, 1:00 PM-3:00 PM",
        "Sunday: closed",
    ]


def test_availability_lines_group_by_bedrooms():
    prop = PropertyFactory()
    today = today_in(prop.tz)
    UnitFactory(property=prop, bedrooms=1, monthly_rent=Decimal("1500.50"), floor_plan="A")
    UnitFactory(
        property=prop,
        bedrooms=1,
        monthly_rent=Decimal("1700"),
        floor_plan="B",
        available_from=today + timedelta(days=45),
    )
    UnitFactory(property=prop, bedrooms=2, status=Unit.Status.OCCUPIED)
    assert availability_lines(prop, today=today) == [
        "1 bedroom: 2 units (A, B), $1,500.50 to $1,700 a month, available now",
    ]


# Services against the simulator -----------------------------------------------------------------


def test_create_property_assistant_creates_at_vapi_then_saves(
    vapi_settings, simulator, harbor_view
):
    assistant = create_property_assistant(property=harbor_view)

    assistant.refresh_from_db()
    remote = simulator.app.state.assistants[assistant.vapi_assistant_id]
    assert remote["name"] == assistant.name == "Harbor View Apartments leasing assistant"
    assert assistant.push_state == Assistant.PushState.OK
    assert assistant.last_pushed_at is not None
    assert assistant.last_push_error == ""
    assert assistant.last_pushed_config == {
        k: v
        for k, v in remote.items()
        if k not in {"id", "orgId", "createdAt", "updatedAt", "latestVersion"}
    }
    assert remote["latestVersion"] is None  # an org not onboarded to versioning
    assert assistant.latest_version is None
    assert assistant.model == "gpt-4o"
    assert assistant.language == "en"


def test_create_property_assistant_leaves_nothing_when_vapi_fails(
    vapi_settings, simulator, harbor_view
):
    simulator.app.state.add_fault(Fault(status=500, method="POST", path_prefix="/assistant"))
    with pytest.raises(VapiServerError):
        create_property_assistant(property=harbor_view)
    assert not Assistant.objects.exists()
    assert simulator.app.state.count_requests("POST", "/assistant") == 1  # never retried


def test_create_property_assistant_refuses_what_vapi_would_before_asking(
    vapi_settings, simulator, harbor_view
):
    with pytest.raises(ValidationError) as exc_info:
        create_property_assistant(property=harbor_view, model="gpt-nonexistent")
    assert list(exc_info.value.message_dict) == ["model"]
    assert not Assistant.objects.exists()
    assert simulator.app.state.count_requests("POST", "/assistant") == 0


def test_assistant_push_rejected_by_vapi(vapi_settings, simulator, harbor_view):
    # A value saved before it was checked here (or one Vapi has since dropped): Vapi refuses it.
    assistant = AssistantFactory(property=harbor_view, model="gpt-nonexistent")
    with pytest.raises(VapiBadRequestError) as exc_info:
        assistant_push(assistant=assistant)
    assert "model.model must be one of" in str(exc_info.value)
    assert Assistant.objects.get().push_state == Assistant.PushState.FAILED
    assert simulator.app.state.assistants == {}


def test_create_property_assistant_validates_before_calling_vapi(vapi_settings, simulator):
    prop = PropertyFactory()
    with pytest.raises(ValidationError):
        create_property_assistant(property=prop, model="x" * 61)
    assert simulator.app.state.count_requests("POST", "/assistant") == 0


def test_assistant_push_creates_then_patches(vapi_settings, simulator, harbor_view):
    assistant = AssistantFactory(property=harbor_view, name="Harbor desk")
    assistant_push(assistant=assistant)
    vapi_id = assistant.vapi_assistant_id
    assert simulator.app.state.assistants[vapi_id]["name"] == "Harbor desk"

    assistant.first_message = "Hello from the harbor!"
    assistant.save()
    assistant_push(assistant=assistant)
    assistant.refresh_from_db()
    assert assistant.vapi_assistant_id == vapi_id
    assert simulator.app.state.assistants[vapi_id]["firstMessage"] == "Hello from the harbor!"
    assert simulator.app.state.count_requests("PATCH", f"/assistant/{vapi_id}") == 1
    assert assistant.last_pushed_config["firstMessage"] == "Hello from the harbor!"


def test_assistant_push_records_failures_and_reraises(vapi_settings, simulator, harbor_view):
    assistant = AssistantFactory(property=harbor_view)
    assistant_push(assistant=assistant)
    pushed_config = assistant.last_pushed_config
    simulator.app.state.add_fault(Fault(status=500, method="PATCH", remaining=3))

    with pytest.raises(VapiServerError):
        assistant_push(assistant=assistant)

    assistant.refresh_from_db()
    assert assistant.push_state == Assistant.PushState.FAILED
    assert "HTTP 500" in assistant.last_push_error
    assert assistant.last_pushed_config == pushed_config  # what Vapi has is unchanged

    assistant_push(assistant=assistant)
    assistant.refresh_from_db()
    assert assistant.push_state == Assistant.PushState.OK
    assert assistant.last_push_error == ""


def test_assistant_push_recreates_an_assistant_deleted_at_vapi(
    vapi_settings, simulator, harbor_view
):
    assistant = AssistantFactory(property=harbor_view)
    assistant_push(assistant=assistant)
    old_id = assistant.vapi_assistant_id
    simulator.app.state.assistants.clear()

    assistant_push(assistant=assistant)

    assistant.refresh_from_db()
    assert assistant.vapi_assistant_id != old_id
    assert assistant.vapi_assistant_id in simulator.app.state.assistants


def test_assistant_update_patches_then_saves(vapi_settings, simulator, harbor_view):
    assistant = AssistantFactory(property=harbor_view)
    assistant_push(assistant=assistant)

    updated = assistant_update(
        assistant=assistant, name="Harbor nights", voice_provider="openai", voice_id="alloy"
    )

    assert updated.name == "Harbor nights"
    remote = simulator.app.state.assistants[updated.vapi_assistant_id]
    assert remote["name"] == "Harbor nights"
    assert remote["voice"] == {"provider": "openai", "voiceId": "alloy"}
    assert Assistant.objects.get(pk=assistant.pk).name == "Harbor nights"


def test_assistant_update_failure_leaves_the_row_unchanged(vapi_settings, simulator, harbor_view):
    assistant = AssistantFactory(property=harbor_view, name="Before")
    assistant_push(assistant=assistant)
    simulator.app.state.add_fault(Fault(status=503, method="PATCH", remaining=3))

    with pytest.raises(VapiServerError):
        assistant_update(assistant=assistant, name="After")

    assert assistant.name == "Before"
    assert Assistant.objects.get(pk=assistant.pk).name == "Before"
    with pytest.raises(ValidationError):
        assistant_update(assistant=assistant, vapi_assistant_id="hijack")


def test_assistant_update_of_a_never_pushed_assistant_is_local(vapi_settings, simulator):
    assistant = AssistantFactory()
    updated = assistant_update(assistant=assistant, first_message="Howdy, I am an AI")
    assert Assistant.objects.get(pk=updated.pk).first_message == "Howdy, I am an AI"
    assert simulator.app.state.requests == type(simulator.app.state.requests)()


def test_assistant_delete(vapi_settings, simulator, harbor_view):
    assistant = AssistantFactory(property=harbor_view)
    assistant_push(assistant=assistant)
    vapi_id = assistant.vapi_assistant_id

    assistant_delete(assistant=assistant)

    assert vapi_id not in simulator.app.state.assistants
    assert not Assistant.objects.exists()


def test_assistant_delete_when_already_gone_at_vapi(vapi_settings, simulator, harbor_view):
    assistant = AssistantFactory(property=harbor_view, vapi_assistant_id="6d1b1d5e-gone")
    assistant_delete(assistant=assistant)
    assert not Assistant.objects.exists()


def test_assistant_delete_keeps_the_row_when_vapi_fails(vapi_settings, simulator, harbor_view):
    assistant = AssistantFactory(property=harbor_view)
    assistant_push(assistant=assistant)
    simulator.app.state.add_fault(Fault(status=500, method="DELETE", remaining=3))
    with pytest.raises(VoiceError):
        assistant_delete(assistant=assistant)
    assert Assistant.objects.filter(pk=assistant.pk).exists()


def test_update_assistant_knowledge_pushes_current_rents(vapi_settings, simulator, harbor_view):
    assistant = AssistantFactory(property=harbor_view)
    assistant_push(assistant=assistant)
    harbor_view.units.filter(unit_number="312").update(monthly_rent=Decimal("3999"))

    update_assistant_knowledge(assistant=assistant)

    remote = simulator.app.state.assistants[assistant.vapi_assistant_id]
    prompt = remote["model"]["messages"][0]["content"]
    assert "$3,999 to $4,350 a month" in prompt
    assert len(remote["model"]["tools"]) == 7  # PATCH replaced the whole model, tools included
    assistant.refresh_from_db()
    assert assistant.last_pushed_config["model"]["messages"][0]["content"] == prompt


def test_configure_assistant_functions_restores_the_tools(vapi_settings, simulator, harbor_view):
    assistant = AssistantFactory(property=harbor_view)
    assistant_push(assistant=assistant)
    remote = simulator.app.state.assistants[assistant.vapi_assistant_id]
    remote["model"] = {"provider": "openai", "model": "gpt-4o"}
    remote["serverMessages"] = ["end-of-call-report"]

    configure_assistant_functions(assistant=assistant)

    remote = simulator.app.state.assistants[assistant.vapi_assistant_id]
    assert {t.get("function", {}).get("name") for t in remote["model"]["tools"]} >= set(
        FUNCTION_ARGUMENTS
    )
    assert "tool-calls" in remote["serverMessages"]


def test_configure_assistant_functions_failure_is_recorded(vapi_settings, simulator, harbor_view):
    assistant = AssistantFactory(property=harbor_view)
    assistant_push(assistant=assistant)
    simulator.app.state.add_fault(Fault(status=500, method="PATCH", remaining=3))
    with pytest.raises(VoiceError):
        configure_assistant_functions(assistant=assistant)
    assistant.refresh_from_db()
    assert assistant.push_state == Assistant.PushState.FAILED


def test_test_assistant_places_a_test_call(vapi_settings, simulator, harbor_view):
    assistant = create_property_assistant(property=harbor_view)
    StaffPhoneFactory(organization=harbor_view.organization, number="+14155550177")

    call_log = test_assistant(
        assistant_id=assistant.pk, phone_number="+14155550177", requested_by=None
    )

    assert call_log.assistant == assistant
    assert call_log.metadata["testCall"] == "true"
    assert call_log.direction == "outbound"
    by_vapi_id = test_assistant(
        assistant_id=assistant.vapi_assistant_id, phone_number="(415) 555-0177", requested_by=None
    )
    assert by_vapi_id.customer_number == "+14155550177"
    with pytest.raises(VoiceError, match="no assistant"):
        test_assistant(assistant_id=999999, phone_number="+14155550177", requested_by=None)
