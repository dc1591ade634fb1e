"""Admin screens for the compliance records.

Superuser-only for now (properties/admin_access.py's SuperuserOnlyAdmin): these rows belong to an
organization, not to a property, and the membership scoping covers property rows only. The audit
(CallDecision) and the do-not-call list are never changed or deleted here: an opt-out is kept at
least five years (64.1200(d)(6)) and a decision is evidence.
"""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from leads.compliance.models import CallDecision, Consent, DncSnapshot, StaffPhone, Suppression
from properties.admin_access import SuperuserOnlyAdmin


@admin.register(Consent)
class ConsentAdmin(SuperuserOnlyAdmin, admin.ModelAdmin):
    list_display = ("number", "organization", "kind", "source", "given_at", "revoked_at")
    list_filter = ("kind", "source", "organization")
    search_fields = ("number",)
    raw_id_fields = ("lead", "recorded_by")
    readonly_fields = ("created_at",)
    date_hierarchy = "given_at"

    def save_model(self, request: HttpRequest, obj: Consent, form: Any, change: bool) -> None:
        if not change and obj.recorded_by_id is None:
            obj.recorded_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(Suppression)
class SuppressionAdmin(SuperuserOnlyAdmin, admin.ModelAdmin):
    list_display = ("number", "organization", "source", "created_at", "vapi_call_id")
    list_filter = ("source", "organization")
    search_fields = ("number", "vapi_call_id")
    raw_id_fields = ("lead", "created_by")
    readonly_fields = ("created_at",)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Suppression, form: Any, change: bool) -> None:
        if not change and obj.created_by_id is None:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(StaffPhone)
class StaffPhoneAdmin(SuperuserOnlyAdmin, admin.ModelAdmin):
    list_display = ("number", "label", "organization")
    list_filter = ("organization",)
    search_fields = ("number", "label")


@admin.register(DncSnapshot)
class DncSnapshotAdmin(SuperuserOnlyAdmin, admin.ModelAdmin):
    list_display = ("registry", "area_code", "downloaded_at", "imported_at", "count")
    list_filter = ("registry", "area_code")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # `manage.py import_dnc` loads registry files

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(CallDecision)
class CallDecisionAdmin(SuperuserOnlyAdmin, admin.ModelAdmin):
    list_display = ("created_at", "number", "decision", "reason", "path", "organization")
    list_filter = ("decision", "reason", "path", "purpose", "organization")
    search_fields = ("number", "message")
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
