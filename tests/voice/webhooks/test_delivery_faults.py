"""Delivery semantics under faults (issue 13, item 7).

- A delivery whose handler failed is stored "failed" and answered with the failure shape; when Vapi
  delivers it again after the fault is gone it runs again, once, and gets the real answer.
- An informational delivery (end-of-call-report, status-update, transcript, hang) is committed
  before it is handled: a worker killed mid-way leaves it "received", and `reprocess_webhooks`
  (or a redelivery) completes it.

Faults are real conditions, not patches of our code: a table the handler needs is briefly offline
(renamed), or the worker process is SIGKILLed while it waits on a row lock the test holds.
"""

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from leads.models import LeadActivity, Tour
from properties.models import Unit
from tests.voice.webhook_helpers import post_concurrently, post_vapi, world_build
from voice.models import CallLog, TranscriptLine, WebhookEvent
from voice.webhooks.inbox import STUCK_AFTER
from voice.webhooks.messages import MESSAGES

ROOT = Path(__file__).resolve().parents[3]

# DDL (the rename) and a failed statement inside the handler need real transactions on PostgreSQL.
pytestmark = pytest.mark.django_db(transaction=True)


@contextmanager
def table_offline(table: str) -> Iterator[None]:
    """The table is gone for the block (as in a botched deploy or a restore in progress): every
    statement touching it fails with the database's own error."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {quote(table)} RENAME TO {quote(table + '_offline')}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE {quote(table + '_offline')} RENAME TO {quote(table)}")


def _event(**filters) -> WebhookEvent:
    return WebhookEvent.objects.get(**filters)


# (a) A failed delivery, delivered again ---------------------------------------------------------


def test_failed_tool_call_redelivered_after_the_fault_is_processed_once(client):
    world = world_build()
    message = world.fixture("tool_calls__schedule_tour")
    with table_offline(Tour._meta.db_table):
        failed = post_vapi(client, message)
    assert failed.status_code == 200
    assert set(failed.json()["results"][0]) == {"toolCallId", "name", "error"}
    event = _event()
    assert (event.status, event.attempts, event.response) == ("failed", 1, failed.json())
    assert event.error  # the database's own error, e.g. "no such table" / "does not exist"

    # Vapi delivers it again (same toolCallId, same dedupe key): it runs, for real, once.
    again = post_vapi(client, message)
    result = again.json()["results"][0]
    assert result["toolCallId"] == failed.json()["results"][0]["toolCallId"]
    assert result["result"].startswith("Booked: in person tour on ")
    event.refresh_from_db()
    assert (event.status, event.attempts, event.error, event.traceback) == ("processed", 2, "", "")
    assert event.response == again.json()
    assert Tour.objects.count() == 1
    assert LeadActivity.objects.filter(kind="tour_scheduled").count() == 1

    # A third copy is a plain duplicate: the stored (real) answer, nothing runs.
    assert post_vapi(client, message).json() == again.json()
    assert Tour.objects.count() == 1
    event.refresh_from_db()
    assert event.attempts == 2


def test_failed_read_only_tool_call_redelivered_gets_the_real_answer(client):
    world = world_build()
    message = world.fixture("tool_calls__check_availability")
    with table_offline(Unit._meta.db_table):
        failed = post_vapi(client, message).json()
    assert "error" in failed["results"][0]
    # The fault is still there on the second delivery: stored again as failed, attempt counted.
    with table_offline(Unit._meta.db_table):
        assert post_vapi(client, message).json() == failed
    assert (_event().status, _event().attempts) == ("failed", 2)

    answer = post_vapi(client, message).json()
    assert answer["results"][0]["result"].startswith("Available: unit 312")
    event = _event()
    assert (event.status, event.attempts, event.response, event.error) == (
        "processed",
        3,
        answer,
        "",
    )
    assert post_vapi(client, message).json() == answer


def test_redelivery_that_fails_again_stays_failed_and_counts_the_attempt(client):
    world = world_build()
    message = world.fixture("tool_calls__schedule_tour")
    with table_offline(Tour._meta.db_table):
        first = post_vapi(client, message).json()
        second = post_vapi(client, message).json()
    assert second == first
    event = _event()
    assert (event.status, event.attempts) == ("failed", 2)
    assert "Traceback" in event.traceback
    assert not Tour.objects.exists()


def test_failed_status_update_redelivered_after_the_fault_moves_the_call(client):
    world = world_build()
    post_vapi(client, world.fixture("status_update__in_progress"))
    ended = world.fixture("status_update__ended")
    with table_offline(CallLog._meta.db_table):
        assert post_vapi(client, ended).json() == {}
    assert _event(dedupe_key__contains=":ended").status == "failed"

    # On PostgreSQL the one-statement path applies it and settles the failed row; elsewhere the
    # redelivery claims the failed row and runs the handler.
    assert post_vapi(client, ended).json() == {}
    event = _event(dedupe_key__contains=":ended")
    assert (event.status, event.attempts, event.error) == ("processed", 2, "")
    call_log = CallLog.objects.get()
    assert (call_log.status, call_log.ended_reason) == ("ended", "customer-ended-call")


@pytest.mark.postgres
def test_concurrent_redeliveries_of_a_failed_tool_call_run_it_once(client):
    world = world_build(call_id="call-redeliver-race")
    message = world.fixture("tool_calls__schedule_tour")
    with table_offline(Tour._meta.db_table):
        post_vapi(client, message)
    assert _event().status == "failed"

    body = json.dumps(message).encode()
    answers = post_concurrently([body] * 20)
    assert {status for status, _ in answers} == {200}
    assert len({json.dumps(answer, sort_keys=True) for _, answer in answers}) == 1
    assert answers[0][1]["results"][0]["result"].startswith("Booked")
    assert Tour.objects.count() == 1
    event = _event()
    # One claim: the first attempt plus exactly one re-run, whatever the number of copies.
    assert (event.status, event.attempts) == ("processed", 2)


# (b) Informational deliveries survive a killed worker ---------------------------------------------


def _ended_call_complete(call_id: str) -> None:
    call_log = CallLog.objects.get(vapi_call_id=call_id)
    assert call_log.status == "ended"
    assert call_log.summary.startswith("Jordan Lee called about a 2-bedroom")
    assert call_log.recording_url.endswith("-mono.wav")
    assert LeadActivity.objects.filter(kind="call_ended", vapi_call_id=call_id).count() == 1


def _interrupt_end_of_call_reports(monkeypatch) -> None:
    """What gunicorn's worker timeout does (its SIGABRT handler calls sys.exit in the worker):
    SystemExit in the middle of the handler. A patch of the MESSAGES entry is the only in-process
    way to put it there; the real SIGKILL is the PostgreSQL test below."""

    def interrupted(envelope):
        CallLog.objects.filter(vapi_call_id=envelope.call_id).update(summary="half done")
        raise SystemExit(1)

    entry = replace(MESSAGES["end-of-call-report"], handle=interrupted)
    monkeypatch.setitem(MESSAGES, "end-of-call-report", entry)


def test_interrupted_end_of_call_report_is_completed_by_reprocess(client, clock, monkeypatch):
    world = world_build(call_id="call-interrupted-1")
    post_vapi(client, world.fixture("status_update__in_progress"))
    _interrupt_end_of_call_reports(monkeypatch)
    with pytest.raises(SystemExit):
        post_vapi(client, world.fixture("end_of_call_report"))
    monkeypatch.undo()

    event = _event(message_type="end-of-call-report")
    assert (event.status, event.attempts) == ("received", 1)
    assert CallLog.objects.get().summary == ""  # the half-done work was rolled back

    # Within the grace it may still be in flight: left alone.
    out = StringIO()
    call_command("reprocess_webhooks", stdout=out)
    assert "0 processed, 0 ignored, 0 failed." in out.getvalue()

    clock.move_to(event.received_at + STUCK_AFTER + timedelta(seconds=1))
    out = StringIO()
    call_command("reprocess_webhooks", stdout=out)
    assert "1 processed, 0 ignored, 0 failed." in out.getvalue()
    event.refresh_from_db()
    assert (event.status, event.attempts) == ("processed", 2)
    _ended_call_complete(world.call_id)


def test_interrupted_delivery_is_completed_by_its_redelivery(client, monkeypatch):
    world = world_build(call_id="call-interrupted-2")
    post_vapi(client, world.fixture("status_update__in_progress"))
    _interrupt_end_of_call_reports(monkeypatch)
    report = world.fixture("end_of_call_report")
    with pytest.raises(SystemExit):
        post_vapi(client, report)
    monkeypatch.undo()

    assert post_vapi(client, report).json() == {}
    event = _event(message_type="end-of-call-report")
    assert (event.status, event.attempts) == ("processed", 2)
    _ended_call_complete(world.call_id)
    assert post_vapi(client, report).json() == {}  # and then it is a plain duplicate
    assert _event(message_type="end-of-call-report").attempts == 2


def test_reprocess_options_select_failed_and_stuck(client, clock, monkeypatch):
    world = world_build(call_id="call-interrupted-3")
    _interrupt_end_of_call_reports(monkeypatch)
    with pytest.raises(SystemExit):
        post_vapi(client, world.fixture("end_of_call_report"))
    monkeypatch.undo()
    with table_offline(TranscriptLine._meta.db_table):
        post_vapi(client, world.fixture("transcript__final"))
    assert sorted(WebhookEvent.objects.values_list("status", flat=True)) == ["failed", "received"]
    clock.move_to(timezone.now() + STUCK_AFTER + timedelta(seconds=1))

    out = StringIO()
    call_command("reprocess_webhooks", "--stuck", "--dry-run", stdout=out)
    assert "1 deliveries would be re-processed" in out.getvalue()
    call_command("reprocess_webhooks", "--failed", stdout=StringIO())
    assert _event(message_type="transcript").status == "processed"
    assert _event(message_type="end-of-call-report").status == "received"
    out = StringIO()
    call_command("reprocess_webhooks", "--grace-seconds", "0", stdout=out)
    assert "1 processed, 0 ignored, 0 failed." in out.getvalue()
    assert TranscriptLine.objects.count() == 1
    assert CallLog.objects.get().summary


# A real worker process, SIGKILLed while it handles an end-of-call-report (PostgreSQL) -------------

# Runs in the worker: post the delivery through the real view (Django test client), signed with
# the worker's own clock. It blocks in the handler on the call log's row lock the test holds.
WORKER = """
import sys
from django.test import Client
from django.test.utils import setup_test_environment
from tests.voice.webhook_helpers import post_vapi
setup_test_environment()
print(post_vapi(Client(), sys.stdin.buffer.read()).status_code, flush=True)
"""


def _worker_env() -> dict[str, str]:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": (
            f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
            f"/{db['NAME']}"
        ),
        "DATABASE_CONN_MAX_AGE": "0",
    }


def _wait_for(condition, *, what: str, timeout: float = 30) -> object:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def _backends_waiting_on_a_lock() -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        )
        return [pid for (pid,) in cursor.fetchall()]


def _backend_alive(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid])
        return cursor.fetchone() is not None


@pytest.mark.postgres
def test_worker_killed_during_end_of_call_report_leaves_it_for_reprocess(client, clock):
    import psycopg

    world = world_build(call_id="call-killed-1")
    post_vapi(client, world.fixture("status_update__in_progress"))
    body = json.dumps(world.fixture("end_of_call_report")).encode()
    env = _worker_env()

    # Another session holds the call log's row: the worker's handler will wait on it.
    holder = psycopg.connect(env["DATABASE_URL"])
    holder.execute("SELECT id FROM call_logs WHERE vapi_call_id = %s FOR UPDATE", [world.call_id])
    worker = subprocess.Popen(  # noqa: S603 - our own manage.py
        [sys.executable, "manage.py", "shell", "-c", WORKER],
        cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        worker.stdin.write(body)
        worker.stdin.close()
        [backend] = _wait_for(_backends_waiting_on_a_lock, what="the worker blocked in the handler")
        assert WebhookEvent.objects.get(message_type="end-of-call-report").status == "received"
        worker.kill()  # SIGKILL: no cleanup, no response
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(timeout=10)
        holder.rollback()
        holder.close()
    assert worker.returncode == -9
    # Its server session notices the dead client once the lock is free, and rolls back.
    _wait_for(lambda: not _backend_alive(backend), what="the killed worker's session to end")

    event = WebhookEvent.objects.get(message_type="end-of-call-report")
    assert (event.status, event.attempts) == ("received", 1)
    call_log = CallLog.objects.get()
    assert (call_log.summary, call_log.recording_url) == ("", "")  # unfinished
    assert not LeadActivity.objects.filter(kind="call_ended").exists()

    # Nobody re-sends it: the re-process command (cron) finds it once the grace is over.
    out = StringIO()
    call_command("reprocess_webhooks", "--dry-run", stdout=out)
    assert "0 deliveries would be re-processed" in out.getvalue()  # may still be in flight
    clock.move_to(event.received_at + STUCK_AFTER + timedelta(seconds=1))
    out = StringIO()
    call_command("reprocess_webhooks", stdout=out)
    assert "1 processed, 0 ignored, 0 failed." in out.getvalue()
    event.refresh_from_db()
    assert (event.status, event.attempts) == ("processed", 2)
    _ended_call_complete(world.call_id)


@pytest.mark.postgres
def test_reprocess_skips_a_received_delivery_a_worker_still_holds(client, clock, monkeypatch):
    import psycopg

    world = world_build(call_id="call-in-flight-1")
    post_vapi(client, world.fixture("status_update__in_progress"))
    _interrupt_end_of_call_reports(monkeypatch)
    with pytest.raises(SystemExit):
        post_vapi(client, world.fixture("end_of_call_report"))
    monkeypatch.undo()
    event = _event(message_type="end-of-call-report")
    clock.move_to(event.received_at + STUCK_AFTER + timedelta(seconds=1))

    # A worker that is slow, not dead, holds its claimed row: the command leaves it alone.
    worker = psycopg.connect(_worker_env()["DATABASE_URL"])
    try:
        worker.execute("SELECT id FROM webhook_events WHERE id = %s FOR UPDATE", [event.pk])
        out = StringIO()
        call_command("reprocess_webhooks", stdout=out)
        assert "0 processed, 0 ignored, 0 failed. 1 skipped (in flight)." in out.getvalue()
    finally:
        worker.rollback()
        worker.close()
    out = StringIO()
    call_command("reprocess_webhooks", stdout=out)
    assert "1 processed, 0 ignored, 0 failed." in out.getvalue()
    _ended_call_complete(world.call_id)
