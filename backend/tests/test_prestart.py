"""The prestart step: wait for the database, migrate it, create the first superuser."""

import asyncio
import logging

import psycopg
import pytest
from fastapi.testclient import TestClient
from psycopg import OperationalError

from app.core.config import Settings
from app.prestart import prestart
from tests.conftest import FIRST_SUPERUSER, make_settings
from tests.utils.databases import fresh_database
from tests.utils.factories import API, login
from tests.utils.smtp import free_port


def users(connection: psycopg.Connection) -> list[tuple[str, bool, str]]:
    rows = connection.execute(
        'SELECT email, is_superuser, hashed_password FROM "user" ORDER BY email'
    ).fetchall()
    return [(email, is_superuser, hashed) for email, is_superuser, hashed in rows]


def test_prestart_twice_changes_nothing(
    settings: Settings, db_connection: psycopg.Connection
) -> None:
    before = users(db_connection)

    asyncio.run(prestart(settings))
    asyncio.run(prestart(settings))

    assert users(db_connection) == before
    assert [email for email, _, _ in before] == [FIRST_SUPERUSER]


def test_prestart_creates_a_new_first_superuser(
    database_url: str,
    settings: Settings,
    db_connection: psycopg.Connection,
    client: TestClient,
) -> None:
    other = make_settings(
        database_url,
        settings.SMTP_PORT,
        FIRST_SUPERUSER="Second.Admin@Example.com",
        FIRST_SUPERUSER_PASSWORD="second-admin-password",
    )

    asyncio.run(prestart(other))
    asyncio.run(prestart(other))

    assert [
        (email, is_superuser) for email, is_superuser, _ in users(db_connection)
    ] == [
        (FIRST_SUPERUSER, True),
        ("second.admin@example.com", True),
    ]
    admin = login(client, "second.admin@example.com", "second-admin-password")
    me = client.get(f"{API}/users/me", headers=admin.headers).json()
    assert me["is_superuser"] is True
    assert me["full_name"] == "Administrator"


def test_prestart_sets_up_an_empty_database(
    database_url: str, settings: Settings
) -> None:
    with fresh_database(database_url) as url:
        asyncio.run(prestart(make_settings(url, settings.SMTP_PORT)))
        asyncio.run(prestart(make_settings(url, settings.SMTP_PORT)))

        with psycopg.connect(url) as connection:
            rows = users(connection)

    assert [(email, is_superuser) for email, is_superuser, _ in rows] == [
        (FIRST_SUPERUSER, True)
    ]


def test_prestart_gives_up_on_an_unreachable_database(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    unreachable = make_settings(
        f"postgresql://postgres@127.0.0.1:{free_port()}/app",
        settings.SMTP_PORT,
        DATABASE_CONNECT_TIMEOUT_SECONDS=1,
    )

    with (
        caplog.at_level(logging.WARNING, logger="app.prestart"),
        pytest.raises(OperationalError),
    ):
        asyncio.run(prestart(unreachable, max_tries=2))

    retries = [r for r in caplog.records if r.name == "app.prestart"]
    assert len(retries) == 1
    assert retries[0].levelno == logging.WARNING
    assert "Retrying" in retries[0].getMessage()
