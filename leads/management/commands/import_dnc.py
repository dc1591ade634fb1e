"""Load one do-not-call registry download for one area code.

    python manage.py import_dnc 415.txt --area-code 415 --downloaded 2026-11-20
    python manage.py import_dnc fl-305.csv --area-code 305 --downloaded 2026-11-20 --registry FL

The file is the registry's own format: one 10-digit number per line (the FTC's download), or
"areacode,number" per line. Each import is a new snapshot; the compliance gate uses the latest
snapshot per registry and area code, and pauses calls to that area code once it is more than 31
days old (47 CFR 64.1200(c)(2)).
"""

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from leads.compliance.models import DncSnapshot
from leads.compliance.rules import US_STATES
from leads.compliance.services import dnc_import


class Command(BaseCommand):
    help = "Import a do-not-call registry file (one area code) as a new snapshot."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="The registry file (text or CSV).")
        parser.add_argument("--area-code", required=True, help="The file's area code, e.g. 415.")
        parser.add_argument(
            "--downloaded", required=True, help="When the file was downloaded (YYYY-MM-DD)."
        )
        parser.add_argument(
            "--registry",
            default=DncSnapshot.NATIONAL,
            help='"national" (default) or the state whose list it is (FL, TX...).',
        )

    def handle(self, *args: Any, **options: Any) -> None:
        area_code = options["area_code"].strip()
        if not (len(area_code) == 3 and area_code.isdigit()):
            raise CommandError("--area-code takes three digits, e.g. 415.")
        registry = options["registry"].strip()
        registry = (
            registry.lower() if registry.lower() == DncSnapshot.NATIONAL else registry.upper()
        )
        if registry != DncSnapshot.NATIONAL and registry not in US_STATES:
            raise CommandError('--registry takes "national" or a two-letter state code.')
        try:
            downloaded = datetime.strptime(options["downloaded"], "%Y-%m-%d").replace(tzinfo=UTC)
        except ValueError:
            raise CommandError("--downloaded takes a date, YYYY-MM-DD.") from None
        path: Path = options["file"]
        try:
            with path.open(encoding="utf-8-sig") as lines:
                snapshot = dnc_import(
                    lines=lines, area_code=area_code, downloaded_at=downloaded, registry=registry
                )
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}") from exc
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(f"Imported {snapshot.count} numbers")
            + f" into the {registry} list for area code {area_code}"
            f" (downloaded {downloaded:%Y-%m-%d}, snapshot {snapshot.pk})."
        )
