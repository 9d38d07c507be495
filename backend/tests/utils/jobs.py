"""Running the background jobs in tests, as a worker process does."""

import asyncio

import psycopg
from sqlalchemy import text

from app.core.config import Settings
from app.core.db import Database, libpq_url
from app.jobs.worker import run_worker


def run_jobs(settings: Settings, *, retries: bool = False) -> None:
    """Run a worker with these settings until no job is left to run now: with
    `retries`, until no job waits for a later try either."""

    async def work() -> None:
        db = Database(settings)
        await db.open()
        try:
            # A worker stops once it finds nothing to start; a job it retried
            # right away may be due again by then.
            for _ in range(100):
                await run_worker(settings, db, wait=False, signals=False)
                if not await db.scalar(_WAITING if retries else _DUE):
                    return
                await asyncio.sleep(0.05)
            raise AssertionError("jobs kept coming due")
        finally:
            await db.close()

    asyncio.run(work())


_WAITING = text("SELECT count(*) FROM procrastinate_jobs WHERE status = 'todo'")
_DUE = text(
    "SELECT count(*) FROM procrastinate_jobs WHERE status = 'todo' "
    "AND (scheduled_at IS NULL OR scheduled_at <= now())"
)


def jobs_by_state(database_url: str) -> dict[str, int]:
    """How many jobs are in each state."""
    with psycopg.connect(libpq_url(database_url)) as connection:
        rows = connection.execute(
            "SELECT status::text, count(*) FROM procrastinate_jobs GROUP BY status"
        ).fetchall()
    return dict(rows)
