"""The simulator's call concurrency limit, as Vapi's (vapi-reference.md §1, OAS
SubscriptionLimits): every POST /call answers its `subscriptionLimits`, and a call placed while
the org's slots are all taken ends at once with
`call.start.error-subscription-concurrency-limit-reached`.

Calls are held "up" by a stubbed `sleep` that waits on an event (no wall-clock waits, no
timing asserts), and released before the simulator's fixture checks they all finished.
"""

import threading
from collections.abc import Iterator

import httpx
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.voice.vapi_helpers import TEST_API_KEY
from voice.simulator import SimulatorConfig, VapiSimulator
from voice.simulator.outcomes import OutcomeMixError
from voice.simulator.state import (
    CONCURRENCY_BLOCKED_REASON,
    DEMO_PHONE_NUMBERS,
    phone_number_id,
)

BLOCKED = "call.start.error-subscription-concurrency-limit-reached"  # vapi-reference.md §1


@pytest.fixture
def http(simulator):
    with httpx.Client(
        base_url=simulator.url, headers={"Authorization": f"Bearer {TEST_API_KEY}"}
    ) as client:
        yield client


@pytest.fixture
def assistant_id(http) -> str:
    response = http.post("/assistant", json={"name": "Campaign caller"})
    assert response.status_code == 201, response.text
    return response.json()["id"]


@pytest.fixture
def hold(simulator, monkeypatch) -> Iterator[threading.Event]:
    """Played calls stop at their first pause until the event is set (set at teardown too)."""
    release = threading.Event()
    monkeypatch.setattr(simulator.app, "sleep", lambda _seconds: release.wait(10))
    simulator.app.config.message_delay = 0.01
    yield release
    release.set()
    assert simulator.app.wait_for_calls(timeout=10)


def _place(http: httpx.Client, assistant_id: str, number: str = "+12065550123") -> dict:
    response = http.post(
        "/call",
        json={
            "assistantId": assistant_id,
            "phoneNumberId": phone_number_id(DEMO_PHONE_NUMBERS[0]),
            "customer": {"number": number},
            "assistantOverrides": {"metadata": {"simScenario": "busy"}},
        },
    )
    assert response.status_code == 201, response.text
    return response.json()


def _set(http: httpx.Client, **body: object) -> httpx.Response:
    return http.post("/_simulator/outcomes", json=body)


def _limits(blocked: bool, limit: int, remaining: int) -> dict:
    return {
        "concurrencyBlocked": blocked,
        "concurrencyLimit": limit,
        "remainingConcurrentCalls": remaining,
    }


def test_the_reason_is_vapis():
    assert CONCURRENCY_BLOCKED_REASON == BLOCKED


def test_default_limit_is_vapis_ten(simulator, http, assistant_id):
    assert http.get("/_simulator/state").json()["concurrencyLimit"] == 10
    call = _place(http, assistant_id)
    assert call["subscriptionLimits"] == _limits(False, 10, 9)
    assert call["status"] == "queued"


def test_the_call_over_the_limit_ends_at_once(
    simulator, http, assistant_id, hold, webhook_receiver
):
    assert _set(http, concurrencyLimit=2).json()["concurrencyLimit"] == 2

    first = _place(http, assistant_id, "+12065550101")
    second = _place(http, assistant_id, "+12065550102")
    third = _place(http, assistant_id, "+12065550103")
    during = http.get("/_simulator/state").json()
    stored = http.get(f"/call/{third['id']}").json()
    hold.set()
    assert simulator.app.wait_for_calls(timeout=10)
    after = http.get("/_simulator/state").json()

    assert first["subscriptionLimits"] == _limits(False, 2, 1)
    assert second["subscriptionLimits"] == _limits(False, 2, 0)
    assert third["subscriptionLimits"] == _limits(True, 2, 0)
    assert (third["status"], third["endedReason"]) == ("ended", BLOCKED)
    assert "endedAt" in third
    assert (stored["status"], stored["endedReason"]) == ("ended", BLOCKED)
    # The refused call never took a slot nor raised the peak.
    assert (during["activeCalls"], during["peakActiveCalls"]) == (2, 2)
    assert during["concurrencyBlocked"] == 1
    assert (after["activeCalls"], after["peakActiveCalls"], after["concurrencyBlocked"]) == (
        0,
        2,
        1,
    )
    # Its webhooks are an ended call's: no ringing, the ended status-update, the report.
    messages = [
        d.message for d in webhook_receiver.deliveries if d.message["call"]["id"] == third["id"]
    ]
    assert [m["type"] for m in messages] == ["status-update", "end-of-call-report"]
    assert (messages[0]["status"], messages[0]["endedReason"]) == ("ended", BLOCKED)
    assert messages[1]["endedReason"] == BLOCKED
    assert messages[1]["endedAt"] == third["endedAt"]
    assert "startedAt" not in messages[1]


def test_a_slot_freed_by_an_ended_call_is_taken_again(simulator, http, assistant_id, hold):
    assert _set(http, concurrencyLimit=1).status_code == 200

    up = _place(http, assistant_id)
    refused = _place(http, assistant_id)
    hold.set()
    assert simulator.app.wait_for_calls(timeout=10)
    later = _place(http, assistant_id)

    assert up["subscriptionLimits"] == _limits(False, 1, 0)
    assert refused["subscriptionLimits"]["concurrencyBlocked"] is True
    assert later["subscriptionLimits"] == _limits(False, 1, 0)
    assert later["status"] == "queued"
    assert simulator.app.wait_for_calls(timeout=10)
    state = http.get("/_simulator/state").json()
    assert (state["peakActiveCalls"], state["concurrencyBlocked"]) == (1, 1)


def test_simultaneous_starts_never_exceed_the_limit(simulator, http, assistant_id, hold):
    """The check and the slot are one step under the state's lock: of 12 calls racing on the
    threaded server for 3 slots, exactly 3 get one."""
    assert _set(http, concurrencyLimit=3).status_code == 200
    start = threading.Barrier(12)
    answers: list[dict] = []

    def place(index: int) -> None:
        with httpx.Client(
            base_url=simulator.url, headers={"Authorization": f"Bearer {TEST_API_KEY}"}
        ) as client:
            start.wait(10)
            answers.append(_place(client, assistant_id, f"+1206555{index:04d}"))

    threads = [threading.Thread(target=place, args=(i,)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    state = http.get("/_simulator/state").json()

    blocked = [a for a in answers if a["subscriptionLimits"]["concurrencyBlocked"]]
    assert len(answers) == 12
    assert len(blocked) == 9
    assert all(a["endedReason"] == BLOCKED for a in blocked)
    assert (state["activeCalls"], state["peakActiveCalls"], state["concurrencyBlocked"]) == (
        3,
        3,
        9,
    )


def test_dials_by_number_shows_only_repeat_numbers(simulator, http, assistant_id):
    simulator.app.config.play_calls = False  # only the counting matters
    before = http.get("/_simulator/state").json()
    for number in ("+12065550101", "+12065550102", "+12065550101", "+12065550101"):
        _place(http, assistant_id, number)
    state = http.get("/_simulator/state").json()
    http.post("/_simulator/reset")
    after_reset = http.get("/_simulator/state").json()

    assert (before["dialsByNumber"], before["maxDialsPerNumber"]) == ({}, 0)
    assert state["dialsByNumber"] == {"+12065550101": 3}
    assert state["maxDialsPerNumber"] == 3
    assert (after_reset["dialsByNumber"], after_reset["maxDialsPerNumber"]) == ({}, 0)


def test_refused_calls_are_not_dials(simulator, http, assistant_id, hold):
    assert _set(http, concurrencyLimit=1).status_code == 200
    _place(http, assistant_id, "+12065550101")
    _place(http, assistant_id, "+12065550102")  # refused: nobody was dialled
    _place(http, assistant_id, "+12065550102")
    state = http.get("/_simulator/state").json()
    assert (state["dialsByNumber"], state["maxDialsPerNumber"]) == ({}, 1)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (0, "concurrencyLimit must be a positive integer"),
        (-3, "concurrencyLimit must be a positive integer"),
        (2.5, "concurrencyLimit must be an integer"),
        ("2", "concurrencyLimit must be an integer"),
        (True, "concurrencyLimit must be an integer"),
        (None, "concurrencyLimit must be an integer"),
    ],
)
def test_invalid_limits_are_400(simulator, http, value, message):
    response = _set(http, concurrencyLimit=value)

    assert response.status_code == 400
    assert response.json()["statusCode"] == 400
    assert message in str(response.json()["message"])
    assert http.get("/_simulator/state").json()["concurrencyLimit"] == 10  # nothing changed


def test_setting_the_limit_keeps_the_outcome_settings(simulator, http):
    assert _set(http, mix={"busy": 1}, seed=7, timeScale=60).status_code == 200
    answer = _set(http, concurrencyLimit=4).json()
    assert (answer["seed"], answer["timeScale"], answer["concurrencyLimit"]) == (7, 60.0, 4)
    assert answer["mix"]["busy"] == 1.0


def test_reset_restores_the_startup_limit_and_counters(simulator, http, assistant_id, hold):
    assert _set(http, concurrencyLimit=1).status_code == 200
    _place(http, assistant_id)
    _place(http, assistant_id)
    hold.set()
    assert simulator.app.wait_for_calls(timeout=10)
    assert http.post("/_simulator/reset").status_code == 200
    state = http.get("/_simulator/state").json()
    assert (state["concurrencyLimit"], state["concurrencyBlocked"]) == (10, 0)
    assert (state["activeCalls"], state["peakActiveCalls"]) == (0, 0)


def test_a_startup_limit_is_what_reset_returns_to():
    app = VapiSimulator(SimulatorConfig(concurrency_limit=4, play_calls=False))
    assert app.state.concurrency_limit == 4
    assert app.set_outcomes({"concurrencyLimit": 1})[1]["concurrencyLimit"] == 1
    app.state.reset()
    assert app.state.concurrency_limit == 4
    with pytest.raises(OutcomeMixError, match="positive integer"):
        VapiSimulator(SimulatorConfig(concurrency_limit=0))


def test_command_refuses_a_bad_limit_before_serving():
    with pytest.raises(CommandError, match="--concurrency-limit must be a positive integer"):
        call_command("vapi_simulator", "--port", "0", "--concurrency-limit", "0")
