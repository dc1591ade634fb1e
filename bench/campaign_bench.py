"""Campaign runner at 1,000 / 10,000 / 100,000 contacts (`make bench-campaign`).

    python bench/campaign_bench.py                              # 1,000 / 10,000 / 100,000
    python bench/campaign_bench.py --sizes 1000,10000 --window 30 --runs 20
    python bench/campaign_bench.py --slowest 300                # and each tick's slowest query
    python bench/campaign_bench.py --database-url postgres://postgres@127.0.0.1:5432/other

A benchmark, not a timed test: it prints figures and fails only on a broken promise (the
simulator saw more calls at once than the budget, refused one for Vapi's concurrency limit, or
had a number dialled twice). It reports the tick's growth and leaves the judgement to the reader.

Set-up, per size N: the PostgreSQL database `leasing_bench_campaign` (created, migrated, emptied
between sizes; dropped at the end unless --keep) holds one organization and property (a demo
leasing number), its assistant (created at the simulator with `create_property_assistant`), N
leads with distinct Seattle (206, Pacific) numbers and written consent, and a campaign started
with `campaign_start` (N contacts frozen), budget BUDGET: VAPI_CONCURRENCY_LIMIT, the campaign's
max_concurrent_calls and the simulator's concurrency_limit.

The whole run is on a faked clock (libfaketime, a fixed offset, so every process agrees): the
next Wednesday that is no US holiday, 11:00 in Los Angeles, when the compliance gate allows the
calls. The gate itself is not relaxed.

1. Scheduler tick (in this process): `campaigns_tick()` with the campaign running, every contact
   pending, (a) the account's budget full (BUDGET in-progress call logs: the tick recovers,
   settles, closes and counts, and claims nothing) and (b) the budget free (it claims BUDGET
   contacts). Each tick runs in a transaction that is rolled back, so every run sees the same
   data. Reported: median wall time of --runs ticks, tracemalloc peak of a tick (separate runs:
   tracemalloc slows Python), and the queries of one tick (CaptureQueriesContext). Each as a
   ratio to the smallest size: flat means ≲ 1.5x for 100x the contacts.
2. Dial throughput (real processes): the Vapi simulator in this process (outcome mix MIX, each
   call's webhook messages --message-delay seconds apart), gunicorn (2 workers x 4 threads)
   serving the webhook, and the dialers as in production: 3 Celery workers (-c 1) and celery
   beat (a tick a second) on Redis at 127.0.0.1:6379/5 (flushed before and after). After the
   first dial and --warmup seconds, dials are counted over --window seconds; then the campaign
   is paused and the calls in flight are left to end. The mean call length is measured on the
   simulator (wall time from the slot taken to the slot freed, calls begun in the window), and
   the theoretical throughput is BUDGET / mean call length. Reported: dials/s, theoretical, the
   ratio, and per size the simulator's peak_active_calls (must not pass BUDGET),
   concurrency_blocked (must be 0) and numbers dialled twice (must be none: no retries here).
"""

import argparse
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
BUDGET = 10
WORKERS = 3
MIX = {"answered": 0.4, "no_answer": 0.3, "busy": 0.15, "voicemail": 0.15}
API_KEY = "bench-campaign-key"
SECRET = "bench-campaign-secret"  # noqa: S105 - a throwaway local benchmark secret
REDIS_URL = "redis://127.0.0.1:6379/5"
PACIFIC = ZoneInfo("America/Los_Angeles")
MAX_RATIO = 1.5


# Parent: database, clock, then this script again under faketime --------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--window", type=float, default=40.0, help="seconds of dialling counted")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds after the first dial")
    parser.add_argument("--runs", type=int, default=20, help="timed ticks per case")
    parser.add_argument(
        "--message-delay", type=float, default=0.25, help="seconds between a call's webhooks"
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_CAMPAIGN_DATABASE_URL",
            "postgres://postgres@127.0.0.1:5432/leasing_bench_campaign",
        ),
    )
    parser.add_argument(
        "--slowest", type=int, default=0, metavar="CHARS",
        help="print the slowest query of a tick per case, cut to CHARS characters",
    )  # fmt: skip
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.sizes = [int(size) for size in args.sizes.split(",")]
    return args


def calling_hours() -> datetime:
    """The next Wednesday that is no US holiday, 11:00 in Los Angeles (as the acceptance test)."""
    import holidays

    day = datetime.now(PACIFIC).date() + timedelta(days=1)
    while day.weekday() != 2 or day in holidays.country_holidays("US", years=day.year):
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, 11, tzinfo=PACIFIC)


def product_env(database_url: str) -> dict[str, str]:
    return {
        **{
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("DJANGO_", "API_", "VAPI_", "CELERY_", "CAMPAIGN_", "FAKETIME"))
        },
        "TZ": "UTC",
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "bench-campaign-not-secret",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_LOG_LEVEL": "WARNING",
        "DATABASE_URL": database_url,
        "DATABASE_CONN_MAX_AGE": "600",
        "CACHE_URL": "locmemcache://",
        "CELERY_BROKER_URL": REDIS_URL,
        "VAPI_API_KEY": API_KEY,
        "VAPI_WEBHOOK_SECRET": SECRET,
        "VAPI_WEBHOOK_AUTH_MODE": "hmac",
        "VAPI_READ_TIMEOUT_SECONDS": "5",
        "VAPI_CONCURRENCY_LIMIT": str(BUDGET),
        "CAMPAIGN_TICK_SECONDS": "1",
        "CAMPAIGN_DIAL_LEASE_SECONDS": "30",
    }


def database_command(database_url: str, program: str) -> None:
    from urllib.parse import urlparse

    url = urlparse(database_url)
    subprocess.run(
        [
            program, "--if-exists" if program == "dropdb" else "--no-password",
            "-h", url.hostname or "127.0.0.1", "-p", str(url.port or 5432),
            "-U", url.username or "postgres", url.path.lstrip("/"),
        ],
        check=True,
    )  # fmt: skip


def main() -> int:
    args = parse_args()
    if args.child:
        return child(args)
    if shutil.which("faketime") is None:
        sys.exit("faketime is needed (Debian: apt-get install faketime)")
    if args.window > 0:
        try:
            redis_flush()
        except Exception as exc:  # any failure means the same: no broker
            sys.exit(f"Redis at {REDIS_URL} is needed for the dialling window: {exc}")
    env = product_env(args.database_url)
    database_command(args.database_url, "dropdb")
    database_command(args.database_url, "createdb")
    try:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--no-input", "-v0"],
            cwd=ROOT, env=env, check=True,
        )  # fmt: skip
        moment = calling_hours()
        offset = int(moment.timestamp() - time.time())
        print(
            f"clock: faketime {offset:+d} s, from {moment.isoformat()} (Pacific calling hours)",
            flush=True,
        )
        done = subprocess.run(
            ["faketime", "-f", f"{offset:+d}", sys.executable, __file__, "--child", *sys.argv[1:]],
            cwd=ROOT, env=env, check=False,
        )  # fmt: skip
        return done.returncode
    finally:
        if not args.keep:
            database_command(args.database_url, "dropdb")


# Child: everything measured, on the faked clock ------------------------------------------------


def child(args: argparse.Namespace) -> int:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings

    from voice.simulator import SimulatorConfig, VapiSimulator
    from voice.simulator.server import RunningSimulator

    web_port = free_port()
    simulator = RunningSimulator(
        VapiSimulator(
            SimulatorConfig(
                api_key=API_KEY,
                webhook_secret=SECRET,
                webhook_url=f"http://127.0.0.1:{web_port}/api/v1/voice/webhook",
                outcome_mix=MIX,
                outcome_seed=16,
                message_delay=args.message_delay,
                concurrency_limit=BUDGET,
            )
        )
    )
    simulator.app.config.public_url = simulator.url
    settings.VAPI_BASE_URL = simulator.url
    settings.PUBLIC_BASE_URL = f"http://127.0.0.1:{web_port}"
    clock = CallClock(simulator.app.state)
    print(machine_line(), flush=True)
    rows = []
    try:
        for size in args.sizes:
            row = {"size": size}
            started = time.monotonic()
            campaign = seed(size, simulator)
            row["seed_s"] = time.monotonic() - started
            print(f"  {size:>7,} contacts: seeded in {row['seed_s']:.0f} s", flush=True)
            row["full"] = measure_tick(args, budget_full=True)
            row["free"] = measure_tick(args, budget_full=False)
            for case in ("full", "free"):
                tick = row[case]
                print(
                    f"           tick, budget {case}: median {tick['ms']:.1f} ms, "
                    f"peak {tick['peak_kib']:.0f} KiB, {tick['queries']} queries, "
                    f"{tick['claimed']} claimed",
                    flush=True,
                )
            if args.window > 0:
                row["dial"] = measure_dialling(args, simulator, clock, campaign, web_port)
                dial = row["dial"]
                print(
                    f"           dialling: {dial['dials']} dials in {args.window:.0f} s = "
                    f"{dial['rate']:.2f}/s, mean call {dial['call_s']:.2f} s, theoretical "
                    f"{dial['theoretical']:.2f}/s, ratio {dial['ratio']:.2f}; peak calls "
                    f"{dial['peak']}, blocked {dial['blocked']}, dialled twice {dial['twice']}",
                    flush=True,
                )
            rows.append(row)
    finally:
        simulator.app.wait_for_calls(timeout=60)
        simulator.stop()
    return report(rows)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class CallClock:
    """Wall time each simulated call held a concurrency slot (admitted to finished)."""

    def __init__(self, state) -> None:
        self.lock = threading.Lock()
        self.began: dict[str, float] = {}
        self.ended: dict[str, float] = {}
        began, finished = state.call_began, state.call_finished

        def call_began(call_id: str) -> None:
            with self.lock:
                self.began.setdefault(call_id, time.monotonic())
            began(call_id)

        def call_finished(call_id: str) -> None:
            with self.lock:
                self.ended.setdefault(call_id, time.monotonic())
            finished(call_id)

        state.call_began = call_began
        state.call_finished = call_finished

    def begun_between(self, start: float, end: float) -> list[str]:
        with self.lock:
            return [call for call, at in self.began.items() if start <= at < end]

    def mean_length(self, calls: list[str]) -> float:
        with self.lock:
            lengths = [self.ended[c] - self.began[c] for c in calls if c in self.ended]
        return statistics.fmean(lengths) if lengths else float("nan")


def seed(size: int, simulator):
    """Empty the database and fill it: one property, N leads with consent, a started campaign."""
    from django.core.management import call_command
    from django.utils import timezone

    from leads.compliance.models import Consent
    from leads.models import Lead
    from properties.models import Organization, Property
    from voice.assistants.services import create_property_assistant
    from voice.campaigns.services import campaign_create, campaign_start
    from voice.simulator.state import DEMO_PHONE_NUMBERS

    call_command("flush", interactive=False, verbosity=0)
    simulator.app.state.reset()
    organization = Organization.objects.create(
        name="Bench Living", legal_name="Bench Living LLC", timezone="America/Los_Angeles"
    )
    prop = Property.objects.create(
        organization=organization,
        name="Bench Apartments",
        address_line="100 Pine Street",
        city="Seattle",
        state="WA",
        postal_code="98101",
        timezone="America/Los_Angeles",
        leasing_phone=DEMO_PHONE_NUMBERS[0],
    )
    assistant = create_property_assistant(property=prop)
    given_at = timezone.now() - timedelta(days=1)
    disclosure = (
        f"By submitting, you agree that {organization.legal_name} may call you at the number "
        "above about renting, using an AI or artificial voice. Consent is not a condition of "
        "renting."
    )
    batch = 5000
    for first in range(0, size, batch):
        leads = Lead.objects.bulk_create(
            Lead(
                property=prop,
                first_name=f"Lead{n}",
                last_name="Bench",
                # 206: Seattle (Pacific); exchanges 200-299, all numbers distinct up to 1,000,000.
                phone=f"+1206{200 + n // 10000:03d}{n % 10000:04d}",
                source=Lead.Source.WEBSITE,
                consent_to_call=True,
            )
            for n in range(first, min(first + batch, size))
        )
        Consent.objects.bulk_create(
            Consent(
                organization=organization,
                lead=lead,
                number=lead.phone,
                kind=Consent.Kind.PEWC_AI_VOICE,
                disclosure=disclosure,
                source=Consent.Source.WEB_FORM,
                signature_method="E-SIGN checkbox (unticked by default)",
                evidence_url="https://example.com/contact",
                given_at=given_at,
            )
            for lead in leads
        )
    today = timezone.localdate()
    no_retries = {o: {"max_attempts": 1} for o in ("no_answer", "busy", "voicemail", "error")}
    campaign = campaign_create(
        organization=organization,
        property=prop,
        assistant=assistant,
        name=f"Bench {size}",
        purpose="marketing",
        starts_on=today - timedelta(days=1),
        ends_on=today + timedelta(days=7),
        max_concurrent_calls=BUDGET,
        retry_policy=no_retries,
    )
    campaign = campaign_start(campaign=campaign)
    _analyze()
    return campaign


def _analyze() -> None:
    """Fresh planner statistics, as autovacuum would have them after a bulk load."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def measure_tick(args: argparse.Namespace, *, budget_full: bool) -> dict:
    import tracemalloc
    import uuid

    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from voice.campaigns.runner import campaigns_tick
    from voice.models import CallLog

    slowest: list[tuple[float, str]] = []

    def one(*, capture: bool = False, memory: bool = False) -> tuple[float, int, int, int]:
        with transaction.atomic():
            if budget_full:
                CallLog.objects.bulk_create(
                    CallLog(
                        vapi_call_id=f"bench-{uuid.uuid4()}",
                        direction=CallLog.Direction.INBOUND,
                        status=CallLog.Status.IN_PROGRESS,
                        customer_number=f"+1206555{n:04d}",
                    )
                    for n in range(BUDGET)
                )
            base = 0
            if memory:
                tracemalloc.reset_peak()
                base = tracemalloc.get_traced_memory()[0]
            queries = 0
            started = time.perf_counter()
            if capture:
                with CaptureQueriesContext(connection) as captured:
                    result = campaigns_tick()
                queries = len(captured.captured_queries)
                slowest.extend(
                    sorted((float(q["time"]), q["sql"]) for q in captured.captured_queries)[-1:]
                )
            else:
                result = campaigns_tick()
            seconds = time.perf_counter() - started
            peak = tracemalloc.get_traced_memory()[1] - base if memory else 0
            transaction.set_rollback(True)
        return seconds, peak, queries, len(result.claims)

    one()  # warm-up: caches, prepared plans, imports
    times = [one()[0] for _ in range(args.runs)]
    tracemalloc.start()
    try:
        peaks = [one(memory=True)[1] for _ in range(5)]
    finally:
        tracemalloc.stop()
    _, _, queries, claimed = one(capture=True)
    if args.slowest:
        seconds, sql = slowest[0]
        print(f"           slowest query of a tick, budget {'full' if budget_full else 'free'} "
              f"({seconds * 1000:.1f} ms): {sql[:args.slowest]}")  # fmt: skip
    return {
        "ms": statistics.median(times) * 1000,
        "min_ms": min(times) * 1000,
        "max_ms": max(times) * 1000,
        "peak_kib": max(peaks) / 1024,
        "queries": queries,
        "claimed": claimed,
    }


class Processes:
    """gunicorn for the webhook, Celery workers and beat on the dedicated Redis database."""

    def __init__(self, web_port: int, simulator_url: str) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="campaign-bench-"))
        self.web_port = web_port
        self.procs: dict[str, subprocess.Popen] = {}
        # The faked clock (LD_PRELOAD, FAKETIME) is in os.environ: the children share it.
        self.env = {
            **os.environ,
            "VAPI_BASE_URL": simulator_url,
            "PUBLIC_BASE_URL": f"http://127.0.0.1:{web_port}",
        }

    def spawn(self, name: str, *argv: str) -> None:
        log = (self.tmp / f"{name}.log").open("ab")
        self.procs[name] = subprocess.Popen(
            argv, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip

    def start(self) -> None:
        redis_flush()
        self.spawn(
            "web", str(BIN / "gunicorn"), "config.wsgi", "-w", "2", "--threads", "4",
            "-b", f"127.0.0.1:{self.web_port}",
        )  # fmt: skip
        wait_listening(self.web_port, self.procs["web"], self.logs)
        for i in range(WORKERS):
            self.spawn(
                f"worker{i + 1}", str(BIN / "celery"), "-A", "config.celery", "worker", "-c", "1",
                "-n", f"bench{i + 1}@%h", "-Q", "leasing", "--without-gossip",
                "--without-mingle", "--without-heartbeat", "-l", "WARNING",
            )  # fmt: skip
        self.spawn(
            "beat", str(BIN / "celery"), "-A", "config.celery", "beat",
            "-s", str(self.tmp / "beat-schedule"), "-l", "WARNING",
        )  # fmt: skip

    def logs(self, name: str) -> str:
        path = self.tmp / f"{name}.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        self.procs.clear()
        redis_flush()


def redis_flush() -> None:
    import redis

    redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).flushdb()


def wait_listening(port: int, proc: subprocess.Popen, logs) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn exited:\n{logs('web')}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit(f"gunicorn did not start:\n{logs('web')}")


def dials_placed(state) -> int:
    with state.lock:
        return sum(state.dials.values())


def measure_dialling(args, simulator, clock: CallClock, campaign, web_port: int) -> dict:
    from voice.campaigns.services import campaign_pause

    state = simulator.app.state
    processes = Processes(web_port, simulator.url)
    try:
        processes.start()
        deadline = time.monotonic() + 60
        while dials_placed(state) == 0:
            if time.monotonic() > deadline:
                raise SystemExit(
                    "no dial within 60 s:\n"
                    + "\n".join(f"--- {n}\n{processes.logs(n)}" for n in ("worker1", "beat"))
                )
            time.sleep(0.05)
        time.sleep(args.warmup)
        start, before = time.monotonic(), dials_placed(state)
        time.sleep(args.window)
        end, after = time.monotonic(), dials_placed(state)
        campaign_pause(campaign=campaign)
        simulator.app.wait_for_calls(timeout=120)
        with state.lock:  # the state is reset for each size: these are this size's
            peak, blocked = state.peak_active_calls, state.concurrency_blocked
            twice = sum(1 for count in state.dials.values() if count > 1)
    finally:
        processes.stop()
    call_s = clock.mean_length(clock.begun_between(start, end))
    rate = (after - before) / (end - start)
    theoretical = BUDGET / call_s
    return {
        "dials": after - before,
        "rate": rate,
        "call_s": call_s,
        "theoretical": theoretical,
        "ratio": rate / theoretical,
        "peak": peak,
        "blocked": blocked,
        "twice": twice,
        "load": os.getloadavg()[0],
    }


def machine_line() -> str:
    from django.db import connection

    model = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
    return (
        f"campaign benchmark: {os.cpu_count()} CPUs ({model}), Python "
        f"{platform.python_version()}, PostgreSQL {postgres}, budget {BUDGET}, load average "
        f"{os.getloadavg()[0]:.2f}"
    )


def report(rows: list[dict]) -> int:
    first = rows[0]
    print()
    print(
        "| contacts | tick, budget full | ratio | peak | ratio | queries | tick, budget free "
        "| ratio | peak | ratio | queries | claimed |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        cells = [f"{row['size']:,}"]
        for case in ("full", "free"):
            tick, ref = row[case], first[case]
            cells += [
                f"{tick['ms']:.1f} ms",
                f"{tick['ms'] / ref['ms']:.2f}x",
                f"{tick['peak_kib']:.0f} KiB",
                f"{tick['peak_kib'] / ref['peak_kib']:.2f}x",
                str(tick["queries"]),
            ]
        cells.append(str(row["free"]["claimed"]))
        print("| " + " | ".join(cells) + " |")
    if any("dial" in row for row in rows):
        print()
        print(
            "| contacts | dials in window | dials/s | mean call | budget / call | ratio "
            "| peak calls | blocked | dialled twice | load average |"
        )
        print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for row in rows:
            if "dial" in row:
                d = row["dial"]
                print(
                    f"| {row['size']:,} | {d['dials']} | {d['rate']:.2f} | {d['call_s']:.2f} s "
                    f"| {d['theoretical']:.2f}/s | {d['ratio']:.2f}x | {d['peak']} "
                    f"| {d['blocked']} | {d['twice']} | {d['load']:.1f} |"
                )
    print()
    last = rows[-1]
    for case in ("full", "free"):
        ratio = last[case]["ms"] / first[case]["ms"]
        memory = last[case]["peak_kib"] / first[case]["peak_kib"]
        flat = "flat" if max(ratio, memory) <= MAX_RATIO else "NOT FLAT"
        print(
            f"tick, budget {case}: {last['size']:,} / {first['size']:,} contacts: time "
            f"{ratio:.2f}x, memory {memory:.2f}x ({flat}, target <= {MAX_RATIO}x)"
        )
    broken = [
        row["size"]
        for row in rows
        if "dial" in row
        and (row["dial"]["peak"] > BUDGET or row["dial"]["blocked"] or row["dial"]["twice"])
    ]
    if broken:
        print(f"FAIL at {broken}: more than {BUDGET} calls at once, a call refused for the")
        print("limit, or a number dialled twice")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
