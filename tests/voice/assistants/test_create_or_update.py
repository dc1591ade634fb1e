"""One assistant per property, whichever way it is made: assistant_create_or_update behind
`create_assistant`, POST /api/v1/voice/assistants and the property admin action."""

from decimal import Decimal

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import ValidationError
from django.urls import reverse

from tests.api.conftest import bearer_client
from tests.factories import AssistantFactory, PropertyFactory, UnitFactory, UserFactory
from voice.assistants.services import assistant_create_or_update
from voice.models import Assistant
from voice.simulator.state import DEMO_PHONE_NUMBERS, Fault
from voice.vapi.errors import VoiceError

pytestmark = pytest.mark.django_db

ASSISTANTS = "/api/v1/voice/assistants"


@pytest.fixture
def owner():
    return UserFactory()


@pytest.fixture
def harbor(owner, vapi_settings):
    prop = PropertyFactory(owner=owner, name="Harbor View", leasing_phone=DEMO_PHONE_NUMBERS[0])
    UnitFactory(property=prop, bedrooms=2, monthly_rent=Decimal("4250"))
    return prop


def _prompt(remote: dict) -> str:
    return remote["model"]["messages"][0]["content"]


def test_first_call_creates_the_assistant(harbor, simulator):
    saved = assistant_create_or_update(property=harbor, name="Harbor desk")

    assert saved.created
    assert saved.changed == ()
    assert Assistant.objects.get() == saved.assistant
    assert saved.assistant.name == "Harbor desk"
    assert list(simulator.app.state.assistants) == [saved.assistant.vapi_assistant_id]


def test_second_call_updates_the_same_assistant_with_the_current_property_data(harbor, simulator):
    first = assistant_create_or_update(property=harbor, name="Harbor desk").assistant
    harbor.units.update(monthly_rent=Decimal("3999"))

    saved = assistant_create_or_update(property=harbor, language="es", name="Harbor desk")

    assert not saved.created
    assert saved.changed == ("language",)  # the same name is not a change
    assert saved.assistant.pk == first.pk
    assert Assistant.objects.count() == 1
    assert Assistant.objects.get().language == "es"
    (remote,) = simulator.app.state.assistants.values()
    assert remote["transcriber"]["language"] == "es"
    assert "$3,999 a month" in _prompt(remote)
    assert simulator.app.state.count_requests("POST", "/assistant") == 1


def test_an_assistant_never_pushed_is_created_at_vapi(harbor, simulator):
    local = AssistantFactory(property=harbor)

    saved = assistant_create_or_update(property=harbor)

    assert not saved.created
    assert saved.assistant.pk == local.pk
    assert saved.assistant.vapi_assistant_id in simulator.app.state.assistants
    assert Assistant.objects.count() == 1


def test_several_assistants_are_refused_by_name(harbor, simulator):
    older, newer = AssistantFactory(property=harbor), AssistantFactory(property=harbor)

    with pytest.raises(ValidationError) as raised:
        assistant_create_or_update(property=harbor, language="es")

    message = raised.value.messages[0]
    assert "Harbor View already has several assistants" in message
    assert f"{older.pk} “{older.name}”" in message
    assert f"{newer.pk} “{newer.name}”" in message
    assert set(Assistant.objects.values_list("language", flat=True)) == {"en"}
    assert simulator.app.state.assistants == {}


def test_vapi_failing_on_the_update_changes_nothing(harbor, simulator):
    first = assistant_create_or_update(property=harbor).assistant
    simulator.app.state.add_fault(Fault(status=400, method="PATCH"))

    with pytest.raises(VoiceError):
        assistant_create_or_update(property=harbor, language="es")

    assert Assistant.objects.get().language == first.language == "en"


def test_api_post_twice_gives_201_then_200_and_one_assistant(owner, harbor, simulator):
    client = bearer_client(owner)
    url = f"{ASSISTANTS}?property_id={harbor.pk}"

    created = client.post(url, {"name": "Harbor desk"}, format="json")
    again = client.post(url, {"language": "es"}, format="json")

    assert created.status_code == 201, created.content
    assert again.status_code == 200, again.content
    assert again.json()["id"] == created.json()["id"]
    assert again.json()["name"] == "Harbor desk"  # left out: kept
    assert again.json()["language"] == "es"
    assert Assistant.objects.count() == 1
    assert len(simulator.app.state.assistants) == 1


def test_api_post_for_a_property_with_several_assistants_is_400(owner, harbor, simulator):
    AssistantFactory(property=harbor)
    AssistantFactory(property=harbor)

    response = bearer_client(owner).post(f"{ASSISTANTS}?property_id={harbor.pk}", {}, format="json")

    assert response.status_code == 400
    assert "already has several assistants" in response.content.decode()
    assert Assistant.objects.count() == 2


def test_admin_action_after_create_assistant_keeps_one_assistant(admin_client, harbor, simulator):
    assistant_create_or_update(property=harbor)

    response = admin_client.post(
        reverse("admin:properties_property_changelist"),
        {"action": "create_or_update_assistant", ACTION_CHECKBOX_NAME: [harbor.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert Assistant.objects.count() == 1
    assert len(simulator.app.state.assistants) == 1
