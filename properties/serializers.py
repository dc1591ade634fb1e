"""API input and output serializers for properties, office hours and units."""

import itertools
import re
import zoneinfo
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.api import OwnedPrimaryKeyRelatedField
from properties.access import ROLE_ACTIONS
from properties.models import (
    Membership,
    OfficeHours,
    Organization,
    Property,
    Unit,
    validate_timezone,
)
from properties.phone import PHONE_INVALID, phone_normalize
from properties.selectors import organization_list, property_list

LONG_TEXT = 10_000
# The schema's custom string format for phone numbers: JSON Schema cannot say which numbers
# `phonenumbers` deems valid, so clients (and the API fuzz run) are told the name of the rule.
PHONE_FORMAT = "phone"
TIMEZONES = sorted(zoneinfo.available_timezones())


@extend_schema_field({"type": "string", "format": PHONE_FORMAT, "example": "+14155550100"})
class PhoneField(serializers.CharField):
    """A phone number, stored and returned in E.164 (`+14155550100`).

    Numbers without a country code are read in PHONE_DEFAULT_REGION; anything `phonenumbers`
    cannot validate is a field error.
    """

    default_error_messages = {"invalid_phone": PHONE_INVALID}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 32)
        kwargs.setdefault("help_text", "Phone number in E.164, e.g. +14155550100.")
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        value = super().to_internal_value(data)
        if not value:
            return value
        try:
            return phone_normalize(value)
        except DjangoValidationError:
            self.fail("invalid_phone")
            raise  # unreachable: fail() raises


@extend_schema_field(
    {
        "type": "string",
        "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$",
    }
)
class LocalTimeField(serializers.TimeField):
    """A wall-clock time without offset, "HH:MM" (OpenAPI's `format: time` demands an offset)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("format", "%H:%M")
        kwargs.setdefault("input_formats", ["%H:%M", "%H:%M:%S"])
        super().__init__(**kwargs)


class DecimalStringField(serializers.DecimalField):
    """A non-negative decimal sent as a JSON string of digits, e.g. "1250.00".

    Stricter than DRF's DecimalField, which also takes numbers, exponents, signs, spaces and
    underscores: the schema's pattern (below) and this check are the same rule.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 0)
        super().__init__(**kwargs)
        self.pattern = (
            rf"^\d{{1,{self.max_digits - self.decimal_places}}}(\.\d{{1,{self.decimal_places}}})?$"
        )

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str) or not re.fullmatch(self.pattern, data):
            self.fail("invalid")
        return super().to_internal_value(data)


class DecimalStringFieldSchema(OpenApiSerializerFieldExtension):
    target_class = DecimalStringField

    def map_serializer_field(self, auto_schema: Any, direction: str) -> dict[str, Any]:
        return {"type": "string", "format": "decimal", "pattern": self.target.pattern}


class OfficeHoursSerializer(serializers.Serializer):
    weekday = serializers.ChoiceField(
        choices=OfficeHours.Weekday.choices, help_text="0 = Monday ... 6 = Sunday."
    )
    opens_at = LocalTimeField(help_text="Local time in the property's time zone, HH:MM.")
    closes_at = LocalTimeField(help_text="Local time, HH:MM; after `opens_at`.")

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        # A PATCH makes DRF skip missing required fields in nested items too; hours are whole
        # items, whatever the request.
        if isinstance(data, Mapping):
            missing = {
                name: [field.error_messages["required"]]
                for name, field in self.fields.items()
                if field.required and name not in data
            }
            if missing:
                raise serializers.ValidationError(missing)
        return super().to_internal_value(data)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["closes_at"] <= attrs["opens_at"]:
            raise serializers.ValidationError({"closes_at": "Closing time must be after opening."})
        return attrs


@extend_schema_field({"type": "string", "minLength": 1, "maxLength": 200})
class AmenityField(serializers.CharField):
    """An amenity, not blank (drf-spectacular leaves out minLength for list items)."""


class PropertySerializer(serializers.ModelSerializer):
    office_hours = OfficeHoursSerializer(many=True, read_only=True)
    amenities = serializers.ListField(
        source="amenity_list", child=serializers.CharField(), read_only=True
    )

    class Meta:
        model = Property
        fields = [
            "id",
            "organization",
            "name",
            "address_line",
            "city",
            "state",
            "postal_code",
            "full_address",
            "timezone",
            "leasing_phone",
            "transfer_phone",
            "tour_slot_minutes",
            "tours_per_slot",
            "pets_allowed",
            "pet_policy",
            "parking_policy",
            "application_fee",
            "application_fee_policy",
            "amenities",
            "knowledge",
            "office_hours",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class PropertyInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    address_line = serializers.CharField(max_length=255, help_text="Street address.")
    city = serializers.CharField(max_length=100)
    state = serializers.CharField(max_length=100)
    postal_code = serializers.CharField(max_length=20)
    timezone = serializers.ChoiceField(
        choices=TIMEZONES,
        required=False,
        validators=[validate_timezone],
        help_text="IANA time zone, e.g. America/Los_Angeles (the default).",
    )
    leasing_phone = PhoneField(
        required=False,
        allow_blank=True,
        help_text="The number prospects call, E.164; unique across properties.",
    )
    transfer_phone = PhoneField(
        required=False, allow_blank=True, help_text="Staff number for transfers, E.164."
    )
    tour_slot_minutes = serializers.IntegerField(required=False, min_value=5, max_value=480)
    tours_per_slot = serializers.IntegerField(required=False, min_value=1, max_value=100)
    pets_allowed = serializers.BooleanField(required=False)
    pet_policy = serializers.CharField(required=False, allow_blank=True, max_length=LONG_TEXT)
    parking_policy = serializers.CharField(required=False, allow_blank=True, max_length=LONG_TEXT)
    application_fee = DecimalStringField(max_digits=8, decimal_places=2, required=False)
    application_fee_policy = serializers.CharField(
        required=False, allow_blank=True, max_length=LONG_TEXT
    )
    amenities = serializers.ListField(
        child=AmenityField(max_length=200), max_length=100, required=False
    )
    knowledge = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=LONG_TEXT,
        help_text="Anything else the assistant should know (specials, directions...).",
    )
    office_hours = OfficeHoursSerializer(
        many=True,
        required=False,
        max_length=50,
        help_text="The whole week; when given, replaces the current office hours.",
    )

    def validate_office_hours(self, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        by_day = sorted(value, key=lambda hours: (hours["weekday"], hours["opens_at"]))
        for earlier, later in itertools.pairwise(by_day):
            if earlier["weekday"] == later["weekday"] and later["opens_at"] < earlier["closes_at"]:
                raise serializers.ValidationError("Office hours on the same day must not overlap.")
        return value


class PropertyCreateInputSerializer(PropertyInputSerializer):
    organization = OwnedPrimaryKeyRelatedField(
        selector=organization_list,
        queryset=Organization.objects.all(),
        required=False,
        help_text=(
            "One of your organizations (GET /api/v1/me/organizations); may be left out when you "
            "can add properties to only one. Fixed once the property exists. The time zone "
            "defaults to the organization's."
        ),
    )


class UnitSerializer(serializers.ModelSerializer):
    class Meta:
        model = Unit
        fields = [
            "id",
            "property",
            "unit_number",
            "floor_plan",
            "bedrooms",
            "bathrooms",
            "square_feet",
            "monthly_rent",
            "available_from",
            "status",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class UnitInputSerializer(serializers.Serializer):
    unit_number = serializers.CharField(max_length=20)
    floor_plan = serializers.CharField(max_length=100, required=False, allow_blank=True)
    bedrooms = serializers.IntegerField(min_value=0, max_value=20, help_text="0 for a studio.")
    bathrooms = DecimalStringField(max_digits=3, decimal_places=1)
    square_feet = serializers.IntegerField(
        min_value=0, max_value=1_000_000, required=False, allow_null=True
    )
    monthly_rent = DecimalStringField(max_digits=10, decimal_places=2)
    available_from = serializers.DateField(required=False, allow_null=True)
    status = serializers.ChoiceField(choices=Unit.Status.choices, required=False)


class UnitCreateInputSerializer(UnitInputSerializer):
    property = OwnedPrimaryKeyRelatedField(
        selector=property_list,
        queryset=Property.objects.all(),
        help_text="One of your properties; fixed once the unit exists.",
    )


class MembershipSerializer(serializers.ModelSerializer):
    """One of the user's organizations, with their role there (GET /api/v1/me/organizations)."""

    id = serializers.IntegerField(source="organization.id", read_only=True)
    name = serializers.CharField(source="organization.name", read_only=True)
    legal_name = serializers.CharField(source="organization.legal_name", read_only=True)
    timezone = serializers.CharField(source="organization.timezone", read_only=True)
    role = serializers.ChoiceField(choices=Membership.Role.choices, read_only=True)
    role_label = serializers.CharField(source="get_role_display", read_only=True)
    assigned_properties = serializers.PrimaryKeyRelatedField(
        source="properties",
        many=True,
        read_only=True,
        help_text=(
            "Leasing agents: the properties they work (empty: all of the organization's). "
            "Always empty for the other roles, who cover the whole organization."
        ),
    )
    permissions = serializers.SerializerMethodField(
        help_text="What the role allows: view, work_leads, edit_property, "
        "configure_assistant, manage_members."
    )

    class Meta:
        model = Membership
        fields = [
            "id",
            "name",
            "legal_name",
            "timezone",
            "role",
            "role_label",
            "assigned_properties",
            "permissions",
        ]
        read_only_fields = fields

    def get_permissions(self, membership: Membership) -> list[str]:
        return sorted(ROLE_ACTIONS[membership.role])
