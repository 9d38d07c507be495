"""Stopping without dropping requests: on SIGTERM, readiness fails first, then the
server stops.

A balancer that learns from readiness which instances to use (Kubernetes, Traefik's
health checks, a cloud load balancer) needs a few seconds to notice that one is going
away. So the first SIGTERM only starts the drain: `/api/v1/utils/ready/` answers 503,
every answer says `Connection: close` (kept-alive clients reconnect elsewhere), and
requests are served as before. After SHUTDOWN_DRAIN_SECONDS the server is told to stop
as if the signal had just come: uvicorn stops accepting connections and lets those in
flight finish (its --timeout-graceful-shutdown). A second SIGTERM, or SIGINT (Ctrl-C),
stops it at once.

The drain hooks the handler the server installed for SIGTERM, so it works under
uvicorn, in each worker of `--workers N` (the supervisor passes SIGTERM on to them),
and does nothing where no server handles signals (the test client, a server in a
thread).
"""

import asyncio
import logging
import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

logger = logging.getLogger(__name__)

SignalHandler = Callable[[int, FrameType | None], Any]


class Drain:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.draining = False
        self._server_handler: SignalHandler | None = None

    def install(self) -> None:
        """Take over SIGTERM from the server (call from the lifespan's startup)."""
        if threading.current_thread() is not threading.main_thread():
            return
        handler = signal.getsignal(signal.SIGTERM)
        if not callable(handler):
            return  # no server handles SIGTERM here
        self._server_handler = handler
        loop = asyncio.get_running_loop()

        def on_sigterm(signum: int, frame: FrameType | None) -> None:
            if self.draining or not self.seconds:
                self.draining = True
                handler(signum, frame)
                return
            self.draining = True
            logger.info(
                "SIGTERM: not ready from now on; stopping in %s s", self.seconds
            )
            loop.call_soon_threadsafe(
                loop.call_later, self.seconds, handler, signum, frame
            )

        signal.signal(signal.SIGTERM, on_sigterm)

    def uninstall(self) -> None:
        """Give SIGTERM back to the server (the lifespan's shutdown)."""
        if self._server_handler is not None:
            signal.signal(signal.SIGTERM, self._server_handler)
            self._server_handler = None
