"""Pull calls from Vapi into the call log, so calls whose webhooks were missed are recovered.

    python manage.py sync_calls                                  # since the newest call we have
    python manage.py sync_calls --since 2026-03-01T00:00:00Z --dry-run
    python manage.py sync_calls --since 2026-03-01 --until 2026-03-02 --assistant <vapi id>

Each call is mapped exactly as the webhook maps it (voice/calls/sync.py); a row that already says
what Vapi says is not written and counts as unchanged, so a second run is a no-op. Calls are
streamed a page at a time, so memory stays flat however many there are. The exit status is
non-zero (message on stderr) when Vapi fails or any call could not be saved.
"""

from datetime import UTC, datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.dateparse import parse_date, parse_datetime

from voice.calls.sync import PROGRESS_EVERY, SyncResult, calls_sync_from_vapi


def moment(value: str) -> datetime:
    """ISO 8601 date-time (naive = UTC) or date (midnight UTC)."""
    try:
        parsed = parse_datetime(value)
        if parsed is None and (day := parse_date(value)) is not None:
            parsed = datetime(day.year, day.month, day.day, tzinfo=UTC)
    except ValueError:
        parsed = None
    if parsed is None:
        raise ValueError(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


moment.__name__ = "date-time"  # argparse's "invalid date-time value: ..."


class Command(BaseCommand):
    help = "Pull calls from Vapi and create or update their call logs (recovers missed webhooks)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--since",
            type=moment,
            help="Calls created after this (ISO 8601; default: the newest call log we have, "
            "minus an hour of overlap; everything when there are none).",
        )
        parser.add_argument("--until", type=moment, help="Calls created before this (ISO 8601).")
        parser.add_argument("--assistant", help="Only calls of this Vapi assistant id.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Report what would change; write nothing."
        )
        parser.add_argument(
            "--progress-every",
            type=int,
            default=PROGRESS_EVERY,
            metavar="N",
            help=f"Report progress after about every N calls (default {PROGRESS_EVERY}).",
        )

    def handle(
        self,
        *args: Any,
        since: datetime | None,
        until: datetime | None,
        assistant: str | None,
        dry_run: bool,
        progress_every: int,
        **options: Any,
    ) -> None:
        prefix = "Dry run: " if dry_run else ""
        self.stdout.write(f"{prefix}Pulling calls from Vapi…")
        result = calls_sync_from_vapi(
            since=since,
            until=until,
            assistant_id=assistant,
            dry_run=dry_run,
            on_progress=self._progress,
            progress_every=max(progress_every, 1),
        )
        summary = result.summary()
        window = f"created after {result.since:%Y-%m-%d %H:%M:%S} UTC" if result.since else "all"
        summary += f" ({window}" + ("; dry run: nothing was written)" if dry_run else ")")
        for failure in result.failures:
            self.stderr.write(f"failed: {failure}")
        if result.error is not None:
            raise CommandError(f"Vapi failed: {result.error} Stopped after {summary}.")
        if result.failed:
            raise CommandError(f"{result.failed} calls could not be saved: {summary}.")
        self.stdout.write(self.style.SUCCESS(f"Done: {summary}."))

    def _progress(self, result: SyncResult) -> None:
        self.stdout.write(f"… {result.summary()}")
