"""Lead admin: the lead page shows a score breakdown, an activity timeline and tours above the
form (template `admin/leads/lead/change_form.html`); the `voice` app adds the lead's calls."""

from dataclasses import dataclass
from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.utils.text import capfirst

from leads.callbacks import admin as callbacks_admin  # noqa: F401 - registers its admin
from leads.callbacks.selectors import callback_list_open_for_lead
from leads.compliance import admin as compliance_admin  # noqa: F401 - registers its admins
from leads.compliance.services import lead_do_not_call_sync, lead_note_opt_out_record
from leads.models import Lead, LeadActivity, Tour
from properties.access import WORK_LEADS
from properties.admin_access import OrganizationScopedAdmin


@dataclass(frozen=True)
class ScoreFactor:
    label: str
    points: float
    max_points: float | None
    note: str

    @property
    def percent(self) -> int:
        """Bar width: share of the factor's maximum (or of 100 without one)."""
        ceiling = self.max_points if self.max_points else 100
        return max(0, min(100, round(abs(self.points) / ceiling * 100))) if ceiling > 0 else 0

    @property
    def negative(self) -> bool:
        return self.points < 0

    @property
    def points_display(self) -> str:
        points = f"{self.points:+g}"
        return f"{points} / {self.max_points:g}" if self.max_points else points


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def lead_score_factors(factors: Any) -> list[ScoreFactor]:
    """`Lead.score_factors` read leniently: factor -> {points, max?, note?} or factor -> number
    (a list of {factor|name, points, ...} dicts is accepted too); biggest contributions first."""
    if isinstance(factors, list):
        factors = {
            str(item.get("factor") or item.get("name") or f"factor {i + 1}"): item
            for i, item in enumerate(factors)
            if isinstance(item, dict)
        }
    if not isinstance(factors, dict):
        return []
    rows = []
    for key, value in factors.items():
        if isinstance(value, dict):
            points = _as_number(value.get("points", value.get("score", value.get("value"))))
            max_points = _as_number(value.get("max", value.get("max_points")))
            note = str(value.get("note") or value.get("reason") or "")
            label = str(value.get("label") or key)
        else:
            points, max_points, note, label = _as_number(value), None, "", str(key)
            if points is None and value not in (None, ""):
                note = str(value)
        rows.append(
            ScoreFactor(
                label=capfirst(label.replace("_", " ")),
                points=points or 0.0,
                max_points=max_points,
                note=note,
            )
        )
    return sorted(rows, key=lambda row: -row.points)


class LeadActivityInline(OrganizationScopedAdmin, admin.TabularInline):
    model = LeadActivity
    property_path = "lead__property"
    change_access = WORK_LEADS
    extra = 0
    classes = ("collapse",)
    verbose_name_plural = "Add or edit activities"
    fields = ("created_at", "kind", "text", "vapi_call_id")
    readonly_fields = ("created_at", "vapi_call_id")
    ordering = ("-created_at",)


class TourInline(OrganizationScopedAdmin, admin.TabularInline):
    model = Tour
    change_access = WORK_LEADS
    extra = 0
    fk_name = "lead"
    fields = ("starts_at", "kind", "status", "unit", "property", "vapi_call_id")
    readonly_fields = ("vapi_call_id",)
    raw_id_fields = ("unit", "property")
    show_change_link = True
    classes = ("collapse",)
    verbose_name_plural = "Add or edit tours"


@admin.register(Lead)
class LeadAdmin(OrganizationScopedAdmin, admin.ModelAdmin):
    change_access = WORK_LEADS
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
        # The calling rules apply the law of the state the lead lives in (and of the number's).
        ("Where they live", {"fields": ("state", "postal_code", "time_zone")}),
        ("Pipeline", {"fields": ("status", "lost_reason", "score")}),
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

    def save_model(self, request: HttpRequest, obj: Lead, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        # Ticking "do not call" puts the number on the organization's do-not-call list.
        lead_do_not_call_sync(lead=obj, user=request.user)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        super().save_formset(request, form, formset, change)
        if formset.model is not LeadActivity:
            return
        # A note typed in the activities inline is a staff entry like an API note (§7 rule 9).
        edited = [obj for obj, fields in formset.changed_objects if {"text", "kind"} & set(fields)]
        for activity in [*formset.new_objects, *edited]:
            _note_opt_out(request, activity)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        lead = self.get_object(request, object_id)
        if lead is not None:
            extra_context = {
                "score_factors": lead_score_factors(lead.score_factors),
                "timeline": lead.activities.order_by("-created_at", "-id")[:100],
                "lead_tours": lead.tours.select_related("unit", "property").order_by("-starts_at"),
                "lead_callbacks": callback_list_open_for_lead(lead_id=lead.pk),
                **(extra_context or {}),
            }
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(LeadActivity)
class LeadActivityAdmin(OrganizationScopedAdmin, admin.ModelAdmin):
    property_path = "lead__property"
    change_access = WORK_LEADS
    list_display = ("created_at", "lead", "kind", "text", "vapi_call_id")
    list_filter = ("kind",)
    search_fields = ("text", "lead__first_name", "lead__last_name", "lead__phone", "vapi_call_id")
    list_select_related = ("lead",)
    readonly_fields = ("created_at",)
    raw_id_fields = ("lead",)

    def save_model(self, request: HttpRequest, obj: LeadActivity, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if not change or "text" in form.changed_data or "kind" in form.changed_data:
            _note_opt_out(request, obj)


def _note_opt_out(request: HttpRequest, activity: LeadActivity) -> None:
    """Run a staff note through the opt-out phrases; other activity kinds are not staff words."""
    if activity.kind == LeadActivity.Kind.NOTE:
        lead_note_opt_out_record(
            lead=activity.lead, text=activity.text, note=activity, user=request.user
        )


@admin.register(Tour)
class TourAdmin(OrganizationScopedAdmin, admin.ModelAdmin):
    change_access = WORK_LEADS
    list_display = ("starts_at", "lead", "property", "unit", "kind", "status", "vapi_call_id")
    list_filter = ("status", "kind", "property")
    search_fields = ("lead__first_name", "lead__last_name", "lead__phone", "vapi_call_id")
    list_select_related = ("lead", "property", "unit")
    readonly_fields = ("created_at", "updated_at", "vapi_call_id")
    raw_id_fields = ("lead", "property", "unit")
    date_hierarchy = "starts_at"
