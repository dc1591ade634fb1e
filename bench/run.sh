#!/usr/bin/env bash
# One command for the webhook benchmark (`make bench`): installs wrk from Debian's packages if it
# is missing, makes sure PostgreSQL is up, then runs bench/webhook_bench.py with the project venv.
# Arguments are passed on, e.g. `bench/run.sh --duration 15 --types tool,status,transcript`.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v wrk >/dev/null 2>&1; then
    echo "installing wrk (Debian package)..."
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get install -y wrk >/dev/null 2>&1 || { $SUDO apt-get update >/dev/null && $SUDO apt-get install -y wrk >/dev/null; }
fi

if command -v pg_isready >/dev/null 2>&1 && ! pg_isready -h 127.0.0.1 -p 5432 -q; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
    for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
fi

exec .venv/bin/python bench/webhook_bench.py "$@"
