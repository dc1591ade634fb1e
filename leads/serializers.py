"""API input and output serializers for leads, their activities and tours."""

from typing import Any

from rest_framework import serializers

from config.api import OwnedPrimaryKeyRelatedField
from leads.models import Lead, LeadActivity, Tour
from leads.selectors import lead_list
from properties.models import Property, Unit
from properties.selectors import property_list, unit_list
from properties.serializers import LONG_TEXT, TIMEZONES, DecimalStringField, PhoneField

LEAD_FIELDS = [
    "id",
    "property",
    "first_name",
    "last_name",
    "full_name",
    "phone",
    "email",
    "source",
    "status",
    "lost_reason",
    "score",
    "desired_bedrooms",
    "budget",
    "move_in_date",
    "has_pets",
    "pets",
    "preferred_language",
    "state",
    "postal_code",
    "time_zone",
    "consent_to_call",
    "consent_recorded_at",
    "do_not_call",
    "opted_out_at",
    "last_contacted_at",
    "created_at",
    "updated_at",
]


class LeadActivitySerializer(serializers.ModelSerializer):
    class Meta:
        model = LeadActivity
        fields = ["id", "kind", "text", "data", "vapi_call_id", "created_at"]
        read_only_fields = fields


class TourSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tour
        fields = [
            "id",
            "lead",
            "property",
            "unit",
            "starts_at",
            "kind",
            "status",
            "notes",
            "vapi_call_id",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class LeadSerializer(serializers.ModelSerializer):
    full_name = serializers.CharField(read_only=True)
    # Plain strings: "" (unknown) is not a valid `format: email` value.
    email = serializers.CharField(read_only=True, help_text="Empty when unknown.")
    # Blank (unknown) is a value here too: a model ChoiceField would document the states only.
    state = serializers.ChoiceField(
        choices=Lead._meta.get_field("state").choices,
        allow_blank=True,
        read_only=True,
        help_text="US state of the lead's address; empty when unknown.",
    )

    class Meta:
        model = Lead
        fields = LEAD_FIELDS
        read_only_fields = fields


class LeadDetailSerializer(LeadSerializer):
    activities = LeadActivitySerializer(many=True, read_only=True, help_text="Newest first.")
    tours = TourSerializer(many=True, read_only=True)

    class Meta:
        model = Lead
        fields = [*LEAD_FIELDS, "score_factors", "metadata", "activities", "tours"]
        read_only_fields = fields


class LeadInputSerializer(serializers.Serializer):
    first_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    phone = PhoneField(
        required=False, allow_blank=True, help_text="E.164, e.g. +14155550123; unique per property."
    )
    email = serializers.EmailField(max_length=254, required=False, allow_blank=True)
    source = serializers.ChoiceField(choices=Lead.Source.choices, required=False)
    status = serializers.ChoiceField(choices=Lead.Status.choices, required=False)
    lost_reason = serializers.CharField(max_length=255, required=False, allow_blank=True)
    desired_bedrooms = serializers.IntegerField(
        min_value=0, max_value=20, required=False, allow_null=True
    )
    budget = DecimalStringField(
        max_digits=10,
        decimal_places=2,
        required=False,
        allow_null=True,
        help_text="Max monthly rent, USD.",
    )
    move_in_date = serializers.DateField(required=False, allow_null=True)
    has_pets = serializers.BooleanField(required=False, allow_null=True)
    pets = serializers.CharField(max_length=255, required=False, allow_blank=True)
    preferred_language = serializers.CharField(max_length=10, required=False)
    state = serializers.ChoiceField(
        choices=Lead._meta.get_field("state").choices,
        required=False,
        allow_blank=True,
        help_text="US state of the lead's address (two letters): its calling rules apply.",
    )
    postal_code = serializers.CharField(max_length=10, required=False, allow_blank=True)
    # The same choices as a property's zone: any other string is refused, so the schema says so.
    time_zone = serializers.ChoiceField(
        choices=TIMEZONES,
        required=False,
        allow_blank=True,
        help_text="The lead's own IANA time zone, when known; calls must fit its hours too.",
    )
    consent_to_call = serializers.BooleanField(
        required=False,
        help_text="The lead said yes to AI-voice calls; the time is recorded. Calls need a "
        "written consent record for the number as well (the compliance gate checks it).",
    )
    do_not_call = serializers.BooleanField(
        required=False,
        help_text="Never call this lead; the opt-out time is recorded and the number goes on "
        "the organization's do-not-call list (kept when the box is unticked).",
    )


class LeadCreateInputSerializer(LeadInputSerializer):
    property = OwnedPrimaryKeyRelatedField(
        selector=property_list,
        queryset=Property.objects.all(),
        help_text="One of your properties; fixed once the lead exists.",
    )


class LeadNoteInputSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=LONG_TEXT)


class TourInputSerializer(serializers.Serializer):
    """Tour fields a client may change; `unit` must belong to the lead's property."""

    unit = OwnedPrimaryKeyRelatedField(
        selector=unit_list,
        queryset=Unit.objects.all(),
        required=False,
        allow_null=True,
        help_text="One of the property's units (optional).",
    )
    starts_at = serializers.DateTimeField(
        help_text="ISO 8601 with an offset, e.g. 2026-12-01T14:00:00-08:00."
    )
    kind = serializers.ChoiceField(choices=Tour.Kind.choices, required=False)
    status = serializers.ChoiceField(choices=Tour.Status.choices, required=False)
    notes = serializers.CharField(max_length=LONG_TEXT, required=False, allow_blank=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        lead = attrs.get("lead") or getattr(self.context.get("tour"), "lead", None)
        unit = attrs.get("unit")
        if lead is not None and unit is not None and unit.property_id != lead.property_id:
            raise serializers.ValidationError(
                {"unit": "This unit is not at the lead's property."}, code="unit_other_property"
            )
        return attrs


class TourCreateInputSerializer(TourInputSerializer):
    lead = OwnedPrimaryKeyRelatedField(
        selector=lead_list,
        queryset=Lead.objects.all(),
        help_text="One of your leads; the tour is at the lead's property.",
    )
