"""A refresh token works once, also when it is sent many times at the same moment.

PostgreSQL only: the live server's threads share one connection on the in-memory SQLite test
database, so concurrent requests there are not concurrent transactions.
"""

import threading

import httpx
import pytest
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from tests.factories import UserFactory

SENDERS = 10


def _refresh_all_at_once(url: str, token: str) -> list[httpx.Response]:
    start = threading.Barrier(SENDERS)
    responses: list[httpx.Response] = []
    lock = threading.Lock()

    def send() -> None:
        with httpx.Client(timeout=30) as client:
            start.wait()
            response = client.post(f"{url}/api/v1/auth/token/refresh/", json={"refresh": token})
        with lock:
            responses.append(response)

    threads = [threading.Thread(target=send) for _ in range(SENDERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return responses


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_uses_of_one_refresh_token_yield_exactly_one_new_pair(live_server):
    refresh = RefreshToken.for_user(UserFactory())

    responses = _refresh_all_at_once(live_server.url, str(refresh))

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] + [401] * (SENDERS - 1), [r.text for r in responses]
    refused = [r.json() for r in responses if r.status_code == 401]
    assert all(body["error"] == "not_authenticated" or body["detail"] for body in refused)
    # The old token is blacklisted once; exactly one new refresh token is outstanding.
    assert BlacklistedToken.objects.filter(token__jti=refresh["jti"]).count() == 1
    assert OutstandingToken.objects.exclude(jti=refresh["jti"]).count() == 1
