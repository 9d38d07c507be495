"""Background jobs, kept in PostgreSQL by procrastinate: no other service to run.

A job is a row: crud defers one on the connection of the change that needs it
(`defer(tx, ...)` inside `db.transaction()`), so it commits with that change or not
at all. Workers (`app.jobs.worker`: inside each API process, or `python -m app.worker`)
run the jobs (`app.jobs.tasks`), retry failures with capped exponential backoff
(`CappedBackoff`), and take back jobs of workers that died.

Job arguments are ids and addresses, never a secret: a link's token is made when its
email is sent. With tracing on, a job also carries the `traceparent` of the request
that queued it, and its run is traced under that request.
"""

from datetime import UTC, datetime, timedelta
from typing import Any

import procrastinate
from procrastinate.jobs import Job
from procrastinate.retry import BaseRetryStrategy, RetryDecision

from app.core.config import Settings
from app.core.db import Statements
from app.models import JobKind
from app.observability.tracing import job_traceparent

SEND_EMAIL = JobKind.SEND_EMAIL
PURGE_EXPIRED = JobKind.PURGE_EXPIRED

# Defers jobs on the caller's connection; it never opens a connection of its own.
_outbox = procrastinate.App(connector=procrastinate.PsycopgConnector())


async def defer(db: Statements, task: str, *, queue: str, **arguments: Any) -> int:
    """Queue a job on `db`'s connection (a transaction's: it commits with it), and
    return its id."""
    if traceparent := job_traceparent():
        arguments["traceparent"] = traceparent
    async with db.connection() as connection:
        deferrer = _outbox.configure_task(task, queue=queue, connection=connection)
        return await deferrer.defer_async(**arguments)


class CappedBackoff(BaseRetryStrategy):
    """Retry any failure after `base`, 2 x `base`, 4 x `base`, ... seconds, never more
    than `cap` apart, until `max_attempts` tries in all have failed."""

    def __init__(self, *, max_attempts: int, base: float, cap: float) -> None:
        self.max_attempts: int = max_attempts
        self.base: float = base
        self.cap: float = cap

    @classmethod
    def from_settings(cls, settings: Settings) -> "CappedBackoff":
        return cls(
            max_attempts=settings.JOBS_MAX_ATTEMPTS,
            base=settings.JOBS_RETRY_BACKOFF_SECONDS,
            cap=settings.JOBS_RETRY_BACKOFF_MAX_SECONDS,
        )

    def delay(self, attempts: int) -> float:
        """Seconds before the next try, after `attempts` failed ones (from 1)."""
        return min(self.cap, self.base * 2.0 ** (attempts - 1))

    def get_retry_decision(
        self, *, exception: BaseException, job: Job
    ) -> RetryDecision | None:
        failed = job.attempts + 1  # the try that just failed counts
        if failed >= self.max_attempts:
            return None
        retry_at = datetime.now(UTC) + timedelta(seconds=self.delay(failed))
        return RetryDecision(retry_at=retry_at)
