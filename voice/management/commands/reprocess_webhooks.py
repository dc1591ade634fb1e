"""Re-run stored Vapi webhook deliveries through their handlers.

python manage.py reprocess_webhooks                 # failed deliveries, and received ones whose
                                                    # worker died (older than --grace-seconds)
python manage.py reprocess_webhooks --id 12 --id 15 # these deliveries, whatever their status
python manage.py reprocess_webhooks --failed --type end-of-call-report --dry-run
python manage.py reprocess_webhooks --stuck --grace-seconds 120

Safe to run from cron: each delivery is claimed first, so one that a worker (or a redelivery) is
running meanwhile is skipped, never run twice.
"""

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q
from django.utils import timezone

from voice.models import WebhookEvent
from voice.webhooks.inbox import STUCK_AFTER, webhook_events_reprocess


class Command(BaseCommand):
    help = (
        "Re-process failed and stuck (received, worker gone) Vapi webhook deliveries, or the "
        "given ones; safe to re-run."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--id", dest="ids", type=int, action="append", default=[])
        parser.add_argument("--failed", action="store_true", help="Failed deliveries.")
        parser.add_argument(
            "--stuck", action="store_true", help="Received deliveries whose worker is gone."
        )
        parser.add_argument(
            "--grace-seconds",
            type=int,
            default=int(STUCK_AFTER.total_seconds()),
            help="A received delivery is stuck after this long (default: %(default)s).",
        )
        parser.add_argument("--type", dest="message_type", default="")
        parser.add_argument("--dry-run", action="store_true")

    def handle(
        self,
        *args: Any,
        ids: list[int],
        failed: bool,
        stuck: bool,
        grace_seconds: int,
        message_type: str,
        dry_run: bool,
        **options: Any,
    ) -> None:
        events = WebhookEvent.objects.order_by("received_at", "id").only("id")
        if ids:
            events = events.filter(pk__in=ids)
            missing = set(ids) - set(events.values_list("pk", flat=True))
            if missing:
                raise CommandError(
                    f"No webhook event with id {', '.join(map(str, sorted(missing)))}."
                )
        if not ids and not failed and not stuck:
            failed = stuck = True  # the default: everything that needs another run
        wanted = Q()
        if failed:
            wanted |= Q(status=WebhookEvent.Status.FAILED)
        if stuck:
            since = timezone.now() - timedelta(seconds=max(grace_seconds, 0))
            wanted |= Q(status=WebhookEvent.Status.RECEIVED, received_at__lt=since)
        if failed or stuck:
            events = events.filter(wanted)
        if message_type:
            events = events.filter(message_type=message_type)
        selected = list(events)
        if dry_run:
            self.stdout.write(f"{len(selected)} deliveries would be re-processed.")
            return
        result = webhook_events_reprocess(events=selected)
        if result.failed:
            raise CommandError(result.summary())
        self.stdout.write(self.style.SUCCESS(result.summary()))
