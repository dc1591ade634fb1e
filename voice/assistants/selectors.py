"""Reads of assistants."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet

from properties.access import properties_visible_to
from voice.models import Assistant, WebhookCredential
from voice.vapi.errors import VoiceError


def assistant_list(*, user: AbstractBaseUser) -> QuerySet[Assistant]:
    return Assistant.objects.filter(
        property__in=properties_visible_to(user=user, superuser_sees_all=False)
    )


def assistant_get(*, assistant_id: int | str) -> Assistant:
    """By local pk, or by Vapi assistant id; VoiceError when there is none."""
    lookup = str(assistant_id).strip()
    found = None
    if lookup.isdigit():
        found = Assistant.objects.select_related("property").filter(pk=int(lookup)).first()
    if found is None:
        found = (
            Assistant.objects.select_related("property").filter(vapi_assistant_id=lookup).first()
        )
    if found is None:
        raise VoiceError(f"There is no assistant {lookup!r}.", details={"assistant_id": lookup})
    return found


def assistant_for_leasing_phone(*, phone: str | None) -> Assistant | None:
    """The pushed assistant (with its property) of the property whose leasing number is `phone`
    (E.164): inbound routing. One indexed query."""
    if not phone:
        return None
    return (
        Assistant.objects.select_related("property")
        .filter(property__leasing_phone=phone, vapi_assistant_id__isnull=False)
        .order_by("pk")
        .first()
    )


def assistant_property_id(*, vapi_assistant_id: str) -> int | None:
    """The property of the assistant with this Vapi id, if we have it."""
    return (
        Assistant.objects.filter(vapi_assistant_id=vapi_assistant_id)
        .values_list("property_id", flat=True)
        .first()
    )


# The webhook credential (manage.py vapi_setup) -----------------------------------------------

# What `manage.py vapi_simulator` and `make run` use as the key (Makefile, README "Vapi and the
# simulator"). A default simulator signs every delivery itself, so no credential is needed there.
SIMULATOR_API_KEY = "simulator-key"

# RFC 2606 / RFC 6761 reserve these names for testing: no real Vapi answers there (the test
# settings use https://vapi.test).
RESERVED_TEST_SUFFIXES = (".test", ".example", ".invalid", ".localhost")


def vapi_is_real() -> bool:
    """Whether the configured Vapi is one that signs webhooks only through a credential: a key
    is set, it is not the simulator's, and VAPI_BASE_URL is not a reserved testing name. A local
    URL counts as real on purpose (a proxy, or the simulator in its real-Vapi mode)."""
    if not settings.VAPI_API_KEY or settings.VAPI_API_KEY == SIMULATOR_API_KEY:
        return False
    host = (urlsplit(settings.VAPI_BASE_URL).hostname or "").lower()
    return not host.endswith(RESERVED_TEST_SUFFIXES)


def webhook_credential_get(*, base_url: str | None = None) -> WebhookCredential | None:
    """The credential vapi_setup stored for this Vapi (VAPI_BASE_URL unless given)."""
    base_url = (base_url if base_url is not None else settings.VAPI_BASE_URL).rstrip("/")
    return WebhookCredential.objects.filter(vapi_base_url=base_url).first()


def webhook_credential_id_get() -> str:
    """The credentialId pushed assistants reference: VAPI_WEBHOOK_CREDENTIAL_ID when set (it
    overrides), else the one `manage.py vapi_setup` stored for this Vapi; "" for none."""
    configured = getattr(settings, "VAPI_WEBHOOK_CREDENTIAL_ID", "")
    if configured:
        return configured
    stored = webhook_credential_get()
    return stored.vapi_credential_id if stored is not None else ""
