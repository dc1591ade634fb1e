"""The greetings carry their disclosures (calling-compliance.md §3, §7 rules 11, 13): a greeting
without them is refused on every path staff set it (admin form, API, services), on the field and
before anything reaches Vapi; the outbound greeting is filled in per call; the voicemail complies.
"""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from leads.compliance.disclosures import (
    DEFAULT_OUTBOUND_GREETING,
    offers_opt_out,
    outbound_greeting,
    says_ai,
    voicemail_message,
)
from tests.api.conftest import assert_error, bearer_client
from tests.factories import AssistantFactory, PropertyFactory, UserFactory
from tests.voice.assistants.test_vapi_values import (
    ASSISTANTS,
    _admin_form,
    _columns,
    _vapi_writes,
)
from voice.assistants.config import assistant_build_config, default_first_message
from voice.assistants.services import assistant_push, assistant_update, create_property_assistant
from voice.assistants.validation import (
    FIRST_MESSAGE_NO_AI,
    OUTBOUND_NO_AI,
    OUTBOUND_NO_LEGAL_NAME,
    OUTBOUND_NO_OPT_OUT,
    validate_outbound_first_message,
)
from voice.models import Assistant
from voice.simulator.state import DEMO_PHONE_NUMBERS

pytestmark = pytest.mark.django_db

GOOD_OUTBOUND = (
    "Hi {first_name}, this is {property}'s AI assistant for {legal_name}, calling about your "
    "apartment search. You can say 'stop calling' or press 9 any time to be removed."
)
WITHOUT_AI = GOOD_OUTBOUND.replace("'s AI assistant", "'s leasing assistant")


@pytest.fixture
def user():
    return UserFactory()


@pytest.fixture
def prop(user, vapi_settings):
    return PropertyFactory(owner=user, name="Harbor View", leasing_phone=DEMO_PHONE_NUMBERS[0])


@pytest.fixture
def assistant(prop, simulator):
    return assistant_push(assistant=AssistantFactory(property=prop, voice_id="alloy"))


# The checks ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I'm an AI assistant", True),
        ("I am an A.I. assistant", True),
        ("an ai, and", True),
        ("I said I aim to help", False),
        ("Harbor View's virtual assistant", False),
    ],
)
def test_says_ai_wants_the_word(text, expected):
    assert says_ai(text) is expected


def test_the_default_greetings_pass_their_own_checks():
    validate_outbound_first_message(DEFAULT_OUTBOUND_GREETING)
    assert says_ai(default_first_message(PropertyFactory.build(name="Harbor View")))


def test_an_outbound_greeting_may_name_the_legal_name_literally():
    text = GOOD_OUTBOUND.replace("{legal_name}", "Bayside Living Management LLC")
    validate_outbound_first_message(text, legal_name="Bayside Living Management LLC")
    with pytest.raises(ValidationError) as raised:
        validate_outbound_first_message(text, legal_name="Other Owner Inc")
    assert raised.value.messages == [OUTBOUND_NO_LEGAL_NAME.format(legal_name="Other Owner Inc")]


def test_an_outbound_greeting_missing_everything_says_all_three():
    with pytest.raises(ValidationError) as raised:
        validate_outbound_first_message("Hi, this is Harbor View. Got a minute?", legal_name="X")
    assert raised.value.messages == [
        OUTBOUND_NO_LEGAL_NAME.format(legal_name="X"),
        OUTBOUND_NO_AI,
        OUTBOUND_NO_OPT_OUT,
    ]


def test_an_outbound_greeting_with_an_unknown_placeholder_is_refused():
    with pytest.raises(ValidationError) as raised:
        validate_outbound_first_message(GOOD_OUTBOUND + " {unit}")
    assert "{unit}" in raised.value.messages[0]


# Filled in per call ----------------------------------------------------------------------------


def test_the_outbound_greeting_is_filled_per_call(prop):
    text = outbound_greeting(template=GOOD_OUTBOUND, prop=prop, first_name="Dana")
    assert text.startswith("Hi Dana, this is Harbor View's AI assistant for ")
    assert prop.organization.legal_name in text
    blank = outbound_greeting(template="", prop=prop)
    assert blank.startswith("Hi, this is the virtual leasing assistant for Harbor View")
    assert prop.organization.legal_name in blank
    assert says_ai(blank)
    assert offers_opt_out(blank)


def test_the_voicemail_names_the_business_says_ai_and_gives_the_opt_out_number(prop):
    message = assistant_build_config(assistant=Assistant(property=prop))["voicemailMessage"]
    assert message == voicemail_message(prop)
    assert prop.organization.legal_name in message
    assert says_ai(message)
    assert f"To stop these calls, call {prop.leasing_phone}" in message


def test_a_property_without_a_number_leaves_no_voicemail(prop):
    prop.leasing_phone = ""
    assert "voicemailMessage" not in assistant_build_config(assistant=Assistant(property=prop))


# Admin (acceptance 4) --------------------------------------------------------------------------


def test_admin_refuses_an_outbound_greeting_without_ai(admin_client, assistant, simulator):
    Assistant.objects.filter(pk=assistant.pk).update(outbound_first_message=GOOD_OUTBOUND)
    assistant.refresh_from_db()
    before = _columns(assistant)
    writes = _vapi_writes(simulator)
    url = reverse("admin:voice_assistant_change", args=[assistant.pk])

    response = admin_client.post(
        url,
        _admin_form(
            assistant, outbound_first_message=WITHOUT_AI, first_message=assistant.first_message
        ),
    )

    assert response.status_code == 200  # the form again, not a redirect
    form = response.context["adminform"].form
    assert form.errors == {"outbound_first_message": [OUTBOUND_NO_AI]}
    assert "outbound greeting (outbound_first_message) must say it is an AI" in (
        response.content.decode().replace("&quot;", '"')
    )
    assert _columns(assistant) == before
    assert _vapi_writes(simulator) == writes


def test_admin_refuses_an_inbound_greeting_without_ai(admin_client, assistant, simulator):
    url = reverse("admin:voice_assistant_change", args=[assistant.pk])
    response = admin_client.post(url, _admin_form(assistant, first_message="Hi, Harbor View!"))
    assert response.context["adminform"].form.errors == {"first_message": [FIRST_MESSAGE_NO_AI]}


def test_admin_saves_a_compliant_outbound_greeting(admin_client, assistant, simulator):
    url = reverse("admin:voice_assistant_change", args=[assistant.pk])
    response = admin_client.post(url, _admin_form(assistant, outbound_first_message=GOOD_OUTBOUND))
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Assistant.objects.get(pk=assistant.pk).outbound_first_message == GOOD_OUTBOUND


# API (acceptance 4) ----------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["put", "patch"])
def test_api_refuses_an_outbound_greeting_without_ai(user, assistant, simulator, method):
    before = _columns(assistant)
    writes = _vapi_writes(simulator)
    body = {"outbound_first_message": WITHOUT_AI, "name": assistant.name}

    response = getattr(bearer_client(user), method)(
        f"{ASSISTANTS}/{assistant.pk}", body, format="json"
    )

    details = assert_error(response, 400, "validation_error")["details"]
    assert details == {"outbound_first_message": [OUTBOUND_NO_AI]}
    assert _columns(assistant) == before
    assert _vapi_writes(simulator) == writes


def test_api_create_refuses_an_inbound_greeting_without_ai(user, prop, simulator):
    response = bearer_client(user).post(
        f"{ASSISTANTS}?property_id={prop.pk}", {"first_message": "Hello!"}, format="json"
    )
    details = assert_error(response, 400, "validation_error")["details"]
    assert details == {"first_message": [FIRST_MESSAGE_NO_AI]}
    assert not Assistant.objects.exists()
    assert _vapi_writes(simulator) == 0


def test_api_sets_the_outbound_greeting(user, assistant, simulator):
    response = bearer_client(user).patch(
        f"{ASSISTANTS}/{assistant.pk}", {"outbound_first_message": GOOD_OUTBOUND}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["outbound_first_message"] == GOOD_OUTBOUND


# Services --------------------------------------------------------------------------------------


def test_services_refuse_greetings_without_disclosures(prop, assistant, simulator):
    with pytest.raises(ValidationError) as raised:
        assistant_update(assistant=assistant, outbound_first_message=WITHOUT_AI)
    assert raised.value.message_dict == {"outbound_first_message": [OUTBOUND_NO_AI]}
    with pytest.raises(ValidationError):
        create_property_assistant(property=prop, first_message="Hello there")
