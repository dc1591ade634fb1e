"""Load benchmark of POST /api/v1/voice/webhook beside a bare reference (performance-notes.md).

    make bench                                   # bench/run.sh: installs wrk if missing, then this
    python bench/webhook_bench.py --duration 15 --rounds 3 --types tool,status,transcript

It serves the project the way production would (gunicorn sync workers, 2 x cores, PostgreSQL,
DEBUG off, persistent connections), then, for each message type and each number of concurrent
senders, runs wrk against the product and against its reference, alternately, for several rounds.
Absolute speeds on these machines move 2x from day to day, so the result that counts is the
ratio product / reference measured in the same session:

- tool: a check_availability tool call vs /bench/ref/tool (the same HMAC check, JSON parse, one
  indexed SELECT and one INSERT in one transaction);
- status: a status-update (new calls, then ringing / in-progress / ended) vs /bench/ref/store
  (HMAC check, JSON parse, one INSERT of the payload in autocommit);
- transcript: a final transcript line vs /bench/ref/store.

Every request is signed, unique (no duplicate short-cut) and about 5 KB, spread over 1,000 calls.
"""

import argparse
import hashlib
import hmac
import json
import os
import platform
import re
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-webhook-secret"  # noqa: S105 - a throwaway local benchmark secret
PRODUCT_PATH = "/api/v1/voice/webhook"
REFERENCES = {
    "tool": "/bench/ref/tool",
    "status": "/bench/ref/store",
    "transcript": "/bench/ref/store",
}
STATUSES = ("queued", "ringing", "in-progress", "ended")
TARGETS = {"tool": (0.6, 1.5), "status": (0.6, None), "transcript": (0.6, None)}


def main() -> int:
    args = parse_args()
    env = server_env(args)
    database_ensure(args.database_url)
    manage(env, "migrate", "--no-input", "-v", "0")
    seed = json.loads(manage(env, "bench_seed"))
    workers = args.workers or 2 * (os.cpu_count() or 1)
    print(machine_line(args, workers), flush=True)
    server = start_gunicorn(env, args.port, workers)
    try:
        wait_ready(args.port)
        results = run_all(args, seed)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    print_report(results, args)
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=5, help="seconds per measurement")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", default="1,8", help="concurrent senders, comma-separated")
    parser.add_argument("--types", default="tool,status", help="tool,status,transcript")
    parser.add_argument("--workers", type=int, default=0, help="default: 2 x CPU cores")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/leasing_bench"
        ),
    )
    args = parser.parse_args()
    args.concurrency = [int(c) for c in args.concurrency.split(",")]
    args.types = [t for t in args.types.split(",") if t]
    unknown = set(args.types) - set(REFERENCES)
    if unknown:
        parser.error(f"unknown types: {', '.join(sorted(unknown))}")
    return args


# Server -----------------------------------------------------------------------------------------


def server_env(args: argparse.Namespace) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(40),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": args.database_url,
        "DATABASE_CONN_MAX_AGE": "600",
        "VAPI_WEBHOOK_SECRET": SECRET,
        "VAPI_WEBHOOK_AUTH_MODE": "hmac",
        "DJANGO_LOG_LEVEL": "ERROR",
        "PYTHONPATH": str(ROOT),
    }


def manage(env: dict[str, str], *command: str) -> str:
    done = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *command],
        env=env, cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode:
        sys.exit(f"manage.py {' '.join(command)} failed:\n{done.stderr}")
    return done.stdout


def database_ensure(url: str) -> None:
    """Create the benchmark database if it doesn't exist (psycopg, no psql needed)."""
    import psycopg

    match = re.match(r"postgres(?:ql)?://(?P<rest>.+)/(?P<name>[^/?]+)$", url)
    if not match:
        sys.exit(f"not a PostgreSQL URL: {url}")
    admin_url = url[: match.start("name")] + "postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [match["name"]]
        ).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{match["name"]}"')


def start_gunicorn(env: dict[str, str], port: int, workers: int) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable, "-m", "gunicorn", "config.wsgi:application",
            "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--worker-class", "sync",
            "--log-level", "warning", "--backlog", "2048",
        ],
        env=env, cwd=ROOT,
    )  # fmt: skip


def wait_ready(port: int) -> None:
    for _ in range(100):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/bench/health", timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    sys.exit("gunicorn did not come up")


# Requests ---------------------------------------------------------------------------------------


def request_file(kind: str, path: str, seed: dict, *, run: str, count: int) -> Path:
    """Write `count` unique signed deliveries of one kind for wrk (format: see bench/wrk.lua)."""
    timestamp = str(int(time.time() * 1000))
    prefix, suffixes = bodies(kind, seed, run=run, count=count)
    key = SECRET.encode()
    signed_prefix = hmac.new(key, f"{timestamp}.".encode() + prefix.encode(), hashlib.sha256)
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - handed to wrk by name
        "w", prefix=f"bench-{kind}-", suffix=".txt", delete=False
    )
    with handle:
        handle.write(f"{path}\n{timestamp}\n{prefix}\n")
        for suffix in suffixes:
            signature = signed_prefix.copy()
            signature.update(suffix.encode())
            handle.write(f"{signature.hexdigest()} {suffix}\n")
    return Path(handle.name)


def bodies(kind: str, seed: dict, *, run: str, count: int) -> tuple[str, list[str]]:
    """A ~5 KB shared prefix (what Vapi sends around the event: assistant, artifact) and a unique
    suffix per request that closes the JSON object."""
    property_id = str(seed["property_id"])
    artifact_messages = [
        {
            "role": "bot" if n % 2 else "user",
            "message": f"Line {n} of the conversation about apartments, parking and pets. " * 2,
            "time": 1796061602000 + n * 1000,
            "secondsFromStart": n,
        }
        for n in range(22)
    ]
    common = {
        "phoneNumber": {"id": "pn-bench", "provider": "vapi", "number": "+14155550190"},
        "assistant": {
            "name": "Bench",
            "metadata": {"propertyId": property_id, "timezone": "America/Los_Angeles"},
        },
        "artifact": {"messages": artifact_messages},
    }
    prefix = json.dumps({"message": common})[:-2]  # drop the closing "}}"
    suffixes = []
    for i in range(count):
        block, offset = divmod(i, 400)  # 100 calls per block, their 4 statuses 100 requests apart
        call_number = block * 100 + offset % 100
        call = {
            "id": f"bench-{run}-{call_number if kind != 'tool' else i % 1000}",
            "type": "inboundPhoneCall",
            "assistantId": seed["assistant_id"],
            "customer": {"number": f"+1206555{call_number % 10000:04d}"},
        }
        if kind == "tool":
            event = {
                "type": "tool-calls",
                "timestamp": 1796061612000 + i,
                "call": call,
                "toolCallList": [
                    {
                        "id": f"tool-{run}-{i}",
                        "type": "function",
                        "function": {
                            "name": "check_availability",
                            "arguments": {"bedrooms": 2, "property_id": property_id},
                        },
                    }
                ],
            }
        elif kind == "status":
            status = STATUSES[offset // 100]
            event = {"type": "status-update", "timestamp": 1796061600000 + i, "status": status,
                     "call": {**call, "status": status}}  # fmt: skip
        else:
            event = {"type": "transcript", "timestamp": 1796061600000 + i, "role": "user",
                     "transcriptType": "final", "transcript": f"Line {i}: do you allow cats?",
                     "call": call}  # fmt: skip
        suffixes.append(", " + json.dumps(event)[1:] + "}")
    return prefix, suffixes


# Measuring ---------------------------------------------------------------------------------------


@dataclass
class Point:
    kind: str
    concurrency: int
    target: str  # "product" | "reference"
    rps: list[float] = field(default_factory=list)
    p50_ms: list[float] = field(default_factory=list)
    p99_ms: list[float] = field(default_factory=list)


def run_all(args: argparse.Namespace, seed: dict) -> dict[tuple[str, int, str], Point]:
    results: dict[tuple[str, int, str], Point] = {}
    run_id = secrets.token_hex(3)
    # Warm-up: let every worker open its database connection and import everything.
    for kind in args.types:
        for target, path in (("product", PRODUCT_PATH), ("reference", REFERENCES[kind])):
            wrk(args, kind, path, seed, run=f"{run_id}w{target}", concurrency=4, seconds=2)
    for round_number in range(args.rounds):
        for kind in args.types:
            for concurrency in args.concurrency:
                # Alternate product and reference; swap who goes first every round.
                order = [("product", PRODUCT_PATH), ("reference", REFERENCES[kind])]
                if round_number % 2:
                    order.reverse()
                for target, path in order:
                    run = f"{run_id}r{round_number}{target[0]}c{concurrency}"
                    outcome = wrk(
                        args, kind, path, seed, run=run, concurrency=concurrency,
                        seconds=args.duration,
                    )  # fmt: skip
                    point = results.setdefault(
                        (kind, concurrency, target), Point(kind, concurrency, target)
                    )
                    point.rps.append(outcome["requests"] / (outcome["duration_us"] / 1e6))
                    point.p50_ms.append(outcome["p50_us"] / 1000)
                    point.p99_ms.append(outcome["p99_us"] / 1000)
                    print(
                        f"  round {round_number + 1} {kind:<10} c={concurrency:<2} {target:<9} "
                        f"{point.rps[-1]:8.0f} req/s  p50 {point.p50_ms[-1]:6.2f} ms  "
                        f"p99 {point.p99_ms[-1]:6.2f} ms",
                        flush=True,
                    )
    return results


def wrk(
    args: argparse.Namespace, kind: str, path: str, seed: dict, *, run: str, concurrency: int,
    seconds: int,
) -> dict:  # fmt: skip
    # Enough unique requests for a fast machine (3,000 req/s per core); wrk reports any reuse.
    count = max(2000, 3000 * (os.cpu_count() or 1) * seconds)
    requests = request_file(kind, path, seed, run=run, count=count)
    try:
        done = subprocess.run(
            [
                "wrk", "-t1", f"-c{concurrency}", f"-d{seconds}s", "--timeout", "10s",
                "-s", str(ROOT / "bench" / "wrk.lua"), f"http://127.0.0.1:{args.port}{path}",
                "--", str(requests),
            ],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
    finally:
        requests.unlink()
    match = re.search(r"BENCH_RESULT (\{.*\})", done.stdout)
    if done.returncode or not match:
        sys.exit(f"wrk failed:\n{done.stdout}\n{done.stderr}")
    outcome = json.loads(match[1])
    if outcome["status_errors"] or outcome["socket_errors"] or outcome["reused"]:
        print(f"  warning: {kind} {path}: {outcome}", flush=True)
    return outcome


# Report ------------------------------------------------------------------------------------------


def machine_line(args: argparse.Namespace, workers: int) -> str:
    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"machine: {os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}, "
        f"gunicorn sync x{workers}, load average before: {os.getloadavg()[0]:.2f}\n"
        f"runs: {args.rounds} rounds x {args.duration} s per point, product and reference "
        "alternating; medians shown"
    )


def print_report(results: dict[tuple[str, int, str], Point], args: argparse.Namespace) -> None:
    names = {
        "tool": "tool-calls check_availability",
        "status": "status-update",
        "transcript": "transcript (final)",
    }
    refs = {"tool": "ref: HMAC+parse+SELECT+INSERT, 1 tx", "status": "ref: store-and-ack",
            "transcript": "ref: store-and-ack"}  # fmt: skip
    print()
    header = (
        "| message type | senders | product req/s | p50 ms | p99 ms | reference | ref req/s | "
        "p50 ms | p99 ms | req/s ratio | p99 ratio |"
    )
    print(header)
    print("|---" * (header.count("|") - 1) + "|")
    verdicts = []
    for kind in args.types:
        for concurrency in args.concurrency:
            product = results[(kind, concurrency, "product")]
            reference = results[(kind, concurrency, "reference")]
            rps, ref_rps = statistics.median(product.rps), statistics.median(reference.rps)
            p99, ref_p99 = statistics.median(product.p99_ms), statistics.median(reference.p99_ms)
            ratio, p99_ratio = rps / ref_rps, p99 / ref_p99
            print(
                f"| {names[kind]} | {concurrency} | {rps:.0f} | "
                f"{statistics.median(product.p50_ms):.2f} | {p99:.2f} | {refs[kind]} | "
                f"{ref_rps:.0f} | {statistics.median(reference.p50_ms):.2f} | {ref_p99:.2f} | "
                f"{ratio:.2f}x | {p99_ratio:.2f}x |"
            )
            if concurrency == 8:
                min_ratio, max_p99 = TARGETS[kind]
                ok = ratio >= min_ratio and (max_p99 is None or p99_ratio <= max_p99)
                target = f">= {min_ratio}x req/s" + (f", p99 <= {max_p99}x" if max_p99 else "")
                verdicts.append(
                    f"{names[kind]} at 8 senders: {ratio:.2f}x req/s, p99 {p99_ratio:.2f}x "
                    f"(target {target}): {'met' if ok else 'NOT met'}"
                )
    print()
    for verdict in verdicts:
        print(verdict)
    spread = [
        f"{k[0]} c={k[1]} {k[2]}: {min(p.rps):.0f}-{max(p.rps):.0f}" for k, p in results.items()
    ]
    print("req/s range over rounds (noise): " + "; ".join(spread))


if __name__ == "__main__":
    sys.exit(main())
