"""System checks for the Vapi webhook settings (run by `manage.py check` and at start-up)."""

from typing import Any

from django.conf import settings
from django.core import checks

from voice.webhooks.auth import AUTH_MODES


@checks.register(checks.Tags.security)
def check_vapi_webhook_settings(
    app_configs: Any = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    messages: list[checks.CheckMessage] = []
    if not settings.VAPI_WEBHOOK_SECRET:
        if settings.DEBUG:
            messages.append(
                checks.Warning(
                    "VAPI_WEBHOOK_SECRET is not set: webhook deliveries are accepted unverified "
                    "(debug only).",
                    hint="Set VAPI_WEBHOOK_SECRET to the secret of your Vapi webhook credential.",
                    id="voice.W001",
                )
            )
        else:
            messages.append(
                checks.Error(
                    "VAPI_WEBHOOK_SECRET is not set: every Vapi webhook delivery will be refused.",
                    hint="Set VAPI_WEBHOOK_SECRET to the secret of your Vapi webhook credential.",
                    id="voice.E001",
                )
            )
    if settings.VAPI_WEBHOOK_AUTH_MODE not in AUTH_MODES:
        messages.append(
            checks.Error(
                f"VAPI_WEBHOOK_AUTH_MODE must be one of {', '.join(AUTH_MODES)}.",
                id="voice.E002",
            )
        )
    if settings.VAPI_WEBHOOK_TOLERANCE_SECONDS <= 0:
        messages.append(
            checks.Error("VAPI_WEBHOOK_TOLERANCE_SECONDS must be positive.", id="voice.E003")
        )
    return messages
