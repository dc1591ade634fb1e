"""Reads of assistants."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet

from properties.access import properties_visible_to
from voice.models import Assistant
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
