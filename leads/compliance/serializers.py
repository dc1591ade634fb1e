"""API input and output serializers for consents, the do-not-call list and call decisions."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.api import OwnedPrimaryKeyRelatedField
from leads.compliance.models import CallDecision, Consent, Suppression
from leads.compliance.selectors import compliance_organization_list
from leads.models import Lead
from leads.selectors import lead_list
from properties.models import Organization
from properties.serializers import PhoneField

ORGANIZATION_HELP = (
    "One of your organizations (GET /api/v1/me/organizations); may be left out when you belong "
    "to exactly one."
)


@extend_schema_field(
    {"type": "string", "anyOf": [{"format": "ipv4"}, {"format": "ipv6"}], "nullable": True}
)
class IpAddressField(serializers.IPAddressField):
    """An IPv4 or IPv6 address, as the schema says (DRF's field documents no format)."""


@extend_schema_field(
    {
        "type": "string",
        "maxLength": 500,
        "pattern": r"^(https?://([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(/[!-~]*)?)?$",
    }
)
class WebUrlField(serializers.URLField):
    """An http(s) URL or "", documented as the pattern Django's URL check accepts (JSON
    Schema's `format: uri` also takes host labels longer than 63 characters)."""


class ConsentSerializer(serializers.ModelSerializer):
    # Plain strings: "" (none given) is not a valid `format: uri` value.
    evidence_url = serializers.CharField(read_only=True, help_text="Form URL; empty when none.")
    recording_url = serializers.CharField(read_only=True, help_text="Empty when none.")

    class Meta:
        model = Consent
        fields = [
            "id",
            "organization",
            "number",
            "kind",
            "disclosure",
            "source",
            "signature_method",
            "evidence_url",
            "evidence_ip",
            "recording_url",
            "evidence_note",
            "given_at",
            "recorded_by",
            "revoked_at",
            "revoked_how",
            "reassigned_checked_at",
            "lead",
            "created_at",
        ]
        read_only_fields = fields


class _OrganizationInputSerializer(serializers.Serializer):
    organization = OwnedPrimaryKeyRelatedField(
        selector=compliance_organization_list,
        queryset=Organization.objects.all(),
        required=False,
        help_text=ORGANIZATION_HELP,
    )
    lead = OwnedPrimaryKeyRelatedField(
        selector=lead_list,
        queryset=Lead.objects.all(),
        required=False,
        allow_null=True,
        help_text="One of your leads, for the record (optional).",
    )


class ConsentInputSerializer(_OrganizationInputSerializer):
    number = PhoneField(help_text="The exact number consented to (E.164); consent is per number.")
    kind = serializers.ChoiceField(choices=Consent.Kind.choices)
    disclosure = serializers.CharField(
        max_length=10_000, help_text="The disclosure exactly as the person saw or heard it."
    )
    source = serializers.ChoiceField(choices=Consent.Source.choices)
    given_at = serializers.DateTimeField(
        required=False, help_text="When it was given (ISO 8601); default: now."
    )
    signature_method = serializers.CharField(max_length=100, required=False, allow_blank=True)
    evidence_url = WebUrlField(max_length=500, required=False, allow_blank=True)
    evidence_ip = IpAddressField(required=False, allow_null=True)
    recording_url = WebUrlField(max_length=500, required=False, allow_blank=True)
    evidence_note = serializers.CharField(max_length=10_000, required=False, allow_blank=True)
    reassigned_checked_at = serializers.DateField(
        required=False,
        allow_null=True,
        help_text=(
            "Day of the last reassigned-numbers (FCC RND) check that found the number still the "
            "person's; needed for consent older than COMPLIANCE_CONSENT_RECHECK_DAYS."
        ),
    )


class ConsentRevokeInputSerializer(serializers.Serializer):
    how = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        help_text='How the person revoked it ("email to the office"); default: staff entry.',
    )


class SuppressionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Suppression
        fields = [
            "id",
            "organization",
            "number",
            "source",
            "note",
            "vapi_call_id",
            "lead",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields


class SuppressionInputSerializer(_OrganizationInputSerializer):
    number = PhoneField(help_text="The number that must not be called (E.164).")
    note = serializers.CharField(
        max_length=10_000,
        required=False,
        allow_blank=True,
        help_text='How the person asked ("lead emailed: don\'t call").',
    )


class CallDecisionSerializer(serializers.ModelSerializer):
    class Meta:
        model = CallDecision
        fields = [
            "id",
            "organization",
            "requested_by",
            "path",
            "purpose",
            "number",
            "lead",
            "lead_ref",
            "consent",
            "consent_ref",
            "timezones",
            "states",
            "local_times",
            "rules",
            "dnc_snapshot_at",
            "decision",
            "reason",
            "message",
            "next_allowed_at",
            "created_at",
        ]
        read_only_fields = fields
