from django.contrib import admin

from leads.models import Lead, LeadActivity, Tour


class LeadActivityInline(admin.TabularInline):
    model = LeadActivity
    extra = 0
    fields = ("created_at", "kind", "text", "vapi_call_id")
    readonly_fields = ("created_at", "vapi_call_id")
    ordering = ("-created_at",)


class TourInline(admin.TabularInline):
    model = Tour
    extra = 0
    fk_name = "lead"
    fields = ("starts_at", "kind", "status", "unit", "property", "vapi_call_id")
    readonly_fields = ("vapi_call_id",)
    raw_id_fields = ("unit", "property")
    show_change_link = True


@admin.register(Lead)
class LeadAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "phone",
        "property",
        "source",
        "status",
        "score",
        "move_in_date",
        "consent_to_call",
        "do_not_call",
        "created_at",
    )
    list_filter = ("status", "source", "property", "consent_to_call", "do_not_call")
    search_fields = ("first_name", "last_name", "phone", "email")
    list_select_related = ("property",)
    readonly_fields = ("score", "score_factors", "created_at", "updated_at", "last_contacted_at")
    raw_id_fields = ("property",)
    date_hierarchy = "created_at"
    inlines = [LeadActivityInline, TourInline]
    fieldsets = (
        (None, {"fields": ("property", "first_name", "last_name", "phone", "email", "source")}),
        ("Pipeline", {"fields": ("status", "lost_reason", "score", "score_factors")}),
        (
            "What they are looking for",
            {"fields": ("desired_bedrooms", "budget", "move_in_date", "has_pets", "pets")},
        ),
        (
            "Contact rules",
            {
                "fields": (
                    "preferred_language",
                    "consent_to_call",
                    "consent_recorded_at",
                    "do_not_call",
                    "opted_out_at",
                    "last_contacted_at",
                )
            },
        ),
        ("Other", {"fields": ("metadata", "created_at", "updated_at")}),
    )


@admin.register(LeadActivity)
class LeadActivityAdmin(admin.ModelAdmin):
    list_display = ("created_at", "lead", "kind", "text", "vapi_call_id")
    list_filter = ("kind",)
    search_fields = ("text", "lead__first_name", "lead__last_name", "lead__phone", "vapi_call_id")
    list_select_related = ("lead",)
    readonly_fields = ("created_at",)
    raw_id_fields = ("lead",)


@admin.register(Tour)
class TourAdmin(admin.ModelAdmin):
    list_display = ("starts_at", "lead", "property", "unit", "kind", "status", "vapi_call_id")
    list_filter = ("status", "kind", "property")
    search_fields = ("lead__first_name", "lead__last_name", "lead__phone", "vapi_call_id")
    list_select_related = ("lead", "property", "unit")
    readonly_fields = ("created_at", "updated_at", "vapi_call_id")
    raw_id_fields = ("lead", "property", "unit")
    date_hierarchy = "starts_at"
