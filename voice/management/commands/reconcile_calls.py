"""Settle every outbound call whose outcome is unknown against Vapi's call list.

    python manage.py reconcile_calls

A POST /call that got no answer is recorded with status `unknown` (voice/calls/reconcile.py).
Each such call log is looked up in GET /call (our attemptId, else the number and time window):
placed after all, it takes Vapi's call id and status; not found, it becomes `failed` (not
placed). Calling a number does this for that number anyway; this command is for operators and a
periodic job. The exit status is non-zero (message on stderr) when Vapi cannot be asked.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from voice.calls.reconcile import call_logs_reconcile_unknown
from voice.vapi.errors import VoiceError


class Command(BaseCommand):
    help = "Check outbound calls whose outcome is unknown against Vapi's call list."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            results = call_logs_reconcile_unknown()
        except VoiceError as exc:
            raise CommandError(f"Could not reconcile: {exc}") from exc
        for result in results:
            call_log = result.call_log
            outcome = "not placed"
            if result.placed:
                outcome = f"placed (Vapi call {call_log.vapi_call_id})"
            self.stdout.write(f"Call log {call_log.pk}: {outcome}")
        placed = sum(result.placed for result in results)
        summary = f"{len(results)} unknown: {placed} placed, {len(results) - placed} not placed"
        self.stdout.write(self.style.SUCCESS(summary))
