"""Voice API: assistants (read; the write actions come with the Vapi services) and call logs.

Hook points for the voice write endpoints (POST /api/v1/voice/assistants?property_id=, PUT/PATCH/
DELETE /api/v1/voice/assistants/{id}, POST /api/v1/voice/call):
- Assistants: add `create`/`update`/`partial_update`/`destroy` methods to `AssistantViewSet` (the
  router in config/api_urls.py maps them at once) and name them in `voice_actions`, so the schema
  documents 503 voice_unavailable. Resolve `?property_id=` with
  `get_owned_or_404(property_list(user=request.user), pk=...)` after validating it with a small
  query serializer; document the parameter and `404: error_response(...)` (config/schema.py).
- Placing calls: a `CallPlaceViewSet(ApiViewSet)` with `create`, `throttle_scope =
  VOICE_CALL_THROTTLE_SCOPE` and `voice_actions = ("create",)`, registered in config/api_urls.py as
  `router.register("voice/call", CallPlaceViewSet, basename="call-place")`. Body ids use
  `OwnedPrimaryKeyRelatedField(selector=lead_list | assistant_list, queryset=...)`.
- Services raise VoiceError; config/errors.py turns it into 503 voice_unavailable.
- tests/api/test_ownership.py then fails until the new operations have their rows (DetailRow,
  BodyIdRow, QueryIdRow with method="POST", status=404, fixtures=("fake_vapi",)).
"""

import django_filters
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.filters import OrderingFilter
from rest_framework.request import Request
from rest_framework.response import Response

from config.api import ApiViewSet, UtcDateTimeFilter, owned_choices
from config.pagination import CursorPagination
from leads.crud import lead_list
from leads.models import Lead
from properties.crud import property_list
from properties.models import Property
from voice.crud import assistant_list, call_log_list, call_log_list_summary
from voice.models import Assistant, CallLog

CALL_FIELDS = [
    "id",
    "vapi_call_id",
    "property",
    "assistant",
    "lead",
    "direction",
    "status",
    "ended_reason",
    "customer_number",
    "started_at",
    "ended_at",
    "duration_seconds",
    "summary",
    "success_evaluation",
    "cost",
    "created_at",
    "updated_at",
]


class AssistantSerializer(serializers.ModelSerializer):
    class Meta:
        model = Assistant
        fields = [
            "id",
            "property",
            "name",
            "vapi_assistant_id",
            "vapi_phone_number_id",
            "first_message",
            "system_prompt",
            "voice_provider",
            "voice_id",
            "model",
            "language",
            "push_state",
            "last_pushed_at",
            "last_push_error",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class CallLogSerializer(serializers.ModelSerializer):
    class Meta:
        model = CallLog
        fields = CALL_FIELDS
        read_only_fields = fields


class CallLogDetailSerializer(serializers.ModelSerializer):
    # Plain strings: "" (no recording yet) is not a valid `format: uri` value.
    recording_url = serializers.CharField(read_only=True, help_text="Empty until recorded.")
    stereo_recording_url = serializers.CharField(read_only=True, help_text="Empty until recorded.")

    class Meta:
        model = CallLog
        fields = [
            *CALL_FIELDS,
            "transcript",
            "messages",
            "recording_url",
            "stereo_recording_url",
            "structured_data",
            "metadata",
        ]
        read_only_fields = fields


class AssistantFilter(django_filters.FilterSet):
    property = django_filters.ModelChoiceFilter(
        queryset=owned_choices(property_list, Property), help_text="One of your property ids."
    )

    class Meta:
        model = Assistant
        fields = ["property"]


class AssistantViewSet(ApiViewSet):
    queryset = Assistant.objects.none()
    filterset_class = AssistantFilter
    search_fields = ["name"]
    ordering_fields = ["name", "created_at"]
    ordering = ["property_id", "name", "id"]
    # Actions that call Vapi (documented with 503 voice_unavailable): the write actions, later.
    voice_actions: tuple[str, ...] = ()

    def get_queryset(self):
        return assistant_list(user=self.request.user)

    @extend_schema(
        summary="List the voice assistants of your properties",
        responses=AssistantSerializer(many=True),
    )
    def list(self, request: Request) -> Response:
        return self.paginated_response(self.get_queryset(), AssistantSerializer)

    @extend_schema(summary="Get a voice assistant", responses=AssistantSerializer)
    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(AssistantSerializer(self.get_object()).data)


class CallLogFilter(django_filters.FilterSet):
    property = django_filters.ModelChoiceFilter(
        queryset=owned_choices(property_list, Property), help_text="One of your property ids."
    )
    assistant = django_filters.ModelChoiceFilter(
        queryset=owned_choices(assistant_list, Assistant), help_text="One of your assistant ids."
    )
    lead = django_filters.ModelChoiceFilter(
        queryset=owned_choices(lead_list, Lead), help_text="One of your lead ids."
    )
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

    @extend_schema(summary="Get a call with its transcript", responses=CallLogDetailSerializer)
    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(CallLogDetailSerializer(self.get_object()).data)
