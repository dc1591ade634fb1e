"""Shared API plumbing: the base viewset, access helpers and throttle scopes.

Access rule: every object belongs to a property, every property to an organization, and
properties/access.py decides who may do what there. Viewsets take their queryset from a
`<entity>_list(*, user)` selector (what the user may see), so another organization's object is a
plain 404; related ids in request bodies go through `OwnedPrimaryKeyRelatedField`, so another
organization's id fails exactly like an id that does not exist. What the user's role does not allow
on an object they can see (a leasing agent changing an assistant) is a 403 from
`ApiViewSet.check_access`. Staff users and superusers get no exemption in the API
(properties/access.py says why).
"""

import re
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import django_filters
from django import forms
from django.db.models import Model, QuerySet
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers, viewsets
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from properties.access import (
    VIEW,
    access_property,
    organization_check_access,
    property_check_access,
)
from properties.models import Organization

# Views that place Vapi calls set `throttle_scope = VOICE_CALL_THROTTLE_SCOPE`; the rate is
# API_THROTTLE_VOICE_CALL_RATE (ScopedRateThrottle is in DEFAULT_THROTTLE_CLASSES).
VOICE_CALL_THROTTLE_SCOPE = "voice_call"

OwnedSelector = Callable[..., QuerySet]


def get_owned_or_404(queryset: QuerySet, **lookup: Any) -> Model:
    """The object from an owned queryset (a selector's result), or a 404 (also for bad ids)."""
    return get_object_or_404(queryset, **lookup)


# Ids are positive bigints (PostgreSQL's range; SQLite's too): a larger one is a 400, never
# an overflow in the database driver.
ID_MAX = 2**63 - 1
ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": ID_MAX}
ID_OUT_OF_RANGE = f"Ensure this value is between 1 and {ID_MAX}."


@extend_schema_field(ID_SCHEMA)
class OwnedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A related id limited to the requesting user's objects.

    `selector` is a `<entity>_list(*, user)` selector; `queryset` (the model's manager) only tells
    the schema which model the id points at. The id is a JSON integer of at least 1 (anything
    else is a 400). An id the user cannot see, another organization's included, is
    "Invalid pk ... object does not exist.", which config/errors.py answers with 404.
    """

    def __init__(self, *, selector: OwnedSelector, **kwargs: Any) -> None:
        self.selector = selector
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> Model:
        # As the schema says: "5" or 5.0 is not an id (DRF would look them up all the same).
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("incorrect_type", data_type=type(data).__name__)
        if not 1 <= data <= ID_MAX:
            raise serializers.ValidationError(ID_OUT_OF_RANGE, code="min_value")
        return super().to_internal_value(data)

    def get_queryset(self) -> QuerySet:
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return super().get_queryset().none()
        return self.selector(user=user)


class IdFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField


def _integer_filter(schema: dict[str, Any], help_text: str, **kwargs: Any) -> Any:
    """A NumberFilter for whole numbers, documented with `schema` and `help_text`.

    One class per filter: drf-spectacular reads an annotated filter's description from the
    annotation only.
    """
    annotated = extend_schema_field({**schema, "description": help_text})(
        type("IntegerFilter", (IdFilter,), {})
    )
    return annotated(min_value=schema["minimum"], max_value=schema["maximum"], **kwargs)


# Money in query parameters: what DecimalStringField takes for a rent (8 whole digits). The
# field compares Decimals: a float bound would be 99999999.9899999...
MONEY_MAX = Decimal("99999999.99")


def money_filter(help_text: str, **kwargs: Any) -> Any:
    """A filter on an amount from 0 to MONEY_MAX, documented as a JSON Schema number."""
    annotated = extend_schema_field(
        {"type": "number", "minimum": 0, "maximum": float(MONEY_MAX), "description": help_text}
    )(type("MoneyFilter", (django_filters.NumberFilter,), {}))
    return annotated(min_value=0, max_value=MONEY_MAX, **kwargs)


def owned_filter(selector: OwnedSelector, model: type[Model]) -> django_filters.NumberFilter:
    """A filter on a `model` id: only the user's objects are listed anyway (the viewset's
    selector), so another organization's id, like an id that does not exist, lists nothing.

    `selector` names the objects the id is one of (documentation only).
    """
    return _integer_filter(
        ID_SCHEMA,
        f"One of your {model._meta.verbose_name} ids; another organization's id, like an unknown "
        "one, lists nothing.",
    )


# RFC 3339 date-time, as OpenAPI's `format: date-time` says (an offset is part of it).
RFC3339_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})"
)


class UtcIsoDateTimeField(django_filters.fields.IsoDateTimeField):
    def to_python(self, value: Any) -> datetime | None:
        if value not in (None, "") and not RFC3339_DATETIME.fullmatch(str(value)):
            raise forms.ValidationError(
                "Enter a date-time with an offset, e.g. 2026-12-01T14:00:00-08:00.",
                code="invalid",
            )
        parsed = super().to_python(value)
        if parsed is None:
            return None
        try:
            # PostgreSQL rejects offsets beyond +-15:59 (e.g. "-23:30"): send UTC.
            return parsed.astimezone(UTC)
        except OverflowError:
            raise forms.ValidationError("Enter a date-time within the supported range.") from None


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    """An RFC 3339 date-time filter whose value reaches the database in UTC."""

    field_class = UtcIsoDateTimeField


ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class IsoDateField(forms.DateField):
    def to_python(self, value: Any) -> Any:
        if value not in (None, "") and not ISO_DATE.fullmatch(str(value)):
            raise forms.ValidationError("Enter a date as YYYY-MM-DD.", code="invalid")
        return super().to_python(value)


class DateFilter(django_filters.DateFilter):
    """A `YYYY-MM-DD` date filter (Django's DateField also reads "10/25/2026" and others)."""

    field_class = IsoDateField


class ApiFilterSet(django_filters.FilterSet):
    """A FilterSet where an empty value is an error for every filter but free text.

    django-filter ignores `?created_after=`; the schema's formats, numbers, booleans and enums
    have no empty value, so the API refuses it.
    """

    def is_valid(self) -> bool:
        valid = super().is_valid()
        for name, filter_ in self.filters.items():
            if isinstance(filter_, django_filters.CharFilter) or name not in self.data:
                continue
            if "" in self.data.getlist(name):
                self.form.add_error(name, "Give a value or leave the parameter out.")
                valid = False
        return valid


class StrictBooleanField(forms.Field):
    """`true` or `false`, as the schema's boolean; django-filter ignores anything else."""

    def to_python(self, value: Any) -> bool | None:
        if value is None:
            return None
        if value in ("true", "false"):
            return value == "true"
        raise forms.ValidationError("Enter true or false.", code="invalid")


class BooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


def integer_filter(help_text: str, **kwargs: Any) -> Any:
    """A filter on a whole number from 0 (NumberFilter takes any decimal; the schema says
    integer, and the bound keeps the value in the database's range)."""
    return _integer_filter(
        {"type": "integer", "minimum": 0, "maximum": ID_MAX}, help_text, **kwargs
    )


def json_type_errors(field: serializers.Field, value: Any) -> Any:
    """The values in `value` whose JSON type is not the one the schema gives `field`.

    DRF converts what it can: 5 for a string, "true" or 1 for a boolean, "5" or 5.0 for an
    integer or a choice of integers. The schema promises the JSON types, so the API holds
    clients to them. Returns DRF-shaped errors (a list, or a dict for objects), or None.
    """
    if value is None or field.read_only:
        return None  # allow_null decides
    if isinstance(field, serializers.ListSerializer | serializers.ListField):
        if not isinstance(value, list):
            return [_type_message("an array")]
        items = {str(i): json_type_errors(field.child, item) for i, item in enumerate(value)}
        return {key: error for key, error in items.items() if error} or None
    if isinstance(field, serializers.DictField):
        if not isinstance(value, dict):
            return [_type_message("an object")]
        items = {key: json_type_errors(field.child, item) for key, item in value.items()}
        return {key: error for key, error in items.items() if error} or None
    if isinstance(field, serializers.Serializer):
        if not isinstance(value, dict):
            return None  # the serializer's own "Invalid data. Expected a dictionary" error
        nested = {
            name: json_type_errors(child, value[name])
            for name, child in field.fields.items()
            if name in value
        }
        return {name: error for name, error in nested.items() if error} or None
    expected = _json_kind(field)
    if expected is None:
        return None
    if not _is_json_kind(value, expected):
        return [_type_message(expected)]
    if value == "" and not isinstance(field, serializers.CharField | serializers.ChoiceField):
        # DRF reads "" as null for nullable dates and numbers; the schema's formats do not.
        return [_type_message(f"{expected} in the format the schema gives")]
    return None


def _json_kind(field: serializers.Field) -> str | None:
    if isinstance(field, serializers.BooleanField):
        return "a boolean"
    if isinstance(field, serializers.IntegerField):
        return "an integer"
    if isinstance(field, serializers.ChoiceField):
        kinds = {type(key) for key in field.choices}
        return "an integer" if kinds == {int} else "a string" if kinds == {str} else None
    if isinstance(
        field,
        serializers.CharField
        | serializers.DecimalField
        | serializers.DateField
        | serializers.DateTimeField
        | serializers.TimeField,
    ):
        return "a string"
    return None


def _is_json_kind(value: Any, kind: str) -> bool:
    if kind == "a boolean":
        return isinstance(value, bool)
    if kind == "an integer":
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, str)


def _type_message(kind: str) -> str:
    return f"Must be {kind} (JSON)."


class ApiViewSet(viewsets.GenericViewSet):
    """Base for the API's viewsets: each action validates, calls a service or selector, serializes.

    Subclasses set a class-level `queryset = Model.objects.none()` (it only names the model for the
    schema) and override `get_queryset()` with their access-scoped selector.

    `write_access` is the properties/access.py action that every unsafe request (POST, PUT,
    PATCH, DELETE) needs at the object's property, and at the property or organization of every
    object its body names; reads need VIEW, which the selector already guarantees. A viewset
    with a `write_access` documents 403 on its unsafe operations (config/schema.py).
    """

    write_access: str | None = None

    def initial(self, request: Any, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        # The schema says no query parameter holds NUL (config/schema.py): filters refuse it
        # already; search and ordering would pass it on (PostgreSQL refuses it: a 500).
        for name, values in request.query_params.lists():
            if "\x00" in name or any("\x00" in value for value in values):
                raise serializers.ValidationError({name: ["Null characters are not allowed."]})

    def get_object(self) -> Model:
        # Unlike DRF's, list filters in the query string do not apply to a detail route.
        obj = get_owned_or_404(self.get_queryset(), pk=self.kwargs[self.lookup_field])
        self.check_object_permissions(self.request, obj)
        self.check_access(obj)
        return obj

    def required_access(self) -> str:
        if self.request.method in ("GET", "HEAD", "OPTIONS") or self.write_access is None:
            return VIEW
        return self.write_access

    def check_access(self, obj: Any) -> None:
        """403 (PermissionDenied, with the reason) unless the user's role allows this request
        at `obj`'s property or organization; 404 if they cannot see it at all."""
        action = self.required_access()
        if isinstance(obj, Organization):
            organization_check_access(
                user=self.request.user, organization=obj, action=action, superuser_sees_all=False
            )
            return
        prop = access_property(obj)
        if prop is not None:
            property_check_access(
                user=self.request.user, property=prop, action=action, superuser_sees_all=False
            )

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
        errors = json_type_errors(serializer, self.request.data)
        if errors:
            raise serializers.ValidationError(errors)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        # The objects the body names (a lead's property, a call's assistant) need the same role
        # as the request: seeing a property is not enough to add a unit to it.
        for value in data.values():
            if isinstance(value, Model):
                self.check_access(value)
        return data

    def paginated_response(
        self, queryset: QuerySet, serializer_class: type[serializers.Serializer]
    ) -> Response:
        page = self.paginate_queryset(self.filter_queryset(queryset))
        data = serializer_class(page, many=True, context=self.get_serializer_context()).data
        return self.get_paginated_response(data)
