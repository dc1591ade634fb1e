"""The simulator: Vapi's shapes, status codes, strict validation; calls played as signed webhooks.

Deliveries land in `webhook_receiver`, which verifies every signature the way HELPERS.md's
contract says (it rejects bad ones with 401 and we assert there were none).
"""

import zoneinfo
from datetime import date, datetime, timedelta

import httpx
import pytest

from leads.demo import demo_data_load
from properties.models import Property
from tests.voice.vapi_helpers import TEST_API_KEY
from voice.assistants.config import assistant_build_config
from voice.assistants.services import create_property_assistant
from voice.models import Assistant
from voice.simulator.scenarios import next_tour_days
from voice.simulator.state import DEMO_PHONE_NUMBERS, phone_number_id
from voice.simulator.validation import validate_assistant, validate_call

CALLER = "+12065550123"


@pytest.fixture
def http(simulator):
    with httpx.Client(
        base_url=simulator.url, headers={"Authorization": f"Bearer {TEST_API_KEY}"}
    ) as client:
        yield client


@pytest.fixture
def demo_assistant(db, vapi_settings):
    demo_data_load()
    prop = Property.objects.get(name="Harbor View Apartments")
    return create_property_assistant(property=prop)


def _place(http, assistant_id: str, scenario: str, **customer) -> dict:
    response = http.post(
        "/call",
        json={
            "assistantId": assistant_id,
            "phoneNumberId": phone_number_id(DEMO_PHONE_NUMBERS[0]),
            "customer": {"number": CALLER, **customer},
            "assistantOverrides": {"metadata": {"leadId": "7", "simScenario": scenario}},
        },
    )
    assert response.status_code == 201, response.text
    return response.json()


# REST shapes and status codes --------------------------------------------------------------------


def test_rest_status_codes_and_error_bodies(simulator, http):
    assert http.post("/assistant", json={"name": "A"}).status_code == 201
    listed = http.get("/assistant")
    assert listed.status_code == 200
    assert isinstance(listed.json(), list)
    assert isinstance(http.get("/call").json(), list)
    assert isinstance(http.get("/phone-number").json(), list)

    missing = http.get("/assistant/3f1c0a4e-0000-4000-8000-000000000000")
    assert missing.status_code == 404
    assert missing.json() == {
        "message": "Couldn't Find Assistant.",
        "error": "Not Found",
        "statusCode": 404,
    }
    unauthorized = httpx.get(f"{simulator.url}/assistant")
    assert unauthorized.status_code == 401
    assert unauthorized.json()["statusCode"] == 401
    wrong_key = httpx.get(f"{simulator.url}/call", headers={"Authorization": "Bearer nope"})
    assert wrong_key.status_code == 401
    assert http.get("/v2/call").status_code == 404
    bad_json = http.post(
        "/assistant", content=b"{nope", headers={"Content-Type": "application/json"}
    )
    assert bad_json.status_code == 400
    assert http.get("/call", params={"limit": 5000}).status_code == 400
    unknown_filter = http.get("/call", params={"endedReason": "voicemail"})
    assert unknown_filter.json()["message"] == ["property endedReason should not exist"]


def test_the_recording_consent_plan_is_checked_as_vapi_does(simulator, http):
    """OAS CompliancePlan.recordingConsentPlan: stay-on-line or verbal by `type`, `message` and
    `type` required, waitSeconds 1-6 (vapi-reference.md §12.12)."""
    plans = {
        "good": {"type": "verbal", "message": "May we record?"},
        "no_message": {"type": "stay-on-line", "waitSeconds": 3},
        "too_long_a_wait": {"type": "stay-on-line", "message": "Stay on?", "waitSeconds": 9},
        "decline_tool_on_stay_on_line": {
            "type": "stay-on-line",
            "message": "x",
            "declineToolId": "t",
        },
        "unknown_type": {"type": "beep", "message": "x"},
    }
    answers = {
        name: http.post(
            "/assistant",
            json={"name": "A", "compliancePlan": {"recordingConsentPlan": plan}},
        )
        for name, plan in plans.items()
    }
    assert answers["good"].status_code == 201
    path = "compliancePlan.recordingConsentPlan."
    assert answers["no_message"].json()["message"] == [
        f"{path}message should not be null or undefined"
    ]
    assert answers["too_long_a_wait"].json()["message"] == [
        f"{path}waitSeconds must not be greater than 6"
    ]
    assert answers["decline_tool_on_stay_on_line"].json()["message"] == [
        f"{path}property declineToolId should not exist"
    ]
    assert answers["unknown_type"].status_code == 400


def test_unknown_keys_are_rejected_at_every_modelled_level(simulator, http):
    body = {
        "name": "A",
        "serverUrl": "https://old.example",  # removed from the API (vapi-reference.md §4.1)
        "model": {
            "provider": "openai",
            "model": "gpt-4o",
            "systemPrompt": "old style",
            "tools": [
                {
                    "type": "function",
                    "function": {
                        "name": "check_availability",
                        "parameters": {
                            "type": "object",
                            "properties": {"bedrooms": {"type": "integer", "minimum": 0}},
                        },
                    },
                }
            ],
        },
        "server": {"url": "https://example.com/hook", "secret": "s3cr3t"},
    }
    response = http.post("/assistant", json=body)
    assert response.status_code == 400
    assert response.json()["error"] == "Bad Request"
    assert sorted(response.json()["message"]) == [
        "model.property systemPrompt should not exist",
        "model.tools.0.function.parameters.properties.bedrooms.property minimum should not exist",
        "property serverUrl should not exist",
        "server.property secret should not exist",
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"name": "x" * 41}, "name must be shorter than or equal to 40 characters"),
        ({"maxDurationSeconds": 5}, "maxDurationSeconds must not be less than 10"),
        ({"maxDurationSeconds": 50000}, "maxDurationSeconds must not be greater than 43200"),
        ({"serverMessages": ["tool-calls", "call-started"]}, "serverMessages.1 must be one of"),
        ({"voice": {"provider": "11labs"}}, "voice.voiceId should not be null or undefined"),
        ({"transcriber": {"provider": "deepgram", "language": "xx"}}, "transcriber.language"),
        ({"voicemailDetection": {"provider": "vapi", "beepMaxAwaitSeconds": 90}}, "not be greater"),
        (
            {
                "model": {
                    "provider": "openai",
                    "model": "gpt-4o",
                    "tools": [{"type": "function", "function": {"name": "check availability"}}],
                }
            },
            "model.tools.0.function.name must match",
        ),
        (
            {
                "model": {
                    "provider": "openai",
                    "model": "gpt-4o",
                    "tools": [
                        {
                            "type": "function",
                            "function": {"name": "f", "parameters": {"type": "object"}},
                        }
                    ],
                }
            },
            "parameters.properties should not be null or undefined",
        ),
        (
            {
                "model": {
                    "provider": "openai",
                    "model": "gpt-4o",
                    "tools": [
                        {
                            "type": "function",
                            "function": {
                                "name": "f",
                                "parameters": {
                                    "type": "object",
                                    "properties": {},
                                    "required": ["a"],
                                },
                            },
                        }
                    ],
                }
            },
            "required contains a, which is not in properties",
        ),
    ],
)
def test_assistant_values_are_validated(change, message):
    errors = validate_assistant({"name": "A", **change})
    assert any(message in error for error in errors), errors


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"metadata": {"leadId": "1"}}, "property metadata should not exist"),
        ({"assistantOverride": {}}, "property assistantOverride should not exist"),
        ({"customer": {"number": "4155550123"}}, "customer.number must be a valid phone number"),
        ({"customer": {"number": CALLER, "name": "n" * 41}}, "customer.name must be shorter"),
        ({"customer": {"number": CALLER, "externalId": "e" * 41}}, "customer.externalId"),
        ({"name": "c" * 41}, "name must be shorter than or equal to 40 characters"),
        ({"assistantId": None, "squadId": "s"}, None),
        (
            {"assistantOverrides": {"metadata": "x"}},
            "assistantOverrides.metadata must be an object",
        ),
    ],
)
def test_call_bodies_are_validated(body, message):
    call = {"assistantId": "a", "phoneNumberId": "p", "customer": {"number": CALLER}, **body}
    errors = validate_call({k: v for k, v in call.items() if v is not None})
    if message is None:
        assert errors == []
    else:
        assert any(message in error for error in errors), errors


def test_call_needs_one_assistant_a_number_and_a_customer():
    errors = validate_call({"assistantId": "a", "assistant": {"name": "b"}})
    assert any("Exactly one of assistantId" in e for e in errors)
    assert any("customer or customerId" in e for e in errors)
    assert any("phoneNumberId or phoneNumber" in e for e in errors)


def test_post_call_with_unknown_assistant_or_number_is_400(simulator, http):
    response = http.post(
        "/call",
        json={"assistantId": "nope", "phoneNumberId": "nope", "customer": {"number": CALLER}},
    )
    assert response.status_code == 400
    assert "Couldn't Get Assistant" in response.json()["message"]


def test_fault_control_endpoint(simulator, http):
    assert http.post("/_simulator/faults", json={"status": 502, "count": 2}).status_code == 201
    assert http.get("/assistant").status_code == 502
    assert http.get("/assistant").status_code == 502
    assert http.get("/assistant").status_code == 200
    http.post("/_simulator/faults", json={"status": 429, "retryAfter": "3", "method": "GET"})
    limited = http.get("/call")
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "3"
    state = http.get("/_simulator/state").json()
    assert state["requests"]["GET /assistant"] == 3


def test_recordings_are_served(simulator):
    response = httpx.get(f"{simulator.url}/recordings/abc-mono.wav")
    assert response.status_code == 200
    assert response.content[:4] == b"RIFF"


# Played calls ------------------------------------------------------------------------------------


def test_book_tour_plays_signed_webhooks_in_vapis_shapes(
    demo_assistant, simulator, http, webhook_receiver
):
    call = _place(http, demo_assistant.vapi_assistant_id, "book_tour", name="Maya Chen")
    assert simulator.app.wait_for_calls(timeout=10)

    assert webhook_receiver.rejected == []
    types = webhook_receiver.types(call["id"])
    statuses = [m["status"] for m in webhook_receiver.messages("status-update", call["id"])]
    assert statuses == ["queued", "ringing", "in-progress", "ended"]
    assert types[-2:] == ["status-update", "end-of-call-report"]
    assert "transcript" in types

    for message in webhook_receiver.messages(call_id=call["id"]):
        # vapi-reference.md §8.3: the wrapper fields every message carries.
        assert isinstance(message["timestamp"], int)
        assert message["call"]["type"] == "outboundPhoneCall"
        assert message["call"]["assistantId"] == demo_assistant.vapi_assistant_id
        assert message["call"]["customer"]["number"] == CALLER
        assert message["call"]["assistantOverrides"]["metadata"]["leadId"] == "7"
        assert message["assistant"]["metadata"]["timezone"] == "America/Los_Angeles"
    timestamps = [m["timestamp"] for m in webhook_receiver.messages(call_id=call["id"])]
    assert timestamps == sorted(set(timestamps))

    tool_calls = webhook_receiver.tool_calls(call["id"])
    names = [name for name, _ in tool_calls]
    assert names == ["check_availability", "qualify_lead", "schedule_tour"]
    property_id = str(demo_assistant.property_id)
    assert tool_calls[0][1] == {"bedrooms": 2, "property_id": property_id}
    qualify = tool_calls[1][1]
    assert qualify["first_name"] == "Maya"
    assert qualify["last_name"] == "Chen"
    assert qualify["property_id"] == property_id
    schedule = tool_calls[2][1]
    today = datetime.now(zoneinfo.ZoneInfo("America/Los_Angeles")).date()
    assert schedule["start_time"] == f"{next_tour_days(today)[0].isoformat()}T10:00"
    assert schedule["tour_type"] == "in_person"
    assert schedule["phone"] == CALLER
    tool_message = webhook_receiver.messages("tool-calls", call["id"])[0]
    assert (
        tool_message["toolWithToolCallList"][0]["toolCall"]["id"]
        == tool_message["toolCallList"][0]["id"]
    )

    (report,) = webhook_receiver.messages("end-of-call-report", call["id"])
    assert report["endedReason"] == "customer-ended-call"
    assert report["startedAt"] < report["endedAt"]
    assert report["cost"] > 0
    assert report["artifact"]["recordingUrl"].endswith("-mono.wav")
    assert report["artifact"]["transcript"].startswith("AI: Thanks for calling Harbor View")
    roles = [m["role"] for m in report["artifact"]["messages"]]
    assert {"bot", "user", "tool_calls", "tool_call_result"} <= set(roles)
    assert all("secondsFromStart" in m for m in report["artifact"]["messages"])
    # vapi-reference.md §12.4: the assistant's structured outputs, keyed by id, and no
    # structuredData (no analysisPlan: Vapi's default plans give only summary and verdict).
    outputs = report["artifact"]["structuredOutputs"]
    ids = demo_assistant.last_pushed_config["artifactPlan"]["structuredOutputIds"]
    assert list(outputs) == ids
    results = {entry["name"]: entry["result"] for entry in outputs.values()}
    assert results["leasing_call"]["tour_interest"] is True
    assert results["leasing_call"]["bedrooms"] == 2
    assert results["leasing_call_success"] is True
    assert results["leasing_call_opt_out"] is False
    assert "tour was booked" in results["leasing_call_summary"]
    assert "structuredData" not in report["analysis"]
    assert report["analysis"]["successEvaluation"] == "true"
    assert "tour was booked" in report["analysis"]["summary"]

    # GET /call/{id} reflects the played call.
    fetched = http.get(f"/call/{call['id']}").json()
    assert fetched["status"] == "ended"
    assert fetched["endedReason"] == "customer-ended-call"
    assert fetched["artifact"]["transcript"] == report["artifact"]["transcript"]
    assert fetched["analysis"] == report["analysis"]
    assert fetched["cost"] == report["cost"]
    assert fetched["startedAt"]
    assert fetched["endedAt"]
    assert http.get("/call").json()[0]["id"] == call["id"]


def test_the_scripted_model_carries_on_from_tool_answers(
    demo_assistant, simulator, http, webhook_receiver
):
    tried = []

    def responder(name, arguments):
        if name == "schedule_tour":
            tried.append(arguments["start_time"])
            if len(tried) == 1:
                return {"error": "That slot is full."}
        return {"result": "OK"}

    webhook_receiver.tool_responder = responder
    _place(http, demo_assistant.vapi_assistant_id, "book_tour")
    assert simulator.app.wait_for_calls(timeout=10)
    assert len(tried) == 2
    assert tried[0] < tried[1]  # the next Tuesday-Thursday
    transcript = webhook_receiver.messages("end-of-call-report")[0]["artifact"]["transcript"]
    assert "That slot is full." in transcript


def test_human_scenario_transfers(demo_assistant, simulator, http, webhook_receiver):
    call = _place(http, demo_assistant.vapi_assistant_id, "human")
    assert simulator.app.wait_for_calls(timeout=10)
    types = webhook_receiver.types(call["id"])
    assert [name for name, _ in webhook_receiver.tool_calls(call["id"])] == ["transfer_to_human"]
    assert types.index("tool-calls") < types.index("transfer-destination-request")
    statuses = [m["status"] for m in webhook_receiver.messages("status-update", call["id"])]
    assert statuses[-2:] == ["forwarding", "ended"]
    (report,) = webhook_receiver.messages("end-of-call-report", call["id"])
    assert report["endedReason"] == "assistant-forwarded-call"
    assert report["destination"]["number"] == "+14155550101"


def test_human_scenario_told_not_to_transfer_does_not(
    demo_assistant, simulator, http, webhook_receiver
):
    webhook_receiver.tool_responder = lambda name, arguments: {
        "result": "The leasing office can't take the call right now. It opens Monday at 9 AM. "
        "Do not transfer: offer to book a tour or to have the team call the caller back."
    }
    call = _place(http, demo_assistant.vapi_assistant_id, "human")
    assert simulator.app.wait_for_calls(timeout=10)

    assert "transfer-destination-request" not in webhook_receiver.types(call["id"])
    (report,) = webhook_receiver.messages("end-of-call-report", call["id"])
    assert report["endedReason"] == "customer-ended-call"
    bot = [m["message"] for m in report["artifact"]["messages"] if m["role"] == "bot"]
    assert bot[-1] == (
        "I'm sorry. The leasing office can't take the call right now. It opens Monday at 9 AM. "
        "I can book you a tour, or have someone from the leasing team call you back."
    )


def _assistant_with_transfer_tool(http, destinations: list[dict]) -> str:
    config = assistant_build_config(assistant=Assistant(property=_quick_property(), name="A"))
    for tool in config["model"]["tools"]:
        if tool["type"] == "transferCall":
            tool["destinations"] = destinations
    response = http.post("/assistant", json=config)
    assert response.status_code == 201, response.text
    return response.json()["id"]


@pytest.mark.parametrize("scenario", ["transfer_direct", "human_insists", "human"])
def test_a_transfer_tool_with_destinations_dials_the_first_without_asking(
    simulator, http, webhook_receiver, vapi_settings, db, scenario
):
    """vapi-reference.md §6.2: a destination on the tool is dialled; the server is not asked."""
    staff = {"type": "number", "number": "+15035550123", "message": "Connecting you now."}
    call = _place(http, _assistant_with_transfer_tool(http, [staff]), scenario)
    assert simulator.app.wait_for_calls(timeout=10)

    assert "transfer-destination-request" not in webhook_receiver.types(call["id"])
    assert simulator.app.state.transferred_to(call["id"]) == ["+15035550123"]
    fetched = http.get(f"/call/{call['id']}").json()
    assert fetched["endedReason"] == "assistant-forwarded-call"
    assert fetched["destination"]["number"] == "+15035550123"
    bot = [m["message"] for m in fetched["artifact"]["messages"] if m["role"] == "bot"]
    assert bot[-1] == "Connecting you now."
    transfer_calls = [
        c["function"]["name"]
        for m in fetched["artifact"]["messages"]
        if m["role"] == "tool_calls"
        for c in m["toolCalls"]
    ]
    assert transfer_calls[-1] == "transferCall"


def test_a_transfer_tool_without_destinations_asks_and_dials_the_answer(
    demo_assistant, simulator, http, webhook_receiver
):
    call = _place(http, demo_assistant.vapi_assistant_id, "transfer_direct")
    assert simulator.app.wait_for_calls(timeout=10)

    assert webhook_receiver.tool_calls(call["id"]) == []  # straight to transferCall
    assert "transfer-destination-request" in webhook_receiver.types(call["id"])
    assert simulator.app.state.transferred_to(call["id"]) == ["+14155550101"]
    assert http.get(f"/call/{call['id']}").json()["endedReason"] == "assistant-forwarded-call"
    state = http.get("/_simulator/state").json()
    assert state["transfers"][0]["destination"]["number"] == "+14155550101"


@pytest.mark.parametrize("scenario", ["transfer_direct", "human_insists"])
def test_a_transfer_refused_by_the_server_is_said_and_dials_nobody(
    demo_assistant, simulator, http, webhook_receiver, scenario
):
    webhook_receiver.transfer_error = "Our leasing office is closed right now."
    call = _place(http, demo_assistant.vapi_assistant_id, scenario)
    assert simulator.app.wait_for_calls(timeout=10)

    assert simulator.app.state.transferred_to(call["id"]) == []
    fetched = http.get(f"/call/{call['id']}").json()
    assert fetched["endedReason"] == "customer-ended-call"
    assert "destination" not in fetched
    lines = [(m["role"], m["message"]) for m in fetched["artifact"]["messages"] if m.get("message")]
    assert ("bot", "Our leasing office is closed right now.") in lines
    assert lines[-1][0] == "user"  # the call goes on after the refusal


def test_an_empty_transfer_error_is_said_as_vapis_unknown_error(
    demo_assistant, simulator, http, webhook_receiver
):
    webhook_receiver.transfer_error = ""
    call = _place(http, demo_assistant.vapi_assistant_id, "transfer_direct")
    assert simulator.app.wait_for_calls(timeout=10)
    transcript = http.get(f"/call/{call['id']}").json()["artifact"]["transcript"]
    assert "AI: Unknown Error. Contact Support." in transcript


def test_voicemail_scenario(demo_assistant, simulator, http, webhook_receiver):
    call = _place(http, demo_assistant.vapi_assistant_id, "voicemail")
    assert simulator.app.wait_for_calls(timeout=10)
    assert webhook_receiver.tool_calls(call["id"]) == []
    (report,) = webhook_receiver.messages("end-of-call-report", call["id"])
    assert report["endedReason"] == "voicemail"
    assert "please call us back" in report["artifact"]["transcript"].lower()


def test_no_answer_scenario(demo_assistant, simulator, http, webhook_receiver):
    call = _place(http, demo_assistant.vapi_assistant_id, "no_answer")
    assert simulator.app.wait_for_calls(timeout=10)
    assert webhook_receiver.tool_calls(call["id"]) == []
    statuses = [m["status"] for m in webhook_receiver.messages("status-update", call["id"])]
    assert statuses == ["queued", "ringing", "ended"]
    (report,) = webhook_receiver.messages("end-of-call-report", call["id"])
    assert report["endedReason"] == "customer-did-not-answer"
    assert "startedAt" not in report
    assert report["artifact"]["messages"] == []
    assert http.get(f"/call/{call['id']}").json()["endedReason"] == "customer-did-not-answer"


def test_inbound_call_asks_our_server_for_the_assistant(
    demo_assistant, simulator, http, webhook_receiver
):
    webhook_receiver.assistant_id = demo_assistant.vapi_assistant_id
    response = http.post(
        "/_simulator/inbound",
        json={"to": DEMO_PHONE_NUMBERS[0], "from": CALLER, "scenario": "book_tour"},
    )
    assert response.status_code == 201
    call = response.json()
    assert simulator.app.wait_for_calls(timeout=10)

    messages = webhook_receiver.messages(call_id=call["id"])
    assert messages[0]["type"] == "assistant-request"
    assert messages[0]["phoneNumber"]["number"] == DEMO_PHONE_NUMBERS[0]
    assert messages[0]["customer"]["number"] == CALLER
    assert messages[1]["type"] == "status-update"
    assert all(m["call"]["type"] == "inboundPhoneCall" for m in messages)
    assert next(n for n, _ in webhook_receiver.tool_calls(call["id"])) == "check_availability"
    assert http.get(f"/call/{call['id']}").json()["assistantId"] == demo_assistant.vapi_assistant_id


def test_inbound_call_fails_when_our_server_does_not_answer(simulator, http, webhook_receiver):
    webhook_receiver.status_code = 500
    call = http.post(
        "/_simulator/inbound", json={"to": DEMO_PHONE_NUMBERS[1], "from": CALLER}
    ).json()
    assert simulator.app.wait_for_calls(timeout=10)
    assert http.get(f"/call/{call['id']}").json()["endedReason"] == "assistant-request-failed"
    assert (
        http.post("/_simulator/inbound", json={"to": "+19995550000", "from": CALLER}).status_code
        == 404
    )


def test_only_subscribed_server_messages_are_sent(
    simulator, http, webhook_receiver, vapi_settings, db
):
    config = assistant_build_config(assistant=Assistant(property=_quick_property(), name="A"))
    config["serverMessages"] = ["end-of-call-report"]
    assistant = http.post("/assistant", json=config).json()
    _place(http, assistant["id"], "book_tour")
    assert simulator.app.wait_for_calls(timeout=10)
    assert webhook_receiver.types() == ["end-of-call-report"]


def test_secret_mode_sends_x_vapi_secret(demo_assistant, simulator, http, webhook_receiver):
    simulator.app.config.webhook_auth_mode = "secret"
    webhook_receiver.mode = "secret"
    call = _place(http, demo_assistant.vapi_assistant_id, "no_answer")
    assert simulator.app.wait_for_calls(timeout=10)
    assert webhook_receiver.rejected == []
    headers = [d.headers for d in webhook_receiver.deliveries]
    assert headers
    assert all(h["x-vapi-secret"] == "test-secret" for h in headers)
    assert all("x-signature" not in h for h in headers)
    assert webhook_receiver.types(call["id"])[-1] == "end-of-call-report"


def test_a_wrong_secret_is_caught_by_the_receiver(
    demo_assistant, simulator, http, webhook_receiver
):
    simulator.app.config.webhook_secret = "not-the-secret"
    _place(http, demo_assistant.vapi_assistant_id, "no_answer")
    assert simulator.app.wait_for_calls(timeout=10)
    assert webhook_receiver.deliveries == []
    assert len(webhook_receiver.rejected) == 4  # 3 status-updates + end-of-call-report


def test_next_tour_days_are_tuesday_to_thursday():
    assert next_tour_days(date(2026, 12, 1)) == [  # a Tuesday: never the same day
        date(2026, 12, 2),
        date(2026, 12, 3),
        date(2026, 12, 8),
    ]
    assert all(d.weekday() in (1, 2, 3) for d in next_tour_days(date(2026, 12, 5), count=9))
    assert next_tour_days(date(2026, 12, 5))[0] - date(2026, 12, 5) == timedelta(days=3)


def _quick_property() -> Property:
    from tests.factories import PropertyFactory

    return PropertyFactory()
