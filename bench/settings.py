"""Production-style settings for the benchmark: the product's settings plus the reference views.

Everything else (middleware, DEBUG off, PostgreSQL, persistent connections) is the product's own
configuration, so the product and the reference are served by the same process the same way.
"""

from config.settings.base import *  # noqa: F403
from config.settings.base import INSTALLED_APPS, LOGGING

INSTALLED_APPS = [*INSTALLED_APPS, "bench"]
ROOT_URLCONF = "bench.urls"
LOGGING = {**LOGGING, "root": {"handlers": ["console"], "level": "ERROR"}}
