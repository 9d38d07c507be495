"""What the jobs do: send an email, and purge what has expired (hourly).

`build_queue(settings, db)` makes the procrastinate app a worker runs: the tasks are
registered on it with the settings they read, so two apps in one process (as in the
tests) each keep their own.
"""

import asyncio
import logging
import uuid
from typing import Any

import procrastinate
from procrastinate.job_context import JobContext
from procrastinate.manager import JobManager

from app import crud, jobs
from app.core.config import Settings
from app.core.db import Database, libpq_url
from app.mail import (
    EmailDeliveryError,
    EmailTemplate,
    Recipient,
    compose,
    send_email,
)
from app.observability.tracing import job_span

logger = logging.getLogger(__name__)
mail_log = logging.getLogger("app.mail")  # what happened to each email


def build_queue(settings: Settings, db: Database) -> procrastinate.App:
    """The job queue as workers see it, with every task the app defines."""
    assert settings.DATABASE_URL
    connector = procrastinate.PsycopgConnector(
        conninfo=libpq_url(settings.DATABASE_URL),
        min_size=1,
        max_size=settings.JOBS_WORKER_CONCURRENCY + 2,
        kwargs={"connect_timeout": settings.DATABASE_CONNECT_TIMEOUT_SECONDS},
    )
    queue = procrastinate.App(connector=connector)
    retry = jobs.CappedBackoff.from_settings(settings)

    @queue.task(name=jobs.SEND_EMAIL, queue="email", retry=retry, pass_context=True)
    async def send(
        context: JobContext,
        *,
        template: str,
        to: str,
        user_id: str | None = None,
        invitation_id: str | None = None,
        traceparent: str | None = None,
    ) -> None:
        job_id = context.job.id
        assert job_id is not None
        tries = context.job.attempts + 1
        template_ = EmailTemplate(template)
        with job_span(
            jobs.SEND_EMAIL, queue="email", job_id=job_id, traceparent=traceparent
        ):
            await send_queued_email(
                settings, db, job_id, template_, to, user_id, tries, invitation_id
            )

    @queue.task(name=jobs.PURGE_EXPIRED, queue="maintenance", pass_context=True)
    async def purge(context: JobContext, timestamp: int | None = None) -> None:  # noqa: ARG001 (periodic jobs get their time)
        job_id = context.job.id
        assert job_id is not None
        with job_span(
            jobs.PURGE_EXPIRED, queue="maintenance", job_id=job_id, traceparent=None
        ):
            await purge_expired(settings, db, context.app)

    if settings.JOBS_PURGE_CRON != "off":
        queue.periodic(cron=settings.JOBS_PURGE_CRON, periodic_id="purge")(purge)
    return queue


async def send_queued_email(
    settings: Settings,
    db: Database,
    job_id: int,
    template: EmailTemplate,
    to: str,
    user_id: str | None,
    tries: int = 1,
    invitation_id: str | None = None,
) -> None:
    """Send the job's email once: the claim (`crud.claim_email`) and the send share a
    transaction, so a run that fails releases it and a second run sends nothing.
    A team invitation's token is made in that transaction too, so a failed send
    keeps none. Raises when SMTP refuses, and the job is retried."""
    if not settings.emails_enabled:
        mail_log.warning(
            "Email %s to %s not sent: SMTP is not configured", template, to
        )
        return
    recipient = Recipient(email=to)
    if user_id is not None:
        user = await crud.get_user(db=db, user_id=uuid.UUID(user_id))
        if user is None:
            logger.info("Email %s not sent: its user is gone", template)
            return
        recipient = Recipient(to, user.id, user.hashed_password)
    async with db.transaction() as tx:
        if not await crud.claim_email(tx, job_id=job_id, template=template):
            logger.info("Email %s of job %d was sent already", template, job_id)
            return
        invitation = None
        if invitation_id is not None:
            invitation = await crud.issue_invitation_token(
                tx, invitation_id=uuid.UUID(invitation_id)
            )
            if invitation is None:
                logger.info("Email %s not sent: its invitation is gone", template)
                return
        email_data = compose(settings, template, recipient, invitation)
        try:
            await asyncio.to_thread(
                send_email, settings=settings, email_to=to, email_data=email_data
            )
        except EmailDeliveryError as exc:
            _log_failure(settings, email_data.subject, to, tries, exc)
            raise
    mail_log.info("Sent email %r to %s (job %d)", email_data.subject, to, job_id)


def _log_failure(
    settings: Settings, subject: str, to: str, tries: int, exc: Exception
) -> None:
    retry = jobs.CappedBackoff.from_settings(settings)
    if tries >= retry.max_attempts:
        mail_log.error("Could not send email %r to %s", subject, to, exc_info=exc)
    else:
        mail_log.warning(
            "Could not send email %r to %s (try %d of %d: %s); trying again in %.1f s",
            *(subject, to, tries, retry.max_attempts, exc, retry.delay(tries)),
        )


async def purge_expired(settings: Settings, db: Database, queue: Any) -> None:
    counts = await crud.purge_expired(
        db=db,
        audit_retention_days=settings.AUDIT_RETENTION_DAYS,
        sent_email_retention_days=settings.JOBS_RETENTION_DAYS,
    )
    manager: JobManager = queue.job_manager
    await manager.delete_old_jobs(
        nb_hours=settings.JOBS_RETENTION_DAYS * 24,
        include_failed=True,
        include_cancelled=True,
        include_aborted=True,
    )
    logger.info("Purged %s", ", ".join(f"{n} {name}" for name, n in counts.items()))
