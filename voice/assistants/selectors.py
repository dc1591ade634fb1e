"""Reads of assistants."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import (
    QuerySet,
)

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
