"""Make the offline simulator ring one of our leasing numbers, as if a prospect called.

    python manage.py simulate_inbound_call --to +14155550100 --from +14155550199
    python manage.py simulate_inbound_call --to +15125550142 --from +15125550111 --scenario human

The simulator first asks our webhook which assistant answers (assistant-request), then plays the
scenario. Only works against the simulator (VAPI_BASE_URL as `make run` sets it).
"""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from voice.calls.outbound import call_wait_for_end
from voice.simulator.control import simulator_start_inbound_call
from voice.simulator.scenarios import SCENARIOS
from voice.vapi.errors import VoiceError


class Command(BaseCommand):
    help = "Simulate a call to one of our numbers (offline simulator only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--to", required=True, help="Our leasing number, E.164.")
        parser.add_argument("--from", dest="from_number", required=True, help="Caller, E.164.")
        parser.add_argument("--scenario", choices=sorted(SCENARIOS), default="book_tour")
        parser.add_argument("--wait", action="store_true", help="Wait for the call to end.")
        parser.add_argument("--timeout", type=float, default=120.0, help="--wait limit (s).")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            call = simulator_start_inbound_call(
                base_url=settings.VAPI_BASE_URL,
                api_key=settings.VAPI_API_KEY,
                to=options["to"],
                from_number=options["from_number"],
                scenario=options["scenario"],
            )
            self.stdout.write(
                self.style.SUCCESS(f"Inbound call {call['id']} started")
                + f" ({options['scenario']}); webhooks go to the server as the call plays."
            )
            if options["wait"]:
                ended = call_wait_for_end(
                    vapi_call_id=call["id"], timeout_seconds=options["timeout"]
                )
                summary = (ended.get("analysis") or {}).get("summary") or ""
                self.stdout.write(f"Ended: {ended.get('endedReason')}. {summary}".strip())
        except VoiceError as exc:
            raise CommandError(str(exc)) from exc
