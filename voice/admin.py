from functools import partial
from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path

from leads.admin import LeadAdmin
from leads.models import Lead
from voice import admin_views
from voice.models import Assistant, CallLog
from voice.selectors import (
    OUTCOME_LABELS,
    call_log_get,
    call_outcome,
    ended_reason_label,
    format_clock,
)


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
    """Read-only call log; the change page is a conversation view (see `change_form.html`)."""

    change_form_template = "admin/voice/calllog/change_form.html"
    list_display = (
        "created_at",
        "direction",
        "status",
        "customer_number",
        "lead",
        "property",
        "outcome",
        "duration",
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

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None):
        # The page shows the messages and transcript the list defers.
        if from_field is not None:
            return super().get_object(request, object_id, from_field)
        try:
            return call_log_get(pk=int(object_id))
        except ValueError:
            return None

    def get_urls(self) -> list[URLPattern]:
        def view(func: Any) -> Any:
            return self.admin_site.admin_view(partial(func, model_admin=self))

        return [
            path("dashboard/", view(admin_views.voice_dashboard), name="voice_dashboard"),
            path("live/", view(admin_views.voice_live_calls), name="voice_live_calls"),
            path(
                "by-vapi-id/<str:vapi_call_id>/",
                view(admin_views.call_log_by_vapi_id),
                name="voice_calllog_by_vapi_id",
            ),
            *super().get_urls(),
        ]

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        call = self.get_object(request, object_id)
        if call is not None:
            extra_context = {**admin_views.call_log_page_context(call), **(extra_context or {})}
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.display(description="Outcome", ordering="ended_reason")
    def outcome(self, obj: CallLog) -> str:
        bucket = call_outcome(status=obj.status, ended_reason=obj.ended_reason)
        reason = ended_reason_label(reason=obj.ended_reason)
        return f"{OUTCOME_LABELS[bucket]}: {reason}" if reason else OUTCOME_LABELS[bucket]

    @admin.display(description="Duration", ordering="duration_seconds")
    def duration(self, obj: CallLog) -> str:
        return format_clock(obj.duration_seconds)


# leads does not import voice (dependency direction voice -> leads), so voice adds the
# call history to the lead page itself (the "Calls" card of its template).
admin.site.unregister(Lead)


@admin.register(Lead)
class LeadWithCallsAdmin(LeadAdmin):
    change_form_template = "admin/voice/lead_change_form.html"

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            calls = admin_views.lead_calls_context(lead_id=int(object_id))
        except ValueError:
            calls = []
        extra_context = {"lead_calls": calls, **(extra_context or {})}
        return super().change_view(request, object_id, form_url, extra_context)
