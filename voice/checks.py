"""System checks for the Vapi webhook settings and credential (run by `manage.py check` and at
start-up)."""

from typing import Any

from django.conf import settings
from django.core import checks
from django.db import DatabaseError

from voice.assistants.selectors import vapi_is_real, webhook_credential_id_get
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


@checks.register(checks.Tags.security)
def check_vapi_webhook_credential(
    app_configs: Any = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """With a real Vapi, assistants must reference a webhook credential or Vapi sends every
    webhook unsigned and we answer 401 (vapi-reference.md §9.2). No network: the stored id (or
    VAPI_WEBHOOK_CREDENTIAL_ID) is what the next push will send as server.credentialId."""
    if not vapi_is_real():
        return []  # the simulator signs by itself; the test settings name a reserved host
    try:
        credential_id = webhook_credential_id_get()
    except DatabaseError:
        # Before `migrate` (no table yet) or without a database we cannot tell; migrate runs
        # the checks too and must not be blocked by the table it is about to create.
        return []
    if credential_id:
        return []
    return [
        checks.Error(
            f"No Vapi webhook credential for {settings.VAPI_BASE_URL}: assistants pushed now "
            "would not reference one, so Vapi would send every webhook unsigned and each "
            "would be refused with 401.",
            hint="Run `python manage.py vapi_setup` (creates the credential, stores its id and "
            "re-pushes the assistants), or set VAPI_WEBHOOK_CREDENTIAL_ID.",
            id="voice.E004",
        )
    ]
