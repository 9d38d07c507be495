"""Throwaway databases next to the test database, for tests that need an empty one."""

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import sql

from devtools.embedded_postgres import create_database


@contextmanager
def fresh_database(database_url: str) -> Iterator[str]:
    """An empty database on the test database's server; dropped afterwards."""
    name = f"app_fresh_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    url = create_database(database_url, name)
    try:
        yield url
    finally:
        with psycopg.connect(database_url, autocommit=True) as connection:
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(name)
                )
            )
