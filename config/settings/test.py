"""Test settings: fast hashing and fixed fake Vapi values; the database comes from DATABASE_URL."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key-not-for-production")

from config.settings.base import *  # noqa: F403

TIME_ZONE = "UTC"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

PUBLIC_BASE_URL = "http://testserver"
VAPI_API_KEY = "test-key"
VAPI_BASE_URL = "https://vapi.test"
VAPI_WEBHOOK_SECRET = "test-secret"  # noqa: S105
ELEVENLABS_API_KEY = ""
# Retries happen without real waiting in tests.
VAPI_RETRY_BACKOFF_SECONDS = 0.0
VAPI_RETRY_MAX_DELAY_SECONDS = 0.05
VAPI_WEBHOOK_CREDENTIAL_ID = ""

# Generous API rates so suites and the schema fuzz run are never throttled; the throttling tests
# set their own rates.
REST_FRAMEWORK = {
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_THROTTLE_RATES": {
        "anon": "10000/minute",
        "user": "10000/minute",
        "voice_call": "10000/minute",
    },
}

# pytest-xdist: each worker gets its own Redis database, because the API tests clear the cache
# (FLUSHDB) between tests and a shared database would wipe the other worker's throttle history
# mid-test. gw0 -> db 10, gw1 -> db 11, ... (the rate-limit test across workers uses db 3).
_XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
if _XDIST_WORKER.startswith("gw") and CACHE_URL.startswith(("redis://", "rediss://")):  # noqa: F405
    CACHES["default"]["LOCATION"] = (  # noqa: F405
        CACHES["default"]["LOCATION"].rsplit("/", 1)[0]  # noqa: F405
        + f"/{10 + int(_XDIST_WORKER[2:])}"
    )

# Tasks are only queued in memory: tests run the runner's functions themselves, and the
# campaign acceptance test starts real workers on Redis (tests/voice/campaigns).
CELERY_BROKER_URL = os.environ.get("TEST_CELERY_BROKER_URL", "memory://")
CELERY_TASK_ALWAYS_EAGER = False
