"""Signed webhooks out of the box: against the simulator in its "real Vapi" mode (it signs only
for a webhook credential that the server a delivery goes to references, like Vapi), the system
check names the fix, `manage.py vapi_setup` makes the credential, and a whole inbound call then
arrives signed and is processed. A second run changes nothing."""

from collections.abc import Iterator
from io import StringIO
from typing import Any

import httpx
import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from leads.demo import demo_data_load
from properties.models import Property
from voice.assistants.services import create_property_assistant
from voice.checks import check_vapi_webhook_credential
from voice.models import Assistant, CallLog, WebhookCredential
from voice.simulator import SimulatorConfig, VapiSimulator
from voice.simulator.server import RunningSimulator

pytestmark = pytest.mark.django_db(transaction=True)

REAL_KEY = "live-account-private-key"  # anything but the simulator's key counts as real Vapi
SECRET = "whsec-" + "n8Vq3Lx" * 4


@pytest.fixture
def real_vapi(live_server: Any, settings: Any) -> Iterator[RunningSimulator]:
    """The simulator playing a real Vapi account, with our webhook on the live server."""
    running = RunningSimulator(
        VapiSimulator(
            SimulatorConfig(
                api_key=REAL_KEY,
                webhook_url=f"{live_server.url}/api/v1/voice/webhook",
                webhook_secret="",
                real_vapi=True,
            )
        )
    )
    running.app.config.public_url = running.url
    settings.VAPI_BASE_URL = running.url
    settings.VAPI_API_KEY = REAL_KEY
    settings.VAPI_WEBHOOK_SECRET = SECRET
    settings.VAPI_WEBHOOK_AUTH_MODE = "hmac"
    settings.VAPI_WEBHOOK_CREDENTIAL_ID = ""
    settings.PUBLIC_BASE_URL = live_server.url
    yield running
    running.app.wait_for_calls(timeout=10)
    running.stop()


@pytest.fixture
def harbor_view() -> Property:
    demo_data_load()
    return Property.objects.get(name="Harbor View Apartments")


def _ring(vapi: RunningSimulator, prop: Property) -> None:
    response = httpx.post(
        f"{vapi.url}/_simulator/inbound",
        json={"to": prop.leasing_phone, "from": "+14155550199", "scenario": "book_tour"},
        headers={"Authorization": f"Bearer {REAL_KEY}"},
    )
    assert response.status_code == 201, response.text
    assert vapi.app.wait_for_calls(timeout=60), "the simulated call did not finish"


def _setup(**kwargs: Any) -> str:
    out = StringIO()
    call_command("vapi_setup", stdout=out, **kwargs)
    return out.getvalue()


def _request_counts(vapi: RunningSimulator) -> dict[tuple[str, str], int]:
    counts: dict[tuple[str, str], int] = {}
    for method, path in list(vapi.app.state.requests):
        if method != "GET":
            counts[(method, path)] = counts.get((method, path), 0) + 1
    return counts


def test_vapi_setup_makes_a_real_account_sign_webhooks_and_is_idempotent(real_vapi, harbor_view):
    assistant = create_property_assistant(property=harbor_view)
    pushed = real_vapi.app.state.assistants[assistant.vapi_assistant_id]
    assert "credentialId" not in pushed["server"]

    # 1. The check fails and names the fix (no network: it reads settings and the database).
    (error,) = check_vapi_webhook_credential()
    assert error.id == "voice.E004"
    assert "manage.py vapi_setup" in error.hint
    with pytest.raises(SystemCheckError, match="vapi_setup"):
        call_command("check")

    # Without a credential Vapi sends unsigned, and our webhook refuses every delivery.
    _ring(real_vapi, harbor_view)
    unsigned = list(real_vapi.app.state.deliveries)
    assert unsigned
    assert {entry["status"] for entry in unsigned} == {401}
    assert not CallLog.objects.exists()
    real_vapi.app.state.deliveries.clear()

    # 2. vapi_setup: one credential at Vapi, its id stored, the assistant and number use it.
    output = _setup()
    assert "created Webhook credential" in output
    (remote_credential,) = real_vapi.app.state.credentials.values()
    stored = WebhookCredential.objects.get()
    assert stored.vapi_credential_id == remote_credential["id"]
    assert stored.vapi_base_url == real_vapi.url
    assert SECRET not in stored.plan_fingerprint
    assert remote_credential["authenticationPlan"] == {
        "type": "hmac",
        "secretKey": SECRET,
        "algorithm": "sha256",
        "signatureHeader": "x-signature",
        "timestampHeader": "x-timestamp",
        "includeTimestamp": True,
        "payloadFormat": "{timestamp}.{body}",
        "signatureEncoding": "hex",
        "secretIsBase64": False,
    }
    remote_assistant = real_vapi.app.state.assistants[assistant.vapi_assistant_id]
    assert remote_assistant["server"]["credentialId"] == stored.vapi_credential_id
    number = real_vapi.app.state.phone_number_by_number(harbor_view.leasing_phone)
    assert number["server"]["credentialId"] == stored.vapi_credential_id
    assert check_vapi_webhook_credential() == []
    call_command("check")  # passes now

    # 3. A whole inbound call arrives signed and is processed.
    _ring(real_vapi, harbor_view)
    deliveries = list(real_vapi.app.state.deliveries)
    assert deliveries
    assert {entry["status"] for entry in deliveries} == {200}
    call_log = CallLog.objects.get()
    assert call_log.assistant == assistant
    assert call_log.status == CallLog.Status.ENDED
    assert call_log.transcript

    # 4. Again: the same credential, nothing created, nothing pushed.
    before = _request_counts(real_vapi)
    output = _setup()
    assert _request_counts(real_vapi) == before
    assert len(real_vapi.app.state.credentials) == 1
    assert WebhookCredential.objects.get().vapi_credential_id == stored.vapi_credential_id
    assert Assistant.objects.get().vapi_assistant_id == assistant.vapi_assistant_id
    assert len(real_vapi.app.state.assistants) == 1
    assert "created" not in output
    assert "updated" not in output
    assert "unchanged Webhook credential" in output


def test_a_changed_secret_patches_the_same_credential(real_vapi, harbor_view, settings):
    create_property_assistant(property=harbor_view)
    _setup()
    (credential_id,) = real_vapi.app.state.credentials

    settings.VAPI_WEBHOOK_SECRET = "whsec-rotated-" + "q7Zt" * 6
    output = _setup()

    assert "updated Webhook credential" in output
    assert list(real_vapi.app.state.credentials) == [credential_id]
    plan = real_vapi.app.state.credentials[credential_id]["authenticationPlan"]
    assert plan["secretKey"] == settings.VAPI_WEBHOOK_SECRET
    assert real_vapi.app.state.count_requests("POST", "/credential") == 1
    # The assistants already reference that id: nothing to push.
    assert "unchanged" in output.split("Webhook credential", 1)[1]
    _ring(real_vapi, harbor_view)
    assert {entry["status"] for entry in real_vapi.app.state.deliveries} == {200}


def test_a_lost_local_row_finds_the_credential_by_name(real_vapi, harbor_view):
    _setup()
    (credential_id,) = real_vapi.app.state.credentials
    WebhookCredential.objects.all().delete()  # e.g. a fresh database for the same deployment

    output = _setup()

    # Found by its stable name, PATCHed once (its secret cannot be read back), not duplicated.
    assert "updated Webhook credential" in output
    assert list(real_vapi.app.state.credentials) == [credential_id]
    assert WebhookCredential.objects.get().vapi_credential_id == credential_id
    assert "unchanged Webhook credential" in _setup()


def test_a_versioned_org_s_label_is_stored(real_vapi, harbor_view):
    real_vapi.app.config.assistant_latest_version = "v3"
    assistant = create_property_assistant(property=harbor_view)
    assert assistant.latest_version == "v3"

    real_vapi.app.config.assistant_latest_version = "v4"
    _setup()  # the push that adds the credential returns the new label
    assistant.refresh_from_db()
    assert assistant.latest_version == "v4"


def test_secret_mode_gets_a_bearer_credential_sending_x_vapi_secret(
    real_vapi, harbor_view, settings
):
    settings.VAPI_WEBHOOK_AUTH_MODE = "secret"
    create_property_assistant(property=harbor_view)
    _setup()

    (credential,) = real_vapi.app.state.credentials.values()
    assert credential["authenticationPlan"] == {
        "type": "bearer",
        "token": SECRET,
        "headerName": "X-Vapi-Secret",
        "bearerPrefixEnabled": False,
    }
    _ring(real_vapi, harbor_view)
    assert {entry["status"] for entry in real_vapi.app.state.deliveries} == {200}
    assert CallLog.objects.get().status == CallLog.Status.ENDED


def test_pull_stores_a_version_published_in_the_dashboard(real_vapi, harbor_view):
    assistant = create_property_assistant(property=harbor_view)
    assert assistant.latest_version is None
    real_vapi.app.state.assistants[assistant.vapi_assistant_id]["latestVersion"] = "v2"

    call_command("sync_assistants", "--pull", stdout=StringIO())

    assistant.refresh_from_db()
    assert assistant.latest_version == "v2"
