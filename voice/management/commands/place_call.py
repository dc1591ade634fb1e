"""Have an assistant call someone now.

    python manage.py place_call --assistant 1 --to +14155550123 --lead 1
    python manage.py place_call --assistant 1 --to +14155550123 --scenario human --wait

--scenario tells the offline simulator which conversation to play (book_tour, human, voicemail,
no_answer); it travels in assistantOverrides.metadata.simScenario, which the real Vapi ignores.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from leads.compliance.gate import CallRefusedError
from leads.models import CallDecision, Lead
from voice.assistants.selectors import assistant_get
from voice.calls.outbound import call_place_outbound, call_wait_for_end
from voice.simulator.scenarios import SCENARIOS
from voice.vapi.errors import VoiceError


class Command(BaseCommand):
    help = "Place an outbound call from an assistant (local id or Vapi id) to a phone number."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--assistant", required=True, help="Assistant id (local or Vapi).")
        parser.add_argument("--to", required=True, help="Number to call, E.164 (+14155550123).")
        parser.add_argument("--lead", type=int, help="Lead id the call is about.")
        parser.add_argument(
            "--purpose",
            choices=[CallDecision.Purpose.MARKETING, CallDecision.Purpose.INFORMATIONAL],
            default=CallDecision.Purpose.MARKETING,
            help="informational: no sales content (e.g. a tour confirmation).",
        )
        parser.add_argument("--scenario", choices=sorted(SCENARIOS), help="Simulator only.")
        parser.add_argument("--wait", action="store_true", help="Wait for the call to end.")
        parser.add_argument("--timeout", type=float, default=120.0, help="--wait limit (s).")

    def handle(self, *args: Any, **options: Any) -> None:
        lead = None
        if options["lead"] is not None:
            lead = Lead.objects.filter(pk=options["lead"]).first()
            if lead is None:
                raise CommandError(f"There is no lead {options['lead']}.")
        metadata = {"simScenario": options["scenario"]} if options["scenario"] else None
        try:
            assistant = assistant_get(assistant_id=options["assistant"])
            call_log = call_place_outbound(
                assistant=assistant,
                phone_number=options["to"],
                lead=lead,
                metadata=metadata,
                path=CallDecision.Path.COMMAND,
                purpose=options["purpose"],
            )
            self.stdout.write(
                self.style.SUCCESS(f"Call {call_log.vapi_call_id} {call_log.status}")
                + f" (call log {call_log.pk})"
            )
            if options["wait"]:
                call = call_wait_for_end(
                    vapi_call_id=call_log.vapi_call_id, timeout_seconds=options["timeout"]
                )
                summary = (call.get("analysis") or {}).get("summary") or ""
                self.stdout.write(f"Ended: {call.get('endedReason')}. {summary}".strip())
        except CallRefusedError as exc:
            raise CommandError(f"Refused ({exc.reason}): {exc.message}") from exc
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        except VoiceError as exc:
            raise CommandError(str(exc)) from exc
