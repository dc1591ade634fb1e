"""Serve the simulator over HTTP: a threaded wsgiref server (stdlib, no extra dependency)."""

from __future__ import annotations

import logging
import threading
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

from voice.simulator.app import VapiSimulator

logger = logging.getLogger("voice.simulator")


class _Handler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("simulator %s %s", self.address_string(), format % args)


class SimulatorServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that timed out and hung up (the injected "timeout" fault) is not an error.
        logger.debug("simulator: client %s went away", client_address, exc_info=True)


def make_simulator_server(
    app: VapiSimulator, host: str = "127.0.0.1", port: int = 8001
) -> SimulatorServer:
    server = SimulatorServer((host, port), _Handler)
    server.set_app(app)
    return server


class RunningSimulator:
    """A simulator serving on a background thread (tests): `.url`, `.app`, `.stop()`."""

    def __init__(self, app: VapiSimulator, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self.server = make_simulator_server(app, host, port)
        host, port = self.server.server_address[:2]
        self.url = f"http://{host}:{port}"
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)
