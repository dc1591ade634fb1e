"""The Celery app: campaigns' scheduler tick and dials, and the periodic upkeep tasks.

Workers: `celery -A config.celery worker`, with `--beat` on exactly one of them or a separate
`celery -A config.celery beat` (two beats are harmless: every task claims its work in the database).
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

app = Celery("leasing")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["voice.campaigns", "voice.calls", "voice.webhooks", "voice.retention"])
