"""The retention policy on the organization's admin page, and what the next run will remove.

properties does not import voice (dependency direction voice -> leads -> properties), so the
organization admin gains its policy inline here, as the property admin gains its voice actions
in voice/admin. Scoped like memberships (properties/admin.py OrganizationLevelAdmin): any member
sees the policy; only the organization's admins (MANAGE_MEMBERS, properties/access.py) change it.
"""

from typing import Any

from django.contrib import admin
from django.utils.html import format_html, format_html_join

from properties.admin import OrganizationAdmin, OrganizationLevelAdmin
from properties.models import Organization
from voice.models import RetentionPolicy
from voice.retention.services import retention_preview

NEXT_RUN_LABELS = {
    "recordings": "Call recordings (here and at Vapi)",
    "transcripts": "Transcripts, messages and call analysis (redacted or deleted)",
    "webhook_payloads": "Raw webhook deliveries (body cleared)",
    "leads": "Leads that never converted (deleted)",
}


class RetentionPolicyInline(OrganizationLevelAdmin, admin.StackedInline):
    model = RetentionPolicy
    can_delete = False  # no row means the defaults; deleting would only hide that
    max_num = 1
    extra = 1
    verbose_name = "retention policy"
    fields = (
        "recordings_days",
        ("transcripts_days", "transcript_action"),
        "webhook_payloads_days",
        "unconverted_leads_months",
    )


admin.site.unregister(Organization)


@admin.register(Organization)
class OrganizationWithRetentionAdmin(OrganizationAdmin):
    inlines = (*OrganizationAdmin.inlines, RetentionPolicyInline)
    readonly_fields = (*OrganizationAdmin.readonly_fields, "retention_next_run")
    fields = (*OrganizationAdmin.fields, "retention_next_run")

    @admin.display(description="Next retention run will remove")
    def retention_next_run(self, obj: Organization) -> Any:
        if obj is None or obj.pk is None:
            return "-"
        # The dry run of the daily task for this organization: the same counts
        # `manage.py apply_retention --dry-run --organization ID` prints.
        [entry] = retention_preview(organization=obj).organizations
        counts = entry.counts.as_dict()
        items = ((label, counts[kind]) for kind, label in NEXT_RUN_LABELS.items())
        rows = format_html_join("", "<li>{}: {}</li>", items)
        note = "Consents, do-not-call entries and call decisions are always kept."
        return format_html("<ul style='margin:0'>{}</ul><p>{}</p>", rows, note)
