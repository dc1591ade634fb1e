"""HTTP behaviour of the webhook and one test per Vapi message shape (vapi-reference.md §8.2)."""

import json
from pathlib import Path

import pytest
from django.test import Client

from tests.voice.webhook_helpers import (
    FIXTURES,
    post_vapi,
    signed_headers,
    webhook_url,
    world_fixture,  # noqa: F401 - pytest fixture `world`
)
from voice.models import TranscriptLine, WebhookEvent

pytestmark = pytest.mark.django_db


def test_url_contract():
    assert webhook_url() == "/api/v1/voice/webhook"


def test_get_is_405(client):
    response = client.get(webhook_url())
    assert response.status_code == 405
    assert response["Allow"] == "POST"


def test_body_over_the_limit_is_413(client, settings):
    settings.VAPI_WEBHOOK_MAX_BODY_BYTES = 1000
    body = json.dumps({"message": {"type": "hang", "pad": "x" * 2000}}).encode()
    response = client.post(
        webhook_url(), data=body, content_type="application/json", headers=signed_headers(body)
    )
    assert response.status_code == 413
    assert not WebhookEvent.objects.exists()


def test_default_limit_is_one_mebibyte(client):
    body = json.dumps({"message": {"type": "hang", "pad": "x" * (1024 * 1024)}}).encode()
    response = client.post(webhook_url(), data=body, content_type="application/json")
    assert response.status_code == 413


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (b"not json", "body is not JSON"),
        (b"\xff\xfe", "body is not JSON"),
        (b"[1, 2]", "no message object"),
        (b'{"type": "status-update"}', "no message object"),
        (b'{"message": {"status": "ended"}}', "no message.type"),
        (b'{"message": {"type": ""}}', "no message.type"),
        (b'{"message": {"type": 7}}', "no message.type"),
    ],
)
def test_bad_payload_is_400_after_verification(client, body, detail):
    response = client.post(
        webhook_url(), data=body, content_type="application/json", headers=signed_headers(body)
    )
    assert response.status_code == 400
    assert response.json()["detail"] == detail
    assert not WebhookEvent.objects.exists()


def test_unverified_bad_payload_is_401_not_400(client):
    response = client.post(webhook_url(), data=b"not json", content_type="application/json")
    assert response.status_code == 401


def test_csrf_does_not_apply():
    client = Client(enforce_csrf_checks=True)
    response = post_vapi(client, {"message": {"type": "hang", "timestamp": 1}})
    assert response.status_code == 200


def test_jwt_does_not_apply(client):
    response = post_vapi(
        client,
        {"message": {"type": "hang", "timestamp": 2}},
        Authorization="Bearer not-a-jwt",
    )
    assert response.status_code == 200


# One fixture per Vapi message shape --------------------------------------------------------------

EXPECTED = {
    # fixture: (stored status, answer check)
    "assistant_request": ("processed", lambda a: a["assistantId"] == "asst-harbor-1"),
    "tool_calls__check_availability": ("processed", lambda a: "result" in a["results"][0]),
    "tool_calls__string_arguments": ("processed", lambda a: "result" in a["results"][0]),
    "tool_calls__tool_with_tool_call_list": ("processed", lambda a: "unit 204" in str(a)),
    "tool_calls__multiple": ("processed", lambda a: "error" in a["results"][1]),
    "tool_calls__qualify_lead": ("processed", lambda a: "score" in a["results"][0]["result"]),
    "tool_calls__schedule_tour": ("processed", lambda a: "Booked" in a["results"][0]["result"]),
    "tool_calls__transfer_to_human": ("processed", lambda a: "result" in a["results"][0]),
    "tool_calls__schedule_tour__routed": (
        "processed",
        lambda a: "Booked" in a["results"][0]["result"],
    ),
    "function_call": ("processed", lambda a: a["result"].startswith("Available")),
    "transfer_destination_request": (
        "processed",
        lambda a: "destination" in a or "error" in a,
    ),
    "transfer_destination_request__routed": (
        "processed",
        lambda a: "destination" in a or "error" in a,
    ),
    "status_update__queued": ("processed", lambda a: a == {}),
    "status_update__ringing": ("processed", lambda a: a == {}),
    "status_update__in_progress": ("processed", lambda a: a == {}),
    "status_update__ended": ("processed", lambda a: a == {}),
    "status_update__ended__routed": ("processed", lambda a: a == {}),
    "end_of_call_report": ("processed", lambda a: a == {}),
    "end_of_call_report__artifact_recording": ("processed", lambda a: a == {}),
    "end_of_call_report__flat_recording_urls": ("processed", lambda a: a == {}),
    "end_of_call_report__routed": ("processed", lambda a: a == {}),
    "end_of_call_report__structured_outputs": ("processed", lambda a: a == {}),
    "end_of_call_report__top_level": ("processed", lambda a: a == {}),
    "end_of_call_report__opt_out": ("processed", lambda a: a == {}),
    "transcript__opt_out": ("processed", lambda a: a == {}),
    "transcript__dtmf": ("processed", lambda a: a == {}),
    "tool_calls__stop_calling": (
        "processed",
        lambda a: "then end the call" in a["results"][0]["result"],
    ),
    "transcript__partial": ("ignored", lambda a: a == {}),
    "transcript__final": ("processed", lambda a: a == {}),
    "transcript__final_type": ("processed", lambda a: a == {}),
    "hang": ("processed", lambda a: a == {}),
    # The fixture's contact has no consent on file: the gate refuses it.
    "campaign_predial": ("processed", lambda a: a == {"eligible": False}),
}
ALL_FIXTURES = sorted(path.stem for path in Path(FIXTURES).glob("*.json"))


def test_every_message_type_of_the_catalogue_has_a_fixture():
    catalogue = {
        "assistant-request", "tool-calls", "function-call", "transfer-destination-request",
        "handoff-destination-request", "knowledge-base-request", "status-update",
        "end-of-call-report", "transcript", 'transcript[transcriptType="final"]',
        "conversation-update", "speech-update", "hang", "model-output", "user-interrupted",
        "transfer-update", "voice-input", "language-change-detected", "phone-call-control",
        "assistant.started", "assistant.speechStarted", "call.deleted", "call.delete.failed",
        "call.artifact.upload", "chat.created", "chat.deleted", "session.created",
        "session.updated", "session.deleted", "campaign.predial", "voice-request",
        "call.endpointing.request",
    }  # fmt: skip
    covered = {
        json.loads((FIXTURES / f"{name}.json").read_text())["message"]["type"]
        for name in ALL_FIXTURES
    }
    assert catalogue <= covered


@pytest.mark.parametrize("name", ALL_FIXTURES)
def test_each_fixture_is_stored_and_answered_200(client, world, name):
    message = world.fixture(name)
    response = post_vapi(client, message)
    assert response.status_code == 200
    event = WebhookEvent.objects.get()
    assert event.message_type == message["message"]["type"]
    assert event.payload == message
    status, check = EXPECTED.get(name, ("ignored", lambda a: a == {}))
    assert event.status == status, event.traceback
    assert check(response.json()), response.json()
    if response.json():
        assert event.response == response.json()


def test_unknown_type_is_stored_ignored_and_answered_200(client, world):
    response = post_vapi(client, world.fixture("unknown_type"))
    assert response.status_code == 200
    assert response.json() == {}
    event = WebhookEvent.objects.get()
    assert (event.message_type, event.status) == ("brand-new-event", "ignored")


def test_final_transcript_lines_are_kept_once(client, world):
    for name in ("transcript__final_type", "transcript__final", "transcript__partial"):
        post_vapi(client, world.fixture(name))
    post_vapi(client, world.fixture("transcript__final"))  # a replay
    lines = list(TranscriptLine.objects.values_list("vapi_call_id", "role", "text"))
    assert lines == [
        (world.call_id, "assistant", "Thanks for calling Harbor View Apartments, this is Ava. "
         "How can I help?"),
        (world.call_id, "user", "Hi, I'm looking for a two bedroom to move in around mid "
         "December."),
    ]  # fmt: skip
