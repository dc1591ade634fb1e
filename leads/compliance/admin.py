"""Admin screens for the compliance records, scoped by organization (properties/access.py).

Consents, the do-not-call list, call decisions and staff phones belong to an organization, not to
a property: every member of the organization sees its rows (an assigned agent and a read-only
member too). Recording a consent or adding a do-not-call entry needs RECORD_CONSENT /
ADD_SUPPRESSION across the organization (admins, managers, organization-wide agents); staff
phones, which test calls may ring, are the assistant configuration's (CONFIGURE_ASSISTANT).
The audit (CallDecision) is read-only for everyone, superusers included, and the do-not-call
list is never changed or deleted here: an opt-out is kept at least five years (64.1200(d)(6))
and a decision is evidence. A consent is revoked (its "revoked at"), not deleted. Registry
snapshots are the deployment's (`manage.py import_dnc`): superusers only.
"""

from typing import Any

from django.contrib import admin, messages
from django.db.models import Q
from django.http import HttpRequest

from leads.compliance.models import CallDecision, Consent, DncSnapshot, StaffPhone, Suppression
from leads.compliance.services import consent_revoke
from properties.access import (
    ADD_SUPPRESSION,
    CONFIGURE_ASSISTANT,
    RECORD_CONSENT,
    VIEW,
    compliance_organizations_visible_to,
    organizations_visible_to,
)
from properties.admin import OrganizationLevelAdmin
from properties.admin_access import SuperuserOnlyAdmin

REVOKED_IN_ADMIN = "Revoked by staff (admin)."


class OrganizationRecordAdmin(OrganizationLevelAdmin):
    """An organization's compliance rows: every member reads; `change_access` writes."""

    def scope_q(self, request: HttpRequest, action: str = VIEW) -> Q:
        if action == VIEW:
            organizations = compliance_organizations_visible_to(user=request.user)
        else:
            organizations = organizations_visible_to(user=request.user, action=action)
        return Q(organization__in=organizations)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        # Adding is organization-wide: an agent limited to assigned properties has nowhere to add.
        if self.change_access is None:
            return False
        if request.user.is_superuser:
            return super().has_add_permission(request, *args)
        return organizations_visible_to(user=request.user, action=self.change_access).exists()


@admin.register(Consent)
class ConsentAdmin(OrganizationRecordAdmin, admin.ModelAdmin):
    change_access = RECORD_CONSENT
    list_display = ("number", "organization", "kind", "source", "given_at", "revoked_at")
    list_filter = ("kind", "source", "organization")
    search_fields = ("number",)
    raw_id_fields = ("lead",)
    readonly_fields = ("recorded_by", "created_at")
    date_hierarchy = "given_at"
    actions = ("revoke",)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # evidence: revoke it instead

    def save_model(self, request: HttpRequest, obj: Consent, form: Any, change: bool) -> None:
        if not change and obj.recorded_by_id is None:
            obj.recorded_by = request.user
        super().save_model(request, obj, form, change)

    @admin.action(description="Revoke the selected consents", permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: Any) -> None:
        count = 0
        for consent in queryset.filter(revoked_at__isnull=True):
            consent_revoke(consent=consent, how=REVOKED_IN_ADMIN)
            count += 1
        messages.success(request, f"Revoked {count} consent(s).")


@admin.register(Suppression)
class SuppressionAdmin(OrganizationRecordAdmin, admin.ModelAdmin):
    change_access = ADD_SUPPRESSION
    list_display = ("number", "organization", "source", "created_at", "vapi_call_id")
    list_filter = ("source", "organization")
    search_fields = ("number", "vapi_call_id")
    raw_id_fields = ("lead",)
    readonly_fields = ("created_by", "created_at")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Suppression, form: Any, change: bool) -> None:
        if not change and obj.created_by_id is None:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(StaffPhone)
class StaffPhoneAdmin(OrganizationRecordAdmin, admin.ModelAdmin):
    change_access = CONFIGURE_ASSISTANT
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
class CallDecisionAdmin(OrganizationRecordAdmin, admin.ModelAdmin):
    change_access = None  # read-only for everyone
    list_display = ("created_at", "number", "decision", "reason", "path", "organization")
    list_filter = ("decision", "reason", "path", "purpose", "organization")
    search_fields = ("number", "message")
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
