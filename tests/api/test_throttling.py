"""Per-user rates, a stricter scope for placing calls, and an IP rate on the token endpoint."""

import pytest
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from tests.api.conftest import assert_error, bearer_client
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.api.urls")]


@pytest.fixture
def rates(monkeypatch):
    """Low rates for these tests (the test settings use generous ones)."""
    rates = {"anon": "2/minute", "user": "3/minute", "voice_call": "1/minute"}
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)
    return rates


def test_user_rate_is_per_user(rates):
    alice, bob = bearer_client(UserFactory()), bearer_client(UserFactory())
    for _ in range(3):
        assert alice.get("/api/v1/properties").status_code == 200

    throttled = alice.get("/api/v1/properties")

    body = assert_error(throttled, 429, "throttled")
    assert body["details"]["wait"] > 0
    assert int(throttled["Retry-After"]) > 0
    assert bob.get("/api/v1/properties").status_code == 200


def test_placing_calls_has_a_stricter_scope(rates):
    client = bearer_client(UserFactory())

    assert client.post("/api/v1/test/place-call").status_code == 200
    assert_error(client.post("/api/v1/test/place-call"), 429, "throttled")
    assert client.get("/api/v1/properties").status_code == 200  # the user rate is not used up


def test_token_endpoint_is_rate_limited_per_client_address(rates):
    client = APIClient()
    for _ in range(2):
        client.post("/api/v1/auth/token/", {"username": "x", "password": "y"}, format="json")

    response = client.post("/api/v1/auth/token/", {"username": "x", "password": "y"}, format="json")

    assert_error(response, 429, "throttled")
