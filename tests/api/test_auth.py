"""JWT: token endpoints, rotation with blacklisting, and 401 for bad tokens on every endpoint."""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from tests.api.conftest import assert_error, schema_operations
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
TOKEN_PATHS = {"/api/v1/auth/token/", "/api/v1/auth/token/refresh/", "/api/v1/auth/token/verify/"}
PASSWORD = "pass-word-123"  # UserFactory's


def _expired_access(user) -> str:
    token = AccessToken.for_user(user)
    token.set_exp(lifetime=-timedelta(seconds=1))
    return str(token)


BAD_AUTH = {
    "missing": lambda user: None,
    "malformed": lambda user: "Bearer not.a.jwt",
    "garbage": lambda user: "Bearer abc",
    "wrong scheme": lambda user: f"Token {AccessToken.for_user(user)}",
    "expired": lambda user: f"Bearer {_expired_access(user)}",
    "refresh as access": lambda user: f"Bearer {RefreshToken.for_user(user)}",
    "bad signature": lambda user: f"Bearer {str(AccessToken.for_user(user))[:-2]}xx",
}


@pytest.mark.parametrize("case", list(BAD_AUTH))
def test_every_endpoint_but_token_endpoints_answers_401(openapi_schema, case):
    user = UserFactory()
    header = BAD_AUTH[case](user)
    client = APIClient()
    if header:
        client.credentials(HTTP_AUTHORIZATION=header)
    operations = [(m, p) for m, p in schema_operations(openapi_schema) if p not in TOKEN_PATHS]
    assert len(operations) > 20

    for method, path in operations:
        response = getattr(client, method.lower())(path.replace("{id}", "1"), {}, format="json")
        code = "not_authenticated" if case in ("missing", "wrong scheme") else "token_not_valid"
        assert_error(response, 401, code)
        assert response["WWW-Authenticate"].startswith("Bearer"), (method, path)


def test_schema_operations_all_require_jwt_except_token_endpoints(openapi_schema):
    for path, operations in openapi_schema["paths"].items():
        for operation in operations.values():
            if path in TOKEN_PATHS:
                assert "security" not in operation
            else:
                assert operation["security"] == [{"jwtAuth": []}], path


def test_token_obtain_gives_working_access_token():
    user = UserFactory()
    client = APIClient()

    tokens = client.post(
        "/api/v1/auth/token/", {"username": user.username, "password": PASSWORD}, format="json"
    ).json()

    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    assert client.get("/api/v1/properties").status_code == 200
    assert set(tokens) == {"access", "refresh"}


def test_token_obtain_with_wrong_password_is_401():
    user = UserFactory()
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": user.username, "password": "nope"}, format="json"
    )
    assert_error(response, 401, "no_active_account")


def test_token_obtain_without_fields_is_400_with_field_errors():
    body = assert_error(
        APIClient().post("/api/v1/auth/token/", {}, format="json"), 400, "validation_error"
    )
    assert set(body["details"]) == {"username", "password"}


def test_inactive_user_gets_no_token_and_old_tokens_stop_working():
    user = UserFactory()
    access = AccessToken.for_user(user)
    user.is_active = False
    user.save()
    client = APIClient()

    response = client.post(
        "/api/v1/auth/token/", {"username": user.username, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 401
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    assert client.get("/api/v1/properties").status_code == 401


def test_refresh_rotates_and_the_used_refresh_token_cannot_be_reused():
    user = UserFactory()
    client = APIClient()
    first = client.post(
        "/api/v1/auth/token/", {"username": user.username, "password": PASSWORD}, format="json"
    ).json()

    rotated = client.post("/api/v1/auth/token/refresh/", {"refresh": first["refresh"]})
    assert rotated.status_code == 200
    assert set(rotated.json()) == {"access", "refresh"}
    assert rotated.json()["refresh"] != first["refresh"]

    reused = client.post("/api/v1/auth/token/refresh/", {"refresh": first["refresh"]})
    body = assert_error(reused, 401, "token_not_valid")
    assert "blacklisted" in body["detail"].lower()
    # The new refresh token works (once).
    again = client.post("/api/v1/auth/token/refresh/", {"refresh": rotated.json()["refresh"]})
    assert again.status_code == 200


def test_verify_accepts_valid_and_rejects_expired_tokens():
    user = UserFactory()
    client = APIClient()

    ok = client.post("/api/v1/auth/token/verify/", {"token": str(AccessToken.for_user(user))})
    expired = client.post("/api/v1/auth/token/verify/", {"token": _expired_access(user)})

    assert ok.status_code == 200
    assert ok.json() == {}
    assert_error(expired, 401, "token_not_valid")


def test_blacklisted_refresh_token_fails_verify():
    refresh = RefreshToken.for_user(UserFactory())
    refresh.blacklist()
    response = APIClient().post("/api/v1/auth/token/verify/", {"token": str(refresh)})
    # simplejwt reports a blacklisted token as a validation error of the `token` input.
    body = assert_error(response, 400, "validation_error")
    assert body["details"] == {"non_field_errors": ["Token is blacklisted"]}


def test_token_lifetimes_and_rates_come_from_the_environment():
    code = (
        "from django.conf import settings as s; "
        "print(s.SIMPLE_JWT['ACCESS_TOKEN_LIFETIME'].total_seconds(), "
        "s.SIMPLE_JWT['REFRESH_TOKEN_LIFETIME'].days, "
        "s.REST_FRAMEWORK['DEFAULT_THROTTLE_RATES']['voice_call'], "
        "s.REST_FRAMEWORK['DEFAULT_THROTTLE_RATES']['user'])"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "JWT_", "API_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.base",
        DJANGO_DEBUG="true",
        JWT_ACCESS_MINUTES="3",
        JWT_REFRESH_DAYS="2",
        API_THROTTLE_VOICE_CALL_RATE="2/minute",
        API_THROTTLE_USER_RATE="50/minute",
    )
    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "shell", "--verbosity", "0", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert result.stdout.split() == ["180.0", "2", "2/minute", "50/minute"]
