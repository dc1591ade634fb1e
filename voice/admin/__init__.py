"""The staff screens for voice: the admin classes (here), the dashboard and call pages (`views`),
and transcripts as chat turns (`transcripts`). Admin actions call `calls` / `assistants` batch
operations; nothing here writes to the database itself.

Nothing imports this package but Django's admin autodiscovery.
"""

from collections import Counter
from collections.abc import Sequence
from functools import partial
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.defaultfilters import pluralize
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html

from leads.admin import LeadAdmin
from leads.models import Lead
from properties.access import CONFIGURE_ASSISTANT
from properties.admin import PropertyAdmin
from properties.admin_access import OrganizationScopedAdmin, user_has_access
from properties.models import Property
from properties.phone import phone_normalize
from voice.admin import views as admin_views
from voice.assistants.operations import (
    assistants_place_test_call,
    assistants_push,
    assistants_push_for_properties,
    assistants_refresh_knowledge,
)
from voice.assistants.validation import CHECKED_FIELDS, assistant_settings_validate
from voice.batch import Outcome, Result
from voice.calls.operations import (
    PlannedCall,
    call_logs_refresh,
    leads_call,
    leads_call_plan,
    leads_schedule,
    properties_simulate_inbound_call,
)
from voice.calls.selectors import (
    OUTCOME_LABELS,
    call_log_get,
    call_outcome,
    ended_reason_label,
    format_clock,
)

# The campaign screens live with the campaigns; importing them registers them.
from voice.campaigns import admin as campaigns_admin
from voice.models import Assistant, CallLog, TranscriptLine, WebhookEvent

# The retention policy on the organization page (voice/retention/admin.py); importing registers.
from voice.retention import admin as retention_admin  # noqa: F401
from voice.webhooks.inbox import webhook_events_reprocess

# Actions report one message per object (Result), then a one-line summary.
RESULT_LEVELS = {Outcome.SKIPPED: messages.WARNING, Outcome.FAILED: messages.ERROR}
# Calls are placed one by one inside the request; keep a batch short enough for it.
MAX_LEADS_PER_BATCH = 50
TOO_MANY_LEADS = f"Select at most {MAX_LEADS_PER_BATCH} leads to call at a time."
# One GET /call/{id} per call log, inside the request.
MAX_CALLS_PER_REFRESH = 100
TOO_MANY_CALLS = f"Select at most {MAX_CALLS_PER_REFRESH} calls to refresh at a time."


def message_results(
    model_admin: admin.ModelAdmin, request: HttpRequest, results: Sequence[Result]
) -> None:
    if not results:
        model_admin.message_user(request, "Nothing to do.", messages.INFO)
        return
    for result in results:
        level = RESULT_LEVELS.get(result.outcome, messages.SUCCESS)
        model_admin.message_user(request, f"{result.label}: {result.message}", level)
    if len(results) > 1:
        counts = Counter(result.outcome for result in results)
        summary = ", ".join(f"{counts[o]} {o}" for o in Outcome if counts[o])
        level = messages.ERROR if counts[Outcome.FAILED] else messages.INFO
        model_admin.message_user(request, f"Done: {summary}.", level)


def _action_page(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet[Any],
    template: str,
    *,
    action: str,
    **context: Any,
) -> TemplateResponse:
    """An intermediate action page that posts the same action and selection back."""
    return TemplateResponse(
        request,
        template,
        {
            **model_admin.admin_site.each_context(request),
            "opts": model_admin.model._meta,
            "queryset": queryset,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "action": action,
            **context,
        },
    )


class TestCallForm(forms.Form):
    phone_number = forms.CharField(
        label="Number to call",
        max_length=40,
        help_text="Your own phone, in E.164 (+14155550100) or national format.",
    )

    def clean_phone_number(self) -> str:
        try:
            return phone_normalize(self.cleaned_data["phone_number"])
        except ValidationError:
            raise ValidationError(
                "Enter a valid phone number, for example +14155550100.", code="invalid_phone"
            ) from None


class AssistantAdminForm(forms.ModelForm):
    """Refuses a model, voice provider or language Vapi would refuse, and a greeting without its
    disclosures (voice/assistants/validation.py), on the field, before the
    save (saving here never pushes: "Push configuration to Vapi" does). Only values changed in
    the form are checked: one pulled from Vapi stays."""

    class Meta:
        model = Assistant
        fields = (
            "property",
            "name",
            "vapi_phone_number_id",
            "first_message",
            "outbound_first_message",
            "system_prompt",
            "voice_provider",
            "voice_id",
            "model",
            "language",
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        changed = {name: cleaned.get(name) for name in CHECKED_FIELDS if name in self.changed_data}
        prop = cleaned.get("property")
        legal_name = prop.organization.legal_name if prop is not None else ""
        try:
            assistant_settings_validate(changed, legal_name=legal_name)
        except ValidationError as exc:
            for field_name, errors in exc.error_dict.items():
                self.add_error(field_name, errors)
        return cleaned


@admin.register(Assistant)
class AssistantAdmin(OrganizationScopedAdmin, admin.ModelAdmin):
    change_access = CONFIGURE_ASSISTANT  # agents see assistants; managers change them
    form = AssistantAdminForm
    list_display = (
        "name",
        "property",
        "vapi_assistant_id",
        "voice_provider",
        "model",
        "push_state",
        "live_version",
        "last_pushed_at",
    )
    list_filter = ("push_state", "voice_provider", "model", "language")
    search_fields = ("name", "vapi_assistant_id", "property__name")
    list_select_related = ("property",)
    raw_id_fields = ("property",)
    readonly_fields = (
        "vapi_assistant_id",
        "push_state",
        "live_version",
        "last_pushed_at",
        "last_push_error",
        "last_pushed_config",
        "created_at",
        "updated_at",
    )
    actions = ("push_to_vapi", "refresh_knowledge", "place_test_call")

    @admin.display(description="Live version", ordering="latest_version")
    def live_version(self, obj: Assistant) -> str:
        # Vapi's Assistant.latestVersion from the last push or pull (vapi-reference.md §12.14);
        # null while the org is not onboarded to versioning.
        return obj.latest_version or "not versioned"

    @admin.action(description="Push configuration to Vapi", permissions=["change"])
    def push_to_vapi(self, request: HttpRequest, queryset: QuerySet[Assistant]) -> None:
        results = assistants_push(assistants=queryset.select_related("property"))
        message_results(self, request, results)

    @admin.action(description="Refresh knowledge", permissions=["change"])
    def refresh_knowledge(self, request: HttpRequest, queryset: QuerySet[Assistant]) -> None:
        results = assistants_refresh_knowledge(assistants=queryset.select_related("property"))
        message_results(self, request, results)

    @admin.action(description="Place a test call", permissions=["change"])
    def place_test_call(
        self, request: HttpRequest, queryset: QuerySet[Assistant]
    ) -> TemplateResponse | None:
        form = TestCallForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            results = assistants_place_test_call(
                assistants=queryset.select_related("property"),
                phone_number=form.cleaned_data["phone_number"],
                requested_by=request.user,
            )
            message_results(self, request, results)
            return None
        return _action_page(
            self,
            request,
            queryset.select_related("property"),
            "admin/voice/assistant_test_call.html",
            action="place_test_call",
            title="Place a test call",
            form=form,
        )


@admin.register(CallLog)
class CallLogAdmin(OrganizationScopedAdmin, admin.ModelAdmin):
    """Read-only call log; the change page is a conversation view (see `change_form.html`)."""

    change_form_template = "admin/voice/calllog/change_form.html"
    # Seven short columns fit a 1366-px laptop beside the filters (tests/browser/test_admin_layout):
    # the status is in the outcome ("In progress"), the direction and number under the caller.
    list_display = ("when", "caller", "property", "outcome", "duration", "cost_display")
    list_display_links = ("when",)
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
    actions = ("refresh_from_vapi",)

    class Media:
        css = {"all": ("voice/admin.css",)}

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
            return self.visible_or_none(request, call_log_get(pk=int(object_id)))
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

    # Viewing is enough: the refresh writes only what Vapi says about the call (like re-processing
    # a webhook), nothing staff could edit.
    @admin.action(description="Refresh from Vapi", permissions=["view"])
    def refresh_from_vapi(self, request: HttpRequest, queryset: QuerySet[CallLog]) -> None:
        if queryset.count() > MAX_CALLS_PER_REFRESH:
            self.message_user(request, TOO_MANY_CALLS, messages.ERROR)
            return
        results = call_logs_refresh(
            call_logs=queryset.select_related(None).only("id", "vapi_call_id", "direction")
        )
        message_results(self, request, results)

    @admin.display(description="When", ordering="created_at")
    def when(self, obj: CallLog) -> str:
        # In the property's own zone, like the dashboard's days and the call page's tour times.
        zone = obj.property.tz if obj.property_id else timezone.get_default_timezone()
        local = timezone.localtime(obj.created_at, zone)
        return f"{local.day} {local:%b %H:%M %Z}"

    @admin.display(description="Caller", ordering="customer_number")
    def caller(self, obj: CallLog) -> str:
        who = str(obj.lead) if obj.lead_id else obj.customer_number or "Unknown caller"
        detail = obj.get_direction_display()
        if obj.lead_id and obj.customer_number:
            detail = f"{detail} · {obj.customer_number}"
        return format_html('{}<div class="v-cell-note">{}</div>', who, detail)

    @admin.display(description="Outcome", ordering="ended_reason")
    def outcome(self, obj: CallLog) -> str:
        bucket = call_outcome(status=obj.status, ended_reason=obj.ended_reason)
        reason = ended_reason_label(reason=obj.ended_reason)
        if not reason:
            return OUTCOME_LABELS[bucket]
        return format_html('{}:<div class="v-cell-note">{}</div>', OUTCOME_LABELS[bucket], reason)

    @admin.display(description="Duration", ordering="duration_seconds")
    def duration(self, obj: CallLog) -> str:
        return format_clock(obj.duration_seconds)

    @admin.display(description="Cost", ordering="cost")
    def cost_display(self, obj: CallLog) -> str:
        return "" if obj.cost is None else f"${obj.cost:,.2f}"


# leads does not import voice (dependency direction voice -> leads), so voice adds the
# call history to the lead page itself (the "Calls" card of its template).
admin.site.unregister(Lead)


@admin.register(Lead)
class LeadWithCallsAdmin(LeadAdmin):
    change_form_template = "admin/voice/lead_change_form.html"
    actions = ("call_with_ai_assistant", "create_campaign")

    # `change`: working leads at their property, which is what placing calls and creating a
    # campaign need (properties/access.py WORK_LEADS; the selection is narrowed to it).
    @admin.action(description="Create campaign from selected leads", permissions=["change"])
    def create_campaign(
        self, request: HttpRequest, queryset: QuerySet[Lead]
    ) -> HttpResponse | None:
        return campaigns_admin.leads_create_campaign_page(self, request, queryset)

    @admin.action(description="Call with AI assistant", permissions=["change"])
    def call_with_ai_assistant(
        self, request: HttpRequest, queryset: QuerySet[Lead]
    ) -> TemplateResponse | None:
        if queryset.count() > MAX_LEADS_PER_BATCH:
            self.message_user(request, TOO_MANY_LEADS, messages.ERROR)
            return None
        # Planned again on confirmation: consent, calls in progress and the clock may have moved.
        plan = leads_call_plan(leads=queryset)
        # The schedule button posts `post=yes` too (one form): it is checked first.
        if request.POST.get("schedule") == "yes":
            self._schedule(request, plan)
            return None
        if request.POST.get("post") == "yes":
            message_results(self, request, leads_call(plan=plan, requested_by=request.user))
            return None
        to_call = [item for item in plan if item.will_call]
        to_schedule = [item for item in plan if item.can_schedule]
        return _action_page(
            self,
            request,
            queryset,
            "admin/voice/lead_call_confirmation.html",
            action="call_with_ai_assistant",
            title="Call with AI assistant",
            plan=plan,
            to_call=len(to_call),
            to_schedule=len(to_schedule),
            skipped=len(plan) - len(to_call),
        )

    def _schedule(self, request: HttpRequest, plan: list[PlannedCall]) -> None:
        """Outside calling hours: one started campaign per property of the leads refused only
        for the hour; the runner calls each at its next allowed moment."""
        campaigns = leads_schedule(plan=plan, requested_by=request.user)
        if not campaigns:
            self.message_user(
                request,
                "Nothing to schedule: no selected lead is waiting only for calling hours now.",
                messages.WARNING,
            )
            return
        for campaign in campaigns:
            count = campaign.contacts.count()
            url = reverse("admin:voice_campaign_change", args=[campaign.pk])
            message = format_html(
                '{} call{} scheduled; see campaign <a href="{}">{}</a>.',
                count,
                pluralize(count),
                url,
                campaign.name,
            )
            self.message_user(request, message, messages.SUCCESS)

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


# properties does not import voice either: the voice action is added to the property admin here.
admin.site.unregister(Property)


@admin.register(Property)
class PropertyWithVoiceAdmin(PropertyAdmin):
    actions = ("create_or_update_assistant", "simulate_inbound_call")

    @admin.action(description="Create or update voice assistant", permissions=["voice"])
    def create_or_update_assistant(
        self, request: HttpRequest, queryset: QuerySet[Property]
    ) -> None:
        results = assistants_push_for_properties(properties=queryset.prefetch_related("assistants"))
        message_results(self, request, results)

    @admin.action(description="Simulate a prospect calling in (offline simulator)")
    def simulate_inbound_call(self, request: HttpRequest, queryset: QuerySet[Property]) -> None:
        message_results(self, request, properties_simulate_inbound_call(properties=queryset))

    def has_voice_permission(self, request: HttpRequest) -> bool:
        return user_has_access(request, CONFIGURE_ASSISTANT)


@admin.register(WebhookEvent)
class WebhookEventAdmin(admin.ModelAdmin):
    """The webhook inbox: read-only, with re-processing (webhooks/inbox.py holds the logic)."""

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
