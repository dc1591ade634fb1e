"""Verification comes first: a bad delivery gets 401 and leaves nothing behind."""

import json
import logging
import time

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from tests.voice.webhook_helpers import SECRET, post_vapi, signed_headers, webhook_url
from voice.checks import check_vapi_webhook_settings
from voice.models import CallLog, WebhookEvent

pytestmark = pytest.mark.django_db

MESSAGE = {
    "message": {
        "type": "status-update",
        "timestamp": 1796061600000,
        "status": "queued",
        "call": {"id": "call-auth-1", "type": "inboundPhoneCall"},
    }
}
BODY = json.dumps(MESSAGE).encode()


def _post(client, body=BODY, headers=None):
    return client.post(
        webhook_url(), data=body, content_type="application/json", headers=headers or {}
    )


def _nothing_stored() -> bool:
    return not WebhookEvent.objects.exists() and not CallLog.objects.exists()


def test_right_signature_is_accepted(client):
    response = _post(client, headers=signed_headers(BODY))
    assert response.status_code == 200
    assert response.json() == {}
    assert WebhookEvent.objects.get().status == WebhookEvent.Status.PROCESSED


def test_timestamp_in_seconds_is_accepted(client):
    response = _post(client, headers=signed_headers(BODY, timestamp=str(int(time.time()))))
    assert response.status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="missing"),
        pytest.param({"x-timestamp": "1"}, id="missing-signature"),
        pytest.param({"x-signature": "ab" * 32}, id="missing-timestamp"),
        pytest.param(signed_headers(BODY, secret="wrong-secret"), id="wrong-secret"),
        pytest.param({**signed_headers(BODY), "x-signature": "00" * 32}, id="wrong-signature"),
        pytest.param({**signed_headers(BODY), "x-timestamp": "soon"}, id="unreadable-timestamp"),
    ],
)
def test_bad_signature_is_401_and_nothing_is_stored(client, headers):
    response = _post(client, headers=headers)
    assert response.status_code == 401
    assert response.json() == {"error": "unauthorized"}
    assert _nothing_stored()


@pytest.mark.parametrize("age_seconds", [301, -301, 3600])
@pytest.mark.parametrize("unit", ["ms", "s"])
def test_stale_timestamp_is_401(client, age_seconds, unit):
    sent = time.time() - age_seconds
    timestamp = str(int(sent * 1000)) if unit == "ms" else str(int(sent))
    response = _post(client, headers=signed_headers(BODY, timestamp=timestamp))
    assert response.status_code == 401
    assert _nothing_stored()


def test_tolerance_window_is_a_setting(client, settings):
    settings.VAPI_WEBHOOK_TOLERANCE_SECONDS = 3600
    timestamp = str(int((time.time() - 1800) * 1000))
    assert _post(client, headers=signed_headers(BODY, timestamp=timestamp)).status_code == 200


def test_tampered_body_is_401(client):
    headers = signed_headers(BODY)
    tampered = BODY.replace(b"queued", b"ended!")
    assert _post(client, body=tampered, headers=headers).status_code == 401
    assert _nothing_stored()


def test_signed_timestamp_cannot_be_swapped(client):
    headers = signed_headers(BODY)
    headers["x-timestamp"] = str(int(headers["x-timestamp"]) + 1000)
    assert _post(client, headers=headers).status_code == 401


def test_secret_header_mode(client, settings):
    settings.VAPI_WEBHOOK_AUTH_MODE = "secret"
    assert _post(client, headers={"X-Vapi-Secret": SECRET}).status_code == 200
    assert WebhookEvent.objects.count() == 1


@pytest.mark.parametrize(
    "headers",
    [{}, {"X-Vapi-Secret": "test-secreT"}, {"X-Vapi-Secret": ""}],
    ids=["missing", "wrong", "empty"],
)
def test_secret_header_mode_rejects(client, settings, headers):
    settings.VAPI_WEBHOOK_AUTH_MODE = "secret"
    assert _post(client, headers=headers).status_code == 401
    assert _nothing_stored()


def test_secret_mode_ignores_a_valid_hmac(client, settings):
    settings.VAPI_WEBHOOK_AUTH_MODE = "secret"
    assert _post(client, headers=signed_headers(BODY)).status_code == 401


def test_rejection_is_logged_without_secrets(client, caplog):
    headers = signed_headers(BODY, secret="wrong-secret")
    with caplog.at_level(logging.WARNING, logger="voice.webhooks.views"):
        _post(client, headers=headers)
    assert "vapi webhook rejected: signature mismatch" in caplog.text
    assert SECRET not in caplog.text
    assert headers["x-signature"] not in caplog.text


def test_no_secret_with_debug_off_refuses_every_delivery(client, settings):
    settings.VAPI_WEBHOOK_SECRET = ""
    settings.DEBUG = False
    response = _post(client, headers=signed_headers(BODY, secret=""))
    assert response.status_code == 503
    assert _nothing_stored()


def test_no_secret_with_debug_on_accepts_for_local_development(client, settings):
    settings.VAPI_WEBHOOK_SECRET = ""
    settings.DEBUG = True
    assert _post(client).status_code == 200


def test_system_check_reports_missing_secret(settings):
    settings.VAPI_WEBHOOK_SECRET = ""
    settings.DEBUG = False
    assert [message.id for message in check_vapi_webhook_settings()] == ["voice.E001"]
    with pytest.raises(SystemCheckError, match="VAPI_WEBHOOK_SECRET is not set"):
        call_command("check")
    settings.DEBUG = True
    assert [message.id for message in check_vapi_webhook_settings()] == ["voice.W001"]


def test_system_check_rejects_unknown_auth_mode(settings):
    settings.VAPI_WEBHOOK_AUTH_MODE = "basic"
    assert [message.id for message in check_vapi_webhook_settings()] == ["voice.E002"]


def test_system_check_is_quiet_when_configured():
    assert check_vapi_webhook_settings() == []


def test_post_helper_signs_like_vapi(client):
    assert post_vapi(client, MESSAGE).status_code == 200
