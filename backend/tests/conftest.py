"""Test fixtures: a fresh PostgreSQL database, the app, an SMTP server, and users.

The database comes from DATABASE_URL when it is set (a database `app_test_<pid>` is
created on that server and dropped afterwards); otherwise from the embedded PostgreSQL.
Each test starts from the same state: empty tables but for the first superuser.
"""

import os
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from app.core.config import Settings
from app.core.security import hash_password
from app.main import create_app
from app.prestart import migrate
from devtools.embedded_postgres import create_database, start_embedded_postgres
from tests.utils.factories import API, LoggedInUser, login
from tests.utils.fake_provider import (
    CLIENT_ID,
    CLIENT_SECRET,
    FakeGitHub,
    FakeOpenIDProvider,
    running,
)
from tests.utils.jobs import run_jobs
from tests.utils.smtp import Mailbox, free_port, start_smtp_server

FIRST_SUPERUSER = "admin@example.com"
FIRST_SUPERUSER_PASSWORD = "superuser-password"
TEST_BCRYPT_ROUNDS = 4
TEST_FRONTEND_DIST = Path(__file__).parent / "fixtures" / "frontend-dist"
TABLES = (
    "procrastinate_jobs",
    "procrastinate_workers",
    "sent_email",
    "user_identity",
    "user_totp",
    "recovery_code",
    "refresh_token",
    "user_session",
    "item",
    "team_invitation",
    "team_member",
    "team",
    "row_count",
    '"user"',
    "audit_event",
)


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    server_url = os.environ.get("DATABASE_URL") or start_embedded_postgres()
    name = f"app_test_{os.getpid()}"
    url = create_database(server_url, name, recreate=True)
    migrate(url)
    yield url
    with psycopg.connect(server_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def smtp() -> Iterator[tuple[int, Mailbox]]:
    port, controller, mailbox = start_smtp_server()
    yield port, mailbox
    controller.stop()


def make_settings(database_url: str, smtp_port: int, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "_env_file": None,
        "PROJECT_NAME": "Test Project",
        "ENVIRONMENT": "local",
        "SECRET_KEY": "test-secret-key-that-is-long-enough-for-hs256",
        "DATABASE_URL": database_url,
        "FIRST_SUPERUSER": FIRST_SUPERUSER,
        "FIRST_SUPERUSER_PASSWORD": FIRST_SUPERUSER_PASSWORD,
        "BCRYPT_ROUNDS": TEST_BCRYPT_ROUNDS,
        "FRONTEND_HOST": "http://frontend.test",
        "BACKEND_CORS_ORIGINS": "http://localhost:5173",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": smtp_port,
        "SMTP_TLS": False,
        "SMTP_SSL": False,
        "SMTP_USER": None,
        "SMTP_PASSWORD": None,
        "EMAILS_FROM_EMAIL": "noreply@example.com",
        "EMAILS_FROM_NAME": "Test Project",
        "SENTRY_DSN": None,
        # A fixed stand-in for the UI build, so the app under test has the same
        # routes whether or not `frontend/dist` was built.
        "FRONTEND_DIST": TEST_FRONTEND_DIST,
        "USERS_OPEN_REGISTRATION": True,
        "REFRESH_TOKEN_REUSE_GRACE_SECONDS": 0,
        "RATE_LIMIT_ENABLED": False,
        # Jobs run when a test reads the mailbox (`tests.utils.jobs.run_jobs`), once
        # each, and nothing runs on a schedule.
        "JOBS_WORKER_IN_PROCESS": False,
        "JOBS_MAX_ATTEMPTS": 1,
        "JOBS_PURGE_CRON": "off",
        # Metrics only where a test asks for them, on a port of its choosing.
        "METRICS_PORT": 0,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def oidc_server() -> Iterator[FakeOpenIDProvider]:
    with running(FakeOpenIDProvider()) as server:
        yield server


@pytest.fixture(scope="session")
def github_server() -> Iterator[FakeGitHub]:
    with running(FakeGitHub()) as server:
        yield server


def provider_settings(
    oidc: FakeOpenIDProvider, github: FakeGitHub
) -> list[dict[str, object]]:
    """The fake providers, and one whose server is not there ("down")."""
    down = {
        "name": "down",
        "issuer": f"http://127.0.0.1:{free_port()}",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
    }
    return [oidc.config(), github.config(), down]


@pytest.fixture(scope="session")
def settings(
    database_url: str,
    smtp: tuple[int, Mailbox],
    oidc_server: FakeOpenIDProvider,
    github_server: FakeGitHub,
) -> Settings:
    return make_settings(
        database_url,
        smtp[0],
        OIDC_PROVIDERS=provider_settings(oidc_server, github_server),
    )


@pytest.fixture
def oidc_provider(oidc_server: FakeOpenIDProvider) -> FakeOpenIDProvider:
    oidc_server.reset()
    return oidc_server


@pytest.fixture
def github(github_server: FakeGitHub) -> FakeGitHub:
    github_server.reset()
    return github_server


@pytest.fixture(scope="session")
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


@pytest.fixture(scope="session")
def session_client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


@pytest.fixture(scope="session")
def superuser_hash() -> str:
    return hash_password(FIRST_SUPERUSER_PASSWORD, rounds=TEST_BCRYPT_ROUNDS)


@pytest.fixture(scope="session")
def db_connection(database_url: str) -> Iterator[psycopg.Connection]:
    url = make_url(database_url).render_as_string(hide_password=False)
    with psycopg.connect(url, autocommit=True) as connection:
        yield connection


@pytest.fixture(autouse=True)
def clean_database(db_connection: psycopg.Connection, superuser_hash: str) -> None:
    """Every test starts with empty tables and only the first superuser (and their
    personal team)."""
    # The row counters go too: TRUNCATE fires none of the triggers that keep them.
    db_connection.execute(f"TRUNCATE {', '.join(TABLES)} CASCADE")
    db_connection.execute(
        'INSERT INTO "user" (id, email, hashed_password, full_name, is_active, '
        "is_superuser, created_at) VALUES (gen_random_uuid(), %s, %s, %s, true, true, now())",
        (FIRST_SUPERUSER, superuser_hash, "Administrator"),
    )
    add_personal_team(db_connection, FIRST_SUPERUSER)


def add_personal_team(connection: psycopg.Connection, email: str) -> None:
    """The personal team the app gives every user, for one written straight to the
    table."""
    connection.execute(
        "WITH new_team AS (INSERT INTO team (id, name, personal_for_id, created_at) "
        "SELECT gen_random_uuid(), 'Personal', id, now() FROM \"user\" WHERE email = %s "
        "RETURNING id, personal_for_id) INSERT INTO team_member "
        "(team_id, user_id, role, created_at) "
        "SELECT id, personal_for_id, 'owner', now() FROM new_team",
        (email,),
    )


@pytest.fixture
def mailbox(smtp: tuple[int, Mailbox], settings: Settings) -> Mailbox:
    smtp[1].settle = lambda: run_jobs(settings)
    smtp[1].clear()
    return smtp[1]


@pytest.fixture
def client(session_client: TestClient) -> TestClient:
    session_client.cookies.clear()
    return session_client


@pytest.fixture
def superuser(client: TestClient) -> LoggedInUser:
    return login(client, FIRST_SUPERUSER, FIRST_SUPERUSER_PASSWORD)


@pytest.fixture
def superuser_headers(superuser: LoggedInUser) -> dict[str, str]:
    return superuser.headers


__all__ = ["API"]
