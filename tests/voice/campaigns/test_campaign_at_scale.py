"""Campaigns on the real parts: PostgreSQL, Celery workers on a Redis broker, gunicorn serving
the webhook, and the simulator as Vapi, everything over real sockets in separate processes.

1. A campaign of CAMPAIGN_ACCEPTANCE_CONTACTS (2,000) contacts with an account budget of 10,
   run by 3 workers: every contact ends done, skipped or failed with a reason; the simulator
   never had more than 10 calls at once (nor refused one for the limit); no number was dialled
   twice; the outcomes we recorded are the simulator's, in its proportions.
2. Faults mid-campaign: a worker killed with SIGKILL, the broker (a Redis of this test's own)
   stopped and started again with its queue lost, Vapi answering 500 and timing out on
   POST /call: no contact lost, none dialled twice.

The processes run on the clock of the test (libfaketime from the `calling_hours` instant), so
the compliance gate sees calling hours whatever the real hour; the gate itself is not relaxed.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, timedelta
from pathlib import Path

import httpx
import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from leads.compliance.models import Consent
from leads.models import Lead
from tests.factories import ConsentFactory, PropertyFactory
from voice.assistants.services import create_property_assistant
from voice.campaigns import runner
from voice.campaigns.models import Campaign, CampaignContact
from voice.campaigns.services import campaign_create, campaign_start
from voice.models import CallLog
from voice.simulator import SimulatorConfig, VapiSimulator
from voice.simulator.server import RunningSimulator
from voice.simulator.state import DEMO_PHONE_NUMBERS

ROOT = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent
CONTACTS = int(os.environ.get("CAMPAIGN_ACCEPTANCE_CONTACTS", "2000"))
FAULT_CONTACTS = int(os.environ.get("CAMPAIGN_FAULT_CONTACTS", "300"))
BUDGET = 10
WORKERS = 3
MIX = {"answered": 0.4, "no_answer": 0.3, "busy": 0.15, "voicemail": 0.15}
SECRET = "campaign-test-secret"
API_KEY = "campaign-test-key"
State = CampaignContact.State

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _needs(program: str) -> str:
    path = shutil.which(program)
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{program} is needed for the campaign acceptance tests")
        pytest.skip(f"{program} is not installed")
    return path


class Processes:
    """The product's processes on the test's clock, and a Redis broker of their own."""

    def __init__(self, tmp_path: Path, simulator: RunningSimulator, start_utc: str) -> None:
        self.tmp = tmp_path
        self.simulator = simulator
        self.start_utc = start_utc
        self.broker_port = _free_port()
        self.web_port = _free_port()
        self.procs: dict[str, subprocess.Popen] = {}
        db = connection.settings_dict
        self.env = {
            **{
                k: v
                for k, v in os.environ.items()
                if not k.startswith(
                    ("DJANGO_", "API_", "VAPI_", "CELERY_", "CAMPAIGN_", "FAKETIME")
                )
            },
            "TZ": "UTC",
            "DJANGO_SETTINGS_MODULE": "config.settings.base",
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": settings.SECRET_KEY,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "DJANGO_LOG_LEVEL": "WARNING",
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
            "CACHE_URL": "locmemcache://",
            "CELERY_BROKER_URL": f"redis://127.0.0.1:{self.broker_port}/0",
            "VAPI_BASE_URL": simulator.url,
            "VAPI_API_KEY": API_KEY,
            "VAPI_WEBHOOK_SECRET": SECRET,
            "VAPI_WEBHOOK_AUTH_MODE": "hmac",
            "VAPI_READ_TIMEOUT_SECONDS": "2",
            "VAPI_CONCURRENCY_LIMIT": str(BUDGET),
            "PUBLIC_BASE_URL": f"http://127.0.0.1:{self.web_port}",
            "CAMPAIGN_TICK_SECONDS": "1",
            "CAMPAIGN_DIAL_LEASE_SECONDS": "15",
        }

    def _spawn(self, name: str, *argv: str) -> None:
        log = (self.tmp / f"{name}.log").open("ab")
        self.procs[name] = subprocess.Popen(  # noqa: S603 - our own programs
            [_needs("faketime"), self.start_utc, *argv],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def start_broker(self) -> None:
        self.procs["broker"] = subprocess.Popen(  # noqa: S603
            [
                _needs("redis-server"),
                "--port",
                str(self.broker_port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.broker_port)) == 0:
                    return
            time.sleep(0.05)
        pytest.fail("the test's Redis broker did not start")

    def stop(self, name: str, sig: int = signal.SIGTERM) -> None:
        proc = self.procs.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, sig) if name != "broker" else proc.send_signal(sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL) if name != "broker" else proc.kill()
            proc.wait(timeout=10)

    def start_worker(self, name: str) -> None:
        self._spawn(
            name, str(BIN / "celery"), "-A", "config.celery", "worker", "-c", "1", "-n",
            f"{name}@%h", "-Q", "leasing", "--without-gossip", "--without-mingle",
            "--without-heartbeat", "-l", "WARNING",
        )  # fmt: skip

    def start(self) -> None:
        self.start_broker()
        self._spawn(
            "web", str(BIN / "gunicorn"), "config.wsgi", "-w", "2", "--threads", "4",
            "-b", f"127.0.0.1:{self.web_port}",
        )  # fmt: skip
        for i in range(WORKERS):
            self.start_worker(f"worker{i + 1}")
        self._spawn(
            "beat", str(BIN / "celery"), "-A", "config.celery", "beat", "-s",
            str(self.tmp / "beat-schedule"), "-l", "WARNING",
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{self.web_port}/api/v1/schema/", timeout=2)
                return
            except httpx.TransportError:
                if time.monotonic() > deadline or self.procs["web"].poll() is not None:
                    pytest.fail(f"gunicorn did not start:\n{self.logs('web')}")
                time.sleep(0.2)

    def logs(self, name: str) -> str:
        path = self.tmp / f"{name}.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def close(self) -> None:
        for name in list(self.procs):
            self.stop(name)


@pytest.fixture
def product(tmp_path, calling_hours, settings) -> Iterator[tuple[Processes, RunningSimulator]]:
    _needs("faketime")
    sim = RunningSimulator(
        VapiSimulator(
            SimulatorConfig(
                api_key=API_KEY,
                webhook_secret=SECRET,
                outcome_mix=MIX,
                outcome_seed=16,
                time_scale=float(os.environ.get("CAMPAIGN_ACCEPTANCE_TIME_SCALE", "120")),
                concurrency_limit=BUDGET,
            )
        )
    )
    processes = Processes(
        tmp_path, sim, timezone.now().astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    )
    sim.app.config.webhook_url = f"http://127.0.0.1:{processes.web_port}/api/v1/voice/webhook"
    sim.app.config.public_url = sim.url
    settings.VAPI_BASE_URL = sim.url
    settings.VAPI_API_KEY = API_KEY
    settings.VAPI_WEBHOOK_SECRET = SECRET
    settings.PUBLIC_BASE_URL = f"http://127.0.0.1:{processes.web_port}"
    try:
        processes.start()
        yield processes, sim
    finally:
        processes.close()
        sim.app.wait_for_calls(timeout=30)
        sim.stop()


def _campaign(contacts: int, **fields) -> Campaign:
    prop = PropertyFactory(leasing_phone=DEMO_PHONE_NUMBERS[0])
    assistant = create_property_assistant(property=prop)
    leads = Lead.objects.bulk_create(
        Lead(
            property=prop,
            first_name=f"Lead{n}",
            last_name="Campaign",
            # 206: Seattle (Pacific time, Washington); numbers 555-1000 onwards, all distinct.
            phone=f"+1206555{1000 + n:04d}",
            source=Lead.Source.WEBSITE,
            consent_to_call=True,
        )
        for n in range(contacts)
    )
    Consent.objects.bulk_create(
        ConsentFactory.build(organization=prop.organization, lead=lead, number=lead.phone)
        for lead in leads
    )
    today = timezone.localdate()
    campaign = campaign_create(
        organization=prop.organization,
        property=prop,
        assistant=assistant,
        name="Acceptance",
        purpose="marketing",
        starts_on=today - timedelta(days=1),
        ends_on=today + timedelta(days=7),
        max_concurrent_calls=BUDGET,
        **fields,
    )
    return campaign_start(campaign=campaign)


def _wait_until_finished(campaign: Campaign, processes: Processes, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        campaign.refresh_from_db()
        if campaign.status == Campaign.Status.FINISHED:
            return
        time.sleep(1)
    states = Counter(campaign.contacts.values_list("state", flat=True))
    pytest.fail(
        f"campaign not finished after {timeout:.0f} s: {dict(states)}\n"
        + "\n".join(f"--- {name}\n{processes.logs(name)}" for name in ("web", "worker1", "beat"))
    )


def _assert_every_contact_accounted_for(campaign: Campaign) -> None:
    contacts = list(campaign.contacts.all())
    assert {c.state for c in contacts} <= {State.DONE, State.SKIPPED, State.FAILED}
    assert all(c.skip_reason for c in contacts if c.state == State.SKIPPED)
    assert all(c.last_error for c in contacts if c.state == State.FAILED)


def _assert_never_over_budget_nor_twice(sim: RunningSimulator) -> None:
    state = sim.app.state
    assert state.peak_active_calls <= BUDGET
    assert state.concurrency_blocked == 0
    assert max(state.dials.values()) == 1, {n: c for n, c in state.dials.items() if c > 1}


ANSWERED = {"answered", "tour_booked", "qualified", "not_interested", "opted_out"}


def test_a_2000_contact_campaign_on_three_workers_stays_inside_the_budget(product):
    processes, sim = product
    no_retries = {o: {"max_attempts": 1} for o in ("no_answer", "busy", "voicemail", "error")}
    campaign = _campaign(CONTACTS, retry_policy=no_retries)

    _wait_until_finished(campaign, processes, timeout=60 + CONTACTS * 0.5)

    _assert_every_contact_accounted_for(campaign)
    _assert_never_over_budget_nor_twice(sim)
    assert sim.app.state.count_requests("POST", "/call") == CONTACTS
    assert len(sim.app.state.dials) == CONTACTS
    # Our outcomes are the simulator's, call for call...
    ours = Counter(
        "answered" if outcome in ANSWERED else outcome
        for outcome in campaign.contacts.values_list("last_outcome", flat=True)
    )
    assert ours == Counter(sim.app.state.outcome_counts)
    # ...and in its proportions (each within four standard deviations of the expected count).
    for outcome, share in MIX.items():
        expected = CONTACTS * share
        spread = 4 * (CONTACTS * share * (1 - share)) ** 0.5
        assert abs(ours[outcome] - expected) <= spread, (outcome, ours)
    assert set(campaign.contacts.values_list("state", flat=True)) == {State.DONE}


def test_workers_killed_broker_restarted_and_vapi_failing_lose_no_contact_and_dial_none_twice(
    product,
):
    processes, sim = product
    retries = {"error": {"max_attempts": 3, "delay_minutes": 0}}
    quick = {o: {"max_attempts": 1} for o in ("no_answer", "busy", "voicemail")}
    campaign = _campaign(FAULT_CONTACTS, retry_policy={**quick, **retries})

    def progress() -> int:
        return campaign.contacts.filter(state__in=(State.DONE, State.SKIPPED, State.FAILED)).count()

    def wait_for(done: int) -> None:
        deadline = time.monotonic() + 120
        while progress() < done and time.monotonic() < deadline:
            time.sleep(0.2)

    # Vapi fails: 500s (nothing placed) and answers lost after the call was placed.
    httpx.post(
        f"{sim.url}/_simulator/faults",
        json={"mode": "status", "status": 500, "count": 5, "method": "POST", "path": "/call"},
        headers={"Authorization": f"Bearer {API_KEY}"},
    ).raise_for_status()
    wait_for(FAULT_CONTACTS // 5)
    httpx.post(
        f"{sim.url}/_simulator/faults",
        json={"mode": "timeout", "delay": 3, "count": 3, "method": "POST", "path": "/call"},
        headers={"Authorization": f"Bearer {API_KEY}"},
    ).raise_for_status()
    # A worker killed outright, most likely mid-dial (each dial is a short task); one restarts.
    wait_for(FAULT_CONTACTS // 3)
    processes.stop("worker1", signal.SIGKILL)
    processes.start_worker("worker4")
    # The broker goes away with every queued message, and comes back empty.
    wait_for(FAULT_CONTACTS // 2)
    processes.stop("broker", signal.SIGKILL)
    time.sleep(3)
    processes.start_broker()

    _wait_until_finished(campaign, processes, timeout=300 + FAULT_CONTACTS * 0.5)

    _assert_every_contact_accounted_for(campaign)
    _assert_never_over_budget_nor_twice(sim)
    assert len(sim.app.state.dials) == FAULT_CONTACTS
    # Every lost answer was reconciled: no call log is left with an unknown outcome.
    unknown = list(CallLog.objects.filter(status=CallLog.Status.UNKNOWN))
    assert not unknown, [
        (
            u.metadata,
            u.created_at,
            u.campaign_contact
            and (
                u.campaign_contact.state,
                u.campaign_contact.last_outcome,
                u.campaign_contact.current_call_id,
                u.campaign_contact.attempts,
            ),
            [
                (c["id"], c["createdAt"], c["status"], c.get("endedReason"))
                for c in sim.app.state.calls.values()
                if (c.get("assistantOverrides") or {}).get("metadata", {}).get("attemptId")
                == u.metadata.get("attemptId")
            ],
            list(
                CallLog.objects.filter(customer_number=u.customer_number).values_list(
                    "vapi_call_id", "status", "ended_reason", "campaign_contact_id"
                )
            ),
        )
        for u in unknown
    ]
    assert runner.calls_in_progress_count(at=timezone.now()) == 0
