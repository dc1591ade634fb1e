"""The webhook credential: the plan matches our verifier, the system check, the stored id in the
pushed config, the simulator's /credential endpoints, and the assistant's live version."""

import httpx
import pytest
from django.db import DatabaseError
from django.http.request import HttpHeaders
from django.urls import reverse
from django.utils import timezone

from tests.factories import AssistantFactory
from tests.voice.vapi_helpers import TEST_API_KEY
from voice import checks as voice_checks
from voice.assistants.config import webhook_server_config
from voice.assistants.setup import webhook_credential_name, webhook_credential_plan
from voice.checks import check_vapi_webhook_credential
from voice.models import WebhookCredential
from voice.simulator.player import credential_headers
from voice.webhooks.auth import WebhookAuthError, webhook_request_verify

pytestmark = pytest.mark.django_db

BODY = b'{"message":{"type":"status-update","status":"ringing"}}'


def _real(settings) -> None:
    settings.VAPI_API_KEY = "live-key"
    settings.VAPI_BASE_URL = "https://api.vapi.ai"
    settings.VAPI_WEBHOOK_CREDENTIAL_ID = ""


# The plan Vapi signs with is the one auth.py verifies --------------------------------------------


@pytest.mark.parametrize(
    ("signature_header", "timestamp_header"),
    [("x-signature", "x-timestamp"), ("X-Leasing-Signature", "X-Leasing-Time")],
)
def test_hmac_plan_signs_what_the_webhook_verifies(settings, signature_header, timestamp_header):
    settings.VAPI_WEBHOOK_AUTH_MODE = "hmac"
    settings.VAPI_WEBHOOK_SIGNATURE_HEADER = signature_header
    settings.VAPI_WEBHOOK_TIMESTAMP_HEADER = timestamp_header
    credential = {"authenticationPlan": webhook_credential_plan()}
    now_ms = int(timezone.now().timestamp() * 1000)

    headers = credential_headers(BODY, credential=credential, url="https://x/", now_ms=now_ms)

    assert set(headers) == {signature_header, timestamp_header}
    webhook_request_verify(headers=_ci(headers), body=BODY)  # no error
    with pytest.raises(WebhookAuthError):
        webhook_request_verify(headers=_ci(headers), body=BODY + b" ")


def test_secret_mode_plan_sends_x_vapi_secret(settings):
    settings.VAPI_WEBHOOK_AUTH_MODE = "secret"
    headers = credential_headers(
        BODY, credential={"authenticationPlan": webhook_credential_plan()}, url="https://x/"
    )
    assert headers == {"X-Vapi-Secret": settings.VAPI_WEBHOOK_SECRET}
    webhook_request_verify(headers=_ci(headers), body=BODY)


def test_no_credential_means_unsigned():
    assert credential_headers(BODY, credential=None, url="https://x/") == {}


def test_the_plan_needs_a_secret(settings):
    settings.VAPI_WEBHOOK_SECRET = ""
    with pytest.raises(Exception, match="VAPI_WEBHOOK_SECRET is not set"):
        webhook_credential_plan()


def test_the_name_is_stable_per_webhook_url_and_fits_vapi(settings):
    settings.PUBLIC_BASE_URL = "https://leasing.example.com"
    name = webhook_credential_name()
    assert name == webhook_credential_name()
    assert name.startswith("leasing-webhook-")
    assert len(name) <= 40
    settings.PUBLIC_BASE_URL = "https://staging.leasing.example.com"
    assert webhook_credential_name() != name


def _ci(headers: dict[str, str]) -> dict[str, str]:
    """Case-insensitive like Django's request.headers."""
    return HttpHeaders({f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()})


# The system check --------------------------------------------------------------------------------


def test_check_is_quiet_for_the_test_settings_and_the_simulator(settings):
    assert check_vapi_webhook_credential() == []  # VAPI_BASE_URL https://vapi.test
    settings.VAPI_API_KEY = "simulator-key"  # make run
    settings.VAPI_BASE_URL = "http://127.0.0.1:8001"
    assert check_vapi_webhook_credential() == []
    settings.VAPI_API_KEY = ""
    settings.VAPI_BASE_URL = "https://api.vapi.ai"
    assert check_vapi_webhook_credential() == []


def test_check_fails_for_a_real_key_without_a_credential(settings):
    _real(settings)
    (error,) = check_vapi_webhook_credential()
    assert error.id == "voice.E004"
    assert error.is_serious()
    assert "python manage.py vapi_setup" in error.hint


def test_check_accepts_the_setting_or_the_stored_credential_of_this_vapi(settings):
    _real(settings)
    settings.VAPI_WEBHOOK_CREDENTIAL_ID = "cred-from-dashboard"
    assert check_vapi_webhook_credential() == []
    settings.VAPI_WEBHOOK_CREDENTIAL_ID = ""
    WebhookCredential.objects.create(
        vapi_base_url="http://127.0.0.1:8001", vapi_credential_id="sim", name="n"
    )
    assert len(check_vapi_webhook_credential()) == 1  # another Vapi's credential does not count
    WebhookCredential.objects.create(
        vapi_base_url="https://api.vapi.ai", vapi_credential_id="real", name="n"
    )
    assert check_vapi_webhook_credential() == []


def test_check_stays_quiet_when_the_table_is_not_there_yet(settings, monkeypatch):
    _real(settings)

    def no_table():
        raise DatabaseError("no such table: voice_webhookcredential")

    monkeypatch.setattr(voice_checks, "webhook_credential_id_get", no_table)
    assert check_vapi_webhook_credential() == []


# The pushed config -------------------------------------------------------------------------------


def test_server_config_references_the_stored_credential_and_the_setting_wins(settings):
    settings.VAPI_WEBHOOK_CREDENTIAL_ID = ""
    assert "credentialId" not in webhook_server_config()
    WebhookCredential.objects.create(
        vapi_base_url=settings.VAPI_BASE_URL, vapi_credential_id="cred-stored", name="n"
    )
    assert webhook_server_config()["credentialId"] == "cred-stored"
    settings.VAPI_WEBHOOK_CREDENTIAL_ID = "cred-setting"
    assert webhook_server_config()["credentialId"] == "cred-setting"


# The simulator's /credential endpoints ------------------------------------------------------------


@pytest.fixture
def http(simulator):
    with httpx.Client(
        base_url=simulator.url, headers={"Authorization": f"Bearer {TEST_API_KEY}"}
    ) as client:
        yield client


def test_simulator_credentials_are_validated_like_the_oas(simulator, http):
    plan = {"type": "hmac", "secretKey": "s", "algorithm": "sha256"}
    bad = [
        ({"authenticationPlan": plan}, "provider should not be null or undefined"),
        ({"provider": "webhook", "authenticationPlan": {**plan, "algorithm": "md5"}}, "algorithm"),
        ({"provider": "webhook", "authenticationPlan": {**plan, "extra": 1}}, "extra"),
        ({"provider": "webhook", "authenticationPlan": plan, "name": "n" * 41}, "name"),
        ({"provider": "webhook", "authenticationPlan": {"type": "hmac"}}, "secretKey"),
    ]
    for body, message in bad:
        response = http.post("/credential", json=body)
        assert response.status_code == 400, body
        assert message in " ".join(response.json()["message"])
    assert simulator.app.state.credentials == {}


def test_simulator_credentials_crud_never_echo_the_secret(simulator, http):
    plan = {"type": "hmac", "secretKey": "s3cret", "algorithm": "sha256"}
    created = http.post("/credential", json={"provider": "webhook", "authenticationPlan": plan})
    assert created.status_code == 201
    credential_id = created.json()["id"]
    assert created.json()["authenticationPlan"]["secretKey"] == "[REDACTED]"
    assert [c["id"] for c in http.get("/credential").json()] == [credential_id]
    changed = http.patch(f"/credential/{credential_id}", json={"name": "renamed"})
    assert changed.json()["name"] == "renamed"
    assert http.get(f"/credential/{credential_id}").json()["name"] == "renamed"
    assert simulator.app.state.credentials[credential_id]["authenticationPlan"] == plan
    assert http.get("/credential/nope").status_code == 404
    assert http.patch("/credential/nope", json={"name": "x"}).status_code == 404


# Assistant versions -------------------------------------------------------------------------------


def test_admin_shows_the_live_version(admin_client):
    AssistantFactory(name="Versioned one", latest_version="v7")
    AssistantFactory(name="Unversioned one", latest_version=None)
    page = admin_client.get(reverse("admin:voice_assistant_changelist")).content.decode()
    assert "Live version" in page
    assert "v7" in page
    assert "not versioned" in page
    versioned = AssistantFactory(name="Detail one", latest_version="v2")
    detail = admin_client.get(reverse("admin:voice_assistant_change", args=[versioned.pk]))
    assert "Live version" in detail.content.decode()
    assert "v2" in detail.content.decode()
