"""Admin screens for campaigns, scoped by property like the rest (properties/access.py).

Creating or moving a campaign needs WORK_LEADS at its property (it places calls). The moves are
actions, each calling one service and reporting a refused move as an error message; a campaign
that has started is read-only here (its audience is frozen). Its contacts are shown read-only.
Imported by voice/admin/__init__.py (the admin's autodiscovery imports voice.admin only).
"""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest

from properties.access import WORK_LEADS
from properties.admin_access import OrganizationScopedAdmin
from voice.campaigns.models import Campaign, CampaignContact
from voice.campaigns.selectors import campaign_progress
from voice.campaigns.services import (
    audience_clean,
    campaign_cancel,
    campaign_pause,
    campaign_resume,
    campaign_start,
    retry_policy_clean,
)


class CampaignContactInline(OrganizationScopedAdmin, admin.TabularInline):
    model = CampaignContact
    property_path = "campaign__property"
    change_access = None  # the runner changes contacts, nobody in the admin
    fields = ("lead", "number", "state", "skip_reason", "attempts", "next_attempt_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class CampaignAdminForm(forms.ModelForm):
    class Meta:
        model = Campaign
        # Not the organization (the property's) nor who created it (the user): save_model.
        fields = (
            "property",
            "assistant",
            "name",
            "purpose",
            "audience",
            "starts_on",
            "ends_on",
            "daily_start",
            "daily_end",
            "max_concurrent_calls",
            "retry_policy",
        )

    def clean(self) -> dict[str, Any]:
        # The same rules as campaign_create (voice/campaigns/services.py), as form errors.
        data = super().clean()
        prop, assistant = data.get("property"), data.get("assistant")
        if prop and assistant and assistant.property_id != prop.pk:
            self.add_error("assistant", "This assistant belongs to another property.")
        if (data.get("daily_start") is None) != (data.get("daily_end") is None):
            self.add_error("daily_end", "Give both ends of the daily window, or neither.")
        try:
            data["audience"] = audience_clean(audience=data.get("audience"))
        except ValidationError as error:
            self.add_error("audience", error)
        try:
            data["retry_policy"] = retry_policy_clean(retry_policy=data.get("retry_policy"))
        except ValidationError as error:
            self.add_error("retry_policy", error)
        return data

    def _post_clean(self) -> None:
        # The organization is the property's: set before the model's own checks.
        if self.cleaned_data.get("property") is not None:
            self.instance.organization = self.cleaned_data["property"].organization
        super()._post_clean()


@admin.register(Campaign)
class CampaignAdmin(OrganizationScopedAdmin, admin.ModelAdmin):
    change_access = WORK_LEADS
    form = CampaignAdminForm
    list_display = (
        "name",
        "property",
        "purpose",
        "status",
        "starts_on",
        "ends_on",
        "contacts_pending",
        "contacts_done",
        "contacts_skipped",
        "tours_booked",
    )
    list_filter = ("status", "purpose")
    search_fields = ("name", "property__name")
    list_select_related = ("property",)
    raw_id_fields = ("property", "assistant")
    readonly_fields = ("status", "started_at", "finished_at", "created_by", "created_at")
    inlines = (CampaignContactInline,)
    actions = ("start", "pause", "resume", "cancel")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is not None and obj.status != Campaign.Status.DRAFT:
            # Started: the audience is frozen and the contacts depend on the rest.
            return [f.name for f in Campaign._meta.fields if f.name != "id"]
        return self.readonly_fields

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A started campaign is the record of calls made: cancel it instead.
        if obj is not None and obj.status != Campaign.Status.DRAFT:
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: Campaign, form: Any, change: bool) -> None:
        obj.organization = obj.property.organization
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    # Progress counters: a few queries per row, once per row (the changelist pages are short).
    def _progress(self, obj: Campaign) -> Any:
        if not hasattr(obj, "_admin_progress"):
            obj._admin_progress = campaign_progress(campaign=obj)
        return obj._admin_progress

    @admin.display(description="pending")
    def contacts_pending(self, obj: Campaign) -> int:
        states = self._progress(obj).states
        return sum(states[s] for s in ("pending", "scheduled", "dialing", "in_call"))

    @admin.display(description="done")
    def contacts_done(self, obj: Campaign) -> int:
        return self._progress(obj).states["done"]

    @admin.display(description="skipped/failed")
    def contacts_skipped(self, obj: Campaign) -> int:
        states = self._progress(obj).states
        return states["skipped"] + states["failed"]

    @admin.display(description="tours")
    def tours_booked(self, obj: Campaign) -> int:
        return self._progress(obj).tours_booked

    # Actions: one service each; a refused move is reported, the others go on.
    def _move(
        self,
        request: HttpRequest,
        queryset: QuerySet,
        service: Callable[..., Campaign],
        done: str,
    ) -> None:
        moved = 0
        for campaign in queryset:
            if not self.has_change_permission(request, campaign):
                messages.error(request, f"{campaign}: your role may not change this campaign.")
                continue
            try:
                service(campaign=campaign)
            except ValidationError as error:
                messages.error(request, f"{campaign}: {' '.join(error.messages)}")
                continue
            moved += 1
        if moved:
            messages.success(request, f"{done.capitalize()} {moved} campaign(s).")

    @admin.action(description="Start the selected campaigns", permissions=["change"])
    def start(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._move(request, queryset, campaign_start, "started")

    @admin.action(description="Pause the selected campaigns", permissions=["change"])
    def pause(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._move(request, queryset, campaign_pause, "paused")

    @admin.action(description="Resume the selected campaigns", permissions=["change"])
    def resume(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._move(request, queryset, campaign_resume, "resumed")

    @admin.action(description="Cancel the selected campaigns", permissions=["change"])
    def cancel(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._move(request, queryset, campaign_cancel, "cancelled")
