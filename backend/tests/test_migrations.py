"""Migrations build exactly the schema the models describe, and unwind cleanly."""

from collections.abc import Iterator

import psycopg
import pytest
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlmodel import SQLModel

from app.prestart import ALEMBIC_INI
from tests.utils.databases import fresh_database


def alembic_config(database_url: str) -> Config:
    config = Config(str(ALEMBIC_INI))
    config.attributes["database_url"] = database_url
    config.attributes["configure_logger"] = False
    return config


def tables(database_url: str) -> set[str]:
    with psycopg.connect(database_url) as connection:
        rows = connection.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        ).fetchall()
    return {name for (name,) in rows}


def current_revision(database_url: str) -> str | None:
    with psycopg.connect(database_url) as connection:
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    return row[0] if row else None


@pytest.fixture
def empty_database(database_url: str) -> Iterator[str]:
    with fresh_database(database_url) as url:
        yield url


# The job queue's tables the app has no model of (procrastinate's own).
QUEUE_TABLES = {
    "procrastinate_workers",
    "procrastinate_events",
    "procrastinate_periodic_defers",
}


def test_upgrade_check_downgrade_upgrade(empty_database: str) -> None:
    config = alembic_config(empty_database)
    model_tables = set(SQLModel.metadata.tables) | QUEUE_TABLES
    head = ScriptDirectory.from_config(config).get_current_head()

    command.upgrade(config, "head")
    assert tables(empty_database) == model_tables | {"alembic_version"}
    assert current_revision(empty_database) == head
    command.check(config)  # raises when the models and the migrations differ

    command.downgrade(config, "base")
    assert tables(empty_database) == {"alembic_version"}
    assert current_revision(empty_database) is None

    command.upgrade(config, "head")
    assert tables(empty_database) == model_tables | {"alembic_version"}
    command.check(config)


def test_every_revision_steps_up_and_down(empty_database: str) -> None:
    config = alembic_config(empty_database)
    revisions = [
        script.revision
        for script in reversed(
            list(ScriptDirectory.from_config(config).walk_revisions())
        )
    ]
    assert revisions, "no migrations found"

    for revision in revisions:
        command.upgrade(config, "+1")
        assert current_revision(empty_database) == revision
    for revision in reversed(revisions[:-1]):
        command.downgrade(config, "-1")
        assert current_revision(empty_database) == revision
    command.downgrade(config, "-1")
    assert current_revision(empty_database) is None
    assert tables(empty_database) == {"alembic_version"}


def test_upgrade_is_idempotent(empty_database: str) -> None:
    config = alembic_config(empty_database)
    command.upgrade(config, "head")
    before = tables(empty_database)

    command.upgrade(config, "head")

    assert tables(empty_database) == before


def test_existing_users_get_personal_teams_holding_their_items(
    empty_database: str,
) -> None:
    config = alembic_config(empty_database)
    command.upgrade(config, "0001")
    with psycopg.connect(empty_database, autocommit=True) as connection:
        users = {}
        for email, items in (("ann@example.com", 3), ("bob@example.com", 1)):
            row = connection.execute(
                'INSERT INTO "user" (id, email, hashed_password, is_active, '
                "is_superuser, created_at) VALUES (gen_random_uuid(), %s, 'x', true, "
                "false, now()) RETURNING id",
                (email,),
            ).fetchone()
            assert row is not None
            users[email] = row[0]
            connection.execute(
                "INSERT INTO item (id, title, owner_id, created_at) "
                "SELECT gen_random_uuid(), 'old', %s, now() FROM generate_series(1, %s)",
                (row[0], items),
            )

    command.upgrade(config, "head")

    with psycopg.connect(empty_database) as connection:
        teams = connection.execute(
            "SELECT t.personal_for_id, t.name, m.user_id, m.role, "
            "(SELECT count(*) FROM item i WHERE i.team_id = t.id AND i.owner_id = "
            "t.personal_for_id) FROM team t JOIN team_member m ON m.team_id = t.id "
            "ORDER BY t.name, m.role"
        ).fetchall()
        counts = dict(
            connection.execute(
                "SELECT t.personal_for_id, sum(c.count) FROM row_count c "
                "JOIN team t ON t.id = c.scope_id WHERE c.table_name = 'item' "
                "GROUP BY t.personal_for_id"
            ).fetchall()
        )
    ann, bob = users["ann@example.com"], users["bob@example.com"]
    assert sorted(teams, key=lambda row: row[4]) == [
        (bob, "Personal", bob, "owner", 1),
        (ann, "Personal", ann, "owner", 3),
    ]
    assert counts == {ann: 3, bob: 1}
