"""The call-placing rate holds across server processes: 40 simultaneous requests by one user on
4 gunicorn workers place at most the configured number of calls (config/throttling.py).

The workers share PostgreSQL (the test database, committed data) and Redis (the cache, as in
production); Vapi is the simulator on a local socket. Everything talks over real sockets.
"""

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from django.conf import settings
from django.db import connection
from rest_framework_simplejwt.tokens import AccessToken

from tests.factories import LeadFactory, PropertyFactory, UserFactory
from voice.simulator.state import DEMO_PHONE_NUMBERS, phone_number_id

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/3")
WORKERS = 4
REQUESTS = 40
RATE = 10

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _redis_or_skip() -> None:
    import redis

    try:
        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
        client.flushdb()  # this test's own database number: no window left from an earlier run
    except redis.RedisError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis is needed at {REDIS_URL}: {exc}")
        pytest.skip(f"no Redis at {REDIS_URL}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def gunicorn(vapi_settings) -> Iterator[str]:
    _redis_or_skip()
    db = connection.settings_dict
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "API_", "VAPI_"))},
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": settings.SECRET_KEY,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "CACHE_URL": REDIS_URL,
        "API_THROTTLE_VOICE_CALL_RATE": f"{RATE}/minute",
        "API_THROTTLE_USER_RATE": "1000/minute",
        "VAPI_BASE_URL": settings.VAPI_BASE_URL,
        "VAPI_API_KEY": settings.VAPI_API_KEY,
        "VAPI_WEBHOOK_SECRET": "test-secret",
        "PUBLIC_BASE_URL": settings.PUBLIC_BASE_URL,
        "DJANGO_LOG_LEVEL": "WARNING",
    }
    process = subprocess.Popen(  # noqa: S603 - our own server
        [str(GUNICORN), "config.wsgi", "-w", str(WORKERS), "-b", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{url}/api/v1/schema/", timeout=2)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    output = process.stdout.read().decode() if process.stdout else ""
                    pytest.fail(f"gunicorn did not start:\n{output}")
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=15)


def _access_token(user) -> str:
    # Minted here: the test settings hash passwords with MD5, which the server's settings don't
    # accept. The server checks expiry on the real clock, the suite runs on its own (TEST_NOW):
    # a lifetime of years covers any instant a suite runs at.
    token = AccessToken.for_user(user)
    token.set_exp(lifetime=timedelta(days=3650))
    return str(token)


@pytest.mark.skipif(shutil.which(str(GUNICORN)) is None, reason="gunicorn is not installed")
def test_forty_simultaneous_call_requests_on_four_workers_place_at_most_the_rate(
    gunicorn, simulator
):
    user = UserFactory()
    prop = PropertyFactory(owner=user, leasing_phone=DEMO_PHONE_NUMBERS[0])
    leads = [LeadFactory(property=prop) for _ in range(REQUESTS)]
    with httpx.Client(base_url=gunicorn, timeout=30) as client:
        auth = {"Authorization": f"Bearer {_access_token(user)}"}
        created = client.post(
            f"/api/v1/voice/assistants?property_id={prop.pk}",
            json={
                "name": "Rate test",
                "vapi_phone_number_id": phone_number_id(DEMO_PHONE_NUMBERS[0]),
            },
            headers=auth,
        )
        assert created.status_code == 201, created.text
        assistant_id = created.json()["id"]

    start = threading.Barrier(REQUESTS)
    statuses: list[int] = []
    lock = threading.Lock()

    def place(lead) -> None:
        with httpx.Client(base_url=gunicorn, timeout=60) as client:
            start.wait()
            response = client.post(
                "/api/v1/voice/call",
                json={"phone_number": lead.phone, "assistant_id": assistant_id, "lead_id": lead.pk},
                headers=auth,
            )
        with lock:
            statuses.append(response.status_code)

    threads = [threading.Thread(target=place, args=(lead,)) for lead in leads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(set(statuses)) == [201, 429], statuses
    assert statuses.count(201) == RATE
    assert simulator.app.state.count_requests("POST", "/call") == RATE
