"""The job queue in the metrics (when METRICS_PORT is set):

- `jobs_queued{state}`: the jobs in the queue by state, read from the table at each
  scrape by the process that serves the metrics;
- `jobs_failed_total{kind}`: jobs that failed for good (no try left), counted by the
  worker that ran their last try.
"""

import functools
import logging
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import psycopg
from procrastinate.job_context import JobContext
from procrastinate.worker import Worker
from prometheus_client import Counter
from prometheus_client.core import GaugeMetricFamily

from app.core.config import Settings
from app.core.db import libpq_url
from app.models import JobState
from app.observability import metrics
from app.observability.exporter import register_collector

logger = logging.getLogger(__name__)

_BY_STATE = "SELECT status::text, count(*) FROM procrastinate_jobs GROUP BY status"


class QueueDepth:
    """Jobs by state, counted when Prometheus scrapes (a query on the jobs table)."""

    def __init__(self, settings: Settings) -> None:
        self.url = libpq_url(settings.DATABASE_URL or "")
        self.timeout = settings.DATABASE_CONNECT_TIMEOUT_SECONDS

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            with psycopg.connect(self.url, connect_timeout=self.timeout) as connection:
                counts: dict[str, int] = dict(connection.execute(_BY_STATE).fetchall())
        except psycopg.Error as exc:  # no figure rather than a wrong one
            logger.warning("Could not count the queued jobs: %s", exc)
            return
        family = GaugeMetricFamily(
            "jobs_queued", "Jobs in the queue, by state", labels=["state"]
        )
        for state in JobState:
            family.add_metric([state.value], counts.get(state.value, 0))
        yield family


_registered: list[QueueDepth] = []


def register_queue_metrics(settings: Settings) -> None:
    """Report the queue's depth from this process (once; before the exporter starts)."""
    if settings.METRICS_PORT and not _registered:
        _registered.append(QueueDepth(settings))
        register_collector(_registered[0])


@functools.cache
def _failed_jobs() -> Counter:
    return metrics.counter(
        "jobs_failed_total", "Jobs that failed with no try left, by kind", ["kind"]
    )


async def count_failed_jobs(
    call_next: Callable[[], Awaitable[Any]], context: JobContext, worker: Worker
) -> Any:
    """A worker middleware: counts each job whose last try fails."""
    try:
        return await call_next()
    except Exception as exc:
        task = worker.app.tasks.get(context.job.task_name)
        if task is None or task.get_retry_exception(exc, context.job) is None:
            _failed_jobs().labels(context.job.task_name).inc()
        raise
