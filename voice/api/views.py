"""Voice API: assistants (created, changed and deleted at Vapi, then locally), placing outbound
calls, and the call log.

Every write talks to Vapi through one service (voice/assistants/services.py,
voice/calls/outbound.py) that calls Vapi first and writes the local row only once Vapi has answered,
so a VoiceError (503 voice_unavailable, config/errors.py) never leaves a half-written row. The
actions that call Vapi are named in `voice_actions`, which documents that 503 in the schema
(config/schema.py)."""

import django_filters
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.filters import OrderingFilter
from rest_framework.request import Request
from rest_framework.response import Response

from config.api import (
    VOICE_CALL_THROTTLE_SCOPE,
    ApiFilterSet,
    ApiViewSet,
    UtcDateTimeFilter,
    get_owned_or_404,
    owned_filter,
)
from config.pagination import CursorPagination
from config.schema import error_response
from leads.models import CallDecision, Lead
from leads.selectors import lead_list
from properties.access import CONFIGURE_ASSISTANT, WORK_LEADS
from properties.models import Property
from properties.selectors import property_list
from voice.api.serializers import (
    AssistantCreateInputSerializer,
    AssistantCreateQuerySerializer,
    AssistantInputSerializer,
    AssistantSerializer,
    CallLogDetailQuerySerializer,
    CallLogDetailSerializer,
    CallLogSerializer,
    CallPlaceInputSerializer,
)
from voice.assistants.selectors import assistant_list
from voice.assistants.services import assistant_create_or_update, assistant_delete, assistant_update
from voice.calls.outbound import call_place_outbound
from voice.calls.selectors import call_log_list, call_log_list_summary
from voice.calls.sync import call_log_refresh
from voice.models import Assistant, CallLog

VAPI_FAILED = (
    " When Vapi fails or refuses the request (an unknown model or voice, for instance): 503 "
    "voice_unavailable, with Vapi's messages in `detail` and `details.vapi_messages`, and "
    "nothing written here."
)


class AssistantFilter(ApiFilterSet):
    property = owned_filter(property_list, Property)

    class Meta:
        model = Assistant
        fields = ["property"]


class AssistantViewSet(ApiViewSet):
    write_access = CONFIGURE_ASSISTANT
    queryset = Assistant.objects.none()
    filterset_class = AssistantFilter
    search_fields = ["name"]
    ordering_fields = ["name", "created_at"]
    ordering = ["property_id", "name", "id"]
    voice_actions = ("create", "update", "partial_update", "destroy")
    # The assistant or its phone number gone at Vapi.
    conflict_actions = ("create", "update", "partial_update")

    def get_queryset(self):
        return assistant_list(user=self.request.user).select_related("property")

    @extend_schema(
        summary="List the voice assistants of your properties",
        responses=AssistantSerializer(many=True),
    )
    def list(self, request: Request) -> Response:
        return self.paginated_response(self.get_queryset(), AssistantSerializer)

    @extend_schema(
        summary="Create a property's voice assistant at Vapi (or update the one it has)",
        description=(
            "Builds the assistant from the property (prompt with its units, hours and policies; "
            "the leasing tools; voice; call analysis), creates it at Vapi, then saves it: 201. "
            "Fields left out take the property's defaults. A property has one assistant: when "
            "it already has one, that assistant is updated instead (the fields sent change, the "
            "others stay, the current property data is pushed): 200, so a retried POST never "
            "makes a second assistant. A property with several assistants is a 400 naming them."
            + VAPI_FAILED
        ),
        parameters=[AssistantCreateQuerySerializer],
        request=AssistantCreateInputSerializer,
        responses={
            201: AssistantSerializer,
            200: AssistantSerializer,
            404: error_response("No such property (another organization's property too)."),
        },
    )
    def create(self, request: Request) -> Response:
        query = AssistantCreateQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        prop = get_owned_or_404(
            property_list(user=request.user), pk=query.validated_data["property_id"]
        )
        self.check_access(prop)
        data = self.validated_input(AssistantCreateInputSerializer)
        saved = assistant_create_or_update(property=prop, **data)
        code = status.HTTP_201_CREATED if saved.created else status.HTTP_200_OK
        return Response(AssistantSerializer(saved.assistant).data, status=code)

    @extend_schema(summary="Get a voice assistant", responses=AssistantSerializer)
    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(AssistantSerializer(self.get_object()).data)

    @extend_schema(
        summary="Replace a voice assistant's settings, at Vapi and here",
        description=(
            "`name` is required; fields left out keep their values. The whole config is sent "
            "to Vapi first; nothing changes here if Vapi fails." + VAPI_FAILED
        ),
        request=AssistantInputSerializer,
        responses=AssistantSerializer,
    )
    def update(self, request: Request, pk: str) -> Response:
        assistant = self.get_object()
        data = self.validated_input(AssistantInputSerializer, assistant=assistant)
        return Response(AssistantSerializer(assistant_update(assistant=assistant, **data)).data)

    @extend_schema(
        summary="Change some of a voice assistant's settings, at Vapi and here",
        description="Nothing changes here if Vapi fails." + VAPI_FAILED,
        request=AssistantInputSerializer,
        responses=AssistantSerializer,
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        assistant = self.get_object()
        data = self.validated_input(AssistantInputSerializer, partial=True, assistant=assistant)
        return Response(AssistantSerializer(assistant_update(assistant=assistant, **data)).data)

    @extend_schema(
        summary="Delete a voice assistant at Vapi, then here",
        description=(
            "Its calls stay in the call log. An assistant Vapi no longer knows is deleted here "
            "too; if Vapi fails otherwise, it stays."
        ),
        responses={204: None},
    )
    def destroy(self, request: Request, pk: str) -> Response:
        assistant_delete(assistant=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class CallPlaceViewSet(ApiViewSet):
    """POST /api/v1/voice/call: the stricter `voice_call` throttle scope applies."""

    queryset = CallLog.objects.none()
    write_access = WORK_LEADS
    throttle_scope = VOICE_CALL_THROTTLE_SCOPE
    voice_actions = ("create",)
    conflict_actions = ("create",)  # refused by the compliance gate, assistant not pushed

    @extend_schema(
        summary="Place an outbound call",
        description=(
            "The assistant calls the number now. The call is recorded at once with Vapi's call "
            "id (status `queued`); webhooks fill in the rest. Every call passes the compliance "
            "gate first (consent for this exact number, do-not-call lists, calling hours in "
            "every time zone and state the person may be in, holidays, 3 calls a day). A "
            "refused call is a 409 whose `error` is the reason code (`no_written_consent`, "
            "`consent_other_number`, `opted_out`, `dnc_registry`, `dnc_snapshot_stale`, "
            "`quiet_hours`, `state_sunday`, `state_holiday`, `daily_cap`, "
            "`state_adad_restricted`, `unknown_timezone`, `invalid_number`), whose `detail` says "
            "why, and whose `details.next_allowed_at` is the next moment the call would be "
            "allowed (or null); nothing is dialled. A lead of another property is a 409 as well. "
            "Rate-limited more strictly than the rest of the API "
            "(`API_THROTTLE_VOICE_CALL_RATE`)." + VAPI_FAILED + " When the request reached Vapi "
            "but no answer came back (a timeout, a dropped connection), the call may have been "
            "placed: 503 `call_outcome_unknown`, recorded as a call log with status `unknown` "
            "(`details.call_log_id`). Before this number is called again that call log is "
            "checked against Vapi's call list: placed after all, the new call is a 409 "
            "`call_already_placed` and is not dialled; not placed, it becomes `failed` and the "
            "call goes ahead."
        ),
        request=CallPlaceInputSerializer,
        responses={201: CallLogDetailSerializer},
    )
    def create(self, request: Request) -> Response:
        call_log = call_place_outbound(
            **self.validated_input(CallPlaceInputSerializer),
            path=CallDecision.Path.API,
            requested_by=request.user,
        )
        return Response(CallLogDetailSerializer(call_log).data, status=status.HTTP_201_CREATED)


class CallLogFilter(ApiFilterSet):
    property = owned_filter(property_list, Property)
    assistant = owned_filter(assistant_list, Assistant)
    lead = owned_filter(lead_list, Lead)
    status = django_filters.MultipleChoiceFilter(
        choices=CallLog.Status.choices, help_text="Vapi call status; repeat for several."
    )
    direction = django_filters.ChoiceFilter(
        choices=CallLog.Direction.choices, help_text="Call direction."
    )
    created_after = UtcDateTimeFilter(
        field_name="created_at", lookup_expr="gte", help_text="Created at or after (ISO 8601)."
    )
    created_before = UtcDateTimeFilter(
        field_name="created_at", lookup_expr="lt", help_text="Created before (ISO 8601)."
    )

    class Meta:
        model = CallLog
        fields = [
            "property",
            "assistant",
            "lead",
            "status",
            "direction",
            "created_after",
            "created_before",
        ]


class CallLogViewSet(ApiViewSet):
    queryset = CallLog.objects.none()
    filterset_class = CallLogFilter
    pagination_class = CursorPagination
    filter_backends = [DjangoFilterBackend, OrderingFilter]  # no free-text search on calls
    # Cursor pagination needs a non-null, nearly unique ordering column: creation time only.
    ordering_fields = ["created_at"]
    ordering = ["-created_at", "-id"]
    voice_actions = ("retrieve",)  # with ?refresh=true
    conflict_actions = ("retrieve",)  # ?refresh=true for a call Vapi no longer has

    def get_queryset(self):
        if self.action == "list":
            return call_log_list_summary(user=self.request.user)
        return call_log_list(user=self.request.user)

    @extend_schema(
        summary="List calls",
        description=(
            "Newest first by default (`ordering=created_at` for oldest first); cursor-paginated: "
            "follow `next` / `previous`."
        ),
        responses=CallLogSerializer(many=True),
    )
    def list(self, request: Request) -> Response:
        return self.paginated_response(self.get_queryset(), CallLogSerializer)

    @extend_schema(
        summary="Get a call with its transcript",
        description=(
            "`refresh=true` pulls the call from Vapi first (its webhooks may have been missed) "
            "and saves it as the webhook would; only then does Vapi matter: when it fails, 503 "
            "voice_unavailable and the call log is unchanged."
        ),
        parameters=[CallLogDetailQuerySerializer],
        responses={
            200: CallLogDetailSerializer,
            400: error_response("`refresh` is not a boolean: `details.refresh` says so."),
        },
    )
    def retrieve(self, request: Request, pk: str) -> Response:
        query = CallLogDetailQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        call_log = self.get_object()  # ownership first: another user's call is a 404, not a GET
        if query.validated_data["refresh"]:
            call_log_refresh(call_log=call_log)
            call_log = self.get_object()
        return Response(CallLogDetailSerializer(call_log).data)
