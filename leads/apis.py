"""Leads (with activities and tours), notes and tours: CRUD over the JWT API, by membership."""

import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from config.api import ApiFilterSet, ApiViewSet, UtcDateTimeFilter, owned_filter
from leads.models import Lead, Tour
from leads.selectors import lead_detail_list, lead_list, tour_list
from leads.serializers import (
    LeadActivitySerializer,
    LeadCreateInputSerializer,
    LeadDetailSerializer,
    LeadInputSerializer,
    LeadNoteInputSerializer,
    LeadSerializer,
    TourCreateInputSerializer,
    TourInputSerializer,
    TourSerializer,
)
from leads.services import (
    lead_create,
    lead_delete,
    lead_note_create,
    lead_update,
    tour_create,
    tour_delete,
    tour_update,
)
from properties.access import WORK_LEADS
from properties.models import Property, Unit
from properties.selectors import property_list, unit_list
from properties.serializers import PHONE_FORMAT


@extend_schema_field(
    {"type": "string", "format": PHONE_FORMAT, "description": "Exact phone number in E.164."}
)
class PhoneFilter(django_filters.CharFilter):
    """Lead.phone validates the value: anything but a valid number is a 400."""


class LeadFilter(ApiFilterSet):
    property = owned_filter(property_list, Property)
    status = django_filters.MultipleChoiceFilter(
        choices=Lead.Status.choices, help_text="Lead status; repeat for several."
    )
    source = django_filters.MultipleChoiceFilter(
        choices=Lead.Source.choices, help_text="Lead source; repeat for several."
    )
    phone = PhoneFilter()
    created_after = UtcDateTimeFilter(
        field_name="created_at", lookup_expr="gte", help_text="Created at or after (ISO 8601)."
    )
    created_before = UtcDateTimeFilter(
        field_name="created_at", lookup_expr="lt", help_text="Created before (ISO 8601)."
    )

    class Meta:
        model = Lead
        fields = ["property", "status", "source", "phone", "created_after", "created_before"]


class LeadViewSet(ApiViewSet):
    write_access = WORK_LEADS
    conflict_actions = ("create", "update", "partial_update")  # phone in use
    queryset = Lead.objects.none()
    filterset_class = LeadFilter
    search_fields = ["first_name", "last_name", "email", "phone"]
    ordering_fields = ["created_at", "updated_at", "score", "last_contacted_at", "last_name"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        if self.action == "retrieve":
            return lead_detail_list(user=self.request.user)
        return lead_list(user=self.request.user)

    @extend_schema(summary="List leads of your properties", responses=LeadSerializer(many=True))
    def list(self, request: Request) -> Response:
        return self.paginated_response(self.get_queryset(), LeadSerializer)

    @extend_schema(
        summary="Create a lead",
        description="The phone number is validated and stored in E.164; a bad one is a 400.",
        request=LeadCreateInputSerializer,
        responses={201: LeadSerializer},
    )
    def create(self, request: Request) -> Response:
        data = self.validated_input(LeadCreateInputSerializer)
        lead = lead_create(prop=data.pop("property"), **data)
        return Response(LeadSerializer(lead).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Get a lead with its activities and tours", responses=LeadDetailSerializer
    )
    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(LeadDetailSerializer(self.get_object()).data)

    @extend_schema(summary="Replace a lead", request=LeadInputSerializer, responses=LeadSerializer)
    def update(self, request: Request, pk: str) -> Response:
        lead = self.get_object()
        lead = lead_update(lead=lead, **self.validated_input(LeadInputSerializer))
        return Response(LeadSerializer(lead).data)

    @extend_schema(
        summary="Change some fields of a lead",
        description="A status change is recorded as a `status_changed` activity.",
        request=LeadInputSerializer,
        responses=LeadSerializer,
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        lead = self.get_object()
        lead = lead_update(lead=lead, **self.validated_input(LeadInputSerializer, partial=True))
        return Response(LeadSerializer(lead).data)

    @extend_schema(summary="Delete a lead with its activities and tours", responses={204: None})
    def destroy(self, request: Request, pk: str) -> Response:
        lead_delete(lead=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Add a note to a lead",
        request=LeadNoteInputSerializer,
        responses={201: LeadActivitySerializer},
    )
    @action(detail=True, methods=["post"], url_path="notes")
    def notes(self, request: Request, pk: str) -> Response:
        lead = self.get_object()
        activity = lead_note_create(
            lead=lead, user=request.user, **self.validated_input(LeadNoteInputSerializer)
        )
        return Response(LeadActivitySerializer(activity).data, status=status.HTTP_201_CREATED)


class TourFilter(ApiFilterSet):
    property = owned_filter(property_list, Property)
    lead = owned_filter(lead_list, Lead)
    unit = owned_filter(unit_list, Unit)
    status = django_filters.MultipleChoiceFilter(
        choices=Tour.Status.choices, help_text="Tour status; repeat for several."
    )
    kind = django_filters.ChoiceFilter(choices=Tour.Kind.choices, help_text="Tour kind.")
    starts_after = UtcDateTimeFilter(
        field_name="starts_at", lookup_expr="gte", help_text="Starts at or after (ISO 8601)."
    )
    starts_before = UtcDateTimeFilter(
        field_name="starts_at", lookup_expr="lt", help_text="Starts before (ISO 8601)."
    )

    class Meta:
        model = Tour
        fields = ["property", "lead", "unit", "status", "kind", "starts_after", "starts_before"]


class TourViewSet(ApiViewSet):
    write_access = WORK_LEADS
    conflict_actions = ("create", "update", "partial_update")  # unit of another property
    queryset = Tour.objects.none()
    filterset_class = TourFilter
    search_fields = ["lead__first_name", "lead__last_name", "lead__phone", "notes"]
    ordering_fields = ["starts_at", "created_at"]
    ordering = ["starts_at", "id"]

    def get_queryset(self):
        return tour_list(user=self.request.user)

    @extend_schema(summary="List tours at your properties", responses=TourSerializer(many=True))
    def list(self, request: Request) -> Response:
        return self.paginated_response(self.get_queryset(), TourSerializer)

    @extend_schema(
        summary="Book a tour for a lead",
        description="The tour is at the lead's property; a `tour_scheduled` activity is added.",
        request=TourCreateInputSerializer,
        responses={201: TourSerializer},
    )
    def create(self, request: Request) -> Response:
        data = self.validated_input(TourCreateInputSerializer)
        tour = tour_create(lead=data.pop("lead"), **data)
        return Response(TourSerializer(tour).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Get a tour", responses=TourSerializer)
    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(TourSerializer(self.get_object()).data)

    @extend_schema(summary="Replace a tour", request=TourInputSerializer, responses=TourSerializer)
    def update(self, request: Request, pk: str) -> Response:
        tour = self.get_object()
        tour = tour_update(tour=tour, **self.validated_input(TourInputSerializer, tour=tour))
        return Response(TourSerializer(tour).data)

    @extend_schema(
        summary="Change some fields of a tour (reschedule, cancel, complete)",
        request=TourInputSerializer,
        responses=TourSerializer,
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        tour = self.get_object()
        data = self.validated_input(TourInputSerializer, partial=True, tour=tour)
        tour = tour_update(tour=tour, **data)
        return Response(TourSerializer(tour).data)

    @extend_schema(summary="Delete a tour", responses={204: None})
    def destroy(self, request: Request, pk: str) -> Response:
        tour_delete(tour=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
