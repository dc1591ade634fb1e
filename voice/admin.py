from django.contrib import admin

from leads.admin import LeadAdmin
from leads.models import Lead
from voice.models import Assistant, CallLog


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
