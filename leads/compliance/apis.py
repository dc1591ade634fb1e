"""Consents, the do-not-call list and the call-decision audit over the JWT API.

Organization-wide records (properties/access.py, "Compliance records"): every member of an
organization lists them; recording a consent or adding a suppression needs RECORD_CONSENT /
ADD_SUPPRESSION there (403 otherwise); another organization's id is a 404. There is no DELETE:
a suppression is kept at least five years (47 CFR 64.1200(d)(6)) and a decision is evidence.
"""

from typing import Any

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from config.api import ApiFilterSet, ApiViewSet, BooleanFilter, UtcDateTimeFilter, owned_filter
from leads.apis import PhoneFilter
from leads.compliance.gate import REASONS
from leads.compliance.models import CallDecision, Consent, Suppression
from leads.compliance.selectors import (
    call_decision_list,
    compliance_organization_list,
    consent_list,
    suppression_list,
)
from leads.compliance.serializers import (
    CallDecisionSerializer,
    ConsentInputSerializer,
    ConsentRevokeInputSerializer,
    ConsentSerializer,
    SuppressionInputSerializer,
    SuppressionSerializer,
)
from leads.compliance.services import consent_record, consent_revoke, suppression_add
from leads.models import Lead
from leads.selectors import lead_list
from properties.access import (
    ADD_SUPPRESSION,
    RECORD_CONSENT,
    compliance_organization_default,
    organization_check_access,
)
from properties.models import Organization

REVOKED_BY_STAFF = "Revoked by staff (API)."
LEAD_OTHER_ORGANIZATION = "This lead belongs to another organization."


class ComplianceViewSet(ApiViewSet):
    """Organization-owned rows: access is checked at the row's organization."""

    def check_access(self, obj: Any) -> None:
        organization = getattr(obj, "organization", None)
        if isinstance(organization, Organization):
            organization_check_access(
                user=self.request.user,
                organization=organization,
                action=self.required_access(),
                superuser_sees_all=False,
            )
            return
        super().check_access(obj)

    def organization_input(self, data: dict[str, Any]) -> dict[str, Any]:
        """`data` with its organization: given (and checked), or the user's only one."""
        if data.get("organization") is None:
            data["organization"] = compliance_organization_default(user=self.request.user)
            self.check_access(data["organization"])
        lead = data.get("lead")
        if lead is not None and lead.property.organization_id != data["organization"].pk:
            raise ValidationError({"lead": [LEAD_OTHER_ORGANIZATION]})
        return data


def _organization_filter() -> Any:
    return owned_filter(compliance_organization_list, Organization)


class ConsentFilter(ApiFilterSet):
    organization = _organization_filter()
    number = PhoneFilter()
    lead = owned_filter(lead_list, Lead)
    kind = django_filters.ChoiceFilter(choices=Consent.Kind.choices, help_text="Consent kind.")
    active = BooleanFilter(
        field_name="revoked_at", lookup_expr="isnull", help_text="Only live (true) or revoked."
    )

    class Meta:
        model = Consent
        fields = ["organization", "number", "lead", "kind", "active"]


class ConsentViewSet(ComplianceViewSet):
    write_access = RECORD_CONSENT
    queryset = Consent.objects.none()
    filterset_class = ConsentFilter
    ordering_fields = ["given_at", "created_at"]
    ordering = ["-given_at", "-id"]

    def get_queryset(self):
        return consent_list(user=self.request.user)

    @extend_schema(
        summary="List the consents of your organizations",
        responses=ConsentSerializer(many=True),
    )
    def list(self, request: Request) -> Response:
        return self.paginated_response(self.get_queryset(), ConsentSerializer)

    @extend_schema(
        summary="Record a consent to be called",
        description=(
            "Records one consent, exactly as given, for one number and one organization. An "
            "AI-voice leasing call needs `pewc_ai_voice` (written consent naming your "
            "organization); `pec_informational` covers informational calls only. Needs a role "
            "that works leads across the organization (admin, manager, organization-wide agent); "
            "read-only members and agents limited to assigned properties get 403."
        ),
        request=ConsentInputSerializer,
        responses={201: ConsentSerializer},
    )
    def create(self, request: Request) -> Response:
        data = self.organization_input(self.validated_input(ConsentInputSerializer))
        consent = consent_record(recorded_by=request.user, **data)
        return Response(ConsentSerializer(consent).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Revoke a consent",
        description="Idempotent: a consent revoked before keeps its first revocation.",
        request=ConsentRevokeInputSerializer,
        responses=ConsentSerializer,
    )
    @action(detail=True, methods=["post"], url_path="revoke")
    def revoke(self, request: Request, pk: str) -> Response:
        consent = self.get_object()
        how = self.validated_input(ConsentRevokeInputSerializer).get("how") or REVOKED_BY_STAFF
        consent = consent_revoke(consent=consent, how=how)
        return Response(ConsentSerializer(consent).data)


class SuppressionFilter(ApiFilterSet):
    organization = _organization_filter()
    number = PhoneFilter()
    source = django_filters.ChoiceFilter(choices=Suppression.Source.choices, help_text="Channel.")

    class Meta:
        model = Suppression
        fields = ["organization", "number", "source"]


class SuppressionViewSet(ComplianceViewSet):
    write_access = ADD_SUPPRESSION
    queryset = Suppression.objects.none()
    filterset_class = SuppressionFilter
    ordering_fields = ["created_at"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        return suppression_list(user=self.request.user)

    @extend_schema(
        summary="List the do-not-call list of your organizations",
        responses=SuppressionSerializer(many=True),
    )
    def list(self, request: Request) -> Response:
        return self.paginated_response(self.get_queryset(), SuppressionSerializer)

    @extend_schema(
        summary="Add a number to the do-not-call list (staff entry)",
        description=(
            "Every AI call and text of the organization to this number is refused from now on "
            "(`opted_out`). Idempotent: a number already on the list keeps its first entry (200); "
            "a new entry is 201. Entries are never deleted (kept at least five years). Needs a "
            "role that works leads across the organization; read-only members and agents limited "
            "to assigned properties get 403."
        ),
        request=SuppressionInputSerializer,
        responses={200: SuppressionSerializer, 201: SuppressionSerializer},
    )
    def create(self, request: Request) -> Response:
        data = self.organization_input(self.validated_input(SuppressionInputSerializer))
        existed = Suppression.objects.filter(
            organization=data["organization"], number=data["number"]
        ).exists()
        suppression = suppression_add(
            source=Suppression.Source.STAFF, created_by=request.user, **data
        )
        code = status.HTTP_200_OK if existed else status.HTTP_201_CREATED
        return Response(SuppressionSerializer(suppression).data, status=code)


class CallDecisionFilter(ApiFilterSet):
    organization = _organization_filter()
    number = PhoneFilter()
    lead = owned_filter(lead_list, Lead)
    decision = django_filters.ChoiceFilter(
        choices=CallDecision.Decision.choices, help_text="allowed or refused."
    )
    reason = django_filters.ChoiceFilter(
        choices=[(reason, reason) for reason in REASONS], help_text="Refusal reason code."
    )
    path = django_filters.ChoiceFilter(
        choices=CallDecision.Path.choices, help_text="Where the call was asked for."
    )
    since = UtcDateTimeFilter(
        field_name="created_at", lookup_expr="gte", help_text="Decided at or after (ISO 8601)."
    )

    class Meta:
        model = CallDecision
        fields = ["organization", "number", "lead", "decision", "reason", "path", "since"]


class CallDecisionViewSet(ComplianceViewSet):
    queryset = CallDecision.objects.none()
    filterset_class = CallDecisionFilter
    ordering_fields = ["created_at"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        return call_decision_list(user=self.request.user)

    @extend_schema(
        summary="List call decisions (the read-only compliance audit)",
        description="Every allowed or refused call of your organizations, newest first.",
        responses=CallDecisionSerializer(many=True),
    )
    def list(self, request: Request) -> Response:
        return self.paginated_response(self.get_queryset(), CallDecisionSerializer)
