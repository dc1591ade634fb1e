"""`manage.py vapi_setup`: signed webhooks out of the box.

Vapi signs a server message only when the server it goes to names a webhook credential
(`server.credentialId`, vapi-reference.md §4.3, §9.2); without one every delivery arrives
unsigned and our webhook answers 401. This module makes (or finds) that credential at Vapi with
exactly the plan voice/webhooks/auth.py verifies, stores its id (WebhookCredential), then brings
the assistants and the leasing lines' phone numbers up to date so they reference it. Every step
is idempotent: a second run creates nothing, PATCHes nothing that already matches, and reports
"unchanged".

Talks to Vapi first and writes the row after Vapi answered (the assistants' rule, services.py).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.conf import settings
from django.utils.crypto import salted_hmac

from properties.models import Property
from voice.assistants.config import webhook_server_config
from voice.assistants.operations import assistants_push_changed
from voice.assistants.selectors import webhook_credential_get
from voice.batch import Batch, OnResult, Outcome, Result
from voice.models import Assistant, WebhookCredential
from voice.vapi import client as vapi_client
from voice.vapi.client import VapiClient, VapiObject
from voice.vapi.core import MAX_LIST_LIMIT
from voice.vapi.errors import VapiNotFoundError, VapiResponseError, VoiceConfigurationError

logger = logging.getLogger(__name__)

CREDENTIAL_LABEL = "Webhook credential"
# Plan fields that carry a secret: Vapi may not echo them (the simulator answers "[REDACTED]"),
# so they are compared through our stored fingerprint, never read back.
SECRET_PLAN_KEYS = frozenset({"secretKey", "token", "clientSecret"})
# Identifies a credential made by this app for one PUBLIC_BASE_URL (the webhook it protects);
# OAS CreateWebhookCredentialDTO.name is 1-40 characters: 16 + 12 here.
NAME_PREFIX = "leasing-webhook-"


def webhook_credential_plan() -> VapiObject:
    """The authenticationPlan that makes Vapi sign the way voice/webhooks/auth.py verifies.

    hmac mode: OAS HMACAuthenticationPlan, SHA-256, hex, over "{timestamp}.{body}" with the
    timestamp in its own header (auth.py `webhook_signature`; header names from
    VAPI_WEBHOOK_SIGNATURE_HEADER / VAPI_WEBHOOK_TIMESTAMP_HEADER), no prefix, plain-text secret.
    secret mode: vapi-reference.md §9.1, a bearer credential sending the secret verbatim in
    X-Vapi-Secret (headerName, bearerPrefixEnabled false).
    """
    secret = settings.VAPI_WEBHOOK_SECRET
    if not secret:
        raise VoiceConfigurationError(
            "VAPI_WEBHOOK_SECRET is not set: set it to a long random value first; Vapi signs "
            "webhooks with it and our webhook verifies them with it.",
            details={"setting": "VAPI_WEBHOOK_SECRET"},
        )
    if settings.VAPI_WEBHOOK_AUTH_MODE == "secret":
        return {
            "type": "bearer",
            "token": secret,
            "headerName": "X-Vapi-Secret",
            "bearerPrefixEnabled": False,
        }
    return {
        "type": "hmac",
        "secretKey": secret,
        "algorithm": "sha256",
        "signatureHeader": settings.VAPI_WEBHOOK_SIGNATURE_HEADER,
        "timestampHeader": settings.VAPI_WEBHOOK_TIMESTAMP_HEADER,
        "includeTimestamp": True,
        "payloadFormat": "{timestamp}.{body}",
        "signatureEncoding": "hex",
        "secretIsBase64": False,
    }


def webhook_credential_name() -> str:
    """A stable name per webhook URL, so a rerun (or a second machine of the same deployment)
    finds the credential instead of making another."""
    digest = salted_hmac("voice.webhook-credential-name", settings.PUBLIC_BASE_URL.rstrip("/"))
    return NAME_PREFIX + digest.hexdigest()[:12]


def _fingerprint(name: str, plan: VapiObject) -> str:
    # Keyed (SECRET_KEY), so the stored value reveals nothing about the webhook secret.
    canonical = json.dumps({"name": name, "plan": plan}, sort_keys=True)
    return salted_hmac("voice.webhook-credential", canonical, algorithm="sha256").hexdigest()


def _plan_matches(remote: Any, plan: VapiObject) -> bool:
    """The non-secret plan fields Vapi shows equal ours (fields it leaves out are not compared:
    whether it echoes defaults is undocumented)."""
    remote_plan = remote.get("authenticationPlan") if isinstance(remote, dict) else None
    if not isinstance(remote_plan, dict) or remote_plan.get("type") != plan["type"]:
        return False
    return all(
        remote_plan[key] == value
        for key, value in plan.items()
        if key in remote_plan and key not in SECRET_PLAN_KEYS
    )


def _credential_id(remote: Any) -> str:
    if not isinstance(remote, dict) or not remote.get("id"):
        raise VapiResponseError(
            "Vapi did not return a credential id.", details={"path": "/credential"}
        )
    return str(remote["id"])


@dataclass(frozen=True)
class CredentialEnsured:
    credential: WebhookCredential
    outcome: Outcome  # CREATED, UPDATED (plan or secret PATCHed) or UNCHANGED


def webhook_credential_ensure(*, client: VapiClient | None = None) -> CredentialEnsured:
    """Make Vapi hold exactly one webhook credential for this deployment, matching our verifier.

    Found by the stored id (GET /credential/{id}), else by name in GET /credential; created only
    when neither finds it. A found one is PATCHed when its plan or our secret changed (known by
    the stored fingerprint; one found only by name is PATCHed once, its secret being unknown).
    Raises VoiceConfigurationError without VAPI_WEBHOOK_SECRET, VoiceError when Vapi fails.
    """
    plan = webhook_credential_plan()
    name = webhook_credential_name()
    fingerprint = _fingerprint(name, plan)
    client = client or vapi_client.get_vapi_client()
    base_url = client.base_url.rstrip("/")
    stored = webhook_credential_get(base_url=base_url)

    remote: Any = None
    if stored is not None:
        try:
            remote = client.get_credential(stored.vapi_credential_id)
        except VapiNotFoundError:
            logger.warning("vapi credential %s is gone; looking for it by name", stored.pk)
    if remote is None:
        remote = next(
            (
                item
                for item in client.list_credentials(limit=MAX_LIST_LIMIT)
                if isinstance(item, dict)
                and item.get("provider") == "webhook"
                and item.get("name") == name
            ),
            None,
        )

    body: VapiObject = {"provider": "webhook", "name": name, "authenticationPlan": plan}
    if remote is None:
        credential_id = _credential_id(client.create_credential(body))
        outcome = Outcome.CREATED
    else:
        credential_id = _credential_id(remote)
        in_step = (
            stored is not None
            and stored.vapi_credential_id == credential_id
            and stored.plan_fingerprint == fingerprint
            and remote.get("name") == name
            and _plan_matches(remote, plan)
        )
        if in_step:
            outcome = Outcome.UNCHANGED
        else:
            # PATCH, never a second credential: assistants keep pointing at the same id.
            client.update_credential(credential_id, {"name": name, "authenticationPlan": plan})
            outcome = Outcome.UPDATED
    credential, _ = WebhookCredential.objects.update_or_create(
        vapi_base_url=base_url,
        defaults={
            "vapi_credential_id": credential_id,
            "name": name,
            "plan_fingerprint": fingerprint,
        },
    )
    return CredentialEnsured(credential=credential, outcome=outcome)


def _server_matches(current: Any, wanted: VapiObject) -> bool:
    current = current if isinstance(current, dict) else {}
    return all(current.get(key) == value for key, value in wanted.items())


def _point_number(client: VapiClient, record: VapiObject, server: VapiObject) -> Result:
    label = f"Phone number {record.get('number')}"
    if _server_matches(record.get("server"), server):
        return Result(label, Outcome.UNCHANGED, "Already sends to our webhook, signed.", record)
    client.update_phone_number(str(record["id"]), {"server": server})
    message = "Inbound assistant-requests now go to our webhook, signed."
    return Result(label, Outcome.UPDATED, message, record)


def phone_numbers_point_at_webhook(*, client: VapiClient, batch: Batch, server: VapiObject) -> None:
    """Point the Vapi numbers that are our properties' leasing lines at our webhook, with the
    credential: an inbound call on a number without an assistant asks the number's server
    (`assistant-request`, vapi-reference.md §8.5, §10.5), and only a credential there signs it."""
    leasing = set(
        Property.objects.exclude(leasing_phone="").values_list("leasing_phone", flat=True)
    )
    if not leasing:
        return
    for record in client.list_phone_numbers(limit=MAX_LIST_LIMIT):
        if not isinstance(record, dict) or record.get("number") not in leasing:
            continue
        label = f"Phone number {record.get('number')}"
        batch.run(record, label, partial(_point_number, client, record, server))


@dataclass(frozen=True)
class VapiSetupDone:
    credential: WebhookCredential
    results: list[Result]  # the credential's first, then each assistant and leasing number
    overridden_by_setting: bool  # VAPI_WEBHOOK_CREDENTIAL_ID is set and wins over the stored id


def vapi_setup(*, on_result: OnResult | None = None) -> VapiSetupDone:
    """Ensure the webhook credential, then push each assistant whose config changed (now with
    the credential) and point the leasing numbers at the webhook. Safe to repeat."""
    client = vapi_client.get_vapi_client()
    batch = Batch(on_result)
    ensured = webhook_credential_ensure(client=client)
    credential = ensured.credential
    messages = {
        Outcome.CREATED: "Created at Vapi",
        Outcome.UPDATED: "Updated at Vapi (plan or secret changed)",
        Outcome.UNCHANGED: "Already at Vapi and in step",
    }
    batch.add(
        Result(
            CREDENTIAL_LABEL,
            ensured.outcome,
            f"{messages[ensured.outcome]}: {credential.name} (id {credential.vapi_credential_id}).",
            credential,
        )
    )
    assistants = Assistant.objects.select_related("property").order_by("property__name", "pk")
    assistants_push_changed(assistants=assistants, on_result=batch.add)
    phone_numbers_point_at_webhook(client=client, batch=batch, server=webhook_server_config())
    return VapiSetupDone(
        credential=credential,
        results=batch.results,
        overridden_by_setting=bool(getattr(settings, "VAPI_WEBHOOK_CREDENTIAL_ID", "")),
    )
