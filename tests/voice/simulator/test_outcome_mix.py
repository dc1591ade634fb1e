"""Outcome mixes and the time scale: the simulator rehearsing an outbound campaign.

Calls go through the simulator's HTTP API (POST /call, the /_simulator control endpoints). The
waits are checked on what the simulator scheduled (`state.waits`, a stubbed `sleep`), never on
wall-clock time.
"""

import threading
from collections import Counter

import httpx
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.voice.vapi_helpers import TEST_API_KEY
from voice.simulator.outcomes import OutcomeMixError, normalize_mix, parse_mix_text
from voice.simulator.state import DEMO_PHONE_NUMBERS, phone_number_id

MIX = {"answered": 0.5, "no_answer": 0.3, "busy": 0.1, "voicemail": 0.1}
ENDED_REASONS = {
    "answered": "customer-ended-call",
    "no_answer": "customer-did-not-answer",
    "busy": "customer-busy",
    "voicemail": "voicemail",
}


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


def _place(http: httpx.Client, assistant_id: str, scenario: str | None = None) -> dict:
    metadata = {"leadId": "7", **({"simScenario": scenario} if scenario else {})}
    response = http.post(
        "/call",
        json={
            "assistantId": assistant_id,
            "phoneNumberId": phone_number_id(DEMO_PHONE_NUMBERS[0]),
            "customer": {"number": "+12065550123"},
            "assistantOverrides": {"metadata": metadata},
        },
    )
    assert response.status_code == 201, response.text
    return response.json()


def _set(http: httpx.Client, **body: object) -> httpx.Response:
    return http.post("/_simulator/outcomes", json=body)


def _campaign(http: httpx.Client, assistant_id: str, calls: int) -> dict[str, int]:
    for _ in range(calls):
        _place(http, assistant_id)
    return http.get("/_simulator/state").json()["outcomes"]


def test_seeded_mix_gives_the_proportions_and_the_same_counts_again(simulator, http, assistant_id):
    # Only the draw matters here, not 400 played conversations.
    simulator.app.config.play_calls = False
    assert _set(http, mix=MIX, seed=7).status_code == 200

    first = _campaign(http, assistant_id, 200)

    assert sum(first.values()) == 200
    for outcome, share in MIX.items():
        # ±25 calls is more than 3.5 standard deviations of a binomial(200, 0.5).
        assert abs(first.get(outcome, 0) - 200 * share) <= 25, (outcome, first)

    assert _set(http, seed=7).status_code == 200  # restarts the draw and the counts
    assert _campaign(http, assistant_id, 200) == first


def test_mix_weights_are_normalized_and_reported(simulator, http):
    response = _set(http, mix={"answered": 60, "no_answer": 40}, seed=3, timeScale=30)

    assert response.status_code == 200
    assert response.json() == {
        "mix": {"answered": 0.6, "no_answer": 0.4, "busy": 0.0, "voicemail": 0.0},
        "seed": 3,
        "timeScale": 30.0,
        "concurrencyLimit": 10,
    }
    state = http.get("/_simulator/state").json()
    assert state["outcomeMix"]["answered"] == 0.6
    assert state["timeScale"] == 30.0


def test_played_outcomes_end_with_vapis_ended_reasons(simulator, http, assistant_id):
    assert _set(http, mix={"no_answer": 1, "busy": 1, "voicemail": 1}, seed=11).status_code == 200
    ids = [_place(http, assistant_id)["id"] for _ in range(12)]
    assert simulator.app.wait_for_calls(timeout=10)

    reasons = Counter(http.get(f"/call/{call_id}").json()["endedReason"] for call_id in ids)
    counts = http.get("/_simulator/state").json()["outcomes"]
    assert reasons == Counter({ENDED_REASONS[outcome]: n for outcome, n in counts.items()})


def test_an_explicit_scenario_wins_over_the_mix(simulator, http, assistant_id):
    assert _set(http, mix={"busy": 1}).status_code == 200

    explicit = _place(http, assistant_id, scenario="no_answer")
    drawn = _place(http, assistant_id)
    assert simulator.app.wait_for_calls(timeout=10)

    assert http.get(f"/call/{explicit['id']}").json()["endedReason"] == "customer-did-not-answer"
    assert http.get(f"/call/{drawn['id']}").json()["endedReason"] == "customer-busy"
    # Only the drawn call counts as an outcome of the mix.
    assert http.get("/_simulator/state").json()["outcomes"] == {"busy": 1}


def test_without_a_mix_calls_play_book_tour_as_before(simulator, http, assistant_id):
    simulator.app.config.play_calls = False
    _place(http, assistant_id)
    state = http.get("/_simulator/state").json()
    assert state["outcomes"] == {}
    assert state["outcomeMix"] is None
    assert state["timeScale"] == 1.0


def test_reset_returns_to_the_startup_settings(simulator, http):
    assert _set(http, mix=MIX, seed=7, timeScale=60).status_code == 200
    http.post("/_simulator/reset")
    state = http.get("/_simulator/state").json()
    assert (state["outcomeMix"], state["seed"], state["timeScale"]) == (None, 0, 1.0)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"mix": {"answered": 1, "hung_up": 1}}, "unknown outcome(s) hung_up"),
        ({"mix": {"answered": -0.5, "busy": 1}}, "weight for answered must be a finite number"),
        ({"mix": {"answered": 0, "busy": 0}}, "must sum to more than 0"),
        ({"mix": {"answered": "half"}}, "weight for answered must be a number"),
        ({"mix": {"answered": True}}, "weight for answered must be a number"),
        ({"mix": {}}, "non-empty object"),
        ({"mix": [0.5, 0.5]}, "non-empty object"),
        ({"seed": "7"}, "seed must be an integer"),
        ({"timeScale": 0}, "timeScale must be a finite number > 0"),
        ({"speed": 2}, "property speed should not exist"),
    ],
)
def test_invalid_settings_are_400_with_a_clear_message(simulator, http, body, message):
    response = http.post("/_simulator/outcomes", json=body)

    assert response.status_code == 400
    assert response.json()["statusCode"] == 400
    assert message in str(response.json()["message"])
    assert http.get("/_simulator/state").json()["outcomeMix"] is None  # nothing changed


def test_outcomes_endpoint_needs_the_key(simulator):
    response = httpx.post(f"{simulator.url}/_simulator/outcomes", json={"mix": MIX})
    assert response.status_code == 401


def test_time_scale_shortens_the_waits_between_events(simulator, http, assistant_id, monkeypatch):
    slept: list[float] = []
    monkeypatch.setattr(simulator.app, "sleep", slept.append)  # schedule, never really sleep
    simulator.app.config.message_delay = 0.3

    slow = _place(http, assistant_id, scenario="no_answer")
    assert simulator.app.wait_for_calls(timeout=10)
    assert _set(http, timeScale=60).status_code == 200
    fast = _place(http, assistant_id, scenario="no_answer")
    assert simulator.app.wait_for_calls(timeout=10)

    waits = list(simulator.app.state.waits)
    slow_waits = [wait for call_id, wait in waits if call_id == slow["id"]]
    fast_waits = [wait for call_id, wait in waits if call_id == fast["id"]]
    assert slow_waits
    assert len(slow_waits) == len(fast_waits)
    assert slow_waits == pytest.approx([0.3] * len(slow_waits))
    assert fast_waits == pytest.approx([0.3 / 60] * len(fast_waits))
    assert sorted(slept) == sorted(slow_waits + fast_waits)


def test_peak_concurrency_is_reported(simulator, http, assistant_id, monkeypatch):
    release = threading.Event()
    # Every played call holds at its first pause until released: all three are up at once.
    monkeypatch.setattr(simulator.app, "sleep", lambda _seconds: release.wait(10))
    simulator.app.config.message_delay = 0.01
    assert _set(http, mix={"busy": 1}).status_code == 200
    try:
        for _ in range(3):
            _place(http, assistant_id)
        during = http.get("/_simulator/state").json()
    finally:
        release.set()
    assert simulator.app.wait_for_calls(timeout=10)
    _place(http, assistant_id)  # a later call alone does not raise the peak
    assert simulator.app.wait_for_calls(timeout=10)
    after = http.get("/_simulator/state").json()

    assert (during["activeCalls"], during["peakActiveCalls"]) == (3, 3)
    assert (after["activeCalls"], after["peakActiveCalls"]) == (0, 3)


def test_mix_text_of_the_command_line():
    assert parse_mix_text("answered=3, busy=1") == {
        "answered": 0.75,
        "no_answer": 0.0,
        "busy": 0.25,
        "voicemail": 0.0,
    }
    with pytest.raises(OutcomeMixError, match="expected outcome=weight"):
        parse_mix_text("answered")
    with pytest.raises(OutcomeMixError, match="unknown outcome"):
        normalize_mix({"picked_up": 1})


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--outcomes", "answered=1,ringing=1"], "unknown outcome"),
        (["--time-scale", "0"], "--time-scale must be a finite number > 0"),
    ],
)
def test_command_refuses_bad_settings_before_serving(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("vapi_simulator", "--port", "0", *args)
