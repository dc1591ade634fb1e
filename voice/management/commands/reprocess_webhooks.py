"""Re-run stored Vapi webhook deliveries through their handlers.

python manage.py reprocess_webhooks                 # every failed delivery
python manage.py reprocess_webhooks --id 12 --id 15 # these deliveries, whatever their status
python manage.py reprocess_webhooks --failed --type end-of-call-report --dry-run
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from voice.models import WebhookEvent
from voice.webhooks.inbox import webhook_events_reprocess


class Command(BaseCommand):
    help = "Re-process failed (or the given) Vapi webhook deliveries; safe to re-run."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--id", dest="ids", type=int, action="append", default=[])
        parser.add_argument("--failed", action="store_true", help="Failed deliveries (default).")
        parser.add_argument("--type", dest="message_type", default="")
        parser.add_argument("--dry-run", action="store_true")

    def handle(
        self, *args: Any, ids: list[int], failed: bool, message_type: str, dry_run: bool, **options
    ) -> None:
        events = WebhookEvent.objects.order_by("received_at", "id").only("id")
        if ids:
            events = events.filter(pk__in=ids)
            missing = set(ids) - set(events.values_list("pk", flat=True))
            if missing:
                raise CommandError(
                    f"No webhook event with id {', '.join(map(str, sorted(missing)))}."
                )
        if failed or not ids:
            events = events.filter(status=WebhookEvent.Status.FAILED)
        if message_type:
            events = events.filter(message_type=message_type)
        selected = list(events)
        if dry_run:
            self.stdout.write(f"{len(selected)} deliveries would be re-processed.")
            return
        result = webhook_events_reprocess(events=selected)
        summary = f"{result.processed} processed, {result.ignored} ignored, {result.failed} failed."
        if result.failed:
            raise CommandError(summary)
        self.stdout.write(self.style.SUCCESS(summary))
