"""Project settings, all driven by environment variables (see `.env.example` and the README)."""

from datetime import timedelta

from django.core.exceptions import ImproperlyConfigured

from config.env import BASE_DIR, env

# Core ------------------------------------------------------------------------
DEBUG = env.bool("DJANGO_DEBUG", default=False)

SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off "
            "(set DJANGO_DEBUG=true for local development)."
        )
    SECRET_KEY = "django-insecure-local-development-only"  # noqa: S105 - debug-only fallback

ALLOWED_HOSTS = env.list(
    "DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "properties",
    "leads",
    "voice",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database --------------------------------------------------------------------
# Default: an SQLite file in the project; set DATABASE_URL for PostgreSQL.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + a busy timeout let the simulator's webhook deliveries and the admin write side by side.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Internationalisation --------------------------------------------------------
LANGUAGE_CODE = "en-us"
# The time zone admin pages and the dashboard show times in (tours show in the property's own).
TIME_ZONE = env("DJANGO_TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# Cache -----------------------------------------------------------------------
# Shared by every worker and machine: API rate limits (the call-placing limit above all) must be
# counted once, not per process. Redis in production and CI (CACHE_URL=redis://host:6379/1, Django's
# own RedisCache backend); the database cache table as the embedded default (`make run` creates it
# with `createcachetable`, and so must a deployment).
CACHE_URL = env("CACHE_URL", default="dbcache://django_cache")
CACHES = {
    "default": env.cache_url_config(
        CACHE_URL,
        backend="django.core.cache.backends.redis.RedisCache"
        if CACHE_URL.startswith(("redis://", "rediss://"))
        else None,
    )
}

# Static files ----------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"

# Security (HTTPS is terminated by the reverse proxy; see README) --------------
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0)

# Logging ---------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # httpx logs every request URL at INFO; voice.vapi logs the same, without query strings.
        "httpx": {"level": "WARNING"},
    },
}

# REST framework --------------------------------------------------------------
# JWT only (no session auth, so no CSRF on the API), JSON only (no browsable renderer), one error
# shape (config/errors.py), per-user throttling with a stricter scope for placing calls.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    # No OPTIONS metadata: the OpenAPI schema describes the API (OPTIONS answers 405).
    "DEFAULT_METADATA_CLASS": None,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "config.pagination.PageNumberPagination",
    "DEFAULT_SCHEMA_CLASS": "config.schema.ApiAutoSchema",
    "EXCEPTION_HANDLER": "config.errors.api_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        # Atomic counters in the shared cache (config/throttling.py).
        "config.throttling.SharedAnonRateThrottle",
        "config.throttling.SharedUserRateThrottle",
        "config.throttling.SharedScopedRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("API_THROTTLE_ANON_RATE", default="30/minute"),
        "user": env("API_THROTTLE_USER_RATE", default="300/minute"),
        # Views that place Vapi calls set `throttle_scope = "voice_call"` (config/api.py).
        "voice_call": env("API_THROTTLE_VOICE_CALL_RATE", default="10/minute"),
    },
    # Client address for the anonymous (token endpoint) throttle: 0 = REMOTE_ADDR; behind one
    # reverse proxy set 1 so the address comes from X-Forwarded-For.
    "NUM_PROXIES": env.int("API_NUM_PROXIES", default=0),
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

# Public URL and Vapi ----------------------------------------------------------
# vapi-reference.md §1 (REST basics), §9 (webhook auth)
PUBLIC_BASE_URL = env("PUBLIC_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")
VAPI_API_KEY = env("VAPI_API_KEY", default="")
VAPI_BASE_URL = env("VAPI_BASE_URL", default="https://api.vapi.ai").rstrip("/")
VAPI_WEBHOOK_SECRET = env("VAPI_WEBHOOK_SECRET", default="")
ELEVENLABS_API_KEY = env("ELEVENLABS_API_KEY", default="")
# calling-compliance.md §7 rule 15, voice/calls/recording.py: calls that need all-party consent
# are not recorded (off), or ask for consent with Vapi's enterprise-only recordingConsentPlan
# ("verbal" or "stay-on-line").
VAPI_RECORDING_CONSENT_PLAN = env("VAPI_RECORDING_CONSENT_PLAN", default="")

# Phone numbers without a country code are read in this region (ISO 3166 code).
PHONE_DEFAULT_REGION = env("PHONE_DEFAULT_REGION", default="US")

# Calling compliance (leads/compliance/rules.py). Pennsylvania's Sunday ban (SB 992,
# 2026-10-18) is UNVERIFIED in calling-compliance.md §2: off until counsel confirms it.
COMPLIANCE_PA_SUNDAY_BAN = env.bool("COMPLIANCE_PA_SUNDAY_BAN", default=False)
# §7 rule 17: a consent this many days old needs a reassigned-numbers check (FCC RND, 64.1200(m))
# before the number is called again on it; each check is good for as many days.
COMPLIANCE_CONSENT_RECHECK_DAYS = env.int("COMPLIANCE_CONSENT_RECHECK_DAYS", default=90)

# Webhook verification (vapi-reference.md §9): "hmac" = Vapi HMAC credential (x-signature /
# x-timestamp over "{timestamp}.{body}", SHA-256 hex); "secret" = static X-Vapi-Secret header.
VAPI_WEBHOOK_AUTH_MODE = env("VAPI_WEBHOOK_AUTH_MODE", default="hmac")
VAPI_WEBHOOK_TOLERANCE_SECONDS = env.int("VAPI_WEBHOOK_TOLERANCE_SECONDS", default=300)
VAPI_WEBHOOK_MAX_BODY_BYTES = env.int("VAPI_WEBHOOK_MAX_BODY_BYTES", default=1024 * 1024)

# Vapi client (voice/vapi/client.py): timeouts and retries of idempotent requests.
VAPI_CONNECT_TIMEOUT_SECONDS = env.float("VAPI_CONNECT_TIMEOUT_SECONDS", default=5.0)
VAPI_READ_TIMEOUT_SECONDS = env.float("VAPI_READ_TIMEOUT_SECONDS", default=20.0)
VAPI_MAX_RETRIES = env.int("VAPI_MAX_RETRIES", default=2)
VAPI_RETRY_BACKOFF_SECONDS = env.float("VAPI_RETRY_BACKOFF_SECONDS", default=0.5)
VAPI_RETRY_MAX_DELAY_SECONDS = env.float("VAPI_RETRY_MAX_DELAY_SECONDS", default=20.0)
# Id of the webhook credential created in Vapi (HMAC, or bearer with header X-Vapi-Secret) that
# pushed assistants reference as server.credentialId (vapi-reference.md §9). Optional.
VAPI_WEBHOOK_CREDENTIAL_ID = env("VAPI_WEBHOOK_CREDENTIAL_ID", default="")

# API: JWT and OpenAPI ----------------------------------------------------------
INSTALLED_APPS += [
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
]

# Short-lived access tokens; refresh tokens rotate and the used one is blacklisted.
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "AUTH_HEADER_TYPES": ("Bearer",),
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Leasing Voice API",
    "DESCRIPTION": (
        "JWT-authenticated API for properties, units, leads, tours and Vapi voice assistants. "
        "Get a token at `/api/v1/auth/token/` and send it as `Authorization: Bearer <access>`. "
        'Every error has the shape `{"error": code, "detail": message, "details": {...}}`.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # The schema promises exactly what the API accepts (tests/api/test_fuzz.py holds it to that):
    # no blank strings where DRF refuses them, no NUL characters anywhere (config/schema.py).
    "ENFORCE_NON_BLANK_FIELDS": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.schema.forbid_nul_characters",
    ],
    # Offline docs: Swagger UI assets come from drf-spectacular-sidecar, not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "UnitStatusEnum": "properties.models.Unit.Status",
        "LeadStatusEnum": "leads.models.Lead.Status",
        "LeadSourceEnum": "leads.models.Lead.Source",
        "ActivityKindEnum": "leads.models.LeadActivity.Kind",
        "TourKindEnum": "leads.models.Tour.Kind",
        "TourStatusEnum": "leads.models.Tour.Status",
        "CallStatusEnum": "voice.models.CallLog.Status",
        "CallDirectionEnum": "voice.models.CallLog.Direction",
        "AssistantPushStateEnum": "voice.models.Assistant.PushState",
        "WeekdayEnum": "properties.models.OfficeHours.Weekday",
        # Properties' and leads' zones: one list of IANA names.
        "TimezoneEnum": "properties.serializers.TIMEZONES",
        "ConsentKindEnum": "leads.compliance.models.Consent.Kind",
        "ConsentSourceEnum": "leads.compliance.models.Consent.Source",
        "SuppressionSourceEnum": "leads.compliance.models.Suppression.Source",
        # US states (leads, properties): named here since campaign contacts have a `state` too.
        "StateEnum": "leads.compliance.rules.US_STATES.items",
        "CampaignPurposeEnum": "voice.campaigns.models.CAMPAIGN_PURPOSES",
        "CampaignStatusEnum": "voice.campaigns.models.Campaign.Status",
        "CampaignContactStateEnum": "voice.campaigns.models.CampaignContact.State",
    },
}

# Header names of the HMAC plan (vapi-reference.md §9.2 defaults: signatureHeader/timestampHeader).
VAPI_WEBHOOK_SIGNATURE_HEADER = env("VAPI_WEBHOOK_SIGNATURE_HEADER", default="x-signature")
VAPI_WEBHOOK_TIMESTAMP_HEADER = env("VAPI_WEBHOOK_TIMESTAMP_HEADER", default="x-timestamp")

# Task queue (voice/campaigns/tasks.py and the periodic upkeep) ---------------------------------
# Celery on Redis; production points CELERY_BROKER_URL at its own. `make run` without Redis uses
# kombu's filesystem transport (`filesystem://`, folders under .celery/): no server, one machine.
# The database is the source of truth: a lost or repeated message never loses or repeats a dial.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="redis://127.0.0.1:6379/0")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _CELERY_FOLDER = env.path("CELERY_FILESYSTEM_FOLDER", default=BASE_DIR / ".celery" / "broker")
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_CELERY_FOLDER),
        "data_folder_out": str(_CELERY_FOLDER),
        "processed_folder": str(_CELERY_FOLDER),
        "store_processed": False,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
# A dial task is acknowledged after it ran and redelivered if its worker dies; the task itself
# knows when an attempt already began (runner.py) and never dials that one again blindly.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_DEFAULT_QUEUE = "leasing"
CELERY_TIMEZONE = "UTC"
CAMPAIGN_TICK_SECONDS = env.float("CAMPAIGN_TICK_SECONDS", default=5.0)
CELERY_BEAT_SCHEDULE = {
    "campaigns-tick": {"task": "campaigns.tick", "schedule": CAMPAIGN_TICK_SECONDS},
    # Deliveries a killed worker left half-done, and failed ones (a fixed bug, a database
    # hiccup): run again (voice/webhooks/inbox.py claims each first, so never twice at once).
    "webhooks-reprocess": {"task": "webhooks.reprocess", "schedule": 60.0},
    # Calls whose outcome is unknown, and calls that never reported their end.
    "calls-reconcile": {"task": "calls.reconcile", "schedule": 300.0},
    # Each organization's retention policy (voice/retention/services.py): recordings, transcripts,
    # webhook bodies and never-converted leads past their periods. Daily: the periods are days.
    "retention-apply": {"task": "retention.apply", "schedule": 24 * 60 * 60.0},
}

# Campaigns (voice/campaigns/runner.py) ----------------------------------------------------------
# vapi-reference.md §1 ("Rate limits"): calls a Vapi account may have at once, 10 by default.
# Every campaign, worker and machine shares it, and inbound calls count against it.
VAPI_CONCURRENCY_LIMIT = env.int("VAPI_CONCURRENCY_LIMIT", default=10)
# A claimed contact whose dial has not reported back after this long is recovered.
CAMPAIGN_DIAL_LEASE_SECONDS = env.int("CAMPAIGN_DIAL_LEASE_SECONDS", default=120)
# A call we never heard end stops holding a slot after this long (Vapi's maximum call length is
# 10 minutes by default; the reconcile task asks Vapi about it meanwhile).
CAMPAIGN_CALL_SLOT_MAX_AGE_MINUTES = env.int("CAMPAIGN_CALL_SLOT_MAX_AGE_MINUTES", default=30)
