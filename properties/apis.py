"""Properties (with office hours) and units: CRUD over the JWT API, scoped by membership."""

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import (
    ApiFilterSet,
    ApiViewSet,
    BooleanFilter,
    DateFilter,
    integer_filter,
    money_filter,
    owned_filter,
)
from properties.access import EDIT_PROPERTY, membership_list, organization_default
from properties.models import Property, Unit
from properties.selectors import property_list, unit_list
from properties.serializers import (
    MembershipSerializer,
    PropertyCreateInputSerializer,
    PropertyInputSerializer,
    PropertySerializer,
    UnitCreateInputSerializer,
    UnitInputSerializer,
    UnitSerializer,
)
from properties.services import (
    property_create,
    property_delete,
    property_update,
    unit_create,
    unit_delete,
    unit_update,
)


class PropertyFilter(ApiFilterSet):
    city = django_filters.CharFilter(lookup_expr="iexact", help_text="City (exact, any case).")
    state = django_filters.CharFilter(lookup_expr="iexact", help_text="State (exact, any case).")
    postal_code = django_filters.CharFilter(help_text="Postal code (exact).")
    pets_allowed = BooleanFilter(help_text="Only properties that allow pets.")

    class Meta:
        model = Property
        fields = ["city", "state", "postal_code", "pets_allowed"]


class PropertyViewSet(ApiViewSet):
    write_access = EDIT_PROPERTY
    conflict_actions = ("create", "update", "partial_update")  # leasing phone in use
    queryset = Property.objects.none()
    filterset_class = PropertyFilter
    search_fields = ["name", "address_line", "city", "postal_code"]
    ordering_fields = ["name", "city", "created_at"]
    ordering = ["name", "id"]

    def get_queryset(self):
        return property_list(user=self.request.user)

    @extend_schema(summary="List your properties", responses=PropertySerializer(many=True))
    def list(self, request: Request) -> Response:
        return self.paginated_response(self.get_queryset(), PropertySerializer)

    @extend_schema(
        summary="Create a property",
        request=PropertyCreateInputSerializer,
        responses={201: PropertySerializer},
    )
    def create(self, request: Request) -> Response:
        data = self.validated_input(PropertyCreateInputSerializer)
        if "organization" not in data:
            data["organization"] = organization_default(
                user=request.user, action=EDIT_PROPERTY, superuser_sees_all=False
            )
            self.check_access(data["organization"])
        prop = property_create(**data)
        return Response(PropertySerializer(prop).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Get a property with its office hours", responses=PropertySerializer)
    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(PropertySerializer(self.get_object()).data)

    @extend_schema(
        summary="Replace a property",
        request=PropertyInputSerializer,
        responses=PropertySerializer,
    )
    def update(self, request: Request, pk: str) -> Response:
        prop = self.get_object()
        prop = property_update(prop=prop, **self.validated_input(PropertyInputSerializer))
        return Response(PropertySerializer(prop).data)

    @extend_schema(
        summary="Change some fields of a property",
        request=PropertyInputSerializer,
        responses=PropertySerializer,
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        prop = self.get_object()
        data = self.validated_input(PropertyInputSerializer, partial=True)
        prop = property_update(prop=prop, **data)
        return Response(PropertySerializer(prop).data)

    @extend_schema(
        summary="Delete a property (and its units, leads, tours and assistants)",
        responses={204: None},
    )
    def destroy(self, request: Request, pk: str) -> Response:
        property_delete(prop=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class UnitFilter(ApiFilterSet):
    property = owned_filter(property_list, Property)
    status = django_filters.MultipleChoiceFilter(
        choices=Unit.Status.choices, help_text="Unit status; repeat for several."
    )
    bedrooms = integer_filter("Exact bedroom count (0 = studio).")
    min_rent = money_filter(
        "Monthly rent at least this.", field_name="monthly_rent", lookup_expr="gte"
    )
    max_rent = money_filter(
        "Monthly rent at most this.", field_name="monthly_rent", lookup_expr="lte"
    )
    available_by = DateFilter(
        field_name="available_from",
        lookup_expr="lte",
        help_text="Available on or before this date (YYYY-MM-DD).",
    )

    class Meta:
        model = Unit
        fields = ["property", "status", "bedrooms", "min_rent", "max_rent", "available_by"]


class UnitViewSet(ApiViewSet):
    write_access = EDIT_PROPERTY
    conflict_actions = ("create", "update", "partial_update")  # unit number in use
    queryset = Unit.objects.none()
    filterset_class = UnitFilter
    search_fields = ["unit_number", "floor_plan"]
    ordering_fields = ["unit_number", "monthly_rent", "bedrooms", "available_from", "created_at"]
    ordering = ["property_id", "unit_number", "id"]

    def get_queryset(self):
        return unit_list(user=self.request.user)

    @extend_schema(summary="List units of your properties", responses=UnitSerializer(many=True))
    def list(self, request: Request) -> Response:
        return self.paginated_response(self.get_queryset(), UnitSerializer)

    @extend_schema(
        summary="Create a unit", request=UnitCreateInputSerializer, responses={201: UnitSerializer}
    )
    def create(self, request: Request) -> Response:
        data = self.validated_input(UnitCreateInputSerializer)
        unit = unit_create(prop=data.pop("property"), **data)
        return Response(UnitSerializer(unit).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Get a unit", responses=UnitSerializer)
    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(UnitSerializer(self.get_object()).data)

    @extend_schema(summary="Replace a unit", request=UnitInputSerializer, responses=UnitSerializer)
    def update(self, request: Request, pk: str) -> Response:
        unit = unit_update(unit=self.get_object(), **self.validated_input(UnitInputSerializer))
        return Response(UnitSerializer(unit).data)

    @extend_schema(
        summary="Change some fields of a unit",
        request=UnitInputSerializer,
        responses=UnitSerializer,
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        data = self.validated_input(UnitInputSerializer, partial=True)
        unit = unit_update(unit=self.get_object(), **data)
        return Response(UnitSerializer(unit).data)

    @extend_schema(summary="Delete a unit", responses={204: None})
    def destroy(self, request: Request, pk: str) -> Response:
        unit_delete(unit=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class MyOrganizationsApi(APIView):
    """The organizations the user belongs to, their role and what it allows."""

    @extend_schema(
        summary="List your organizations and your role in each",
        responses=MembershipSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        memberships = membership_list(user=request.user)
        return Response(MembershipSerializer(memberships, many=True).data)
