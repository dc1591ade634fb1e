"""sync_calls: pull calls from Vapi (the in-process simulator) into the call log."""

from datetime import UTC, datetime, timedelta
from io import StringIO

import httpx
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from leads.models import Lead, LeadActivity
from tests.factories import AssistantFactory, CallLogFactory, PropertyFactory
from tests.voice.vapi_helpers import TEST_API_KEY
from voice.calls.sync import SYNC_OVERLAP, call_sync_default_since, calls_sync_from_vapi
from voice.models import CallLog
from voice.simulator import SimulatorConfig, VapiSimulator
from voice.simulator.state import Fault
from voice.vapi.client import VapiClient
from voice.vapi.core import RetryPolicy

pytestmark = pytest.mark.django_db

ASSISTANT = "asst-sync-0001"


@pytest.fixture
def sim() -> VapiSimulator:
    """The simulator in this process, behind an httpx WSGI transport (no socket, no webhooks)."""
    return VapiSimulator(SimulatorConfig(api_key=TEST_API_KEY, play_calls=False))


@pytest.fixture
def client(sim: VapiSimulator):
    client = VapiClient(
        api_key=TEST_API_KEY,
        base_url="http://vapi.sim",
        transport=httpx.WSGITransport(app=sim),
        retry=RetryPolicy(max_retries=0),
    )
    yield client
    client.close()


@pytest.fixture
def assistant(db):
    return AssistantFactory(vapi_assistant_id=ASSISTANT, property=PropertyFactory())


def _seed(sim: VapiSimulator, count: int, **kwargs) -> list[str]:
    kwargs.setdefault("start", timezone.now() - timedelta(seconds=5))
    kwargs.setdefault("step_ms", 500)
    kwargs.setdefault("assistant_id", ASSISTANT)
    return sim.state.seed_finished_calls(count, **kwargs)


def test_five_thousand_calls_are_created_then_unchanged(sim, client, assistant):
    _seed(sim, 5_000)

    # How fast is for bench/ (README, "sync_calls"), not for a timed test on a shared machine.
    first = calls_sync_from_vapi(client=client, page_size=1000)

    assert (first.created, first.updated, first.unchanged, first.failed) == (5_000, 0, 0, 0)
    assert CallLog.objects.filter(property=assistant.property).count() == 5_000
    # The webhook's outcome ran for every ended call: one lead per caller (a pool of 50).
    assert Lead.objects.count() == 50
    assert LeadActivity.objects.filter(kind=LeadActivity.Kind.CALL_ENDED).count() == 5_000

    second = calls_sync_from_vapi(client=client, page_size=1000)

    assert (second.created, second.updated, second.unchanged, second.failed) == (0, 0, 5_000, 0)
    assert second.since is not None  # the default: the newest call log, minus the overlap


def test_a_stale_row_is_updated_and_its_outcome_applied(sim, client, assistant):
    [call_id] = _seed(sim, 1, callers=1)
    # The webhook saw the call start, then missed the end: no transcript, no lead, no activity.
    CallLogFactory(
        vapi_call_id=call_id,
        property=assistant.property,
        status=CallLog.Status.IN_PROGRESS,
        customer_number="+12065550000",
    )

    result = calls_sync_from_vapi(client=client)

    assert (result.created, result.updated, result.unchanged) == (0, 1, 0)
    row = CallLog.objects.get(vapi_call_id=call_id)
    remote = sim.state.get_call(call_id)
    assert row.status == CallLog.Status.ENDED
    assert row.ended_reason == remote["endedReason"]
    assert row.transcript == remote["artifact"]["transcript"]
    assert row.lead is not None
    assert row.lead.activities.filter(kind=LeadActivity.Kind.CALL_ENDED).exists()
    again = calls_sync_from_vapi(client=client, since=None)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)


def test_dry_run_counts_and_writes_nothing(sim, client, assistant):
    ids = _seed(sim, 30)
    CallLogFactory(vapi_call_id=ids[0], property=assistant.property, status="in-progress")

    result = calls_sync_from_vapi(client=client, dry_run=True, page_size=7)

    assert (result.created, result.updated, result.unchanged, result.failed) == (29, 1, 0, 0)
    assert CallLog.objects.count() == 1
    assert CallLog.objects.get().status == "in-progress"
    assert not Lead.objects.exists()


def test_default_since_is_the_newest_call_log_minus_the_overlap(db):
    assert call_sync_default_since() is None
    CallLogFactory()
    newest = CallLogFactory()
    assert call_sync_default_since() == newest.created_at - SYNC_OVERLAP


def test_since_until_and_assistant_filter_the_calls(sim, client, assistant):
    start = datetime(2026, 3, 1, 12, tzinfo=UTC)
    _seed(sim, 10, start=start, step_ms=60_000, same_ms_every=0)  # 12:00 back to 11:51
    _seed(sim, 5, start=start, assistant_id="asst-other", seed=1)

    result = calls_sync_from_vapi(
        client=client,
        since=start - timedelta(minutes=5, seconds=30),
        until=start - timedelta(seconds=30),
        assistant_id=ASSISTANT,
    )

    assert result.created == 5  # 11:55 .. 11:59
    assert set(CallLog.objects.values_list("assistant__vapi_assistant_id", flat=True)) == {
        ASSISTANT
    }


def test_progress_is_reported_as_pages_complete(sim, client, assistant):
    _seed(sim, 25, same_ms_every=0)
    seen: list[int] = []

    calls_sync_from_vapi(
        client=client, page_size=10, progress_every=10, on_progress=lambda r: seen.append(r.seen)
    )

    # Pages bring 10, 9 and 6 new calls (each page after the first repeats the call at the
    # boundary millisecond): reported at 10, not at 19 (only 9 more), then at the end.
    assert seen == [10, 25]


class FailingAfter(httpx.BaseTransport):
    """Answers the first `ok` requests from the simulator, then 500 like a Vapi outage."""

    def __init__(self, inner: httpx.BaseTransport, ok: int) -> None:
        self.inner, self.ok = inner, ok

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.ok -= 1
        if self.ok < 0:
            return httpx.Response(500, json={"statusCode": 500, "message": "Internal error"})
        return self.inner.handle_request(request)


def test_a_vapi_failure_stops_the_run_and_keeps_the_pages_done(sim, assistant):
    _seed(sim, 25)
    failing = VapiClient(
        api_key=TEST_API_KEY,
        base_url="http://vapi.sim",
        transport=FailingAfter(httpx.WSGITransport(app=sim), ok=1),
        retry=RetryPolicy(max_retries=0),
    )

    result = calls_sync_from_vapi(client=failing, page_size=10)

    assert result.error is not None
    assert not result.ok
    assert (result.created, result.failed) == (10, 0)
    assert CallLog.objects.count() == 10


# The command -------------------------------------------------------------------------------------


@pytest.fixture
def sim_settings(vapi_settings, simulator):
    vapi_settings.VAPI_MAX_RETRIES = 0
    return simulator


def _run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("sync_calls", *args, stdout=out, stderr=err, no_color=True)
    return out.getvalue(), err.getvalue()


def test_command_reports_progress_and_counts_and_is_a_noop_the_second_time(sim_settings, assistant):
    sim_settings.app.state.seed_finished_calls(
        1_200, start=timezone.now(), step_ms=100, assistant_id=ASSISTANT
    )

    out, _ = _run("--progress-every", "1000")

    assert "… 1000 calls: 1000 created, 0 updated, 0 unchanged, 0 failed" in out
    assert "Done: 1200 calls: 1200 created, 0 updated, 0 unchanged, 0 failed (all)." in out
    out, _ = _run()
    assert "Done: 1200 calls: 0 created, 0 updated, 1200 unchanged, 0 failed (created after" in out


def test_command_dry_run(sim_settings, assistant):
    sim_settings.app.state.seed_finished_calls(3, start=timezone.now(), assistant_id=ASSISTANT)

    out, _ = _run("--dry-run", "--since", "2020-01-01")

    assert "Dry run: Pulling calls from Vapi" in out
    assert "3 created" in out
    assert "dry run: nothing was written" in out
    assert not CallLog.objects.exists()


def test_command_fails_with_a_nonzero_status_when_vapi_fails(sim_settings, assistant):
    sim_settings.app.state.add_fault(Fault(status=503, method="GET", path_prefix="/call"))

    with pytest.raises(CommandError, match=r"^Vapi failed: .*Stopped after 0 calls"):
        _run()


def test_command_rejects_a_bad_date(sim_settings):
    with pytest.raises(CommandError, match="invalid date-time value"):
        _run("--since", "yesterday")


def test_the_simulator_seeds_finished_calls_through_its_control_endpoint(sim):
    with httpx.Client(transport=httpx.WSGITransport(app=sim), base_url="http://vapi.sim") as http:
        headers = {"Authorization": f"Bearer {TEST_API_KEY}"}
        body = {"count": 15, "start": "2026-03-01T12:00:00Z", "stepMs": 1000, "sameMsEvery": 5}
        response = http.post("/_simulator/seed-calls", json=body, headers=headers)
        bad = http.post("/_simulator/seed-calls", json={"count": 0}, headers=headers)

    assert response.status_code == 201
    assert response.json() == {"seeded": 15}
    assert bad.status_code == 400
    calls = list(sim.state.calls.values())
    stamps = [call["createdAt"] for call in calls]
    assert len(set(stamps)) == 13  # calls 5 and 10 share the millisecond of the one before
    answered = [call for call in calls if call["analysis"]]
    assert answered
    assert all(call["artifact"]["transcript"] for call in answered)
    assert all(call["status"] == "ended" and call["endedReason"] for call in calls)
