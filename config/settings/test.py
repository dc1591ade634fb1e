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
