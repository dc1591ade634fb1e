"""sync_assistants against the simulator: push, --pull, --dry-run, --property, exit status."""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.factories import AssistantFactory, PropertyFactory
from voice.assistants.config import assistant_build_config
from voice.assistants.operations import PULL_NOT_FOUND
from voice.assistants.services import create_property_assistant
from voice.models import Assistant
from voice.simulator.state import Fault, now_iso

pytestmark = pytest.mark.django_db


@pytest.fixture
def harbor(vapi_settings):
    return PropertyFactory(name="Harbor View")


@pytest.fixture
def cedar(vapi_settings):
    return PropertyFactory(name="Cedar Park", timezone="America/Chicago")


@pytest.fixture
def cedar_assistant(cedar, simulator):
    return create_property_assistant(property=cedar)


def _sync(*args: str) -> str:
    out = StringIO()
    call_command("sync_assistants", *args, stdout=out, stderr=StringIO(), no_color=True)
    return out.getvalue()


def _sync_failing(*args: str) -> tuple[str, str]:
    out = StringIO()
    with pytest.raises(CommandError) as exc_info:
        call_command("sync_assistants", *args, stdout=out, stderr=StringIO(), no_color=True)
    return out.getvalue(), str(exc_info.value)


def _writes(simulator) -> int:
    return sum(
        1 for method, _ in simulator.app.state.requests if method in {"POST", "PATCH", "DELETE"}
    )


# Push --------------------------------------------------------------------------------------------


def test_push_creates_missing_assistants_and_updates_the_others(harbor, cedar_assistant, simulator):
    output = _sync()

    harbor_assistant = Assistant.objects.get(property=harbor)
    assert harbor_assistant.vapi_assistant_id in simulator.app.state.assistants
    lines = output.splitlines()
    assert lines[0] == "Pushing the assistants of 2 properties to Vapi…"
    assert lines[1] == "Structured outputs: all in sync."
    assert lines[2] == f"[1] updated {cedar_assistant.name}: Configuration pushed to Vapi."
    assert lines[3].startswith("[2] created Harbor View: Created assistant")
    assert lines[4] == "Done: 1 created, 1 updated, 0 unchanged, 0 skipped, 0 failed."

    # Idempotent: a second run updates the same two assistants and creates nothing.
    second = _sync()
    assert "Done: 0 created, 2 updated" in second
    assert Assistant.objects.count() == 2
    assert len(simulator.app.state.assistants) == 2


def test_push_puts_back_a_structured_output_deleted_at_vapi(harbor, cedar_assistant, simulator):
    """vapi-reference.md §12.4: the run checks the outputs once, before any assistant."""
    state = simulator.app.state
    deleted = next(iter(state.structured_outputs))
    del state.structured_outputs[deleted]

    output = _sync()

    assert "Structured outputs: 1 created." in output
    remote = state.assistants[cedar_assistant.vapi_assistant_id]
    ids = remote["artifactPlan"]["structuredOutputIds"]
    assert deleted not in ids
    assert set(ids) == set(state.structured_outputs)


def test_push_only_the_given_property(harbor, cedar_assistant, simulator):
    output = _sync("--property", "harbor")

    assert "Pushing the assistants of 1 property to Vapi…" in output
    assert Assistant.objects.filter(property=harbor).exists()
    patches = simulator.app.state.count_requests(
        "PATCH", f"/assistant/{cedar_assistant.vapi_assistant_id}"
    )
    assert patches == 0


def test_push_dry_run_writes_nothing(harbor, cedar_assistant, simulator):
    cedar_assistant.first_message = "Howdy from Cedar Park!"
    cedar_assistant.save()
    writes_before = _writes(simulator)

    output = _sync("--dry-run")

    assert output.startswith("Dry run: Pushing the assistants of 2 properties")
    assert f"[1] updated {cedar_assistant.name}: " in output
    assert "Would update it at Vapi (firstMessage)." in output
    assert "[2] created Harbor View: Would create an assistant from the property data" in output
    assert "(dry run: nothing was written)" in output
    assert _writes(simulator) == writes_before
    assert not Assistant.objects.filter(property=harbor).exists()
    assert simulator.app.state.assistants[cedar_assistant.vapi_assistant_id]["firstMessage"] != (
        "Howdy from Cedar Park!"
    )


def test_push_failure_exits_non_zero_after_trying_every_property(
    harbor, cedar_assistant, simulator
):
    simulator.app.state.add_fault(Fault(status=500, method="PATCH", remaining=3))

    output, error = _sync_failing()

    assert "[1] failed Cedar Park" in output
    assert "Vapi had an internal error (HTTP 500); could not update the assistant." in output
    assert "[2] created Harbor View" in output
    assert error == "1 of 2 failed: 1 created, 0 updated, 0 unchanged, 0 skipped, 1 failed."
    cedar_assistant.refresh_from_db()
    assert cedar_assistant.push_state == Assistant.PushState.FAILED


def test_push_with_vapi_unreachable_stops_trying(harbor, cedar, settings):
    settings.VAPI_BASE_URL = "http://127.0.0.1:9"

    output, error = _sync_failing()

    # The structured outputs are synced first (the config references them), so that fails.
    assert "[1] failed Cedar Park: Could not reach Vapi; could not list structured out" in output
    assert "[2] skipped Harbor View: Not tried: Could not reach Vapi" in output
    assert error.startswith("1 of 2 failed")
    assert not Assistant.objects.exists()


def test_unknown_property_is_an_error(harbor):
    with pytest.raises(CommandError, match="No property matches 'Nowhere'"):
        _sync("--property", "Nowhere")


# Pull --------------------------------------------------------------------------------------------


def test_pull_copies_what_was_changed_in_the_vapi_dashboard(harbor, cedar_assistant, simulator):
    harbor_assistant = create_property_assistant(property=harbor)
    remote = simulator.app.state.assistants[cedar_assistant.vapi_assistant_id]
    remote["name"] = "Cedar front desk"
    remote["firstMessage"] = "Cedar Park, this is the AI assistant. How can I help?"
    remote["voice"] = {"provider": "openai", "voiceId": "nova"}
    remote["transcriber"] = {"provider": "deepgram", "model": "nova-2", "language": "es"}
    remote["model"]["model"] = "gpt-4o-mini"

    output = _sync("--pull")

    cedar_assistant.refresh_from_db()
    assert cedar_assistant.name == "Cedar front desk"
    assert cedar_assistant.first_message.startswith("Cedar Park, this is the AI assistant")
    assert (cedar_assistant.voice_provider, cedar_assistant.voice_id) == ("openai", "nova")
    assert cedar_assistant.language == "es"
    assert cedar_assistant.model == "gpt-4o-mini"
    assert (
        "updated Cedar Park leasing assistant: Updated first_message, language, "
        "model, name, "
        "voice_id, voice_provider from Vapi." in output
    )
    assert f"unchanged {harbor_assistant.name}: Matches Vapi." in output
    assert "Done: 0 created, 1 updated, 1 unchanged, 0 skipped, 0 failed." in output
    # Defaults stay defaults: the untouched assistant keeps its blank first message and voice.
    harbor_assistant.refresh_from_db()
    assert harbor_assistant.first_message == ""
    assert harbor_assistant.voice_provider == ""
    # The next push sends back what the dashboard set, and knows Vapi already has it.
    config = assistant_build_config(assistant=cedar_assistant)
    assert config["firstMessage"] == remote["firstMessage"]
    assert cedar_assistant.last_pushed_config["firstMessage"] == remote["firstMessage"]
    assert "(nothing changed since the last push)" in _sync("--dry-run", "--property", "Cedar")


def test_pull_takes_the_instructions_out_of_the_prompt(cedar_assistant, simulator):
    cedar_assistant.system_prompt = "Speak like a pirate."
    config = assistant_build_config(assistant=cedar_assistant)
    remote = simulator.app.state.assistants[cedar_assistant.vapi_assistant_id]
    remote["model"] = config["model"]

    _sync("--pull")

    cedar_assistant.refresh_from_db()
    assert cedar_assistant.system_prompt == "Speak like a pirate."

    remote["model"]["messages"][0]["content"] = "You are a pirate. Arr."
    output = _sync("--pull")
    assert "its prompt was rewritten outside this app and was not pulled" in output
    cedar_assistant.refresh_from_db()
    assert cedar_assistant.system_prompt == "Speak like a pirate."


def test_pull_reports_an_assistant_vapi_no_longer_has(harbor, cedar_assistant, simulator):
    kept = create_property_assistant(property=harbor)
    del simulator.app.state.assistants[cedar_assistant.vapi_assistant_id]

    output, error = _sync_failing("--pull")

    assert f"failed {cedar_assistant.name}: {PULL_NOT_FOUND}" in output
    assert f"unchanged {kept.name}" in output
    assert error.startswith("1 of 2 failed")
    assert Assistant.objects.filter(pk=cedar_assistant.pk).exists()  # never deleted silently


def test_pull_adds_vapi_assistants_made_for_our_properties(harbor, cedar, simulator):
    made_elsewhere = assistant_build_config(
        assistant=Assistant(property=harbor, name="Harbor weekend desk", language="es")
    )
    stamps = {"orgId": "org-1", "createdAt": now_iso(), "updatedAt": now_iso()}
    simulator.app.state.assistants["remote-1"] = {**made_elsewhere, "id": "remote-1", **stamps}
    simulator.app.state.assistants["foreign-1"] = {"id": "foreign-1", "name": "Other", **stamps}
    never_pushed = AssistantFactory(property=cedar, name="Draft")

    output = _sync("--pull")

    added = Assistant.objects.get(vapi_assistant_id="remote-1")
    assert added.property == harbor
    assert added.name == "Harbor weekend desk"
    assert added.language == "es"
    assert added.push_state == Assistant.PushState.OK
    assert added.last_pushed_config["name"] == "Harbor weekend desk"
    assert "created Harbor View / Harbor weekend desk: Added Vapi assistant remote-1" in output
    assert f"skipped Cedar Park / {never_pushed.name}: Never pushed to Vapi" in output
    assert not Assistant.objects.filter(vapi_assistant_id="foreign-1").exists()
    assert "Done: 1 created, 0 updated, 0 unchanged, 1 skipped, 0 failed." in output

    assert "Done: 0 created, 0 updated, 1 unchanged, 1 skipped" in _sync("--pull")  # idempotent


def test_pull_dry_run_and_property_filter_write_nothing(harbor, cedar_assistant, simulator):
    harbor_assistant = create_property_assistant(property=harbor)
    for assistant in (harbor_assistant, cedar_assistant):
        simulator.app.state.assistants[assistant.vapi_assistant_id]["name"] = "Renamed at Vapi"

    output = _sync("--pull", "--dry-run", "--property", "Cedar Park")

    assert output.startswith("Dry run: Pulling assistants from Vapi…")
    assert re.search(
        r"\[1\] updated Cedar Park leasing assistant: Would update name from Vapi\.", output
    )
    assert "Harbor View" not in output
    assert "(dry run: nothing was written)" in output
    assert not Assistant.objects.filter(name="Renamed at Vapi").exists()

    _sync("--pull", "--property", str(cedar_assistant.property.pk))
    assert list(Assistant.objects.filter(name="Renamed at Vapi")) == [cedar_assistant]


def test_pull_when_vapi_fails(cedar_assistant, simulator):
    simulator.app.state.add_fault(Fault(status=500, method="GET", remaining=3))

    output, error = _sync_failing("--pull")

    assert "Vapi had an internal error (HTTP 500); could not fetch the assistant." in output
    assert error.startswith("1 of 1 failed")
    cedar_assistant.refresh_from_db()
    assert cedar_assistant.push_state == Assistant.PushState.OK


def test_without_an_api_key_nothing_is_tried(cedar_assistant, harbor, settings):
    settings.VAPI_API_KEY = ""

    output, error = _sync_failing("--pull")
    assert f"[1] failed {cedar_assistant.name}: VAPI_API_KEY is not set" in output
    assert error.startswith("1 of 1 failed")

    output, error = _sync_failing()
    assert "[2] skipped Harbor View: Not tried: VAPI_API_KEY is not set" in output
    assert not Assistant.objects.filter(property=harbor).exists()
