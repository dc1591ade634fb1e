"""Push every property's assistant to Vapi, or pull the assistants' settings back from Vapi.

    python manage.py sync_assistants                          # push all (creates missing ones)
    python manage.py sync_assistants --property "Harbor View Apartments" --dry-run
    python manage.py sync_assistants --pull                   # refresh local rows from Vapi
    python manage.py sync_assistants --pull --property 2 --dry-run

Push first checks the structured outputs the assistants reference (vapi-reference.md §12.4;
created, found by name or corrected at Vapi as needed), then builds each config from the property
data and creates (no Vapi id) or PATCHes it, so running it twice gives the same result. Pull
GETs each assistant and copies name, first message, model, prompt instructions, voice and
language into the local row; a Vapi assistant made for one of our properties but missing locally
is added; one that Vapi no longer has is reported, never deleted. The exit status is non-zero
when any assistant failed.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from properties.models import Property
from properties.selectors import property_find
from voice.assistants.operations import assistants_pull, assistants_push_for_properties
from voice.batch import Outcome, Result
from voice.structured_outputs import structured_outputs_sync
from voice.vapi.errors import VoiceError

STYLES = {
    Outcome.FAILED: "ERROR",
    Outcome.SKIPPED: "WARNING",
    Outcome.UNCHANGED: "HTTP_NOT_MODIFIED",
}


class Command(BaseCommand):
    help = "Push every property's voice assistant to Vapi (or --pull them from Vapi)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--property",
            action="append",
            dest="properties",
            metavar="PROPERTY",
            help="Only this property (id or name); repeat for more.",
        )
        parser.add_argument(
            "--pull", action="store_true", help="Refresh local assistants from Vapi instead."
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Report what would change; write nothing."
        )

    def handle(
        self,
        *args: Any,
        properties: list[str] | None,
        pull: bool,
        dry_run: bool,
        **options: Any,
    ) -> None:
        selected = None
        if properties:
            try:
                ids = [property_find(query=query).pk for query in properties]
            except (Property.DoesNotExist, Property.MultipleObjectsReturned) as exc:
                raise CommandError(str(exc)) from exc
            selected = Property.objects.filter(pk__in=ids)
        scope = selected if selected is not None else Property.objects.all()
        self._done = 0
        prefix = "Dry run: " if dry_run else ""
        if pull:
            self.stdout.write(f"{prefix}Pulling assistants from Vapi…")
            results = assistants_pull(
                properties=selected, dry_run=dry_run, on_result=self._progress
            )
        else:
            count = scope.count()
            noun = "property" if count == 1 else "properties"
            self.stdout.write(f"{prefix}Pushing the assistants of {count} {noun} to Vapi…")
            if not dry_run:
                self._sync_structured_outputs()
            results = assistants_push_for_properties(
                properties=scope.order_by("name").prefetch_related("assistants"),
                dry_run=dry_run,
                on_result=self._progress,
            )
        self._summary(results, dry_run=dry_run)

    def _sync_structured_outputs(self) -> None:
        """Check the structured outputs at Vapi once per run (each push then trusts the stored
        ids): one deleted or edited in the dashboard is put back. A failure is only reported
        here; every push retries the sync and reports its own failure."""
        try:
            synced = structured_outputs_sync(verify=True)
        except VoiceError as exc:
            self.stdout.write(self.style.WARNING(f"Structured outputs not checked: {exc}"))
            return
        self.stdout.write(f"Structured outputs: {synced.summary()}.")

    def _progress(self, result: Result) -> None:
        self._done += 1
        style = getattr(self.style, STYLES.get(result.outcome, "SUCCESS"))
        self.stdout.write(
            f"[{self._done}] {style(result.outcome.value)} {result.label}: {result.message}"
        )

    def _summary(self, results: list[Result], *, dry_run: bool) -> None:
        counts = {outcome: 0 for outcome in Outcome if outcome != Outcome.CALLED}
        for result in results:
            counts[result.outcome] += 1
        summary = ", ".join(f"{n} {outcome}" for outcome, n in counts.items())
        if dry_run:
            summary += " (dry run: nothing was written)"
        failed = counts[Outcome.FAILED]
        if failed:
            raise CommandError(f"{failed} of {len(results)} failed: {summary}.")
        self.stdout.write(self.style.SUCCESS(f"Done: {summary}."))
