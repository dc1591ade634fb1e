"""The callbacks list: what the leasing team owes whom, open ones first and the late ones in red.

Scoped like the other lead screens (properties/admin_access.py): a user sees the callbacks of the
properties they see, and closing one (or reassigning it) needs `work_leads` there. Callbacks are
promised on calls (leads.callbacks.services), so there is no "add" page.
"""

from typing import Any

from django.contrib import admin, messages
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html

from leads.callbacks.models import Callback
from leads.callbacks.selectors import (
    callback_assignee_choices,
    callback_overdue_by,
    callback_overdue_phrase,
)
from leads.callbacks.services import callback_cancel, callback_complete
from properties.access import WORK_LEADS
from properties.admin_access import OrganizationScopedAdmin

OVERDUE_BADGE = (
    '<span class="callback-overdue" style="background:#ba2121;color:#fff;border-radius:8px;'
    'padding:1px 8px;font-weight:600;white-space:nowrap">Overdue by {}</span>'
)


class OverdueFilter(admin.SimpleListFilter):
    title = "overdue"
    parameter_name = "overdue"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Overdue"), ("no", "Not overdue")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        overdue = Q(status=Callback.Status.OPEN, due_at__lt=timezone.now())
        if self.value() == "yes":
            return queryset.filter(overdue)
        if self.value() == "no":
            return queryset.exclude(overdue)
        return queryset


class AssignedFilter(admin.SimpleListFilter):
    title = "assigned to"
    parameter_name = "assigned"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("me", "Me"), ("nobody", "Nobody")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "me":
            return queryset.filter(assigned_to=request.user)
        if self.value() == "nobody":
            return queryset.filter(assigned_to__isnull=True)
        return queryset


@admin.register(Callback)
class CallbackAdmin(OrganizationScopedAdmin, admin.ModelAdmin):
    change_access = WORK_LEADS
    list_display = (
        "due",
        "overdue",
        "lead",
        "number",
        "property",
        "assigned_to",
        "status",
        "reason",
    )
    list_display_links = ("due", "lead")
    list_filter = (OverdueFilter, AssignedFilter, "status", "reason", "property")
    search_fields = ("number", "lead__first_name", "lead__last_name", "lead__phone", "note")
    list_select_related = ("lead", "property", "assigned_to")
    fields = (
        "property",
        "lead",
        "number",
        "reason",
        "due_at",
        "assigned_to",
        "note",
        "status",
        "done_at",
        "done_by",
        "done_reason",
        "vapi_call_id",
        "done_vapi_call_id",
        "created_at",
        "updated_at",
    )
    readonly_fields = (
        "property",
        "lead",
        "reason",
        "status",
        "done_at",
        "done_by",
        "done_reason",
        "vapi_call_id",
        "done_vapi_call_id",
        "created_at",
        "updated_at",
    )
    actions = ("mark_called_back", "cancel")

    def get_ordering(self, request: HttpRequest) -> tuple[Any, ...]:
        # Open ones first, soonest due first. A method, not the `ordering` attribute, whose
        # check accepts model fields only.
        open_first = Case(
            When(status=Callback.Status.OPEN, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
        return (open_first.asc(), "due_at", "id")

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False  # promised on calls; one open per lead (leads.callbacks.services)

    def get_form(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, **kwargs)
        if obj is not None and "assigned_to" in form.base_fields:
            # Only the people who work this property's leads, never another company's.
            form.base_fields["assigned_to"].queryset = callback_assignee_choices(prop=obj.property)
        return form

    @admin.display(description="Due", ordering="due_at")
    def due(self, obj: Callback) -> str:
        # The property's own clock: "9 AM Monday" is when its office opens.
        local = timezone.localtime(obj.due_at, obj.property.tz)
        return f"{local:%a} {local.day} {local:%b %H:%M %Z}"

    @admin.display(description="Overdue")
    def overdue(self, obj: Callback) -> str:
        late = callback_overdue_by(callback=obj, now=timezone.now())
        if late is None:
            return "—"
        return format_html(OVERDUE_BADGE, callback_overdue_phrase(late))

    @admin.action(description="Mark called back", permissions=["change"])
    def mark_called_back(self, request: HttpRequest, queryset: QuerySet[Callback]) -> None:
        closed = sum(
            callback_complete(
                callback=callback,
                done_reason=Callback.DoneReason.HUMAN_CALLED,
                user=request.user,
            )
            for callback in queryset.filter(status=Callback.Status.OPEN)
        )
        self.message_user(request, f"Marked {closed} callback(s) as called back.", messages.SUCCESS)

    @admin.action(description="Cancel (no call back needed)", permissions=["change"])
    def cancel(self, request: HttpRequest, queryset: QuerySet[Callback]) -> None:
        closed = sum(
            callback_cancel(callback=callback, user=request.user)
            for callback in queryset.filter(status=Callback.Status.OPEN)
        )
        self.message_user(request, f"Cancelled {closed} callback(s).", messages.SUCCESS)
