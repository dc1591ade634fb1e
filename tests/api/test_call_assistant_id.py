"""POST /api/v1/voice/call names its assistant by our id or by the assistant's Vapi id (as in the
README's and Vapi's own examples); only the user's assistants are found either way."""

import json

import httpx
import pytest

from tests.api.conftest import assert_error, bearer_client
from tests.factories import AssistantFactory, LeadFactory, PropertyFactory, UserFactory
from voice.models import CallLog
from voice.vapi.client import VapiClient

pytestmark = pytest.mark.django_db

CALL = "/api/v1/voice/call"


class FakeVapi:
    """Answers POST /call like Vapi and keeps each request body."""

    def __init__(self) -> None:
        self.bodies: list[dict] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        assert (request.method, request.url.path) == ("POST", "/call"), request.url
        self.bodies.append(json.loads(request.content))
        call_id = f"call-{len(self.bodies)}"
        return httpx.Response(201, json={"id": call_id, "status": "queued"})


@pytest.fixture
def fake_vapi(monkeypatch) -> FakeVapi:
    fake = FakeVapi()
    client = VapiClient(
        api_key="test-key",
        base_url="https://vapi.test",
        transport=httpx.MockTransport(fake.handler),
    )
    monkeypatch.setattr("voice.vapi.client.get_vapi_client", lambda: client)
    return fake


@pytest.fixture
def user():
    return UserFactory()


def _pushed_assistant(owner, vapi_id: str):
    """An assistant that is on Vapi, with a number to call from (no lookup at Vapi)."""
    return AssistantFactory(
        property=PropertyFactory(owner=owner),
        vapi_assistant_id=vapi_id,
        vapi_phone_number_id="pn-1",
    )


@pytest.fixture
def assistant(user):
    return _pushed_assistant(user, "aad116b3-832a-4670-9fd8-ef9a7e279c58")


@pytest.fixture
def other_organizations_assistant():
    return _pushed_assistant(UserFactory(), "0c9b8f5e-other-org-assistant")


def test_the_assistants_vapi_id_places_the_same_call_as_our_id(
    user, assistant, fake_vapi, calling_hours
):
    lead = LeadFactory(property=assistant.property, consent_to_call=True)  # written consent too
    client = bearer_client(user)
    body = {"phone_number": lead.phone, "lead_id": lead.pk, "metadata": {"campaign": "x"}}

    by_pk = client.post(CALL, {**body, "assistant_id": assistant.pk}, format="json")
    by_vapi_id = client.post(
        CALL, {**body, "assistant_id": assistant.vapi_assistant_id}, format="json"
    )

    assert by_pk.status_code == by_vapi_id.status_code == 201, by_vapi_id.content
    first, second = fake_vapi.bodies
    # Each attempt has its own id (voice/calls/reconcile.py); the rest is the same call.
    first_attempt = first["assistantOverrides"]["metadata"].pop("attemptId")
    second_attempt = second["assistantOverrides"]["metadata"].pop("attemptId")
    assert first_attempt != second_attempt
    assert first == second
    assert first["assistantId"] == assistant.vapi_assistant_id
    assert by_vapi_id.json()["assistant"] == assistant.pk
    assert list(CallLog.objects.values_list("assistant_id", flat=True)) == [assistant.pk] * 2


def test_another_organizations_vapi_id_is_refused_like_an_unknown_one(
    user, assistant, other_organizations_assistant, fake_vapi
):
    client = bearer_client(user)
    unknown_id = "f" * len(other_organizations_assistant.vapi_assistant_id)

    def place(assistant_id):
        return client.post(
            CALL, {"phone_number": "+14155550123", "assistant_id": assistant_id}, format="json"
        )

    theirs, unknown = place(other_organizations_assistant.vapi_assistant_id), place(unknown_id)

    assert theirs.status_code == unknown.status_code == 404
    assert_error(theirs, 404, "not_found")
    theirs_body = theirs.content.decode().replace(
        other_organizations_assistant.vapi_assistant_id, "<id>"
    )
    assert theirs_body == unknown.content.decode().replace(unknown_id, "<id>")
    # The same as for an id of ours that is not there.
    assert place(10**9).json()["error"] == "not_found"
    assert fake_vapi.bodies == []
    assert not CallLog.objects.exists()


@pytest.mark.parametrize(
    ("assistant_id", "status"),
    [
        ("", 400),
        ("   ", 400),
        ("x" * 101, 400),
        ("5", 404),  # a string is a Vapi id, never our id
        (True, 400),
        ([1], 400),
    ],
)
def test_an_assistant_id_that_is_neither_is_refused(
    user, assistant, fake_vapi, assistant_id, status
):
    response = bearer_client(user).post(
        CALL, {"phone_number": "+14155550123", "assistant_id": assistant_id}, format="json"
    )

    code = "not_found" if status == 404 else "validation_error"
    assert list(assert_error(response, status, code)["details"]) == ["assistant_id"]
    assert fake_vapi.bodies == []


def test_a_lone_surrogate_is_a_400_not_a_server_error(user, assistant, fake_vapi):
    response = bearer_client(user).post(
        CALL,
        '{"phone_number": "+14155550123", "assistant_id": "a\\ud800"}',
        content_type="application/json",
    )

    assert list(assert_error(response, 400, "validation_error")["details"]) == ["assistant_id"]


def test_the_schema_documents_both_kinds_of_id(openapi_schema):
    field = openapi_schema["components"]["schemas"]["CallPlaceInput"]["properties"]["assistant_id"]

    assert [alternative["type"] for alternative in field["oneOf"]] == ["integer", "string"]
    assert "vapi_assistant_id" in field["description"]
