"""Run a jobs worker on its own: `python -m app.worker`.

The API runs one in each of its processes unless JOBS_WORKER_IN_PROCESS is off; run
these where jobs should not share the API's processes (see deployment.md). SIGTERM
stops it gracefully (`app.jobs.worker`).
"""

import asyncio

from app.core.config import Settings, get_settings
from app.core.db import Database
from app.core.logging import configure_logging
from app.jobs.metrics import register_queue_metrics
from app.jobs.worker import run_worker
from app.observability.exporter import Exporter, server_folder
from app.observability.tracing import Tracing


async def main(settings: Settings) -> None:
    # Its jobs traced as the API's are, when OTEL_EXPORTER_OTLP_ENDPOINT is set.
    tracing = Tracing(settings) if settings.OTEL_EXPORTER_OTLP_ENDPOINT else None
    on_connect = tracing.instrument_connection if tracing else None
    db = Database(settings, on_connect=on_connect)
    await db.open()
    if tracing is not None:
        tracing.activate()
    # Its own metrics port, as the API's processes have (METRICS_PORT, 0: none).
    register_queue_metrics(settings)
    exporter = Exporter(server_folder(), settings.METRICS_PORT)
    if settings.METRICS_PORT:
        exporter.start()
    try:
        await run_worker(settings, db)
    finally:
        exporter.stop()
        await db.close()
        if tracing is not None:
            await asyncio.to_thread(tracing.shutdown)


if __name__ == "__main__":
    settings = get_settings()
    if not settings.DATABASE_URL and settings.ENVIRONMENT == "local":
        from devtools.embedded_postgres import prepare_local_database

        settings = settings.model_copy(
            update={"DATABASE_URL": prepare_local_database()}
        )
    configure_logging(settings)
    asyncio.run(main(settings))
