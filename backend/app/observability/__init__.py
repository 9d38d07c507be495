"""What the app tells about itself besides its logs: metrics and traces.

- `metrics`: the Prometheus metrics and the calls that count them;
- `exporter`: one `/metrics` endpoint per server on METRICS_PORT, summing every
  worker's counts;
- `tracing`: OpenTelemetry spans over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT is set.

`Observability` is what the app factory and the lifespan use: it is built from the
settings, and each part is None when its setting switches it off.
"""

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from typing import Any

from anyio import to_thread
from fastapi.telemetry import TelemetryConfig

from app.core.config import Settings
from app.core.db import Database
from app.observability import tracing
from app.observability.exporter import Exporter, server_folder
from app.observability.metrics import AppMetrics, app_metrics
from app.observability.tracing import Tracing

# How often each worker reads its pool's connections and its GC counts.
SAMPLE_SECONDS = 1.0


class Observability:
    def __init__(self, settings: Settings) -> None:
        self.metrics_port = settings.METRICS_PORT
        self.metrics: AppMetrics | None = (
            app_metrics() if settings.METRICS_PORT else None
        )
        self.tracing: Tracing | None = (
            Tracing(settings) if settings.OTEL_EXPORTER_OTLP_ENDPOINT else None
        )

    def fastapi_telemetry(self) -> TelemetryConfig:
        return self.tracing.fastapi_telemetry() if self.tracing else tracing.OFF

    def database_hooks(self) -> dict[str, Callable[..., None] | None]:
        """`Database`'s observers: the pool's waits, each new connection."""
        return {
            "on_pool_wait": self.metrics.pool_wait.observe if self.metrics else None,
            "on_connect": self.tracing.instrument_connection if self.tracing else None,
        }

    @asynccontextmanager
    async def running(self, db: Database) -> AsyncIterator[None]:
        """The exporter and the sampler for as long as the app serves."""
        exporter = sampler = None
        if self.metrics is not None:
            exporter = Exporter(server_folder(), self.metrics_port)
            exporter.start()
            sampler = asyncio.create_task(_sample(self.metrics, db))
        if self.tracing is not None:
            self.tracing.activate()
        try:
            yield
        finally:
            if sampler is not None:
                sampler.cancel()
                with suppress(asyncio.CancelledError):
                    await sampler
            if exporter is not None:
                exporter.stop()
            if self.tracing is not None:
                # Sends the last batch: network I/O, off the event loop.
                await to_thread.run_sync(self.tracing.shutdown)


async def _sample(metrics: AppMetrics, db: Database) -> None:
    while True:
        stats: Any = db.pool.get_stats()
        metrics.sample(stats)
        await asyncio.sleep(SAMPLE_SECONDS)
