"""The database engine: PostgreSQL through psycopg 3's async driver."""

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


def create_read_engine(engine: AsyncEngine) -> AsyncEngine:
    """The same pool in autocommit, for the hottest single-query reads.

    An ORM session costs three round trips (BEGIN, SELECT, ROLLBACK) and its own
    bookkeeping for one read; the access-token check on every request and item
    lookups by id skip both. Writes and multi-statement work stay on the session.
    """
    return engine.execution_options(isolation_level="AUTOCOMMIT")
