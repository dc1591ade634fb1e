"""Peak memory of `sync_calls` as the number of calls at Vapi grows (`make bench-sync`).

    python bench/sync_calls_memory.py                        # 1,000 / 2,000 / 5,000 / 10,000
    python bench/sync_calls_memory.py --sizes 1000,5000 --database-url postgres://...

The Vapi simulator runs in this process on a local socket and holds N finished calls (realistic
Call objects: artifact with transcript and messages, analysis, cost; some created in the same
millisecond), seeded without playing them. For each N a fresh Python process (a new, migrated
SQLite file unless --database-url) runs the real sync twice, through the same code as
`manage.py sync_calls` (GET /call pages of 1,000 over HTTP, the webhook's mapping, leads and
activities), and reports:

- peak Python memory during the first sync (tracemalloc: allocations made by the sync itself,
  after Django, the migration and the data set-up), and during the second (no-op) sync;
- the process's peak RSS (ru_maxrss: everything, interpreter and Django included);
- the counts, which must be N created, then N unchanged.

The sync holds one page of calls and that page's call logs at a time, so the peaks should stay
flat as N grows: the script prints peak(largest N) / peak(smallest N), and fails above 1.5.
"""

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
API_KEY = "bench-key"
ASSISTANT = "asst-bench-sync"
MAX_RATIO = 1.5


def child(size: int, vapi_url: str) -> dict:
    """One measurement, in a fresh process (so ru_maxrss is this size's alone)."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    import django

    django.setup()
    from django.core.management import call_command

    from properties.models import Organization, Property
    from voice.calls.sync import calls_sync_from_vapi
    from voice.models import Assistant, CallLog
    from voice.vapi.client import VapiClient
    from voice.vapi.core import RetryPolicy

    call_command("migrate", verbosity=0)
    organization = Organization.objects.create(name="Bench", legal_name="Bench LLC")
    prop = Property.objects.create(
        organization=organization,
        name="Bench Apartments",
        timezone="America/Los_Angeles",
        leasing_phone="+14155550100",
    )
    Assistant.objects.create(property=prop, name="Bench assistant", vapi_assistant_id=ASSISTANT)
    client = VapiClient(api_key=API_KEY, base_url=vapi_url, retry=RetryPolicy(max_retries=0))

    runs = []
    tracemalloc.start()
    for _ in range(2):
        tracemalloc.reset_peak()
        base, _ = tracemalloc.get_traced_memory()
        started = time.perf_counter()
        result = calls_sync_from_vapi(client=client, since=None, page_size=1000)
        seconds = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        if result.error is not None:
            raise SystemExit(f"sync failed: {result.error}")
        runs.append(
            {
                "created": result.created,
                "updated": result.updated,
                "unchanged": result.unchanged,
                "failed": result.failed,
                "seconds": round(seconds, 2),
                "peak_mib": round((peak - base) / 2**20, 2),
            }
        )
    tracemalloc.stop()
    return {
        "size": size,
        "rows": CallLog.objects.count(),
        "first": runs[0],
        "second": runs[1],
        # Linux reports KiB.
        "maxrss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} CPUs ({model}), Python {platform.python_version()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,2000,5000,10000")
    parser.add_argument(
        "--database-url", help="Run against this database (emptied per size) instead of SQLite."
    )
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--vapi-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.vapi_url)))
        return

    sys.path.insert(0, str(ROOT))
    from voice.simulator import SimulatorConfig, VapiSimulator
    from voice.simulator.server import RunningSimulator

    sizes = [int(size) for size in args.sizes.split(",")]
    simulator = RunningSimulator(VapiSimulator(SimulatorConfig(api_key=API_KEY, play_calls=False)))
    rows = []
    print(f"sync_calls memory benchmark: {machine()}")
    try:
        for size in sizes:
            simulator.app.state.reset()
            simulator.app.state.seed_finished_calls(
                size, start=datetime.now(UTC), step_ms=250, assistant_id=ASSISTANT
            )
            with tempfile.TemporaryDirectory() as tmp:
                env = {
                    **os.environ,
                    "DJANGO_DEBUG": "false",  # no query log
                    "DJANGO_SECRET_KEY": "bench-only-not-secret",
                    "DATABASE_URL": args.database_url or f"sqlite:///{tmp}/bench.sqlite3",
                }
                if args.database_url:
                    _flush(env)
                command = [sys.executable, __file__, "--child", str(size)]
                command += ["--vapi-url", simulator.url]
                done = subprocess.run(
                    command, env=env, cwd=ROOT, capture_output=True, text=True, check=False
                )
            if done.returncode != 0:
                raise SystemExit(f"size {size} failed:\n{done.stderr[-3000:]}")
            row = json.loads(done.stdout.strip().splitlines()[-1])
            rows.append(row)
            first, second = row["first"], row["second"]
            print(
                f"  {size:>6} calls: first sync {first['created']} created in "
                f"{first['seconds']}s, peak {first['peak_mib']} MiB; second sync "
                f"{second['unchanged']} unchanged in {second['seconds']}s, peak "
                f"{second['peak_mib']} MiB; process max RSS {row['maxrss_mib']} MiB",
                flush=True,
            )
    finally:
        simulator.stop()
    report(rows)


def _flush(env: dict[str, str]) -> None:
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--no-input", "-v0"], env=env, cwd=ROOT, check=True)
    subprocess.run([*manage, "flush", "--no-input", "-v0"], env=env, cwd=ROOT, check=True)


def report(rows: list[dict]) -> None:
    print()
    print(
        "| calls at Vapi | 1st sync: created | time | peak (tracemalloc) | 2nd sync: unchanged "
        "| time | peak (tracemalloc) | process max RSS |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        first, second = row["first"], row["second"]
        print(
            f"| {row['size']:,} | {first['created']:,} | {first['seconds']:.1f} s "
            f"| {first['peak_mib']:.1f} MiB | {second['unchanged']:,} | {second['seconds']:.1f} s "
            f"| {second['peak_mib']:.1f} MiB | {row['maxrss_mib']:.0f} MiB |"
        )
    smallest, largest = rows[0], rows[-1]
    ratio = largest["first"]["peak_mib"] / smallest["first"]["peak_mib"]
    rss_ratio = largest["maxrss_mib"] / smallest["maxrss_mib"]
    print()
    print(
        f"peak({largest['size']:,}) / peak({smallest['size']:,}): {ratio:.2f}x tracemalloc, "
        f"{rss_ratio:.2f}x max RSS ({largest['size'] / smallest['size']:.0f}x the calls)"
    )
    wrong = [
        row["size"]
        for row in rows
        if (row["first"]["created"], row["second"]["unchanged"], row["rows"])
        != (row["size"], row["size"], row["size"])
    ]
    if wrong:
        raise SystemExit(f"wrong counts for {wrong}")
    if ratio > MAX_RATIO:
        raise SystemExit(f"peak memory grows with the number of calls ({ratio:.2f}x > {MAX_RATIO})")


if __name__ == "__main__":
    main()
