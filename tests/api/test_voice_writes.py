"""Voice write endpoints end to end against the Vapi simulator: assistants (create, replace, change,
delete) and placing calls; Vapi failing (injected faults, an unreachable URL) is a 503 that leaves
the local rows as they were.
"""

import socket
from datetime import datetime, timedelta

import httpx
import pytest
from rest_framework.throttling import SimpleRateThrottle

from leads.models import CallDecision
from tests.api.conftest import assert_error, bearer_client
from tests.factories import (
    AssistantFactory,
    ConsentFactory,
    LeadFactory,
    PropertyFactory,
    UserFactory,
)
from tests.voice.vapi_helpers import TEST_API_KEY
from voice.api.serializers import METADATA_KEY_INVALID, METADATA_TOO_MANY_KEYS, VOICE_ID_REQUIRED
from voice.assistants.config import default_first_message
from voice.assistants.services import assistant_push
from voice.calls.outbound import CALL_LEAD_OTHER_PROPERTY, CALL_NOT_PUSHED
from voice.models import Assistant, CallLog
from voice.simulator.state import DEMO_PHONE_NUMBERS, Fault, phone_number_id

pytestmark = pytest.mark.django_db

ASSISTANTS = "/api/v1/voice/assistants"
CALL = "/api/v1/voice/call"
LEASING_NUMBER = DEMO_PHONE_NUMBERS[0]  # the simulator has this number


@pytest.fixture
def user(calling_hours):
    """The caller; its tests run at a moment calls are allowed (before any token is issued)."""
    return UserFactory()


@pytest.fixture
def client(user):
    return bearer_client(user)


@pytest.fixture
def prop(user):
    return PropertyFactory(owner=user, name="Harbor View", leasing_phone=LEASING_NUMBER)


@pytest.fixture
def assistant(prop, vapi_settings):
    """An assistant that is on the simulator."""
    return assistant_push(assistant=AssistantFactory(property=prop))


def _remote(simulator, assistant: Assistant) -> dict:
    return simulator.app.state.assistants[assistant.vapi_assistant_id]


def _fault(simulator, **fault) -> None:
    """Queue a failure through the simulator's control endpoint."""
    response = httpx.post(
        f"{simulator.url}/_simulator/faults",
        json=fault,
        headers={"Authorization": f"Bearer {TEST_API_KEY}"},
    )
    assert response.status_code == 201, response.text


@pytest.fixture
def fast_retries(settings):
    """Retries stay on (the client's real behaviour) but do not wait."""
    settings.VAPI_RETRY_BACKOFF_SECONDS = 0.0
    return settings


@pytest.fixture
def vapi_unreachable(vapi_settings, fast_retries):
    """VAPI_BASE_URL points at a local port nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    vapi_settings.VAPI_BASE_URL = f"http://127.0.0.1:{port}"
    return vapi_settings


def _snapshot(obj) -> dict:
    """Every column, non-editable ones (Vapi id, push state, pushed config) included."""
    fresh = type(obj).objects.get(pk=obj.pk)
    return {f.attname: getattr(fresh, f.attname) for f in fresh._meta.concrete_fields}


def assert_voice_unavailable(response, *, method: str, path: str) -> dict:
    body = assert_error(response, 503, "voice_unavailable")
    assert body["detail"]
    assert body["details"]["method"] == method
    assert body["details"]["path"] == path
    assert TEST_API_KEY not in response.content.decode()
    return body


# Create ----------------------------------------------------------------------------------------


def test_create_assistant_with_defaults_at_vapi_then_here(client, prop, vapi_settings, simulator):
    response = client.post(f"{ASSISTANTS}?property_id={prop.pk}", {}, format="json")

    assert response.status_code == 201, response.content
    data = response.json()
    assistant = Assistant.objects.get()
    assert data["id"] == assistant.pk
    assert data["property"] == prop.pk
    assert data["name"] == "Harbor View leasing assistant"
    assert data["model"] == "gpt-4o"
    assert data["language"] == "en"
    assert data["push_state"] == "ok"
    assert data["vapi_assistant_id"] == assistant.vapi_assistant_id
    remote = _remote(simulator, assistant)
    assert remote["name"] == "Harbor View leasing assistant"
    assert remote["firstMessage"] == default_first_message(prop)
    assert remote["model"]["model"] == "gpt-4o"
    assert remote["voice"] == {"provider": "vapi", "voiceId": "Elliot"}
    assert remote["metadata"] == {"propertyId": str(prop.pk), "timezone": prop.timezone}
    assert simulator.app.state.count_requests("POST", "/assistant") == 1


def test_create_assistant_with_every_field(client, prop, vapi_settings, simulator):
    body = {
        "name": "Harbor night line",
        "first_message": "Hi, Harbor View's AI assistant here. This call may be recorded.",
        "system_prompt": "Keep answers under two sentences.",
        "voice_provider": "11labs",
        "voice_id": "paula",
        "model": "gpt-4o-mini",
        "language": "es",
    }

    response = client.post(f"{ASSISTANTS}?property_id={prop.pk}", body, format="json")

    assert response.status_code == 201, response.content
    assert {k: response.json()[k] for k in body} == body
    remote = _remote(simulator, Assistant.objects.get())
    assert remote["name"] == body["name"]
    assert remote["firstMessage"] == body["first_message"]
    assert remote["voice"]["provider"] == "11labs"
    assert remote["voice"]["voiceId"] == "paula"
    assert remote["model"]["model"] == "gpt-4o-mini"
    assert body["system_prompt"] in remote["model"]["messages"][0]["content"]
    assert remote["transcriber"]["language"] == "es"


@pytest.mark.parametrize(
    ("query", "body", "errors"),
    [
        ("", {}, {"property_id": ["This field is required."]}),
        ("?property_id=abc", {}, {"property_id": ["A valid integer is required."]}),
        ("?property_id={pk}", {"name": "x" * 41}, {"name"}),
        ("?property_id={pk}", {"name": ""}, {"name"}),
        ("?property_id={pk}", {"language": "english!"}, {"language"}),
        ("?property_id={pk}", {"first_message": 7 * [1]}, {"first_message"}),
        ("?property_id={pk}", {"voice_provider": "cartesia"}, {"voice_id": [VOICE_ID_REQUIRED]}),
    ],
)
def test_create_assistant_rejects_bad_input_before_calling_vapi(
    client, prop, vapi_settings, simulator, query, body, errors
):
    url = ASSISTANTS + query.format(pk=prop.pk)

    response = client.post(url, body, format="json")

    details = assert_error(response, 400, "validation_error")["details"]
    if isinstance(errors, dict):
        assert details == errors
    else:
        assert set(details) == errors
    assert not Assistant.objects.exists()
    assert simulator.app.state.count_requests("POST", "/assistant") == 0


def test_create_assistant_for_another_users_property_is_404(client, vapi_settings, simulator):
    other = PropertyFactory(owner=UserFactory())

    response = client.post(f"{ASSISTANTS}?property_id={other.pk}", {}, format="json")

    assert_error(response, 404, "not_found")
    assert not Assistant.objects.exists()
    assert simulator.app.state.count_requests("POST", "/assistant") == 0


@pytest.mark.parametrize("fault", [{"status": 500}, {"status": 401}, {"mode": "malformed"}])
def test_create_assistant_when_vapi_fails_is_503_and_saves_nothing(
    client, prop, vapi_settings, simulator, fault
):
    _fault(simulator, method="POST", path="/assistant", **fault)

    response = client.post(f"{ASSISTANTS}?property_id={prop.pk}", {}, format="json")

    assert_voice_unavailable(response, method="POST", path="/assistant")
    assert not Assistant.objects.exists()


def test_create_assistant_with_a_model_vapi_does_not_know_is_400_before_vapi(
    client, prop, vapi_settings, simulator
):
    response = client.post(
        f"{ASSISTANTS}?property_id={prop.pk}", {"model": "gpt-nonexistent"}, format="json"
    )

    body = assert_error(response, 400, "validation_error")
    assert list(body["details"]) == ["model"]
    assert not simulator.app.state.assistants
    assert not Assistant.objects.exists()


def test_create_assistant_refused_by_vapi_is_503_with_vapis_messages(
    client, prop, vapi_settings, simulator
):
    simulator.app.state.add_fault(Fault(status=400, method="POST", path_prefix="/assistant"))

    response = client.post(f"{ASSISTANTS}?property_id={prop.pk}", {}, format="json")

    body = assert_voice_unavailable(response, method="POST", path="/assistant")
    assert body["details"]["status"] == 400
    assert not Assistant.objects.exists()


def test_create_assistant_with_vapi_unreachable_is_503_and_saves_nothing(
    client, prop, vapi_unreachable
):
    response = client.post(f"{ASSISTANTS}?property_id={prop.pk}", {}, format="json")

    # The first request is the structured-output sync: the config references them by id.
    body = assert_voice_unavailable(response, method="GET", path="/structured-output")
    assert body["details"]["error"] == "ConnectError"
    assert not Assistant.objects.exists()


# Read, replace, change -----------------------------------------------------------------------


def test_get_assistant(client, assistant):
    response = client.get(f"{ASSISTANTS}/{assistant.pk}")

    assert response.status_code == 200
    assert response.json()["vapi_assistant_id"] == assistant.vapi_assistant_id


def test_patch_assistant_changes_vapi_then_here(client, assistant, simulator):
    response = client.patch(
        f"{ASSISTANTS}/{assistant.pk}",
        {"first_message": "Hello from the harbor, I am an AI!", "voice_provider": "openai"},
        format="json",
    )

    assert response.status_code == 200, response.content
    assistant.refresh_from_db()
    assert assistant.first_message == "Hello from the harbor, I am an AI!"
    assert assistant.voice_provider == "openai"
    assert response.json()["first_message"] == "Hello from the harbor, I am an AI!"
    remote = _remote(simulator, assistant)
    assert remote["firstMessage"] == "Hello from the harbor, I am an AI!"
    assert remote["voice"] == {"provider": "openai", "voiceId": "alloy"}
    path = f"/assistant/{assistant.vapi_assistant_id}"
    assert simulator.app.state.count_requests("PATCH", path) == 1


def test_put_assistant_needs_a_name_and_keeps_fields_left_out(client, assistant, simulator):
    before = _snapshot(assistant)
    missing = client.put(f"{ASSISTANTS}/{assistant.pk}", {"model": "gpt-4o"}, format="json")
    assert assert_error(missing, 400, "validation_error")["details"] == {
        "name": ["This field is required."]
    }
    assert _snapshot(assistant) == before

    response = client.put(
        f"{ASSISTANTS}/{assistant.pk}",
        {"name": "Renamed", "vapi_phone_number_id": phone_number_id(LEASING_NUMBER)},
        format="json",
    )

    assert response.status_code == 200, response.content
    assistant.refresh_from_db()
    assert assistant.name == "Renamed"
    assert assistant.vapi_phone_number_id == phone_number_id(LEASING_NUMBER)
    assert assistant.first_message == before["first_message"]
    assert _remote(simulator, assistant)["name"] == "Renamed"


def test_patch_voice_provider_without_default_voice_needs_the_assistants_voice_id(
    client, assistant, simulator
):
    response = client.patch(
        f"{ASSISTANTS}/{assistant.pk}", {"voice_provider": "cartesia"}, format="json"
    )
    assert assert_error(response, 400, "validation_error")["details"] == {
        "voice_id": [VOICE_ID_REQUIRED]
    }

    assistant.voice_id = "sonic-voice"
    assistant.save()
    ok = client.patch(f"{ASSISTANTS}/{assistant.pk}", {"voice_provider": "cartesia"}, format="json")
    assert ok.status_code == 200, ok.content


@pytest.mark.parametrize("method", ["put", "patch"])
@pytest.mark.parametrize("fault", [{"status": 500, "count": 3}, {"status": 404}])
def test_changing_an_assistant_when_vapi_fails_is_503_and_changes_nothing(
    client, assistant, simulator, fast_retries, method, fault
):
    path = f"/assistant/{assistant.vapi_assistant_id}"
    before = _snapshot(assistant)
    remote_before = _remote(simulator, assistant)
    _fault(simulator, method="PATCH", path=path, **fault)

    response = getattr(client, method)(
        f"{ASSISTANTS}/{assistant.pk}", {"name": "Changed"}, format="json"
    )

    if fault["status"] == 404:
        # Vapi answered: it no longer has the assistant. Not an outage: 409 (config/errors.py).
        body = assert_error(response, 409, "conflict")
        assert (body["details"]["method"], body["details"]["path"]) == ("PATCH", path)
    else:
        assert_voice_unavailable(response, method="PATCH", path=path)
    assert _snapshot(assistant) == before
    assert _remote(simulator, assistant) == remote_before


def test_changing_an_assistant_with_vapi_unreachable_is_503_and_changes_nothing(
    client, assistant, vapi_unreachable
):
    before = _snapshot(assistant)

    response = client.patch(f"{ASSISTANTS}/{assistant.pk}", {"name": "Changed"}, format="json")

    # The structured outputs were never synced with this Vapi, so their sync fails first.
    assert_voice_unavailable(response, method="GET", path="/structured-output")
    assert _snapshot(assistant) == before


# Delete ----------------------------------------------------------------------------------------


def test_delete_assistant_at_vapi_then_here_keeps_its_calls(client, assistant, simulator):
    remote_id = assistant.vapi_assistant_id
    call = CallLog.objects.create(
        vapi_call_id="call-1", property=assistant.property, assistant=assistant, direction="inbound"
    )

    response = client.delete(f"{ASSISTANTS}/{assistant.pk}")

    assert response.status_code == 204
    assert response.content == b""
    assert not Assistant.objects.exists()
    assert remote_id not in simulator.app.state.assistants
    call.refresh_from_db()
    assert call.assistant is None


def test_delete_assistant_already_gone_at_vapi(client, assistant, simulator):
    simulator.app.state.assistants.pop(assistant.vapi_assistant_id)

    response = client.delete(f"{ASSISTANTS}/{assistant.pk}")

    assert response.status_code == 204
    assert not Assistant.objects.exists()


@pytest.mark.parametrize("fault", [{"status": 503, "count": 3}, {"status": 409}])
def test_delete_assistant_when_vapi_fails_is_503_and_keeps_it(
    client, assistant, simulator, fast_retries, fault
):
    path = f"/assistant/{assistant.vapi_assistant_id}"
    before = _snapshot(assistant)
    _fault(simulator, method="DELETE", path=path, **fault)

    response = client.delete(f"{ASSISTANTS}/{assistant.pk}")

    assert_voice_unavailable(response, method="DELETE", path=path)
    assert _snapshot(assistant) == before
    assert assistant.vapi_assistant_id in simulator.app.state.assistants


def test_delete_assistant_with_vapi_unreachable_is_503_and_keeps_it(
    client, assistant, vapi_unreachable
):
    response = client.delete(f"{ASSISTANTS}/{assistant.pk}")

    assert_voice_unavailable(
        response, method="DELETE", path=f"/assistant/{assistant.vapi_assistant_id}"
    )
    assert Assistant.objects.filter(pk=assistant.pk).exists()


# Placing calls ---------------------------------------------------------------------------------


@pytest.fixture
def lead(prop):
    """A lead who gave written consent to AI calls at the number _call_body calls."""
    return LeadFactory(property=prop, first_name="Maya", phone="+14155550123")


def _call_body(assistant, **extra) -> dict:
    return {"assistant_id": assistant.pk, "phone_number": "+14155550123", **extra}


def test_place_call_records_the_call_log_at_once(client, assistant, lead, simulator):
    response = client.post(
        CALL,
        _call_body(assistant, lead_id=lead.pk, metadata={"simScenario": "no_answer"}),
        format="json",
    )

    assert response.status_code == 201, response.content
    data = response.json()
    (remote,) = simulator.app.state.calls.values()
    call_log = CallLog.objects.get()
    assert data["id"] == call_log.pk
    assert data["vapi_call_id"] == remote["id"] == call_log.vapi_call_id
    assert data["direction"] == "outbound"
    assert data["status"] == "queued"
    assert data["customer_number"] == "+14155550123"
    assert (data["property"], data["assistant"], data["lead"]) == (
        assistant.property_id,
        assistant.pk,
        lead.pk,
    )
    expected_metadata = {
        "simScenario": "no_answer",
        "leadId": str(lead.pk),
        "propertyId": str(assistant.property_id),
        "assistantId": str(assistant.pk),
        "recording": "off",
        "recordingReason": "California requires all-party consent",
        "attemptId": data["metadata"]["attemptId"],  # ours, one per attempt
    }
    assert data["metadata"] == expected_metadata
    assert remote["assistantOverrides"]["metadata"] == expected_metadata
    assert remote["assistantId"] == assistant.vapi_assistant_id
    assert remote["phoneNumberId"] == phone_number_id(LEASING_NUMBER)
    assert simulator.app.state.count_requests("POST", "/call") == 1


def test_place_call_without_a_lead_normalizes_the_number(client, assistant, simulator):
    ConsentFactory(organization=assistant.property.organization, number="+12065550142")
    response = client.post(
        CALL, _call_body(assistant, phone_number="(206) 555-0142", lead_id=None), format="json"
    )

    assert response.status_code == 201, response.content
    assert response.json()["lead"] is None
    assert CallLog.objects.get().customer_number == "+12065550142"


@pytest.mark.parametrize(
    ("lead_kwargs", "reason"),
    [({"consent_to_call": False}, "no_written_consent"), ({"do_not_call": True}, "opted_out")],
)
def test_place_call_refuses_leads_that_may_not_be_called(
    client, assistant, user, simulator, lead_kwargs, reason
):
    lead = LeadFactory(property=assistant.property, **lead_kwargs)

    response = client.post(CALL, _call_body(assistant, lead_id=lead.pk), format="json")

    body = assert_error(response, 409, reason)
    assert body["details"] == {"next_allowed_at": None}
    assert not CallLog.objects.exists()
    assert simulator.app.state.count_requests("POST", "/call") == 0
    decision = CallDecision.objects.get()
    assert (decision.path, decision.requested_by, decision.lead) == ("api", user, lead)
    assert (decision.decision, decision.reason, decision.message) == (
        "refused",
        reason,
        body["detail"],
    )


def test_place_call_to_a_number_without_consent_is_refused(client, assistant, simulator):
    response = client.post(CALL, _call_body(assistant, phone_number="+14155550999"), format="json")

    body = assert_error(response, 409, "no_written_consent")
    assert "+14155550999 has no written consent" in body["detail"]
    assert simulator.app.state.count_requests("POST", "/call") == 0


def test_place_call_to_a_consented_lead_at_another_number_is_refused(
    client, assistant, lead, simulator
):
    body = _call_body(assistant, lead_id=lead.pk, phone_number="+14155550124")
    response = client.post(CALL, body, format="json")

    assert_error(response, 409, "consent_other_number")
    assert simulator.app.state.count_requests("POST", "/call") == 0


def test_place_call_at_night_says_when_it_may_be_placed(
    user, assistant, lead, simulator, clock, calling_hours
):
    clock.move_to(calling_hours + timedelta(hours=11))  # 22:00 in Los Angeles
    client = bearer_client(user)  # a token issued at night

    response = client.post(CALL, _call_body(assistant, lead_id=lead.pk), format="json")

    body = assert_error(response, 409, "quiet_hours")
    assert "(California rules" not in body["detail"]  # California keeps the federal window
    assert "federal rules end calls at 21:00" in body["detail"]
    next_allowed = datetime.fromisoformat(body["details"]["next_allowed_at"])
    assert next_allowed == calling_hours + timedelta(hours=21)  # 08:00 the next day
    assert simulator.app.state.count_requests("POST", "/call") == 0


def test_place_call_for_a_lead_of_another_property_is_409(client, assistant, user, simulator):
    lead = LeadFactory(property=PropertyFactory(owner=user))  # the same user's other property

    response = client.post(CALL, _call_body(assistant, lead_id=lead.pk), format="json")

    body = assert_error(response, 409, "conflict")
    assert body["details"] == {"non_field_errors": [CALL_LEAD_OTHER_PROPERTY]}
    assert simulator.app.state.count_requests("POST", "/call") == 0


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"phone_number": "12"}, "phone_number", None),
        ({"phone_number": ""}, "phone_number", None),
        ({"assistant_id": None}, "assistant_id", None),
        ({"metadata": {f"k{i}": "v" for i in range(21)}}, "metadata", METADATA_TOO_MANY_KEYS),
        ({"metadata": {"k" * 101: "v"}}, "metadata", METADATA_KEY_INVALID),
        ({"metadata": {"a\x00b": "v"}}, "metadata", METADATA_KEY_INVALID),
        ({"metadata": {"nested": {"a": 1}}}, "metadata", None),
    ],
)
def test_place_call_rejects_bad_input(client, assistant, simulator, body, field, message):
    response = client.post(CALL, _call_body(assistant, **body), format="json")

    details = assert_error(response, 400, "validation_error")["details"]
    assert list(details) == [field]
    if message:
        assert details[field] == [message]
    assert simulator.app.state.count_requests("POST", "/call") == 0


def test_place_call_with_an_assistant_not_on_vapi_is_409(client, prop, vapi_settings, simulator):
    assistant = AssistantFactory(property=prop)

    response = client.post(CALL, _call_body(assistant), format="json")

    body = assert_error(response, 409, "conflict")
    assert body["details"] == {"assistant_id": [CALL_NOT_PUSHED]}


@pytest.mark.parametrize(
    "fault", [{"status": 500}, {"status": 400}, {"mode": "malformed"}, {"status": 429}]
)
def test_place_call_when_vapi_fails_is_503_and_records_nothing(
    client, assistant, lead, simulator, fault
):
    _fault(simulator, method="POST", path="/call", **fault)

    response = client.post(CALL, _call_body(assistant, lead_id=lead.pk), format="json")

    assert_voice_unavailable(response, method="POST", path="/call")
    assert not CallLog.objects.exists()
    assert not simulator.app.state.calls


def test_place_call_timing_out_is_503_and_records_the_outcome_unknown(
    client, assistant, lead, simulator, settings
):
    """Sent, then no answer in time: Vapi may be dialling, so the attempt is recorded as
    `unknown` (tests/voice/calls/test_outcome_unknown.py: what happens on the next call)."""
    settings.VAPI_READ_TIMEOUT_SECONDS = 0.2
    _fault(simulator, mode="timeout", delay=1.0, method="POST", path="/call")

    response = client.post(
        CALL, _call_body(assistant, metadata={"simScenario": "no_answer"}), format="json"
    )

    body = assert_error(response, 503, "call_outcome_unknown")
    assert (body["details"]["method"], body["details"]["path"]) == ("POST", "/call")
    assert body["details"]["attempts"] == 1  # POST /call is never sent twice
    call_log = CallLog.objects.get()
    assert call_log.status == CallLog.Status.UNKNOWN
    assert body["details"]["call_log_id"] == call_log.pk


def test_place_call_with_vapi_unreachable_is_503_and_records_nothing(
    client, assistant, lead, vapi_unreachable
):
    assistant.vapi_phone_number_id = phone_number_id(LEASING_NUMBER)  # no number lookup first
    assistant.save()

    response = client.post(CALL, _call_body(assistant, lead_id=lead.pk), format="json")

    assert_voice_unavailable(response, method="POST", path="/call")
    assert not CallLog.objects.exists()


def test_place_call_with_no_vapi_number_to_call_from_is_409(client, assistant, lead, simulator):
    assistant.property.leasing_phone = "+15035550000"  # not a number the simulator has
    assistant.property.save()

    response = client.post(CALL, _call_body(assistant), format="json")

    # A set-up problem of this property, not Vapi failing (config/errors.py).
    body = assert_error(response, 409, "conflict")
    assert "phone number" in body["detail"]
    assert not CallLog.objects.exists()


def test_placing_calls_has_the_stricter_throttle_scope(client, monkeypatch):
    rates = {"anon": "100/minute", "user": "100/minute", "voice_call": "2/minute"}
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)
    for _ in range(2):
        assert client.post(CALL, {}, format="json").status_code == 400

    body = assert_error(client.post(CALL, {}, format="json"), 429, "throttled")

    assert body["details"]["wait"] > 0
    assert client.get(ASSISTANTS).status_code == 200  # other endpoints are not throttled
    assert client.post(f"{ASSISTANTS}?property_id=0", {}, format="json").status_code == 400


# Schema ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "codes"),
    [
        # 403: the user's role may not configure assistants / place calls (properties/access.py).
        ("post", ASSISTANTS, {"200", "201", "400", "401", "403", "404", "409", "429", "503"}),
        ("put", ASSISTANTS + "/{id}", {"200", "400", "401", "403", "404", "409", "429", "503"}),
        ("patch", ASSISTANTS + "/{id}", {"200", "400", "401", "403", "404", "409", "429", "503"}),
        ("delete", ASSISTANTS + "/{id}", {"204", "401", "403", "404", "429", "503"}),
        ("post", CALL, {"201", "400", "401", "403", "404", "409", "429", "503"}),
    ],
)
def test_voice_writes_are_documented(openapi_schema, method, path, codes):
    operation = openapi_schema["paths"][path][method]

    assert set(operation["responses"]) == codes
    if method != "delete":
        assert operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]


def test_create_assistant_documents_the_property_id_query_parameter(openapi_schema):
    (parameter,) = openapi_schema["paths"][ASSISTANTS]["post"]["parameters"]

    assert parameter["name"] == "property_id"
    assert parameter["in"] == "query"
    assert parameter["required"] is True
    assert parameter["schema"]["type"] == "integer"
