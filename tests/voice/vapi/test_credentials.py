"""The webhook-credential and phone-number endpoints of the client (vapi-reference.md §9.2),
against the simulator over a real socket."""

import pytest

from voice.simulator.state import DEMO_PHONE_NUMBERS, Fault
from voice.vapi.errors import VapiBadRequestError, VapiRequestInvalidError, VapiServerError

PLAN = {"type": "hmac", "secretKey": "s3cret", "algorithm": "sha256"}


def test_credential_round_trip(simulator, sim_client):
    created = sim_client.create_credential(
        {"provider": "webhook", "name": "leasing-webhook-" + "x" * 40, "authenticationPlan": PLAN}
    )
    credential_id = created["id"]
    assert created["name"] == "leasing-webhook-" + "x" * 24  # cut to Vapi's 40 characters
    assert sim_client.get_credential(credential_id)["provider"] == "webhook"
    assert [c["id"] for c in sim_client.list_credentials(limit=10)] == [credential_id]
    sim_client.update_credential(credential_id, {"authenticationPlan": {**PLAN, "secretKey": "n"}})
    stored = simulator.app.state.credentials[credential_id]
    assert stored["authenticationPlan"]["secretKey"] == "n"


def test_create_credential_is_sent_once(simulator, sim_client, sleeps):
    simulator.app.state.add_fault(Fault(status=503, method="POST", path_prefix="/credential"))
    with pytest.raises(VapiServerError):
        sim_client.create_credential({"provider": "webhook", "authenticationPlan": PLAN})
    assert simulator.app.state.count_requests("POST", "/credential") == 1
    assert sleeps.calls == []


def test_bad_credentials_and_ids_are_refused(sim_client):
    with pytest.raises(VapiBadRequestError, match="provider"):
        sim_client.create_credential({"authenticationPlan": PLAN})
    with pytest.raises(VapiRequestInvalidError):
        sim_client.get_credential("../assistant")


def test_update_phone_number_server(simulator, sim_client):
    (number,) = [n for n in sim_client.list_phone_numbers() if n["number"] == DEMO_PHONE_NUMBERS[0]]
    server = {"url": "https://leasing.example.com/api/v1/voice/webhook", "credentialId": "c1"}
    updated = sim_client.update_phone_number(number["id"], {"server": server})
    assert updated["server"] == server
    with pytest.raises(VapiBadRequestError, match="should not exist"):
        sim_client.update_phone_number(number["id"], {"server": {"secret": "old style"}})
