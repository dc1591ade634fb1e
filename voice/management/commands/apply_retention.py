"""Apply each organization's retention policy now, or show what it would remove.

    python manage.py apply_retention [--organization ID] [--dry-run]

Prints, per organization, its periods and the counts per kind: recordings (here and at Vapi),
transcripts (redacted or deleted), webhook bodies, never-converted leads. `--dry-run` changes
nothing and prints the counts the real run would then report. The daily task
(`retention.apply`) does the same as the real run.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from properties.models import Organization
from voice.retention.services import KINDS, retention_apply


class Command(BaseCommand):
    help = "Apply each organization's retention policy (or, with --dry-run, count what is due)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--organization", type=int, help="Only this organization (its id).")
        parser.add_argument(
            "--dry-run", action="store_true", help="Change nothing; print what would go."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        organization = None
        if options["organization"] is not None:
            organization = Organization.objects.filter(pk=options["organization"]).first()
            if organization is None:
                raise CommandError(f"No organization with id {options['organization']}.")
        dry_run = options["dry_run"]
        report = retention_apply(organization=organization, dry_run=dry_run)
        verb = "would remove" if dry_run else "removed"
        for entry in report.organizations:
            policy = entry.policy
            label = entry.name
            if entry.organization_id is not None:
                label = f"{entry.name} (id {entry.organization_id})"
            self.stdout.write(
                f"{label}: recordings after {policy.recordings_days} d, transcripts after "
                f"{policy.transcripts_days} d ({policy.transcript_action}), webhook bodies after "
                f"{policy.webhook_payloads_days} d, unconverted leads after "
                f"{policy.unconverted_leads_months} months"
            )
            counts = entry.counts.as_dict()
            line = ", ".join(f"{kind} {counts[kind]}" for kind in KINDS)
            self.stdout.write(f"  {verb}: {line}")
            if counts["vapi_pending"]:
                self.stdout.write(
                    self.style.WARNING(
                        f"  {counts['vapi_pending']} recordings kept: Vapi could not delete them "
                        "(retried next run)"
                    )
                )
        totals = report.totals.as_dict()
        summary = ", ".join(f"{kind} {totals[kind]}" for kind in KINDS)
        prefix = "Dry run, nothing changed. Due" if dry_run else "Done. Removed"
        self.stdout.write(self.style.SUCCESS(f"{prefix}: {summary}"))
