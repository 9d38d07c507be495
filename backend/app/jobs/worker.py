"""Running the jobs: a worker inside the API process, or one on its own.

A worker sends a heartbeat every few seconds. Each worker also looks, every
`JOBS_STALLED_AFTER_SECONDS / 4`, for jobs held by a worker whose heartbeat stopped
longer than JOBS_STALLED_AFTER_SECONDS ago (killed, or its machine lost) and queues
them again: at-least-once, which the jobs make safe (an email claims its job id).

On SIGTERM (or when the API stops) a worker takes no new job, lets running ones
finish for up to JOBS_SHUTDOWN_GRACE_SECONDS, then cancels them: a cancelled job is
retried like a failed one.
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import procrastinate
from procrastinate.worker import Worker

from app.core.config import Settings
from app.core.db import Database
from app.jobs.metrics import count_failed_jobs
from app.jobs.tasks import build_queue

logger = logging.getLogger(__name__)


def _worker(
    settings: Settings, queue: procrastinate.App, *, wait: bool, signals: bool
) -> Worker:
    stalled_after = settings.JOBS_STALLED_AFTER_SECONDS
    return Worker(
        queue,
        concurrency=settings.JOBS_WORKER_CONCURRENCY,
        wait=wait,
        install_signal_handlers=signals,
        shutdown_graceful_timeout=settings.JOBS_SHUTDOWN_GRACE_SECONDS,
        update_heartbeat_interval=max(stalled_after / 6, 0.2),
        stalled_worker_timeout=stalled_after,
        worker_middleware=[count_failed_jobs] if settings.METRICS_PORT else [],
    )


async def requeue_stalled_jobs(queue: procrastinate.App, stalled_after: float) -> int:
    """Queue again the jobs whose worker stopped sending heartbeats; how many."""
    manager = queue.job_manager
    stalled = await manager.get_stalled_jobs(seconds_since_heartbeat=stalled_after)
    for job in stalled:
        logger.warning(
            "Job %s (%s) lost its worker: queued again", job.id, job.task_name
        )
        await manager.retry_job(job)
    await manager.prune_stalled_workers(seconds_since_heartbeat=stalled_after)
    return len(list(stalled))


async def _watch_stalled(queue: procrastinate.App, stalled_after: float) -> None:
    while True:
        try:
            await requeue_stalled_jobs(queue, stalled_after)
        except Exception:  # the database may be away for a while: try again later
            logger.exception("Could not look for stalled jobs")
        await asyncio.sleep(stalled_after / 4)


async def run_worker(
    settings: Settings, db: Database, *, wait: bool = True, signals: bool = True
) -> None:
    """Run a worker until it is stopped (SIGTERM or SIGINT with `signals`), or, with
    `wait=False`, until no job is left to run now."""
    queue = build_queue(settings, db)
    async with queue.open_async():
        watcher = asyncio.create_task(
            _watch_stalled(queue, settings.JOBS_STALLED_AFTER_SECONDS)
        )
        try:
            await _worker(settings, queue, wait=wait, signals=signals).run()  # type: ignore[no-untyped-call]
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher


@contextlib.asynccontextmanager
async def worker_in_background(settings: Settings, db: Database) -> AsyncIterator[None]:
    """A worker beside the API in its event loop (JOBS_WORKER_IN_PROCESS), stopped
    gracefully when the block ends."""
    queue = build_queue(settings, db)
    await queue.open_async()
    worker = _worker(settings, queue, wait=True, signals=False)
    running = asyncio.create_task(worker.run(), name="jobs-worker")  # type: ignore[no-untyped-call]
    watcher = asyncio.create_task(
        _watch_stalled(queue, settings.JOBS_STALLED_AFTER_SECONDS)
    )
    try:
        yield
    finally:
        watcher.cancel()
        worker.stop()  # type: ignore[no-untyped-call]
        with contextlib.suppress(asyncio.CancelledError):
            await watcher
        try:
            await running
        except Exception:
            logger.exception("The jobs worker stopped with an error")
        await queue.close_async()
