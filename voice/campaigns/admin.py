"""Admin screens for campaigns, scoped by property like the rest (properties/access.py).

Creating or moving a campaign needs WORK_LEADS at its property (it places calls). The moves are
actions, each calling one service and reporting a refused move as an error message; a campaign
that has started is read-only here (its audience is frozen). Its contacts are shown read-only.
A live progress page (and the JSON it polls) shows how far a campaign has got; seeing it needs
only VIEW. The lead changelist's "Create campaign from selected leads" page is
`leads_create_campaign_page` (called by voice/admin/__init__.py's lead admin).
Imported by voice/admin/__init__.py (the admin's autodiscovery imports voice.admin only).
"""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html

from leads.models import CallDecision, Lead
from properties.access import WORK_LEADS, property_check_access
from properties.admin_access import OrganizationScopedAdmin
from properties.models import Property
from voice.campaigns.models import CAMPAIGN_PURPOSES, Campaign, CampaignContact
from voice.campaigns.selectors import campaign_audience_preview, campaign_progress
from voice.campaigns.serializers import CampaignProgressSerializer
from voice.campaigns.services import (
    audience_clean,
    campaign_cancel,
    campaign_create_for_leads,
    campaign_pause,
    campaign_resume,
    campaign_start,
    retry_policy_clean,
)
from voice.models import Assistant, CallLog

MSG_MIXED_PROPERTIES = (
    "A campaign calls the leads of one property; the selected leads belong to {count} "
    "({names}). Select leads of one property."
)
MSG_NO_ASSISTANT = "{property} has no assistant: create one before a campaign."
MSG_CREATED = "Campaign “{name}” created as a draft with {count} lead(s): start it when ready."
MSG_STARTED = "Campaign “{name}” started with {count} contact(s)."
# The live page's poll interval (voice/static/voice/campaign_progress.js reads it from the page).
PROGRESS_POLL_MS = 2000


@admin.register(CampaignContact)
class CampaignContactAdmin(OrganizationScopedAdmin, admin.ModelAdmin):
    """A campaign's contacts, read-only (the runner changes them): a changelist rather than an
    inline on the campaign, since a campaign may hold 100,000 of them."""

    property_path = "campaign__property"
    change_access = None
    list_display = (
        "lead",
        "number",
        "state",
        "skip_reason",
        "attempts",
        "next_attempt_at",
        "last_outcome",
        "last_error_short",
        "campaign",
    )
    list_filter = ("state", "last_outcome", "voicemail_left")
    list_select_related = ("lead", "campaign")
    search_fields = ("number", "lead__first_name", "lead__last_name")
    raw_id_fields = ("lead", "campaign", "current_call")
    readonly_fields = (
        "campaign",
        "lead",
        "number",
        "state",
        "skip_reason",
        "attempts",
        "next_attempt_at",
        "last_outcome",
        "last_error",
        "voicemail_left",
        "current_call",
        "attempt_id",
        "claimed_at",
        "dial_started_at",
        "created_at",
        "updated_at",
    )
    fields = readonly_fields
    show_full_result_count = False

    @admin.display(description="Error")
    def last_error_short(self, obj: CampaignContact) -> str:
        return obj.last_error[:80]

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
    actions = ("start", "pause", "resume", "cancel")
    change_form_template = "admin/voice/campaign/change_form.html"

    def get_list_display(self, request: HttpRequest) -> Any:
        return (*super().get_list_display(request), "progress_link")

    @admin.display(description="live")
    def progress_link(self, obj: Campaign) -> str:
        url = reverse("admin:voice_campaign_progress", args=[obj.pk])
        return format_html('<a href="{}" class="campaign-progress-link">Progress</a>', url)

    # Live progress: a page and the JSON it polls, both from campaign_progress ----------------
    def get_urls(self) -> list[URLPattern]:
        def view(func: Any) -> Any:
            return self.admin_site.admin_view(func)

        # Before the default URLs: their `<path:object_id>/` would swallow these.
        return [
            path(
                "<path:object_id>/progress/",
                view(self.progress_view),
                name="voice_campaign_progress",
            ),
            path(
                "<path:object_id>/progress.json",
                view(self.progress_json_view),
                name="voice_campaign_progress_json",
            ),
            *super().get_urls(),
        ]

    def _visible_campaign(self, request: HttpRequest, object_id: str) -> Campaign:
        """The campaign if the user may see it: another organization's is a 404, as anywhere
        in the admin (get_object reads through the scoped queryset)."""
        campaign = self.get_object(request, unquote(object_id))
        if campaign is None:
            raise Http404("No such campaign.")
        if not self.has_view_permission(request, campaign):
            raise PermissionDenied
        return campaign

    def _progress_data(self, campaign: Campaign) -> dict[str, Any]:
        """The API's progress document, plus what the page shows beside the numbers: labels,
        times in the property's zone and links to the call logs."""
        data = dict(CampaignProgressSerializer(campaign_progress(campaign=campaign)).data)
        zone = campaign.property.tz
        data["status_label"] = Campaign.Status(data["status"]).label
        data["started_display"] = _local_display(data["started_at"], zone)
        data["finished_display"] = _local_display(data["finished_at"], zone)
        for call in data["calls"]:
            call["started_display"] = _local_display(call["started_at"], zone)
            call["status_label"] = CallLog.Status(call["status"]).label
            call["url"] = reverse("admin:voice_calllog_change", args=[call["call_log_id"]])
        return data

    def progress_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        campaign = self._visible_campaign(request, object_id)
        data = self._progress_data(campaign)
        states = [
            (state, label, data["states"][state]) for state, label in CampaignContact.State.choices
        ]
        return TemplateResponse(
            request,
            "admin/voice/campaign/progress.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": f"Progress: {campaign}",
                "campaign": campaign,
                "progress": data,
                "states": states,
                "poll_ms": PROGRESS_POLL_MS,
                "json_url": reverse("admin:voice_campaign_progress_json", args=[campaign.pk]),
            },
        )

    def progress_json_view(self, request: HttpRequest, object_id: str) -> JsonResponse:
        campaign = self._visible_campaign(request, object_id)
        return JsonResponse(self._progress_data(campaign))

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


def _local_display(value: str | None, zone: Any) -> str:
    """An ISO instant of the progress document as the page shows it, in the property's zone."""
    if not value:
        return ""
    return f"{timezone.localtime(datetime.fromisoformat(value), zone):%Y-%m-%d %H:%M %Z}"


# "Create campaign from selected leads" (the lead changelist) ----------------------------------


class CampaignFromLeadsForm(forms.Form):
    name = forms.CharField(max_length=120)
    purpose = forms.ChoiceField(
        choices=CAMPAIGN_PURPOSES,
        initial=CallDecision.Purpose.MARKETING,
        help_text="Marketing calls need written consent to AI-voice calls.",
    )
    assistant = forms.ModelChoiceField(queryset=Assistant.objects.none())
    starts_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    daily_start = forms.TimeField(
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}),
        help_text="Optional, the property's local time; empty: the calling rules' hours only.",
    )
    daily_end = forms.TimeField(required=False, widget=forms.TimeInput(attrs={"type": "time"}))
    max_concurrent_calls = forms.IntegerField(min_value=1, max_value=100, initial=5)

    def __init__(self, *args: Any, property: Property, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only the property's own assistants: campaign_create refuses any other.
        self.fields["assistant"].queryset = Assistant.objects.filter(  # type: ignore[attr-defined]
            property=property
        ).order_by("name", "pk")


# The submit buttons of the page (their names say which).
CREATE_DRAFT = "_create_draft"
CREATE_AND_START = "_create_start"


def leads_create_campaign_page(
    model_admin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Lead]
) -> HttpResponse | None:
    """The intermediate page of the lead action: a campaign of the selected leads, with the
    preview of who will be called and who is skipped and why. None (back to the changelist,
    with a message) when the selection cannot make one campaign."""
    leads = list(queryset.select_related("property__organization").order_by("pk"))
    properties = {lead.property_id: lead.property for lead in leads}
    if not leads:
        messages.error(request, "None of the selected leads is one you may work.")
        return None
    if len(properties) > 1:
        names = ", ".join(sorted(str(p) for p in properties.values()))
        messages.error(request, MSG_MIXED_PROPERTIES.format(count=len(properties), names=names))
        return None
    prop = leads[0].property
    try:
        # The role check every campaign write makes (properties/access.py).
        property_check_access(user=request.user, property=prop, action=WORK_LEADS)
    except (PermissionDenied, Http404) as error:
        messages.error(request, str(error) or "You may not create campaigns there.")
        return None
    submitted = CREATE_DRAFT in request.POST or CREATE_AND_START in request.POST
    today = timezone.localdate(timezone=prop.tz)
    form = CampaignFromLeadsForm(
        request.POST if submitted else None,
        property=prop,
        initial={
            "name": f"{prop} — {today.isoformat()}",
            "starts_on": today,
            "ends_on": today + timedelta(days=14),
            "assistant": Assistant.objects.filter(property=prop).order_by("name", "pk").first(),
        },
    )
    if not form.fields["assistant"].queryset.exists():  # type: ignore[attr-defined]
        messages.error(request, MSG_NO_ASSISTANT.format(property=prop))
        return None
    if submitted and form.is_valid():
        data = form.cleaned_data
        start = CREATE_AND_START in request.POST
        try:
            campaign = campaign_create_for_leads(
                property=prop, leads=leads, start=start, created_by=request.user, **data
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            count = campaign.contacts.count() if start else len(leads)
            template = MSG_STARTED if start else MSG_CREATED
            messages.success(request, template.format(name=campaign.name, count=count))
            return HttpResponseRedirect(reverse("admin:voice_campaign_change", args=[campaign.pk]))
    # The purpose chosen, even on a page shown again for another field's error: consent
    # differs by purpose, so the preview must be the one the campaign would have.
    chosen = getattr(form, "cleaned_data", {}).get("purpose")
    purpose = chosen or CallDecision.Purpose.MARKETING
    preview = campaign_audience_preview(
        property=prop, audience={"lead_ids": [lead.pk for lead in leads]}, purpose=purpose
    )
    return TemplateResponse(
        request,
        "admin/voice/campaign_from_leads.html",
        {
            **model_admin.admin_site.each_context(request),
            "opts": model_admin.model._meta,
            "title": "Create campaign from selected leads",
            "queryset": leads,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "action": "create_campaign",
            "property": prop,
            "form": form,
            "preview": preview,
            "will_call": sum(1 for e in preview if e.allowed),
            "later": sum(1 for e in preview if not e.allowed and e.next_allowed_at),
            "skipped": sum(1 for e in preview if not e.allowed and not e.next_allowed_at),
            "create_draft": CREATE_DRAFT,
            "create_and_start": CREATE_AND_START,
        },
    )
