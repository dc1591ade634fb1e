"""Fuzzing the whole API from the schema it serves, as an attacker would: schemathesis' `st run`.

The CLI runs as is (every phase, every default check, its own report and exit code) against the
live test server, which reads this test's database, with a fixed seed. Deeper run:

    API_FUZZ_PHASES=examples,coverage,fuzzing,stateful API_FUZZ_MAX_EXAMPLES=50 \
        make test PYTEST_ARGS=tests/api/test_fuzz.py

The report lands in test-artifacts/api-fuzz.txt. `st` flags go through API_FUZZ_ST_ARGS
(e.g. `--continue-on-failure`); API_FUZZ_SEED changes the seed.

By default the coverage phase (boundary values of every field: some 9,700 requests, 4-8 minutes
on two cores, the rest of the fuzz takes 20 s) is left out, so that `make test` stays within its
time; API_FUZZ_PHASES=examples,coverage,fuzzing,stateful adds it, and CI runs it once
(.ci/run).
"""

import os
import shlex
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.test.testcases import QuietWSGIRequestHandler
from rest_framework_simplejwt.tokens import AccessToken

from tests.api.conftest import make_owned
from tests.factories import UserFactory
from voice.assistants.services import assistant_push
from voice.simulator.state import DEMO_PHONE_NUMBERS, phone_number_id

SEED = os.environ.get("API_FUZZ_SEED", "1")
MAX_EXAMPLES = os.environ.get("API_FUZZ_MAX_EXAMPLES", "5")
PHASES = os.environ.get("API_FUZZ_PHASES", "examples,fuzzing,stateful")
ST = Path(sys.executable).with_name("st")
ROOT = Path(__file__).resolve().parents[2]
REPORT = ROOT / "test-artifacts" / "api-fuzz.txt"


@pytest.fixture
def quick_live_server(live_server, monkeypatch):
    """The live server, answering without Nagle's delay (some 40 ms a request otherwise).

    The server writes headers and body separately; with Nagle's algorithm on, the body waits for
    the client's delayed ACK of the headers.
    """
    monkeypatch.setattr(QuietWSGIRequestHandler, "disable_nagle_algorithm", True)
    return live_server


@pytest.fixture
def access_token(live_server, vapi_settings) -> str:
    """A user with one object of each kind (to find, change and delete), and another user's.

    live_server runs on committed data (transactional_db): its threads have their own database
    connections. vapi_settings: the voice endpoints talk to the simulator on a local socket.
    """
    user = UserFactory(username="fuzzer")
    owned = make_owned(user)
    # On the simulator with a number to call from, so voice writes can succeed.
    owned.assistant.vapi_phone_number_id = phone_number_id(DEMO_PHONE_NUMBERS[0])
    owned.assistant.save(update_fields=["vapi_phone_number_id"])
    assistant_push(assistant=owned.assistant)
    make_owned(UserFactory(username="other"))  # objects that must stay out of reach
    token = AccessToken.for_user(user)
    token.set_exp(lifetime=timedelta(hours=6))  # outlives the deepest run
    return str(token)


def test_api_fuzz(quick_live_server, access_token, tmp_path):
    command = [
        str(ST),
        "run",
        f"{quick_live_server.url}/api/v1/schema/",
        f"--seed={SEED}",
        f"--max-examples={MAX_EXAMPLES}",
        f"--phases={PHASES}",
        f"--header=Authorization: Bearer {access_token}",
        "--no-color",
    ]
    command += shlex.split(os.environ.get("API_FUZZ_ST_ARGS", ""))  # e.g. --continue-on-failure
    # The client runs on the real clock: under CI's shifted clock (libfaketime, LD_PRELOAD) its
    # worker threads stall in timed waits. The server under test, this process, keeps the suite's.
    real_clock = {
        name: value
        for name, value in os.environ.items()
        if name != "LD_PRELOAD" and not name.startswith("FAKETIME")
    }
    env = {
        **real_clock,
        "SCHEMATHESIS_HOOKS": "tests.api.fuzz_hooks",
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
    }
    # cwd: schemathesis keeps its cache (failures to replay) in the working directory.
    # A bound, so that a stalled run fails here with its output instead of stalling CI.
    result = subprocess.run(  # noqa: S603 - our own command line
        command, cwd=tmp_path, env=env, capture_output=True, text=True, check=False, timeout=900
    )
    # schemathesis' own report (summary, failures, how to replay them), kept for a look at the
    # figures of a passing run too.
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text(result.stdout + result.stderr)
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
