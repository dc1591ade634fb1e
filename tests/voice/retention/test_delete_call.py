"""`VapiClient.delete_call` against the simulator (vapi-reference.md §1-§2, DELETE /call/{id}):
200 with the deleted call, 404 for an unknown one, 503 when recordings could not be erased
(retried like every idempotent request, then a VapiServerError); never an httpx exception."""

import pytest

from tests.clock import SUITE_NOW
from voice.simulator.state import Fault
from voice.vapi.errors import VapiNotFoundError, VapiRequestInvalidError, VapiServerError


def test_delete_call_answers_the_deleted_call_and_the_call_is_gone(sim_client, simulator):
    [call_id] = simulator.app.state.seed_finished_calls(1, start=SUITE_NOW)

    deleted = sim_client.delete_call(call_id)

    assert deleted["id"] == call_id
    assert call_id not in simulator.app.state.calls
    with pytest.raises(VapiNotFoundError):
        sim_client.delete_call(call_id)


def test_a_503_is_retried_then_raised_and_the_call_is_kept(sim_client, simulator, sleeps):
    [call_id] = simulator.app.state.seed_finished_calls(1, start=SUITE_NOW)
    simulator.app.state.add_fault(
        Fault(status=503, method="DELETE", path_prefix="/call/", remaining=3)
    )

    with pytest.raises(VapiServerError) as caught:
        sim_client.delete_call(call_id)

    assert caught.value.details["status"] == 503
    assert caught.value.details["attempts"] == 3  # the first try and two retries
    assert call_id in simulator.app.state.calls


def test_a_503_then_success_deletes(sim_client, simulator):
    [call_id] = simulator.app.state.seed_finished_calls(1, start=SUITE_NOW)
    simulator.app.state.add_fault(Fault(status=503, method="DELETE", path_prefix="/call/"))

    assert sim_client.delete_call(call_id)["id"] == call_id


def test_a_malformed_id_is_refused_before_sending(sim_client):
    with pytest.raises(VapiRequestInvalidError):
        sim_client.delete_call("../assistant/x")
