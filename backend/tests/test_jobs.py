"""Background jobs: committed with the change, run by workers, retried, never lost.

The API and the workers run here as real processes (`uvicorn`, `python -m app.worker`)
against the test database, and email goes to in-process SMTP servers: the crash, the
outage and the dead worker are real.
"""

import asyncio
import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import psycopg
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from fastapi.testclient import TestClient

from app import crud, jobs
from app.core.config import Settings
from app.core.db import Database
from app.mail import EmailTemplate
from app.main import create_app
from tests.conftest import FIRST_SUPERUSER, FIRST_SUPERUSER_PASSWORD, make_settings
from tests.utils.balancer import instance_environment
from tests.utils.factories import API, login, random_email, random_password
from tests.utils.jobs import run_jobs
from tests.utils.metrics import scrape, series
from tests.utils.smtp import Mailbox, Receiver, free_port

BACKEND_DIR = Path(__file__).resolve().parents[1]
JOBS = f"{API}/jobs/"


def wait_until(check: Callable[[], bool], timeout: float, what: str) -> float:
    """Poll `check` until it holds; the seconds it took."""
    started = time.monotonic()
    while not check():
        assert time.monotonic() - started < timeout, f"timed out waiting for {what}"
        time.sleep(0.05)
    return time.monotonic() - started


def spawn(settings: Settings, *arguments: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, *arguments],
        cwd=BACKEND_DIR,
        env=instance_environment(settings),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


@contextmanager
def api_process(settings: Settings) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    port = free_port()
    server = spawn(
        settings,
        *("-m", "uvicorn", "--factory", "app.main:create_app"),
        *("--host", "127.0.0.1", "--port", str(port)),
    )
    base = f"http://127.0.0.1:{port}"

    def serving() -> bool:
        assert server.poll() is None, "the API process died"
        try:
            return httpx.get(f"{base}/health", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    try:
        wait_until(serving, 120, "the API process")
        yield server, base
    finally:
        if server.poll() is None:
            server.terminate()
        server.wait(timeout=30)


@contextmanager
def worker_process(settings: Settings) -> Iterator[subprocess.Popen[bytes]]:
    worker = spawn(settings, "-m", "app.worker")
    try:
        yield worker
    finally:
        if worker.poll() is None:
            worker.kill()
        worker.wait(timeout=30)


@contextmanager
def smtp_server(handler: object, port: int | None = None) -> Iterator[int]:
    port = port or free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


def job_rows(database_url: str) -> list[tuple[str, str, int]]:
    """(task, state, attempts) of every job, oldest first."""
    with psycopg.connect(database_url) as connection:
        rows = connection.execute(
            "SELECT task_name, status::text, attempts FROM procrastinate_jobs ORDER BY id"
        ).fetchall()
    return [(task, state, attempts) for task, state, attempts in rows]


@pytest.fixture
def inbox(smtp: tuple[int, Mailbox]) -> Mailbox:
    """The session's SMTP server, read as it is: processes of their own send here."""
    mailbox = smtp[1]
    mailbox.settle = None
    mailbox.clear()
    return mailbox


def sign_up(base_or_client: str | TestClient, email: str) -> int:
    body = {"email": email, "password": random_password()}
    if isinstance(base_or_client, str):
        return httpx.post(f"{base_or_client}{API}/users/signup", json=body).status_code
    return base_or_client.post(f"{API}/users/signup", json=body).status_code


# Committed with the change ---------------------------------------------------------


def test_a_sign_up_whose_server_dies_right_after_answering_gets_its_email_once(
    database_url: str, smtp: tuple[int, Mailbox], inbox: Mailbox
) -> None:
    """The first instance runs no worker, so SIGKILL lands before any send; the job
    committed with the account, and the restarted instance's worker sends it."""
    settings = make_settings(
        database_url,
        smtp[0],
        EMAIL_VERIFICATION_REQUIRED=True,
        JOBS_WORKER_IN_PROCESS=True,
    )
    email = random_email()
    no_worker = settings.model_copy(update={"JOBS_WORKER_IN_PROCESS": False})
    with api_process(no_worker) as (server, base):
        assert sign_up(base, email) == 201
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=10)
    assert inbox.received == []
    assert job_rows(database_url) == [("send_email", "todo", 0)]

    with api_process(settings):
        wait_until(lambda: len(inbox.received) > 0, 60, "the verification email")
        time.sleep(1)  # time enough for a second copy, were there one

    assert [message["To"] for message in inbox.received] == [email]
    assert inbox.received[0]["Subject"] == "Confirm your email"
    assert job_rows(database_url) == [("send_email", "succeeded", 1)]


def test_a_change_that_fails_queues_nothing(
    client: TestClient, superuser_headers: dict[str, str], database_url: str
) -> None:
    response = client.post(
        f"{API}/users/",
        headers=superuser_headers,
        json={"email": FIRST_SUPERUSER, "password": random_password()},
    )

    assert response.status_code == 409
    assert job_rows(database_url) == []


def test_a_job_queued_in_a_transaction_that_rolls_back_is_gone(
    settings: Settings, database_url: str
) -> None:
    async def queue_then_fail() -> None:
        db = Database(settings)
        await db.open()
        try:
            async with db.transaction() as tx:
                await crud.queue_email(tx, EmailTemplate.TEST, to=random_email())
                raise RuntimeError("the change fails after its email was queued")
        finally:
            await db.close()

    with pytest.raises(RuntimeError):
        asyncio.run(queue_then_fail())

    assert job_rows(database_url) == []


# Retries ------------------------------------------------------------------------------


def test_smtp_down_for_a_minute_every_queued_email_arrives_once(
    database_url: str,
    client: TestClient,
    superuser_headers: dict[str, str],
) -> None:
    smtp_port = free_port()  # nothing listens there for the first minute
    settings = make_settings(
        database_url,
        smtp_port,
        JOBS_MAX_ATTEMPTS=30,
        JOBS_RETRY_BACKOFF_SECONDS=1,
        JOBS_RETRY_BACKOFF_MAX_SECONDS=8,
    )
    emails = [random_email() for _ in range(3)]
    inbox = Mailbox()
    with worker_process(settings) as worker:
        outage_started = time.monotonic()
        for email in emails:
            queued = client.post(
                f"{API}/utils/test-email/",
                headers=superuser_headers,
                json={"email_to": email},
            )
            assert queued.status_code == 202
        time.sleep(max(0.0, 60 - (time.monotonic() - outage_started)))
        with smtp_server(Receiver(inbox), smtp_port):
            wait_until(lambda: len(inbox.received) >= 3, 60, "the queued emails")
            time.sleep(1)  # time enough for a second copy, were there one
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=30) == 0

    assert sorted(message["To"] for message in inbox.received) == sorted(emails)
    listed = client.get(
        JOBS,
        headers=superuser_headers,
        params={"state": "succeeded", "kind": "send_email"},
    )
    assert listed.status_code == 200
    assert listed.json()["count"] == 3
    # Tried at about 0, 1, 3, 7, 15, 23, 31, ... seconds: the list shows the retries.
    assert all(job["attempts"] >= 6 for job in listed.json()["data"]), listed.json()


def test_a_failed_job_is_listed_and_retried_by_a_superuser(
    database_url: str,
    client: TestClient,
    superuser_headers: dict[str, str],
    mailbox: Mailbox,
) -> None:
    email_to = random_email()
    queued = client.post(
        f"{API}/utils/test-email/",
        headers=superuser_headers,
        json={"email_to": email_to},
    )
    assert queued.status_code == 202
    run_jobs(make_settings(database_url, free_port()))  # one try (the tests' setting)
    failed = client.get(JOBS, headers=superuser_headers, params={"state": "failed"})
    assert failed.status_code == 200
    [job] = failed.json()["data"]
    assert (job["kind"], job["state"], job["attempts"]) == ("send_email", "failed", 1)
    assert job["args"] == {"template": "test_email", "to": email_to, "user_id": None}

    retried = client.post(f"{JOBS}{job['id']}/retry", headers=superuser_headers)
    assert retried.status_code == 200
    assert (retried.json()["state"], retried.json()["attempts"]) == ("todo", 0)
    assert [message["To"] for message in mailbox.messages] == [email_to]
    again = client.post(f"{JOBS}{job['id']}/retry", headers=superuser_headers)

    assert again.status_code == 409
    assert again.json() == {
        "detail": "Only a failed job can be retried; this one is succeeded"
    }
    unknown = client.post(f"{JOBS}{job['id'] + 1}/retry", headers=superuser_headers)
    assert (unknown.status_code, unknown.json()) == (404, {"detail": "Job not found"})
    for bad_id in ("0", str(2**63), "x"):
        bad = client.post(f"{JOBS}{bad_id}/retry", headers=superuser_headers)
        assert bad.status_code == 422, bad_id


def test_the_job_list_filters_by_state_and_kind_and_pages_by_cursor(
    client: TestClient, superuser_headers: dict[str, str], mailbox: Mailbox
) -> None:
    for _ in range(3):
        sent = client.post(
            f"{API}/utils/test-email/",
            headers=superuser_headers,
            json={"email_to": random_email()},
        )
        assert sent.status_code == 202
    assert len(mailbox.messages) == 3
    queued = client.post(
        f"{API}/utils/test-email/",
        headers=superuser_headers,
        json={"email_to": random_email()},
    )
    assert queued.status_code == 202

    def listed(**params: object) -> dict[str, object]:
        response = client.get(JOBS, headers=superuser_headers, params=params)
        assert response.status_code == 200, response.text
        body: dict[str, object] = response.json()
        return body

    assert listed()["count"] == 4
    assert listed(state="succeeded")["count"] == 3
    assert listed(state="todo")["count"] == 1
    assert listed(kind="purge_expired")["count"] == 0
    first = listed(limit=2)
    second = listed(limit=2, cursor=first["next_cursor"])
    ids = [job["id"] for page in (first, second) for job in page["data"]]  # type: ignore[attr-defined]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 4
    assert second["next_cursor"] is None
    assert (
        client.get(
            JOBS, params={"state": "lost"}, headers=superuser_headers
        ).status_code
        == 422
    )


# At least once, sent once -----------------------------------------------------------


def test_a_job_that_runs_twice_sends_one_email(
    client: TestClient,
    superuser_headers: dict[str, str],
    mailbox: Mailbox,
    database_url: str,
    db_connection: psycopg.Connection,
) -> None:
    sent = client.post(
        f"{API}/utils/test-email/",
        headers=superuser_headers,
        json={"email_to": random_email()},
    )
    assert sent.status_code == 202
    assert len(mailbox.messages) == 1
    # As a worker presumed dead after its send would see it: queued again.
    db_connection.execute("UPDATE procrastinate_jobs SET status = 'todo'")

    assert len(mailbox.messages) == 1
    assert job_rows(database_url) == [("send_email", "succeeded", 2)]
    claims = db_connection.execute("SELECT template FROM sent_email").fetchall()
    assert claims == [("test_email",)]


class StallingSmtp:
    """Holds the first message it gets until `release`; accepts the others."""

    def __init__(self) -> None:
        self.mailbox = Mailbox()
        self.holding = threading.Event()
        self.release = asyncio.Event()

    async def handle_DATA(  # noqa: N802 (aiosmtpd's hook name)
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        if not self.holding.is_set():
            self.holding.set()
            await self.release.wait()
            return "421 Closing"
        return await Receiver(self.mailbox).handle_DATA(server, session, envelope)


def test_a_job_whose_worker_is_killed_runs_on_another_worker(
    database_url: str, client: TestClient, superuser_headers: dict[str, str]
) -> None:
    stalling = StallingSmtp()
    with smtp_server(stalling) as port:
        settings = make_settings(database_url, port, JOBS_STALLED_AFTER_SECONDS=3)
        email_to = random_email()
        sent = client.post(
            f"{API}/utils/test-email/",
            headers=superuser_headers,
            json={"email_to": email_to},
        )
        assert sent.status_code == 202
        with worker_process(settings) as first:
            wait_until(stalling.holding.is_set, 60, "the first worker's send")
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=10)
        with worker_process(settings):
            took = wait_until(
                lambda: len(stalling.mailbox.received) == 1, 60, "another worker"
            )
            # Its send done, the worker records the job's end.
            wait_until(
                lambda: job_rows(database_url)[0][1] == "succeeded", 30, "the job's end"
            )
        stalling.release.set()

    # The second worker's start, the stall timeout (3 s) and a few heartbeats.
    assert took < 20
    assert [message["To"] for message in stalling.mailbox.received] == [email_to]
    assert job_rows(database_url) == [("send_email", "succeeded", 2)]


class SlowSmtp:
    """Takes two seconds over each message."""

    def __init__(self) -> None:
        self.mailbox = Mailbox()
        self.started = threading.Event()

    async def handle_DATA(  # noqa: N802 (aiosmtpd's hook name)
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        self.started.set()
        await asyncio.sleep(2)
        return await Receiver(self.mailbox).handle_DATA(server, session, envelope)


def test_a_worker_told_to_stop_finishes_its_job_first(
    database_url: str, client: TestClient, superuser_headers: dict[str, str]
) -> None:
    slow = SlowSmtp()
    with smtp_server(slow) as port:
        settings = make_settings(database_url, port)
        sent = client.post(
            f"{API}/utils/test-email/",
            headers=superuser_headers,
            json={"email_to": random_email()},
        )
        assert sent.status_code == 202
        with worker_process(settings) as worker:
            wait_until(slow.started.is_set, 60, "the send")
            worker.send_signal(signal.SIGTERM)
            assert worker.wait(timeout=20) == 0

    assert len(slow.mailbox.received) == 1
    assert job_rows(database_url) == [("send_email", "succeeded", 1)]


def test_the_api_runs_a_worker_of_its_own(
    database_url: str, smtp: tuple[int, Mailbox], inbox: Mailbox
) -> None:
    settings = make_settings(database_url, smtp[0], JOBS_WORKER_IN_PROCESS=True)
    email_to = random_email()
    with TestClient(create_app(settings)) as client:
        admin = login(client, FIRST_SUPERUSER, FIRST_SUPERUSER_PASSWORD)
        sent = client.post(
            f"{API}/utils/test-email/",
            headers=admin.headers,
            json={"email_to": email_to},
        )
        assert sent.status_code == 202
        wait_until(lambda: len(inbox.received) == 1, 15, "the in-process worker")

    assert inbox.received[0]["To"] == email_to


# Purging ------------------------------------------------------------------------------


def test_the_purge_job_deletes_ended_sessions_and_old_records_only(
    database_url: str,
    settings: Settings,
    client: TestClient,
    superuser_headers: dict[str, str],
    db_connection: psycopg.Connection,
) -> None:
    for _ in range(3):  # three more sessions of the superuser
        login(client, FIRST_SUPERUSER, FIRST_SUPERUSER_PASSWORD)
    sessions = [
        row[0]
        for row in db_connection.execute(
            "SELECT id FROM user_session ORDER BY created_at"
        ).fetchall()
    ]
    # The first is the session of `superuser_headers`.
    expired, revoked, live = sessions[1], sessions[2], [sessions[0], sessions[3]]
    long_ago = datetime.now(UTC) - timedelta(days=40)
    db_connection.execute(
        "UPDATE user_session SET expires_at = %s WHERE id = %s", (long_ago, expired)
    )
    db_connection.execute(
        "UPDATE user_session SET revoked_at = now() WHERE id = %s", (revoked,)
    )
    db_connection.execute(
        "UPDATE audit_event SET created_at = %s WHERE ctid IN "
        "(SELECT ctid FROM audit_event ORDER BY created_at LIMIT 1)",
        (long_ago,),
    )
    audit_before = db_connection.execute("SELECT count(*) FROM audit_event").fetchone()
    db_connection.execute(
        "INSERT INTO sent_email (job_id, template, sent_at) VALUES "
        "(1, 'test_email', %s), (2, 'test_email', now())",
        (long_ago,),
    )
    keeping_30_days = settings.model_copy(update={"AUDIT_RETENTION_DAYS": 30})

    async def queue_purge() -> None:
        db = Database(keeping_30_days)
        await db.open()
        try:
            await jobs.defer(db, jobs.PURGE_EXPIRED, queue="maintenance")
        finally:
            await db.close()

    asyncio.run(queue_purge())
    run_jobs(keeping_30_days)

    left = db_connection.execute("SELECT id FROM user_session").fetchall()
    assert sorted(row[0] for row in left) == sorted(live)
    audit_after = db_connection.execute("SELECT count(*) FROM audit_event").fetchone()
    assert audit_before is not None and audit_after is not None
    assert audit_after[0] == audit_before[0] - 1
    kept = db_connection.execute("SELECT job_id FROM sent_email").fetchall()
    assert kept == [(2,)]
    assert job_rows(database_url) == [("purge_expired", "succeeded", 1)]
    still_in = client.get(f"{API}/users/me", headers=superuser_headers)
    assert still_in.status_code == 200


def test_a_retried_job_runs_at_once_not_at_the_next_poll(
    database_url: str,
    smtp: tuple[int, Mailbox],
    inbox: Mailbox,
    db_connection: psycopg.Connection,
) -> None:
    email_to = random_email()
    db_connection.execute(
        "INSERT INTO procrastinate_jobs (queue_name, task_name, args, status) "
        "VALUES ('email', 'send_email', %s, 'failed')",
        (json.dumps({"template": "test_email", "to": email_to, "user_id": None}),),
    )
    settings = make_settings(database_url, smtp[0], JOBS_WORKER_IN_PROCESS=True)
    with TestClient(create_app(settings)) as client:
        admin = login(client, FIRST_SUPERUSER, FIRST_SUPERUSER_PASSWORD)
        [job] = client.get(JOBS, headers=admin.headers).json()["data"]
        time.sleep(1)  # the worker is listening
        retried = client.post(f"{JOBS}{job['id']}/retry", headers=admin.headers)
        assert retried.status_code == 200
        took = wait_until(lambda: len(inbox.received) == 1, 15, "the retried job")

    assert inbox.received[0]["To"] == email_to
    assert took < 2.5  # workers poll every 5 s; the retry wakes them


def test_a_worker_reports_the_queue_and_the_jobs_that_failed_for_good(
    database_url: str, client: TestClient, superuser_headers: dict[str, str]
) -> None:
    metrics_port = free_port()
    settings = make_settings(
        database_url,
        free_port(),  # nobody listens there: every send fails
        METRICS_PORT=metrics_port,
        JOBS_MAX_ATTEMPTS=2,
        JOBS_RETRY_BACKOFF_SECONDS=0,
    )
    for _ in range(2):
        queued = client.post(
            f"{API}/utils/test-email/",
            headers=superuser_headers,
            json={"email_to": random_email()},
        )
        assert queued.status_code == 202
    with worker_process(settings):

        def both_failed() -> bool:
            try:
                found = scrape(metrics_port)
            except httpx.TransportError:
                return False
            return series(found, "jobs_queued", "state").get(("failed",)) == 2

        wait_until(both_failed, 60, "two failed jobs on the metrics port")
        samples = scrape(metrics_port)

    assert series(samples, "jobs_queued", "state") == {
        ("todo",): 0,
        ("doing",): 0,
        ("succeeded",): 0,
        ("failed",): 2,
        ("cancelled",): 0,
        ("aborted",): 0,
    }
    # Counted once each, at the last of their two tries.
    assert series(samples, "jobs_failed_total", "kind") == {("send_email",): 2}
