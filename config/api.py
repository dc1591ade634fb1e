"""Shared API plumbing: the base viewset, ownership helpers and throttle scopes.

Ownership rule (issue 5): every object belongs to the user who owns its property. Viewsets take
their queryset from a `<entity>_list(*, user)` selector, so another user's object is a plain 404;
related ids in request bodies go through `OwnedPrimaryKeyRelatedField`, so another user's id fails
exactly like an id that does not exist. Staff users get no exemption.
"""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import django_filters
from django import forms
from django.db.models import Model, QuerySet
from rest_framework import serializers, viewsets
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

# Views that place Vapi calls set `throttle_scope = VOICE_CALL_THROTTLE_SCOPE`; the rate is
# API_THROTTLE_VOICE_CALL_RATE (ScopedRateThrottle is in DEFAULT_THROTTLE_CLASSES).
VOICE_CALL_THROTTLE_SCOPE = "voice_call"

OwnedSelector = Callable[..., QuerySet]


def get_owned_or_404(queryset: QuerySet, **lookup: Any) -> Model:
    """The object from an owned queryset (a selector's result), or a 404 (also for bad ids)."""
    return get_object_or_404(queryset, **lookup)


class OwnedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A related id limited to the requesting user's objects.

    `selector` is a `<entity>_list(*, user)` selector; `queryset` (the model's manager) only tells
    the schema which model the id points at. Another user's id is "Invalid pk ... object does not
    exist.", the same answer as for an id that does not exist.
    """

    def __init__(self, *, selector: OwnedSelector, **kwargs: Any) -> None:
        self.selector = selector
        super().__init__(**kwargs)

    def get_queryset(self) -> QuerySet:
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return super().get_queryset().none()
        return self.selector(user=user)


def owned_choices(selector: OwnedSelector, model: type[Model]) -> Callable[[Any], QuerySet]:
    """A django-filter `queryset=` callable: the requesting user's objects, via `selector`.

    An id outside it is "Select a valid choice", the same as an id that does not exist.
    """

    def queryset(request: Any) -> QuerySet:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return model.objects.none()
        return selector(user=user)

    return queryset


def owned_filter(selector: OwnedSelector, model: type[Model]) -> django_filters.ModelChoiceFilter:
    """A filter on one of the requesting user's `model` ids (see `owned_choices`)."""
    return django_filters.ModelChoiceFilter(
        queryset=owned_choices(selector, model),
        help_text=f"One of your {model._meta.verbose_name} ids.",
    )


class UtcIsoDateTimeField(django_filters.fields.IsoDateTimeField):
    def to_python(self, value: Any) -> datetime | None:
        parsed = super().to_python(value)
        if parsed is None:
            return None
        try:
            # PostgreSQL rejects offsets beyond +-15:59 (e.g. "-23:30"): send UTC.
            return parsed.astimezone(UTC)
        except OverflowError:
            raise forms.ValidationError("Enter a date-time within the supported range.") from None


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    """An ISO 8601 date-time filter whose value reaches the database in UTC."""

    field_class = UtcIsoDateTimeField


class ApiViewSet(viewsets.GenericViewSet):
    """Base for the API's viewsets: each action validates, calls a service or selector, serializes.

    Subclasses set a class-level `queryset = Model.objects.none()` (it only names the model for the
    schema) and override `get_queryset()` with their owner-scoped selector.
    """

    def get_object(self) -> Model:
        # Unlike DRF's, list filters in the query string do not apply to a detail route.
        obj = get_owned_or_404(self.get_queryset(), pk=self.kwargs[self.lookup_field])
        self.check_object_permissions(self.request, obj)
        return obj

    def validated_input(
        self,
        serializer_class: type[serializers.Serializer],
        *,
        partial: bool = False,
        **context: Any,
    ) -> dict[str, Any]:
        """The request body validated by `serializer_class`; extra keywords go to its context."""
        serializer = serializer_class(
            data=self.request.data,
            partial=partial,
            context={**self.get_serializer_context(), **context},
        )
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def paginated_response(
        self, queryset: QuerySet, serializer_class: type[serializers.Serializer]
    ) -> Response:
        page = self.paginate_queryset(self.filter_queryset(queryset))
        data = serializer_class(page, many=True, context=self.get_serializer_context()).data
        return self.get_paginated_response(data)
