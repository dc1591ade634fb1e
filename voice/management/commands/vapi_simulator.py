"""Serve the offline Vapi simulator (voice/simulator/).

    python manage.py vapi_simulator                 # http://127.0.0.1:8001, what `make run` starts
    python manage.py vapi_simulator --port 9001 --delay 0
    python manage.py vapi_simulator --real-vapi     # signs only for a credential, like Vapi
    python manage.py vapi_simulator --outcomes answered=0.5,no_answer=0.3,busy=0.1,voicemail=0.1 \
        --seed 7 --time-scale 60                    # a campaign rehearsal, 60x faster
    python manage.py vapi_simulator --concurrency-limit 2   # refuse a 3rd simultaneous call

Point the app at it with VAPI_BASE_URL=http://127.0.0.1:8001 and the same VAPI_API_KEY. Played
calls send their webhooks to PUBLIC_BASE_URL + /api/v1/voice/webhook (or the assistant's
server.url), signed with VAPI_WEBHOOK_SECRET per VAPI_WEBHOOK_AUTH_MODE.
"""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from voice.assistants.config import WEBHOOK_PATH
from voice.simulator import SimulatorConfig, VapiSimulator
from voice.simulator.outcomes import (
    OutcomeMixError,
    parse_mix_text,
    validate_concurrency_limit,
    validate_time_scale,
)
from voice.simulator.server import make_simulator_server
from voice.simulator.state import DEFAULT_CONCURRENCY_LIMIT

DEFAULT_KEY = "simulator-key"


class Command(BaseCommand):
    help = "Serve a fake Vapi API that plays calls as signed webhooks (offline development)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8001)
        parser.add_argument(
            "--delay",
            type=float,
            default=0.5,
            help="Seconds between the webhook messages of a played call (default 0.5).",
        )
        parser.add_argument(
            "--webhook-url",
            default=None,
            help="Org-level server URL (default: PUBLIC_BASE_URL + /api/v1/voice/webhook).",
        )
        parser.add_argument(
            "--real-vapi",
            action="store_true",
            help="Behave like a real Vapi account: sign a webhook only for a credential made "
            "through /credential that the assistant or number references (try vapi_setup).",
        )

        parser.add_argument(
            "--outcomes",
            default=None,
            help="Outcome mix of outbound calls placed without a scenario, e.g. "
            "answered=0.5,no_answer=0.3,busy=0.1,voicemail=0.1 (weights are normalized; "
            "default: every call is answered, book_tour).",
        )
        parser.add_argument(
            "--seed", type=int, default=0, help="Seed of the outcome draw (default 0)."
        )
        parser.add_argument(
            "--time-scale",
            type=float,
            default=1.0,
            help="Play calls this many times faster: divides the pauses between webhook "
            "messages; reported timestamps and durations stay realistic (default 1).",
        )
        parser.add_argument(
            "--concurrency-limit",
            type=int,
            default=DEFAULT_CONCURRENCY_LIMIT,
            help="Calls the org may have up at once, as Vapi's concurrency limit: a POST /call "
            "over it ends at once with call.start.error-subscription-concurrency-limit-reached "
            f"(default {DEFAULT_CONCURRENCY_LIMIT}, Vapi's default).",
        )

    def handle(
        self,
        *args: Any,
        host: str,
        port: int,
        delay: float,
        webhook_url: str | None,
        real_vapi: bool = False,
        outcomes: str | None = None,
        seed: int = 0,
        time_scale: float = 1.0,
        concurrency_limit: int = DEFAULT_CONCURRENCY_LIMIT,
        **options: Any,
    ) -> None:
        try:
            mix = parse_mix_text(outcomes) if outcomes else None
            scale = validate_time_scale(time_scale)
            limit = validate_concurrency_limit(concurrency_limit)
        except OutcomeMixError as exc:
            message = str(exc).replace("timeScale", "--time-scale")
            raise CommandError(message.replace("concurrencyLimit", "--concurrency-limit")) from exc
        config = SimulatorConfig(
            api_key=settings.VAPI_API_KEY or DEFAULT_KEY,
            webhook_url=webhook_url or settings.PUBLIC_BASE_URL.rstrip("/") + WEBHOOK_PATH,
            webhook_secret=settings.VAPI_WEBHOOK_SECRET,
            webhook_auth_mode=settings.VAPI_WEBHOOK_AUTH_MODE,
            message_delay=max(0.0, delay),
            public_url=f"http://{host}:{port}",
            real_vapi=real_vapi,
            outcome_mix=mix,
            outcome_seed=seed,
            time_scale=scale,
            concurrency_limit=limit,
        )
        try:
            server = make_simulator_server(VapiSimulator(config), host, port)
        except OSError as exc:
            raise CommandError(f"Cannot listen on {host}:{port}: {exc.strerror}") from exc
        key_note = "VAPI_API_KEY" if settings.VAPI_API_KEY else f'"{DEFAULT_KEY}"'
        self.stdout.write(
            self.style.SUCCESS(f"Vapi simulator on http://{host}:{port}")
            + f" (expects the bearer key {key_note}; webhooks to {config.webhook_url}, "
            f"signing: {self._signing(config)})"
        )
        if not config.webhook_secret and not real_vapi:
            self.stderr.write("VAPI_WEBHOOK_SECRET is empty: webhook deliveries are unsigned.")
        try:
            server.serve_forever(poll_interval=0.2)
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()

    @staticmethod
    def _signing(config: SimulatorConfig) -> str:
        if config.real_vapi:
            return "real-Vapi mode, only with a credential the server references"
        return config.webhook_auth_mode if config.webhook_secret else "none"
