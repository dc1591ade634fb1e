from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from leads.admin import LeadAdmin
from leads.models import Lead
from voice.models import Assistant, CallLog, TranscriptLine, WebhookEvent
from voice.webhooks.services import webhook_events_reprocess


@admin.register(Assistant)
class AssistantAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "property",
        "vapi_assistant_id",
        "voice_provider",
        "model",
        "push_state",
        "last_pushed_at",
    )
    list_filter = ("push_state", "voice_provider", "model", "language")
    search_fields = ("name", "vapi_assistant_id", "property__name")
    list_select_related = ("property",)
    raw_id_fields = ("property",)
    readonly_fields = (
        "vapi_assistant_id",
        "push_state",
        "last_pushed_at",
        "last_push_error",
        "last_pushed_config",
        "created_at",
        "updated_at",
    )


@admin.register(CallLog)
class CallLogAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "direction",
        "status",
        "customer_number",
        "lead",
        "property",
        "ended_reason",
        "duration_seconds",
        "cost",
    )
    list_filter = ("direction", "status", "property")
    search_fields = (
        "vapi_call_id",
        "customer_number",
        "summary",
        "lead__first_name",
        "lead__last_name",
    )
    list_select_related = ("lead", "property", "assistant")
    date_hierarchy = "created_at"

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).defer("messages", "transcript")


class CallLogInline(admin.TabularInline):
    model = CallLog
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ("created_at", "direction", "status", "ended_reason", "duration_seconds", "summary")
    readonly_fields = fields
    ordering = ("-created_at",)

    def has_add_permission(self, request, obj=None) -> bool:
        return False


# leads does not import voice (dependency direction voice -> leads), so voice adds the
# read-only call history to the lead page itself.
admin.site.unregister(Lead)


@admin.register(Lead)
class LeadWithCallsAdmin(LeadAdmin):
    inlines = [*LeadAdmin.inlines, CallLogInline]


@admin.register(WebhookEvent)
class WebhookEventAdmin(admin.ModelAdmin):
    """The webhook inbox: read-only, with re-processing (services.py holds the logic)."""

    list_display = ("received_at", "message_type", "vapi_call_id", "status", "attempts")
    list_filter = ("status", "message_type")
    search_fields = ("vapi_call_id", "dedupe_key", "message_type")
    date_hierarchy = "received_at"
    actions = ("reprocess",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: WebhookEvent | None = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[WebhookEvent]:
        return super().get_queryset(request).defer("payload", "response", "traceback")

    @admin.action(description="Re-process selected events", permissions=["view"])
    def reprocess(self, request: HttpRequest, queryset: QuerySet[WebhookEvent]) -> None:
        result = webhook_events_reprocess(events=queryset.only("id"))
        level = messages.WARNING if result.failed else messages.SUCCESS
        self.message_user(
            request,
            f"{result.processed} processed, {result.ignored} ignored, {result.failed} failed.",
            level,
        )


@admin.register(TranscriptLine)
class TranscriptLineAdmin(admin.ModelAdmin):
    """Final transcript lines of calls in progress (the live view's source)."""

    list_display = ("spoken_at", "vapi_call_id", "role", "text")
    list_filter = ("role",)
    search_fields = ("vapi_call_id", "text")
    date_hierarchy = "spoken_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: TranscriptLine | None = None
    ) -> bool:
        return False
