"""Make Vapi sign our webhooks: create or find the webhook credential, store its id, and bring
the assistants and leasing numbers up to date with it (voice/assistants/setup.py).

    python manage.py vapi_setup

Safe to run again: a rerun with nothing changed creates and pushes nothing. A changed
VAPI_WEBHOOK_SECRET (or signature header names) PATCHes the same credential. Exits non-zero when
Vapi fails or any assistant or number could not be updated.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from voice.assistants.setup import vapi_setup
from voice.batch import Outcome, Result
from voice.vapi.errors import VoiceError

STYLES = {
    Outcome.FAILED: "ERROR",
    Outcome.SKIPPED: "WARNING",
    Outcome.UNCHANGED: "HTTP_NOT_MODIFIED",
}


class Command(BaseCommand):
    help = "Create (or find) the Vapi webhook credential and make every assistant reference it."

    # This command is the fix the voice.E004 check names: it must run while that check fails.
    requires_system_checks: list[str] = []

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            done = vapi_setup(on_result=self._progress)
        except VoiceError as exc:
            raise CommandError(str(exc)) from exc
        if done.overridden_by_setting:
            self.stdout.write(
                self.style.WARNING(
                    "VAPI_WEBHOOK_CREDENTIAL_ID is set: assistants reference that id, not "
                    f"{done.credential.vapi_credential_id}. Unset it to use this credential."
                )
            )
        failed = [result for result in done.results if result.failed]
        if failed:
            raise CommandError(f"{len(failed)} of {len(done.results)} failed.")
        self.stdout.write(self.style.SUCCESS("Done: Vapi signs our webhooks."))

    def _progress(self, result: Result) -> None:
        style = getattr(self.style, STYLES.get(result.outcome, "SUCCESS"))
        self.stdout.write(f"{style(result.outcome.value)} {result.label}: {result.message}")
