"""Campaigns over the JWT API: list, create and read them, move them through their states, list
their contacts and preview what the compliance gate would say about each lead.

Campaigns belong to a property (properties/access.py): everyone who sees the property sees its
campaigns; creating or moving one needs WORK_LEADS there (it places calls), 403 otherwise;
another organization's campaign is a 404. Nothing here dials: the runner comes later.
"""

from collections.abc import Callable

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from config.api import ApiViewSet
from properties.access import WORK_LEADS
from voice.campaigns.models import Campaign
from voice.campaigns.selectors import (
    campaign_audience_preview,
    campaign_contact_list,
    campaign_list,
    campaign_progress,
)
from voice.campaigns.serializers import (
    AudienceEntrySerializer,
    CampaignContactSerializer,
    CampaignInputSerializer,
    CampaignProgressSerializer,
    CampaignSerializer,
)
from voice.campaigns.services import (
    campaign_cancel,
    campaign_create,
    campaign_pause,
    campaign_resume,
    campaign_start,
)

ILLEGAL_MOVE = (
    " A move the campaign's status does not allow is a 409 `conflict` whose message names the "
    "status (draft -> running <-> paused -> finished or cancelled)."
)


class CampaignViewSet(ApiViewSet):
    write_access = WORK_LEADS
    queryset = Campaign.objects.none()
    search_fields = ["name"]
    ordering_fields = ["created_at", "name"]
    ordering = ["-created_at", "-id"]
    conflict_actions = ("start", "pause", "resume", "cancel")

    def get_queryset(self):
        return campaign_list(user=self.request.user).select_related("property")

    @extend_schema(
        summary="List the outbound campaigns of your properties",
        responses=CampaignSerializer(many=True),
    )
    def list(self, request: Request) -> Response:
        return self.paginated_response(self.get_queryset(), CampaignSerializer)

    @extend_schema(
        summary="Create an outbound campaign (a draft)",
        description=(
            "The campaign calls the leads of the assistant's property that `audience` matches, "
            "once started. Nothing is dialled yet."
        ),
        request=CampaignInputSerializer,
        responses={201: CampaignSerializer},
    )
    def create(self, request: Request) -> Response:
        data = self.validated_input(CampaignInputSerializer)
        prop = data["assistant"].property
        campaign = campaign_create(
            organization=prop.organization, property=prop, created_by=request.user, **data
        )
        return Response(CampaignSerializer(campaign).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Get an outbound campaign", responses=CampaignSerializer)
    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(CampaignSerializer(self.get_object()).data)

    def _move(self, service: Callable[..., Campaign]) -> Response:
        campaign = service(campaign=self.get_object())
        return Response(CampaignSerializer(campaign).data)

    @extend_schema(
        summary="Start a draft campaign",
        description="Freezes the audience into contacts: leads added later are not called."
        + ILLEGAL_MOVE,
        request=None,
        responses=CampaignSerializer,
    )
    @action(detail=True, methods=["post"])
    def start(self, request: Request, pk: str) -> Response:
        return self._move(campaign_start)

    @extend_schema(
        summary="Pause a running campaign",
        request=None,
        responses=CampaignSerializer,
        description="No new calls; calls in progress go on." + ILLEGAL_MOVE,
    )
    @action(detail=True, methods=["post"])
    def pause(self, request: Request, pk: str) -> Response:
        return self._move(campaign_pause)

    @extend_schema(
        summary="Resume a paused campaign",
        description=ILLEGAL_MOVE.strip(),
        request=None,
        responses=CampaignSerializer,
    )
    @action(detail=True, methods=["post"])
    def resume(self, request: Request, pk: str) -> Response:
        return self._move(campaign_resume)

    @extend_schema(
        summary="Cancel a campaign",
        description="Contacts not dialled yet are skipped (`cancelled`); calls in progress end "
        "on their own." + ILLEGAL_MOVE,
        request=None,
        responses=CampaignSerializer,
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        return self._move(campaign_cancel)

    @extend_schema(
        summary="List a campaign's contacts",
        description="Empty until the campaign starts.",
        responses=CampaignContactSerializer(many=True),
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def contacts(self, request: Request, pk: str) -> Response:
        contacts = campaign_contact_list(campaign=self.get_object())
        return Response(CampaignContactSerializer(contacts, many=True).data)

    @extend_schema(
        summary="Preview a campaign's audience against the calling rules",
        description=(
            "For each lead (the filter's leads before the start, the frozen contacts after): "
            "would the compliance gate allow a call now, and if not its reason code, why and "
            "the next allowed moment. Suppressed and do-not-call leads are listed, refused. "
            "Reads only: no decision is recorded."
        ),
        responses=AudienceEntrySerializer(many=True),
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def preview(self, request: Request, pk: str) -> Response:
        entries = campaign_audience_preview(campaign=self.get_object(), at=timezone.now())
        return Response(AudienceEntrySerializer(entries, many=True).data)

    @extend_schema(
        summary="Get a campaign's progress",
        description=(
            "Contacts per state, calls in progress, tours booked, cost so far and per booked "
            "tour: the numbers of the admin's live progress page."
        ),
        responses=CampaignProgressSerializer,
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def progress(self, request: Request, pk: str) -> Response:
        progress = campaign_progress(campaign=self.get_object())
        return Response(CampaignProgressSerializer(progress).data)
