"""The database: every statement the app sends goes through this module.

Statements are SQLAlchemy Core built from the SQLModel tables (`select(Item)`,
`insert(Item)...returning(...)`), so a column added to a table reaches every query
with no column list typed anywhere. Each is compiled for PostgreSQL once (`compiled`)
and sent by psycopg over one connection pool:

- `Database` runs each statement on its own, in autocommit: one round trip, with no
  BEGIN or COMMIT around it (most requests need exactly one statement);
- `async with db.transaction() as tx:` runs several on one connection, all or nothing.

Both offer `one`, `all`, `scalar` and `execute` for any statement, and `find`, `get`,
`insert`, `update`, `delete` and `page` for any table (`app.core.listing` builds
those). Plain reads give dicts; the table calls give table instances made from the
row without validating it again (stored data was validated on its way in): read-only
snapshots, changed with `update`.

Every round trip is bounded (`DATABASE_STATEMENT_TIMEOUT_SECONDS`, `Deadlines`): past
it the connection's socket is shut down under psycopg, which fails the statement at
once (an OperationalError, answered 503) and the pool discards the connection. A
database, or a pooler in front of it, that stops answering without closing the
connection then costs a request that long, never a worker's slot or the pool for good.
"""

import asyncio
import logging
import os
import socket
import time
import uuid
import weakref
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import (
    AbstractAsyncContextManager,
    asynccontextmanager,
    nullcontext,
    suppress,
)
from typing import Any, TypeVar, cast

import psycopg
from psycopg import AsyncConnection, AsyncCursor
from psycopg.pq import TransactionStatus
from psycopg.rows import DictRow, dict_row
from psycopg.types.json import JsonbDumper
from psycopg_pool import AsyncConnectionPool
from sqlalchemy import ClauseElement, Executable
from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg
from sqlalchemy.engine import make_url
from sqlalchemy.orm import configure_mappers
from sqlmodel import SQLModel

from app.core import listing
from app.core.config import Settings
from app.core.listing import ALL, PageRequest, PageRows, Scope

Row = dict[str, Any]
TableT = TypeVar("TableT", bound=SQLModel)
Connection = AsyncConnection[DictRow]

logger = logging.getLogger(__name__)

_DIALECT = PGDialect_psycopg()  # type: ignore[no-untyped-call]
# A statement is compiled the first time it runs and kept while it lives: those built
# once (at import, or by `app.core.listing`) compile once.
_compiled: "weakref.WeakKeyDictionary[Executable, tuple[str, Row]]" = (
    weakref.WeakKeyDictionary()
)


def compiled(statement: Executable) -> tuple[str, Row]:
    """The statement's SQL for psycopg, and the values bound in it."""
    if (found := _compiled.get(statement)) is None:
        result = cast(ClauseElement, statement).compile(dialect=_DIALECT)
        found = _compiled[statement] = (result.string, dict(result.params))
    return found


def as_table(table: type[TableT], row: Mapping[str, Any]) -> TableT:
    """A stored row as an instance of its table class, without validating it again."""
    return cast(TableT, table.model_construct(**row))


class DatabaseNotConfiguredError(RuntimeError):
    """DATABASE_URL is missing: the run and test commands provide one."""


def _url(database_url: str, driver: str) -> str:
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        raise ValueError("DATABASE_URL must be a PostgreSQL URL")
    return url.set(drivername=driver).render_as_string(hide_password=False)


def sqlalchemy_url(database_url: str) -> str:
    """The URL naming the psycopg driver (for Alembic)."""
    return _url(database_url, "postgresql+psycopg")


def libpq_url(database_url: str) -> str:
    """The URL as libpq reads it: a `postgresql+psycopg://` one loses its driver."""
    plain = make_url(database_url).drivername == "postgresql"
    return database_url if plain else _url(database_url, "postgresql")


class Deadlines:
    """The round trips in flight on the pool's connections, each with the time it must
    be over by. A task looks every quarter of a second (or sooner, for short timeouts)
    and severs the connection of any that is late: shutting its socket down fails the
    round trip at once. Cheaper than a timer per statement: a dict entry set and
    removed around each."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.pending: dict[Connection, float] = {}
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._watch())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _watch(self) -> None:
        interval = min(0.25, self.timeout / 4)
        while True:
            await asyncio.sleep(interval)
            now = time.monotonic()
            late = [c for c, deadline in self.pending.items() if deadline <= now]
            for connection in late:
                del self.pending[connection]
                self._sever(connection)

    def _sever(self, connection: Connection) -> None:
        """Shut the connection's socket down. The descriptor stays libpq's (a duplicate
        is shut down and closed), so it cannot be handed to another socket while
        psycopg still watches it."""
        if connection.closed:
            return
        logger.warning(
            "The database did not answer within %s s: closing the connection",
            self.timeout,
        )
        with (
            suppress(OSError),
            socket.socket(fileno=os.dup(connection.fileno())) as sock,
        ):
            sock.shutdown(socket.SHUT_RDWR)


async def _execute(
    connection: Connection,
    sql: str,
    params: Mapping[str, Any] | None,
    deadlines: Deadlines,
) -> AsyncCursor[DictRow]:
    """One round trip, severed if it outlasts the statement timeout."""
    pending = deadlines.pending
    pending[connection] = time.monotonic() + deadlines.timeout
    try:
        return await connection.execute(sql, params)
    finally:
        pending.pop(connection, None)


async def _fetch(
    connection: Connection,
    statement: Executable,
    params: Mapping[str, Any],
    rows: bool,
    deadlines: Deadlines,
) -> list[DictRow]:
    sql, bound = compiled(statement)
    cursor = await _execute(connection, sql, {**bound, **params}, deadlines)
    return await cursor.fetchall() if rows else []


class Statements:
    """The calls `Database` and `Transaction` share; each says how a statement
    reaches a connection (`_fetch`)."""

    async def _fetch(
        self, statement: Executable, params: Mapping[str, Any], rows: bool = True
    ) -> list[Row]:
        raise NotImplementedError

    def connection(self) -> AbstractAsyncContextManager[AsyncConnection[DictRow]]:
        """The connection statements run on, for a library that sends its own
        (a transaction's own connection, or one from the pool)."""
        raise NotImplementedError

    async def one(self, statement: Executable, **params: Any) -> Row | None:
        """The first row the statement returns, or None."""
        rows = await self._fetch(statement, params)
        return rows[0] if rows else None

    async def all(self, statement: Executable, **params: Any) -> list[Row]:
        return await self._fetch(statement, params)

    async def scalar(self, statement: Executable, **params: Any) -> Any:
        """The first column of the first row, or None."""
        row = await self.one(statement, **params)
        return next(iter(row.values())) if row else None

    async def execute(self, statement: Executable, **params: Any) -> None:
        """Run a statement that returns no rows."""
        await self._fetch(statement, params, rows=False)

    async def find(self, table: type[TableT], **equal: Any) -> TableT | None:
        """The first row whose columns equal these values (`find(User, email=...)`)."""
        row = await self.one(listing.find_statement(table, tuple(equal)), **equal)
        return as_table(table, row) if row else None

    async def get(
        self, table: type[TableT], row_id: uuid.UUID | int, *, scope: Scope = ALL
    ) -> TableT | None:
        """The row with this id, if it is within `scope`."""
        statement = listing.get_statement(table, scope.column)
        row = await self.one(statement, id=row_id, **scope.params)
        return as_table(table, row) if row else None

    async def insert(
        self, table: type[TableT], data: SQLModel | None = None, **values: Any
    ) -> TableT:
        """Store a new row: the columns `data` (a schema) and `values` give, the
        table class's defaults for the rest; the row as stored."""
        row = listing.new_row(table, data, values)
        stored = await self.one(listing.insert_statement(table, tuple(row)), **row)
        return as_table(table, cast(Row, stored))

    async def update(
        self,
        table: type[TableT],
        row_id: uuid.UUID | int,
        changes: Mapping[str, Any],
        *,
        scope: Scope = ALL,
    ) -> TableT | None:
        """Set these columns of the row, if it is within `scope`; the row as stored,
        or None when there is no such row for this scope."""
        if not changes:
            return await self.get(table, row_id, scope=scope)
        statement = listing.update_statement(table, scope.column, tuple(changes))
        row = await self.one(statement, id=row_id, **scope.params, **changes)
        return as_table(table, row) if row else None

    async def delete(
        self, table: type[SQLModel], row_id: uuid.UUID | int, *, scope: Scope = ALL
    ) -> bool:
        """Delete the row if it is within `scope`; whether it was."""
        statement = listing.delete_statement(table, scope.column)
        return await self.one(statement, id=row_id, **scope.params) is not None

    async def page(
        self, table: listing.Listable, request: PageRequest, **options: Any
    ) -> PageRows:
        """A page of the table's rows and the list's exact count, in one statement
        (options: `app.core.listing.list_query`)."""
        statement, params = listing.list_query(table, request, **options)
        return listing.page_rows(await self.all(statement, **params), request)


class Transaction(Statements):
    """Statements on one connection inside BEGIN ... COMMIT (ROLLBACK on an error)."""

    def __init__(self, connection: Connection, deadlines: Deadlines) -> None:
        self._connection = connection
        self._deadlines = deadlines

    async def _fetch(
        self, statement: Executable, params: Mapping[str, Any], rows: bool = True
    ) -> list[Row]:
        return await _fetch(self._connection, statement, params, rows, self._deadlines)

    def connection(self) -> AbstractAsyncContextManager[AsyncConnection[DictRow]]:
        return nullcontext(self._connection)


class _Pool(AsyncConnectionPool[Connection]):
    """psycopg's pool, telling `on_wait` (when set) how long each checkout waited,
    whether it got a connection or timed out."""

    on_wait: Callable[[float], None] | None = None

    async def getconn(self, timeout: float | None = None) -> Connection:
        if self.on_wait is None:
            return await super().getconn(timeout)
        started = time.perf_counter()
        try:
            return await super().getconn(timeout)
        finally:
            self.on_wait(time.perf_counter() - started)


class Database(Statements):
    """The app's connection pool; each statement runs alone, in autocommit.

    Connections are made on demand, up to DATABASE_POOL_SIZE: the app starts while the
    database is down, and answers 503 until it is back. A request waits at most
    DATABASE_POOL_TIMEOUT_SECONDS for a connection, and each round trip at most
    DATABASE_STATEMENT_TIMEOUT_SECONDS.

    `on_pool_wait` is told how long each checkout waited; `on_connect` sees each new
    connection before its first use (tracing instruments it there).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        on_pool_wait: Callable[[float], None] | None = None,
        on_connect: Callable[[Connection], None] | None = None,
    ) -> None:
        if not settings.DATABASE_URL:
            raise DatabaseNotConfiguredError(
                "DATABASE_URL is not set: start the app with the README's run command "
                "(it starts an embedded PostgreSQL) or point DATABASE_URL at a server."
            )
        configure_mappers()  # table instances made from rows need their attributes
        self.deadlines = Deadlines(settings.DATABASE_STATEMENT_TIMEOUT_SECONDS)

        async def configure(connection: Connection) -> None:
            # JSON columns (the audit log's details) take dicts as they are.
            connection.adapters.register_dumper(dict, JsonbDumper)
            if on_connect is not None:
                on_connect(connection)

        self.pool = _Pool(
            libpq_url(settings.DATABASE_URL),
            connection_class=Connection,
            kwargs={
                "autocommit": True,
                "row_factory": dict_row,
                "connect_timeout": settings.DATABASE_CONNECT_TIMEOUT_SECONDS,
            },
            configure=configure,
            min_size=1,
            max_size=settings.DATABASE_POOL_SIZE,
            timeout=settings.DATABASE_POOL_TIMEOUT_SECONDS,
            open=False,
            name="app",
        )
        self.pool.on_wait = on_pool_wait

    async def open(self) -> None:
        await self.pool.open(wait=False)
        self.deadlines.start()

    async def close(self) -> None:
        await self.deadlines.stop()
        await self.pool.close()

    async def _fetch(
        self, statement: Executable, params: Mapping[str, Any], rows: bool = True
    ) -> list[Row]:
        async with self.pool.connection() as connection:
            return await _fetch(connection, statement, params, rows, self.deadlines)

    def connection(self) -> AbstractAsyncContextManager[AsyncConnection[DictRow]]:
        return self.pool.connection()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """Several statements as one unit: committed together when the block ends,
        rolled back together if it raises. BEGIN, COMMIT and ROLLBACK are round trips
        as bounded as the statements between them."""
        async with self.pool.connection() as connection:
            await _execute(connection, "BEGIN", None, self.deadlines)
            try:
                yield Transaction(connection, self.deadlines)
            except BaseException:
                status = connection.pgconn.transaction_status
                if status in (TransactionStatus.INTRANS, TransactionStatus.INERROR):
                    # A broken connection fails here too; the pool discards it.
                    with suppress(psycopg.Error):
                        await _execute(connection, "ROLLBACK", None, self.deadlines)
                raise
            await _execute(connection, "COMMIT", None, self.deadlines)
