"""Structured outputs (vapi-reference.md §12.4): the client's /structured-output methods and the
simulator's CRUD, and the service that keeps our definitions at Vapi in sync."""

import copy

import httpx
import pytest
from vapi.types import CreateStructuredOutputDto

from leads.demo import demo_data_load
from properties.models import Property
from tests.voice.vapi.test_client_contract import unknown_keys
from tests.voice.vapi_helpers import TEST_API_KEY
from voice.assistants.services import assistant_push, create_property_assistant
from voice.models import StructuredOutput
from voice.simulator.state import Fault
from voice.simulator.validation import validate_structured_output
from voice.structured_outputs import (
    LEASING_CALL,
    OPT_OUT,
    STRUCTURED_OUTPUT_NAMES,
    STRUCTURED_OUTPUTS,
    definition_hash,
    structured_outputs_sync,
)
from voice.vapi.core import _VapiCore
from voice.vapi.errors import (
    VapiBadRequestError,
    VapiNotFoundError,
    VapiRequestInvalidError,
    VapiServerError,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def http(simulator):
    with httpx.Client(
        base_url=simulator.url, headers={"Authorization": f"Bearer {TEST_API_KEY}"}
    ) as client:
        yield client


def _requests(simulator, method: str, prefix: str = "/structured-output") -> int:
    with simulator.app.state.lock:
        return sum(
            1 for m, p in simulator.app.state.requests if m == method and p.startswith(prefix)
        )


def _at_vapi(simulator) -> dict[str, dict]:
    return {o["name"]: o for o in simulator.app.state.structured_outputs.values()}


# The definitions -----------------------------------------------------------------------------


def test_definitions_are_valid_vapi_bodies():
    assert len(set(STRUCTURED_OUTPUT_NAMES)) == len(STRUCTURED_OUTPUT_NAMES)
    for definition in STRUCTURED_OUTPUTS:
        assert 1 <= len(definition["name"]) <= 40
        assert definition["description"]
        assert validate_structured_output(definition, create=True) == []
        # Vapi's own schema (vapi-server-sdk): no key it does not define.
        assert unknown_keys(CreateStructuredOutputDto.model_validate(definition)) == []


# The client and the simulator ------------------------------------------------------------------


def test_client_crud_against_the_simulator(vapi_settings, sim_client, simulator):
    body = {"name": "pets", "schema": {"type": "boolean"}, "description": "Has pets?"}
    created = sim_client.create_structured_output(body)
    assert created["type"] == "ai"  # Vapi's default
    assert {"id", "orgId", "createdAt", "updatedAt"} <= set(created)
    assert sim_client.get_structured_output(created["id"]) == created

    page = sim_client.list_structured_outputs(name="pets")
    assert [o["id"] for o in page["results"]] == [created["id"]]
    assert page["metadata"]["totalItems"] == 1
    assert sim_client.list_structured_outputs(name="nothing")["results"] == []

    changed = sim_client.update_structured_output(
        created["id"], {"schema": {"type": "string"}, "description": "Which pets?"}
    )
    assert changed["schema"] == {"type": "string"}
    assert changed["name"] == "pets"
    with pytest.raises(VapiNotFoundError):
        sim_client.get_structured_output("00000000-0000-4000-8000-000000000000")


def test_simulator_status_codes_and_validation(simulator, http):
    created = http.post("/structured-output", json={"name": "x", "schema": {"type": "string"}})
    assert created.status_code == 201
    output_id = created.json()["id"]

    bad = http.post(
        "/structured-output",
        json={"name": "n" * 41, "schema": {"type": "string", "minimum": 1}, "extra": 1},
    )
    assert bad.status_code == 400
    assert bad.json()["error"] == "Bad Request"
    assert set(bad.json()["message"]) == {
        "property extra should not exist",
        "schema.property minimum should not exist",
        "name must be shorter than or equal to 40 characters",
    }
    assert http.post("/structured-output", json={"name": "x"}).json()["message"] == [
        "schema should not be null or undefined"
    ]

    # §12.4: a schema change needs ?schemaOverride=true; a description change does not.
    path = f"/structured-output/{output_id}"
    refused = http.patch(
        path, params={"schemaOverride": "false"}, json={"schema": {"type": "number"}}
    )
    assert refused.status_code == 400
    assert "schemaOverride" in refused.json()["message"]
    assert http.patch(
        path, params={"schemaOverride": "false"}, json={"description": "d"}
    ).is_success
    assert http.patch(
        path, params={"schemaOverride": "true"}, json={"schema": {"type": "number"}}
    ).json()["schema"] == {"type": "number"}

    assert http.delete(path).status_code == 200
    for response in (http.get(path), http.patch(path, json={}), http.delete(path)):
        assert response.status_code == 404
        assert response.json()["statusCode"] == 404


def test_simulator_refuses_assistants_referencing_unknown_outputs(simulator, http):
    body = {"name": "a", "artifactPlan": {"structuredOutputIds": ["nope"]}}
    response = http.post("/assistant", json=body)
    assert response.status_code == 400
    assert "nope" in str(response.json()["message"])


def test_schema_override_is_sent_only_with_a_schema(vapi_settings, sim_client, simulator):
    created = sim_client.create_structured_output({"name": "s", "schema": {"type": "string"}})
    sim_client.update_structured_output(created["id"], {"schema": {"type": "boolean"}})
    sim_client.update_structured_output(created["id"], {"description": "only text"})
    output = simulator.app.state.structured_outputs[created["id"]]
    assert (output["schema"], output["description"]) == ({"type": "boolean"}, "only text")


def test_request_specs():
    core = _VapiCore(api_key="k")
    patch = core.update_structured_output("so-1", {"schema": {"type": "string"}})
    assert (patch.method, patch.path, patch.params) == (
        "PATCH",
        "/structured-output/so-1",
        {"schemaOverride": "true"},
    )
    assert core.update_structured_output("so-1", {"description": "d"}).params == {
        "schemaOverride": "false"  # OAS: a required query parameter
    }
    listing = core.list_structured_outputs(name="leasing_call", limit=100)
    assert (listing.path, listing.params) == (
        "/structured-output",
        {"name": "leasing_call", "limit": 100},
    )
    create = core.create_structured_output({"name": "x", "schema": {"type": "string"}})
    assert (create.method, create.idempotent) == ("POST", False)  # never retried
    with pytest.raises(VapiRequestInvalidError):
        core.get_structured_output("../assistant")


# The sync service ---------------------------------------------------------------------------


def test_sync_creates_each_output_once_and_stores_the_ids(vapi_settings, simulator):
    synced = structured_outputs_sync()

    at_vapi = _at_vapi(simulator)
    assert set(at_vapi) == set(STRUCTURED_OUTPUT_NAMES)
    assert synced.created == list(STRUCTURED_OUTPUT_NAMES)
    assert synced.ids == {name: output["id"] for name, output in at_vapi.items()}
    for definition in STRUCTURED_OUTPUTS:
        remote = at_vapi[definition["name"]]
        assert {key: remote[key] for key in definition} == definition
        row = StructuredOutput.objects.get(name=definition["name"])
        assert (row.vapi_id, row.definition_hash) == (remote["id"], definition_hash(definition))

    # In sync: no request at all.
    before = len(simulator.app.state.requests)
    assert structured_outputs_sync().summary() == "all in sync"
    assert len(simulator.app.state.requests) == before


def test_a_changed_definition_is_patched(vapi_settings, simulator, monkeypatch):
    structured_outputs_sync()
    changed = copy.deepcopy(STRUCTURED_OUTPUTS)
    changed[0]["schema"]["properties"]["parking"] = {"type": "boolean"}
    monkeypatch.setattr("voice.structured_outputs.STRUCTURED_OUTPUTS", changed)

    synced = structured_outputs_sync()

    assert synced.updated == [LEASING_CALL]
    assert _requests(simulator, "PATCH") == 1
    assert _requests(simulator, "POST") == len(STRUCTURED_OUTPUTS)  # nothing new created
    assert "parking" in _at_vapi(simulator)[LEASING_CALL]["schema"]["properties"]
    row = StructuredOutput.objects.get(name=LEASING_CALL)
    assert row.definition_hash == definition_hash(changed[0])


def test_outputs_already_at_vapi_are_found_by_name(vapi_settings, simulator):
    structured_outputs_sync()
    ids = dict(StructuredOutput.objects.values_list("name", "vapi_id"))
    StructuredOutput.objects.all().delete()  # e.g. a fresh database against the same org
    simulator.app.state.structured_outputs[ids[OPT_OUT]]["description"] = "edited"

    synced = structured_outputs_sync()

    assert synced.found == list(STRUCTURED_OUTPUT_NAMES)
    assert synced.ids == ids
    assert _requests(simulator, "POST") == len(STRUCTURED_OUTPUTS)
    assert _requests(simulator, "PATCH") == 1  # the edited one is put back
    assert _at_vapi(simulator)[OPT_OUT]["description"] != "edited"


def test_ids_of_another_vapi_are_not_trusted(vapi_settings, simulator):
    structured_outputs_sync()
    StructuredOutput.objects.update(target="elsewhere", vapi_id="gone")
    assert structured_outputs_sync().found == list(STRUCTURED_OUTPUT_NAMES)
    assert not StructuredOutput.objects.filter(vapi_id="gone").exists()


def test_verify_recreates_an_output_deleted_at_vapi(vapi_settings, simulator):
    structured_outputs_sync()
    old_id = StructuredOutput.objects.get(name=OPT_OUT).vapi_id
    del simulator.app.state.structured_outputs[old_id]

    assert structured_outputs_sync().created == []  # trusts the stored hash: no request
    synced = structured_outputs_sync(verify=True)

    assert synced.created == [OPT_OUT]
    new_id = StructuredOutput.objects.get(name=OPT_OUT).vapi_id
    assert new_id != old_id
    assert new_id in simulator.app.state.structured_outputs


def test_sync_failure_raises_and_keeps_what_was_stored(vapi_settings, simulator):
    simulator.app.state.add_fault(Fault(status=500, method="POST", path_prefix="/structured"))
    with pytest.raises(VapiServerError):
        structured_outputs_sync()
    assert not StructuredOutput.objects.filter(name=LEASING_CALL).exists()


# Wired into the assistant push -------------------------------------------------------------


@pytest.fixture
def harbor_view(db):
    demo_data_load()
    return Property.objects.get(name="Harbor View Apartments")


def test_assistant_push_syncs_first_and_then_costs_no_extra_request(
    vapi_settings, simulator, harbor_view
):
    assistant = create_property_assistant(property=harbor_view)

    remote = simulator.app.state.assistants[assistant.vapi_assistant_id]
    ids = [StructuredOutput.objects.get(name=name).vapi_id for name in STRUCTURED_OUTPUT_NAMES]
    assert remote["artifactPlan"]["structuredOutputIds"] == ids
    assert "analysisPlan" not in remote
    before = _requests(simulator, "GET") + _requests(simulator, "POST")

    assistant_push(assistant=assistant)

    assert _requests(simulator, "GET") + _requests(simulator, "POST") == before


def test_a_push_never_references_a_missing_output(vapi_settings, simulator, harbor_view):
    """Outputs deleted at Vapi and forgotten here are made again before the assistant goes."""
    assistant = create_property_assistant(property=harbor_view)
    simulator.app.state.structured_outputs.clear()
    StructuredOutput.objects.all().delete()

    assistant_push(assistant=assistant)

    remote = simulator.app.state.assistants[assistant.vapi_assistant_id]
    assert set(remote["artifactPlan"]["structuredOutputIds"]) == set(
        simulator.app.state.structured_outputs
    )


def test_an_assistant_referencing_a_deleted_output_is_refused(
    vapi_settings, simulator, harbor_view
):
    """The simulator's check that makes the test above meaningful."""
    assistant = create_property_assistant(property=harbor_view)
    simulator.app.state.structured_outputs.clear()
    with pytest.raises(VapiBadRequestError):
        assistant_push(assistant=assistant)
