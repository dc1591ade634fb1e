"""A model, voice provider or language Vapi would refuse is refused here first, on every path staff
set them: the API (create, replace, change), the admin form and `create_assistant`; nothing is sent
to Vapi and nothing changes here."""

from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from tests.api.conftest import assert_error, bearer_client
from tests.factories import AssistantFactory, PropertyFactory, UserFactory
from voice.assistants.services import assistant_create_or_update, assistant_push, assistant_update
from voice.assistants.validation import UNKNOWN_LANGUAGE, UNKNOWN_MODEL, UNKNOWN_VOICE_PROVIDER
from voice.models import Assistant
from voice.simulator.state import DEMO_PHONE_NUMBERS

pytestmark = pytest.mark.django_db

ASSISTANTS = "/api/v1/voice/assistants"

# One value Vapi would refuse per field, and the message naming it.
INVALID = [
    ("model", "gpt-nonexistent", UNKNOWN_MODEL),
    ("voice_provider", "elevenlabs", UNKNOWN_VOICE_PROVIDER),
    ("language", "english", UNKNOWN_LANGUAGE),
]
FIELDS = [field_name for field_name, _, _ in INVALID]


@pytest.fixture
def user():
    return UserFactory()


@pytest.fixture
def prop(user, vapi_settings):
    return PropertyFactory(owner=user, name="Harbor View", leasing_phone=DEMO_PHONE_NUMBERS[0])


@pytest.fixture
def assistant(prop, simulator):
    """On the simulator, with a voice id so that any provider would do."""
    return assistant_push(assistant=AssistantFactory(property=prop, voice_id="alloy"))


def _columns(assistant: Assistant) -> dict:
    fresh = Assistant.objects.get(pk=assistant.pk)
    return {f.attname: getattr(fresh, f.attname) for f in fresh._meta.concrete_fields}


def _vapi_writes(simulator) -> int:
    """Assistants created or changed at Vapi so far."""
    state = simulator.app.state
    return state.count_requests("POST", "/assistant") + sum(
        state.count_requests("PATCH", f"/assistant/{remote_id}") for remote_id in state.assistants
    )


# API -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("field_name", "value", "message"), INVALID, ids=FIELDS)
def test_api_create_refuses_a_value_vapi_would_refuse(
    user, prop, simulator, field_name, value, message
):
    response = bearer_client(user).post(
        f"{ASSISTANTS}?property_id={prop.pk}", {field_name: value}, format="json"
    )

    details = assert_error(response, 400, "validation_error")["details"]
    assert details == {field_name: [f'"{value}" is not a valid choice.']}
    assert not Assistant.objects.exists()
    assert _vapi_writes(simulator) == 0


@pytest.mark.parametrize("method", ["put", "patch"])
@pytest.mark.parametrize(("field_name", "value", "message"), INVALID, ids=FIELDS)
def test_api_update_refuses_a_value_vapi_would_refuse(
    user, assistant, simulator, method, field_name, value, message
):
    before = _columns(assistant)
    writes = _vapi_writes(simulator)
    body = {field_name: value, "name": assistant.name}

    response = getattr(bearer_client(user), method)(
        f"{ASSISTANTS}/{assistant.pk}", body, format="json"
    )

    details = assert_error(response, 400, "validation_error")["details"]
    assert details == {field_name: [f'"{value}" is not a valid choice.']}
    assert _columns(assistant) == before
    assert _vapi_writes(simulator) == writes


# Admin -----------------------------------------------------------------------------------------


def _admin_form(assistant: Assistant, **changes: str) -> dict:
    data = {
        "property": assistant.property_id,
        "name": assistant.name,
        "vapi_phone_number_id": assistant.vapi_phone_number_id,
        "first_message": assistant.first_message,
        "system_prompt": assistant.system_prompt,
        "voice_provider": assistant.voice_provider,
        "voice_id": assistant.voice_id,
        "model": assistant.model,
        "language": assistant.language,
    }
    return {**data, **changes}


@pytest.mark.parametrize(("field_name", "value", "message"), INVALID, ids=FIELDS)
def test_admin_change_form_refuses_a_value_vapi_would_refuse_on_the_field(
    admin_client, assistant, simulator, field_name, value, message
):
    before = _columns(assistant)
    writes = _vapi_writes(simulator)
    url = reverse("admin:voice_assistant_change", args=[assistant.pk])

    response = admin_client.post(url, _admin_form(assistant, **{field_name: value}))

    assert response.status_code == 200  # the form again, not a redirect
    form = response.context["adminform"].form
    assert form.errors == {field_name: [message.format(value=value)]}
    assert _columns(assistant) == before
    assert _vapi_writes(simulator) == writes


@pytest.mark.parametrize(("field_name", "value", "message"), INVALID, ids=FIELDS)
def test_admin_add_form_refuses_a_value_vapi_would_refuse_on_the_field(
    admin_client, prop, simulator, field_name, value, message
):
    blank = Assistant(property=prop, name="Harbor desk", voice_id="alloy")
    url = reverse("admin:voice_assistant_add")

    response = admin_client.post(url, _admin_form(blank, **{field_name: value}))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {field_name: [message.format(value=value)]}
    assert not Assistant.objects.exists()
    assert _vapi_writes(simulator) == 0


def test_admin_keeps_a_value_pulled_from_vapi_that_the_form_does_not_change(
    admin_client, assistant, simulator
):
    # A model newer than our copy of Vapi's enums, as `sync_assistants` may have pulled it.
    Assistant.objects.filter(pk=assistant.pk).update(model="gpt-9")
    assistant.refresh_from_db()
    url = reverse("admin:voice_assistant_change", args=[assistant.pk])

    response = admin_client.post(url, _admin_form(assistant, name="Harbor front desk"))

    assert response.status_code == 302, response.context["adminform"].form.errors
    assistant.refresh_from_db()
    assert (assistant.name, assistant.model) == ("Harbor front desk", "gpt-9")


# create_assistant and the services -------------------------------------------------------------


@pytest.mark.parametrize(("field_name", "value", "message"), INVALID, ids=FIELDS)
def test_create_assistant_command_refuses_a_value_vapi_would_refuse(
    prop, simulator, field_name, value, message
):
    option = "--" + field_name.replace("_", "-")

    with pytest.raises(CommandError) as raised:
        call_command(
            "create_assistant", "--property", str(prop.pk), option, value, stdout=StringIO()
        )

    assert str(raised.value) == f"{option}: {message.format(value=value)}"
    assert not Assistant.objects.exists()
    assert _vapi_writes(simulator) == 0


@pytest.mark.parametrize(("field_name", "value", "message"), INVALID, ids=FIELDS)
def test_create_assistant_command_refuses_a_bad_value_for_an_existing_assistant(
    assistant, simulator, field_name, value, message
):
    before = _columns(assistant)
    writes = _vapi_writes(simulator)
    option = "--" + field_name.replace("_", "-")

    with pytest.raises(CommandError, match=f"^{option}: "):
        call_command(
            "create_assistant",
            "--property",
            str(assistant.property_id),
            option,
            value,
            stdout=StringIO(),
        )

    assert _columns(assistant) == before
    assert _vapi_writes(simulator) == writes


def test_services_name_every_bad_field_at_once(prop, simulator):
    with pytest.raises(ValidationError) as raised:
        assistant_create_or_update(
            property=prop, model="gpt-nonexistent", voice_provider="eleven", language="xx"
        )

    assert set(raised.value.message_dict) == {"model", "voice_provider", "language"}
    assert _vapi_writes(simulator) == 0


def test_a_language_in_any_case_is_pushed_in_deepgrams_spelling(assistant, simulator):
    updated = assistant_update(assistant=assistant, language="zh-hans")

    remote = simulator.app.state.assistants[updated.vapi_assistant_id]
    assert remote["transcriber"]["language"] == "zh-Hans"
