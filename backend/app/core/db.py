"""The database: an ORM engine and a plain connection pool, both psycopg 3 async."""

from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import DictRow, dict_row
from psycopg_pool import AsyncConnectionPool
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core.config import Settings


class DatabaseNotConfiguredError(RuntimeError):
    """DATABASE_URL is missing: the run and test commands provide one."""


def sqlalchemy_url(database_url: str, *, driver: str = "psycopg") -> str:
    """Turn a libpq-style `postgresql://` URL into one naming the psycopg driver."""
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        raise ValueError("DATABASE_URL must be a PostgreSQL URL")
    return url.set(drivername=f"postgresql+{driver}").render_as_string(
        hide_password=False
    )


def libpq_url(database_url: str) -> str:
    """The URL as libpq reads it: a `postgresql+psycopg://` one loses its driver."""
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        raise ValueError("DATABASE_URL must be a PostgreSQL URL")
    if url.drivername == "postgresql":
        return database_url
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _database_url(settings: Settings) -> str:
    if not settings.DATABASE_URL:
        raise DatabaseNotConfiguredError(
            "DATABASE_URL is not set: start the app with the README's run command "
            "(it starts an embedded PostgreSQL) or point DATABASE_URL at a server."
        )
    return settings.DATABASE_URL


def create_engine(settings: Settings) -> AsyncEngine:
    return create_async_engine(
        sqlalchemy_url(_database_url(settings)),
        pool_size=settings.DATABASE_POOL_SIZE,
        max_overflow=settings.DATABASE_MAX_OVERFLOW,
        pool_timeout=settings.DATABASE_CONNECT_TIMEOUT_SECONDS,
        connect_args={"connect_timeout": settings.DATABASE_CONNECT_TIMEOUT_SECONDS},
    )


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


Pool = AsyncConnectionPool[AsyncConnection[DictRow]]


def create_pool(settings: Settings) -> Pool:
    """Plain connections in autocommit, for the paths every request takes.

    An ORM session costs three round trips (BEGIN, statement, COMMIT or ROLLBACK)
    and its own bookkeeping per request; the access-token check, item reads and
    writes, and the list pages are each one statement (or two), sent as plain SQL
    here. Work that spans several statements stays on the ORM session. Opened by
    the app's lifespan; connections are made on demand, up to DATABASE_POOL_SIZE.
    """
    kwargs: dict[str, Any] = {
        "autocommit": True,
        "row_factory": dict_row,
        "connect_timeout": settings.DATABASE_CONNECT_TIMEOUT_SECONDS,
    }
    return AsyncConnectionPool(
        libpq_url(_database_url(settings)),
        connection_class=AsyncConnection[DictRow],
        kwargs=kwargs,
        min_size=1,
        max_size=settings.DATABASE_POOL_SIZE,
        timeout=settings.DATABASE_CONNECT_TIMEOUT_SECONDS,
        open=False,
        name="fast-path",
    )
