"""Plays a simulated call in the background: a `Conversation` (player.py) driven by its scenario
(scenarios.py)."""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from voice.simulator.player import CallEnded, Conversation
from voice.simulator.scenarios import REFUSED_STARTS, SCENARIOS

if TYPE_CHECKING:
    from voice.simulator.app import VapiSimulator

logger = logging.getLogger("voice.simulator")


class CallPlayer(threading.Thread):
    """Plays one call in the background (so POST /call can answer 201 first, like Vapi)."""

    def __init__(self, sim: VapiSimulator, *, call_id: str, scenario: str, inbound: bool) -> None:
        super().__init__(name=f"vapi-sim-call-{call_id[:8]}", daemon=True)
        self.sim = sim
        self.call_id = call_id
        self.scenario = scenario
        self.inbound = inbound

    def run(self) -> None:
        call = self.sim.state.get_call(self.call_id)
        if call is None:
            self.sim.state.call_finished(self.call_id)
            return
        conversation = Conversation(self.sim, call, inbound=self.inbound)
        play = (
            SCENARIOS.get(self.scenario)
            or REFUSED_STARTS.get(self.scenario)
            or SCENARIOS["book_tour"]
        )
        try:
            conversation.resolve_assistant()
            play(conversation)
        except CallEnded:
            pass
        except Exception:
            logger.exception("sim call %s: scenario %s failed", self.call_id[:8], self.scenario)
            conversation.end("call.in-progress.error-vapifault-simulator")
        finally:
            conversation.close()
            self.sim.state.call_finished(self.call_id)
