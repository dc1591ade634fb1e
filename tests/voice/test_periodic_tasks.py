"""The periodic upkeep tasks (config/settings/base.py CELERY_BEAT_SCHEDULE), run as a worker
runs them: deliveries a killed worker left half-done or that failed are processed again, and
calls that never reported their end are brought up to date from Vapi."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import AssistantFactory, CallLogFactory, PropertyFactory
from tests.voice.webhook_helpers import post_vapi, world_fixture  # noqa: F401 - fixture `world`
from tests.voice.webhooks.test_inbox import _break_status_updates
from voice.calls.tasks import calls_reconcile_task
from voice.models import CallLog, WebhookEvent
from voice.simulator.state import Fault
from voice.webhooks.inbox import REPROCESS_MAX_ATTEMPTS
from voice.webhooks.tasks import webhooks_reprocess_task

pytestmark = pytest.mark.django_db


def test_failed_and_stuck_deliveries_are_processed_again(client, world, monkeypatch, clock):
    _break_status_updates(monkeypatch)
    post_vapi(client, world.fixture("status_update__queued"))  # fails: stored, re-processable
    monkeypatch.undo()
    stuck = WebhookEvent.objects.create(
        message_type="status-update",
        dedupe_key="stuck-1",
        payload=world.fixture("status_update__ringing"),
    )
    # Its worker died mid-delivery, five minutes ago.
    WebhookEvent.objects.filter(pk=stuck.pk).update(
        received_at=timezone.now() - timedelta(minutes=5)
    )

    result = webhooks_reprocess_task()

    assert result == {"processed": 2, "failed": 0}
    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {"processed"}
    assert CallLog.objects.get().status == CallLog.Status.RINGING


def test_a_delivery_that_keeps_failing_is_left_to_an_operator(client, world, monkeypatch):
    _break_status_updates(monkeypatch)
    post_vapi(client, world.fixture("status_update__queued"))
    for _ in range(REPROCESS_MAX_ATTEMPTS):
        webhooks_reprocess_task()

    event = WebhookEvent.objects.get()
    assert (event.status, event.attempts) == ("failed", REPROCESS_MAX_ATTEMPTS)
    assert webhooks_reprocess_task() == {"processed": 0, "failed": 0}


def test_calls_that_never_reported_their_end_are_refreshed_from_vapi(
    vapi_settings, simulator, clock, settings
):
    prop = PropertyFactory()
    AssistantFactory(property=prop, vapi_assistant_id="asst-stale")
    [call_id] = simulator.app.state.seed_finished_calls(
        1, start=timezone.now(), assistant_id="asst-stale", callers=1, seed=1
    )
    stale = CallLogFactory(vapi_call_id=call_id, property=prop, status=CallLog.Status.IN_PROGRESS)
    recent = CallLogFactory(property=prop, status=CallLog.Status.IN_PROGRESS)
    clock.move_to(timezone.now() + timedelta(minutes=settings.CAMPAIGN_CALL_SLOT_MAX_AGE_MINUTES))
    CallLog.objects.filter(pk=recent.pk).update(created_at=timezone.now())

    assert calls_reconcile_task() == {"reconciled": 0, "refreshed": 1}

    stale.refresh_from_db()
    recent.refresh_from_db()
    assert stale.status == CallLog.Status.ENDED
    assert recent.status == CallLog.Status.IN_PROGRESS  # may well still be talking


def test_the_reconcile_task_survives_vapi_being_down(vapi_settings, simulator, clock, settings):
    settings.VAPI_MAX_RETRIES = 0
    stale = CallLogFactory(status=CallLog.Status.IN_PROGRESS)
    clock.move_to(timezone.now() + timedelta(hours=1))
    simulator.app.state.add_fault(Fault(status=500, remaining=5))

    assert calls_reconcile_task() == {"reconciled": 0, "refreshed": 0}

    stale.refresh_from_db()
    assert stale.status == CallLog.Status.IN_PROGRESS  # nothing half-written
