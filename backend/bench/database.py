"""A fresh, dedicated database per run, and the app source the server runs from."""

import os
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

import psycopg
from psycopg import sql

from bench.seed import has_teams
from devtools.embedded_postgres import create_database, start_embedded_postgres

BACKEND_DIR = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Database:
    url: str  # the run's own database
    server: (
        str  # "embedded PostgreSQL 18.x" or "DATABASE_URL's server, PostgreSQL 15.x"
    )
    version: str


@contextmanager
def fresh_database(server_url: str | None) -> Iterator[Database]:
    """Create `bench_<pid>` on DATABASE_URL's server (or the embedded one); drop it after."""
    where = "DATABASE_URL's server" if server_url else "embedded PostgreSQL"
    server_url = server_url or start_embedded_postgres()
    name = f"bench_{os.getpid()}"
    url = create_database(server_url, name, recreate=True)
    with psycopg.connect(url) as connection:
        row = connection.execute("SHOW server_version").fetchone()
    version = str(row[0]) if row else "?"
    try:
        yield Database(
            url=url, server=f"{where}, PostgreSQL {version}", version=version
        )
    finally:
        with psycopg.connect(server_url, autocommit=True) as connection:
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(name)
                )
            )


def prestart(app_dir: Path, env: dict[str, str]) -> None:
    """The production prestart step: migrate and create the first superuser."""
    subprocess.run(
        [sys.executable, "-m", "app.prestart"],
        cwd=app_dir,
        env=env,
        check=True,
        timeout=300,
        capture_output=True,
    )


@contextmanager
def app_source(ref: str | None) -> Iterator[tuple[Path, str]]:
    """The folder the server runs from, and a description of that code.

    Without `ref`, the working tree (uncommitted edits included). With a git ref,
    `backend/app` and `alembic.ini` exported at that commit into a temporary folder,
    so edits in progress elsewhere in the tree do not leak into the figures.
    """
    commit = _git("rev-parse", "--short", ref or "HEAD")
    if ref is None:
        dirty = _git("status", "--porcelain", "--", "app", "alembic.ini")
        edits = len(dirty.splitlines())
        note = f", plus {edits} uncommitted file(s) under app/" if edits else ""
        yield BACKEND_DIR, f"working tree at {commit}{note}"
        return
    archive = subprocess.run(
        ["git", "archive", "--format=tar", ref, "app", "alembic.ini"],
        cwd=BACKEND_DIR,
        check=True,
        capture_output=True,
    ).stdout
    with tempfile.TemporaryDirectory(prefix="bench-app-") as folder:
        with tarfile.open(fileobj=BytesIO(archive)) as tar:
            tar.extractall(folder, filter="data")
        yield Path(folder), f"git {ref} ({commit}), exported"


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=BACKEND_DIR, check=True, capture_output=True, text=True
    ).stdout.strip()


# `{scope}`: the column a list is scoped by, `team_id` (`owner_id` before teams).
PAGING_QUERIES = {
    "owner's team's count (kept by triggers)": "SELECT coalesce(sum(count), 0) "
    "FROM row_count WHERE table_name = 'item' AND scope_id = %(team)s",
    "owner's team's first page": "SELECT * FROM item WHERE {scope} = %(team)s "
    "ORDER BY created_at DESC, id DESC LIMIT 101",
    "owner's team, deep page by cursor (what the API runs)": "SELECT * FROM item "
    "WHERE {scope} = %(team)s "
    "AND (created_at, id) < (%(after_created_at)s, %(after_id)s) "
    "ORDER BY created_at DESC, id DESC LIMIT 101",
    "owner's team, deep page by skip (for comparison)": "SELECT * FROM item "
    "WHERE {scope} = %(team)s ORDER BY created_at DESC, id DESC LIMIT 101 "
    "OFFSET %(skip)s",
    "users count": 'SELECT count(*) FROM "user"',
}


def explain_paging(url: str, owner_id: object, size: int) -> str:
    """EXPLAIN ANALYZE of SQL equivalent to what GET /items/ and /users/ run, in the
    owner's personal team (a tenth of the `size` items; before teams, the owner's
    items)."""
    skip = min(10_000, size // 10 - 100)
    parts = []
    with psycopg.connect(url) as connection:
        if not has_teams(connection):
            # An app from before teams: the owner's items, counted by owner.
            scope, scope_id = "owner_id", owner_id
        else:
            team = connection.execute(
                "SELECT id FROM team WHERE personal_for_id = %s", (owner_id,)
            ).fetchone()
            assert team is not None
            scope, scope_id = "team_id", team[0]
        after = connection.execute(
            f"SELECT created_at, id FROM item WHERE {scope} = %(team)s "
            "ORDER BY created_at DESC, id DESC LIMIT 1 OFFSET %(skip)s",
            {"team": scope_id, "skip": skip - 1},
        ).fetchone()
        assert after is not None
        params = {
            "team": scope_id,
            "skip": skip,
            "after_created_at": after[0],
            "after_id": after[1],
        }
        counted = connection.execute("SELECT to_regclass('row_count')").fetchone()
        for title, query in PAGING_QUERIES.items():
            if "row_count" in query and counted == (None,):
                continue  # an app from before the row counters (item_count then)
            rows = connection.execute(
                "EXPLAIN (ANALYZE, BUFFERS) " + query.format(scope=scope),
                params,
            ).fetchall()
            parts.append(f"-- {title}\n" + "\n".join(str(row[0]) for row in rows))
    return "\n\n".join(parts) + "\n"
