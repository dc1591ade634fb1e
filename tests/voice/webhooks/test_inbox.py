"""The inbox: dedupe, failures with tracebacks, re-processing, and the cost of a delivery."""

import json
from dataclasses import replace
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse

from leads.models import LeadActivity, Tour
from tests.voice.webhook_helpers import (
    capture,
    post_vapi,
    world_build,
    world_fixture,  # noqa: F401 - pytest fixture `world`
)
from voice.models import CallLog, WebhookEvent
from voice.webhooks.envelope import envelope_parse, webhook_dedupe_key
from voice.webhooks.inbox import webhook_delivery_handle
from voice.webhooks.messages import MESSAGES

pytestmark = pytest.mark.django_db


def _boom(envelope):
    raise RuntimeError("handler exploded")


def _break_status_updates(monkeypatch):
    # The handler, and the PostgreSQL one-statement path, which would otherwise do the work itself.
    broken = replace(MESSAGES["status-update"], handle=_boom, fast_path=None)
    monkeypatch.setitem(MESSAGES, "status-update", broken)


@pytest.fixture
def broken_status_update(monkeypatch):
    _break_status_updates(monkeypatch)


@pytest.fixture
def broken_tools(monkeypatch):
    monkeypatch.setitem(MESSAGES, "tool-calls", replace(MESSAGES["tool-calls"], handle=_boom))


# Dedupe (vapi-reference.md §10.1) ----------------------------------------------------------------


def test_duplicate_delivery_does_not_repeat_side_effects(client, world):
    for name in ("status_update__in_progress", "tool_calls__schedule_tour"):
        message = world.fixture(name)
        first = post_vapi(client, message)
        second = post_vapi(client, message)
        assert first.json() == second.json()
    assert WebhookEvent.objects.count() == 2
    assert Tour.objects.count() == 1
    assert LeadActivity.objects.filter(kind="tour_scheduled").count() == 1


def test_duplicate_tool_call_returns_the_stored_answer_even_if_data_changed(client, world):
    message = world.fixture("tool_calls__check_availability")
    first = post_vapi(client, message).json()
    world.property.units.update(status="occupied")
    assert post_vapi(client, message).json() == first


def test_same_tool_call_id_in_a_redelivery_with_new_timestamp_is_a_duplicate(client, world):
    message = world.fixture("tool_calls__schedule_tour")
    first = post_vapi(client, message).json()
    message["message"]["timestamp"] += 5000
    assert post_vapi(client, message).json() == first
    assert Tour.objects.count() == 1


def test_dedupe_keys():
    status = {"type": "status-update", "timestamp": 1, "status": "ringing", "call": {"id": "c"}}
    assert webhook_dedupe_key(status, body=b"") == "status-update:c:1:ringing"
    tools = {
        "type": "tool-calls",
        "timestamp": 9,
        "call": {"id": "c"},
        "toolCallList": [{"id": "b", "function": {"name": "x"}}, {"id": "a", "function": {}}],
    }
    assert webhook_dedupe_key(tools, body=b"") == "tool-calls:c:a,b"
    no_time = {"type": "hang"}
    assert webhook_dedupe_key(no_time, body=b"1") != webhook_dedupe_key(no_time, body=b"2")
    long = {"type": "x", "timestamp": 1, "call": {"id": "c" * 300}}
    assert len(webhook_dedupe_key(long, body=b"")) <= 255


# Failures ----------------------------------------------------------------------------------------


def test_failing_handler_leaves_a_failed_row_and_answers_200(client, world, broken_status_update):
    response = post_vapi(client, world.fixture("status_update__queued"))
    assert response.status_code == 200
    assert response.json() == {}
    event = WebhookEvent.objects.get()
    assert event.status == WebhookEvent.Status.FAILED
    assert event.error == "RuntimeError: handler exploded"
    assert "Traceback" in event.traceback
    assert "_boom" in event.traceback
    assert event.processed_at is None


def test_failing_tool_handler_answers_per_tool_error_strings(client, world, broken_tools):
    response = post_vapi(client, world.fixture("tool_calls__multiple"))
    assert response.status_code == 200
    results = response.json()["results"]
    assert [result["toolCallId"] for result in results] == ["call_multi_1", "call_multi_2"]
    assert all(set(result) == {"toolCallId", "name", "error"} for result in results)
    assert all("\n" not in result["error"] for result in results)
    assert WebhookEvent.objects.get().response == response.json()


def test_exception_inside_a_tool_rolls_back_its_writes(client, world, monkeypatch):
    def explode(**kwargs):
        raise RuntimeError("calendar down")

    monkeypatch.setattr("voice.webhooks.tools.tour_schedule", explode)
    response = post_vapi(client, world.fixture("tool_calls__schedule_tour"))
    assert "error" in response.json()["results"][0]
    assert WebhookEvent.objects.get().status == "failed"
    # The lead and call log the tool created before failing were rolled back with it.
    assert not CallLog.objects.exists()


def test_duplicate_of_a_failed_delivery_gets_the_same_answer(client, world, broken_tools):
    message = world.fixture("tool_calls__check_availability")
    first = post_vapi(client, message).json()
    assert post_vapi(client, message).json() == first
    assert WebhookEvent.objects.count() == 1


def test_reprocess_command_fixes_failed_events(client, world, monkeypatch):
    _break_status_updates(monkeypatch)
    post_vapi(client, world.fixture("status_update__queued"))
    monkeypatch.undo()
    out = StringIO()
    call_command("reprocess_webhooks", stdout=out)
    assert "1 processed, 0 ignored, 0 failed." in out.getvalue()
    event = WebhookEvent.objects.get()
    assert (event.status, event.error, event.traceback, event.attempts) == ("processed", "", "", 2)
    assert CallLog.objects.get().status == "queued"


def test_reprocess_command_reports_failures_and_dry_run(client, world, broken_status_update):
    post_vapi(client, world.fixture("status_update__queued"))
    out = StringIO()
    call_command("reprocess_webhooks", "--dry-run", stdout=out)
    assert "1 deliveries would be re-processed" in out.getvalue()
    with pytest.raises(CommandError, match="0 processed, 0 ignored, 1 failed"):
        call_command("reprocess_webhooks", stdout=StringIO())
    event = WebhookEvent.objects.get()
    assert (event.status, event.attempts) == ("failed", 2)
    assert "handler exploded" in event.traceback


def test_reprocess_command_selected_ids(client, world):
    post_vapi(client, world.fixture("status_update__queued"))
    event = WebhookEvent.objects.get()
    out = StringIO()
    call_command("reprocess_webhooks", "--id", str(event.pk), stdout=out)
    assert "1 processed" in out.getvalue()
    with pytest.raises(CommandError, match="No webhook event with id 999"):
        call_command("reprocess_webhooks", "--id", "999")


def test_admin_action_reprocesses_selected_events(admin_client, client, world, monkeypatch):
    _break_status_updates(monkeypatch)
    post_vapi(client, world.fixture("status_update__queued"))
    monkeypatch.undo()
    event = WebhookEvent.objects.get()
    changelist = reverse("admin:voice_webhookevent_changelist")
    assert "Re-process selected events" in admin_client.get(changelist).content.decode()
    response = admin_client.post(
        changelist, {"action": "reprocess", "_selected_action": [event.pk]}, follow=True
    )
    assert "1 processed, 0 ignored, 0 failed." in response.content.decode()
    event.refresh_from_db()
    assert event.status == "processed"
    assert CallLog.objects.exists()


# Cost of a delivery (performance-notes.md: count queries and commits first) ----------------------


def _deliver(message):
    """Answer, statements (without transaction control, which SQLite logs and PostgreSQL
    doesn't) and commits of one delivery."""
    body = json.dumps(message).encode()
    answer, sql, commits = capture(
        lambda: webhook_delivery_handle(envelope=envelope_parse(body=body))
    )
    control = ("BEGIN", "COMMIT", "ROLLBACK")
    return answer, [statement for statement in sql if not statement.startswith(control)], commits


@pytest.mark.django_db(transaction=True)
def test_check_availability_tool_call_costs_two_queries_and_one_commit():
    world = world_build()
    answer, sql, commits = _deliver(world.fixture("tool_calls__check_availability"))
    assert "Available" in answer["results"][0]["result"]
    kinds = [statement.split()[0] for statement in sql]
    # A read-only tool: SELECT the units (one indexed query, property joined), then one INSERT
    # stores the delivery with its answer; no transaction around them, one COMMIT (the INSERT).
    assert kinds == ["SELECT", "INSERT"], sql
    assert commits == 1


@pytest.mark.django_db(transaction=True)
def test_schedule_tour_tool_call_runs_in_one_transaction():
    world = world_build()
    answer, sql, commits = _deliver(world.fixture("tool_calls__schedule_tour"))
    assert answer["results"][0]["result"].startswith("Booked")
    # Claim the dedupe key first (a concurrent copy waits on it), write the answer last.
    assert sql[0].startswith("INSERT INTO webhook_events")
    assert sql[-1].startswith('UPDATE "webhook_events"')
    assert commits == 1


# A status-update on SQLite (and every durable delivery that has no fused statement): the INSERT
# stores the delivery as "received" and commits, then one transaction claims it (UPDATE to
# "processed") and does the work: two commits, so a killed worker leaves the delivery stored.
DURABLE = ["INSERT", "UPDATE"]


@pytest.mark.django_db(transaction=True)
def test_status_update_costs_one_statement_on_postgresql_three_on_sqlite():
    world = world_build()
    _deliver(world.fixture("status_update__queued"))
    answer, sql, commits = _deliver(world.fixture("status_update__ringing"))
    assert answer == {}
    kinds = [statement.split()[0] for statement in sql]
    if connection.vendor == "postgresql":
        # One autocommit statement: UPDATE the call log and INSERT the inbox row (a CTE).
        assert (kinds, commits) == (["WITH"], 1), sql
    else:
        # Stored, claimed, then one conditional UPDATE moves the call forward.
        assert (kinds, commits) == ([*DURABLE, "UPDATE"], 2), sql
    event = WebhookEvent.objects.get(message_type="status-update", dedupe_key__contains="ringing")
    assert (event.status, event.attempts) == ("processed", 1)
    assert CallLog.objects.get().status == "ringing"


@pytest.mark.django_db(transaction=True)
def test_first_status_update_of_a_call_costs():
    world = world_build()
    answer, sql, commits = _deliver(world.fixture("status_update__queued"))
    assert answer == {}
    kinds = [statement.split()[0] for statement in sql]
    # The assistant (gives the property) with the caller's lead in a subquery; the call log's
    # INSERT ... ON CONFLICT DO NOTHING (another delivery may be creating the call) and the inbox
    # row: one statement on PostgreSQL; stored, claimed, SELECT, INSERT on SQLite.
    if connection.vendor == "postgresql":
        assert (kinds, commits) == (["SELECT", "WITH"], 1), sql
    else:
        assert (kinds, commits) == ([*DURABLE, "SELECT", "INSERT"], 2), sql


@pytest.mark.django_db(transaction=True)
def test_ended_status_update_costs():
    world = world_build()
    _deliver(world.fixture("status_update__in_progress"))
    _, sql, commits = _deliver(world.fixture("status_update__ended"))
    kinds = [statement.split()[0] for statement in sql]
    # One UPDATE that also fills the end time, reason and duration (fused with the inbox row into
    # one statement on PostgreSQL).
    if connection.vendor == "postgresql":
        assert (kinds, commits) == (["WITH"], 1), sql
    else:
        assert (kinds, commits) == ([*DURABLE, "UPDATE"], 2), sql


@pytest.mark.django_db(transaction=True)
def test_final_transcript_line_costs_two_commits():
    world = world_build()
    answer, sql, commits = _deliver(world.fixture("transcript__final"))
    assert answer == {}
    assert [statement.split()[0] for statement in sql] == [*DURABLE, "INSERT"], sql
    assert commits == 2
    assert WebhookEvent.objects.get().status == "processed"


@pytest.mark.django_db(transaction=True)
def test_duplicate_delivery_costs_two_queries():
    world = world_build()
    message = world.fixture("tool_calls__qualify_lead")
    first, _, _ = _deliver(message)
    answer, sql, commits = _deliver(message)
    assert answer == first
    assert [statement.split()[0] for statement in sql] == ["INSERT", "SELECT"], sql
    assert commits == 0  # the claim found the key taken: rolled back, nothing written


@pytest.mark.django_db(transaction=True)
def test_unknown_type_costs_one_autocommit_insert():
    world = world_build()
    answer, sql, commits = _deliver(world.fixture("unknown_type"))
    assert answer == {}
    assert [statement.split()[0] for statement in sql] == ["INSERT"]
    assert commits == 1


def test_duplicate_of_a_status_update_that_advanced_a_known_call(client, world):
    post_vapi(client, world.fixture("status_update__queued"))
    ringing = world.fixture("status_update__ringing")
    assert post_vapi(client, ringing).json() == {}
    assert post_vapi(client, ringing).json() == {}
    assert WebhookEvent.objects.filter(dedupe_key__contains=":ringing").count() == 1
    assert CallLog.objects.get().status == "ringing"
    # A late "ringing" after "in-progress" is stored but moves nothing back.
    post_vapi(client, world.fixture("status_update__in_progress"))
    late = world.fixture("status_update__ringing")
    late["message"]["timestamp"] += 1
    post_vapi(client, late)
    assert CallLog.objects.get().status == "in-progress"
    assert WebhookEvent.objects.filter(dedupe_key__contains=":ringing").count() == 2
