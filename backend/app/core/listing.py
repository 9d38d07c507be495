"""The statements `app.core.db` runs for any table, and the list kit.

- Who reaches which rows is a `Scope`: `TeamRows(team_id)`, the rows of one team (the
  caller's membership is checked once per request, by `app.api.deps`), or `ALL`.
- Every list is a `Page[XPublic]` (`data`, `count`, `next_cursor`), ordered by
  (created_at, id), paged by `skip` and `limit` or from a `Cursor` (one index seek at
  any depth), with an exact count: `count(*)`, or, for a table that declares it,
  the counters database triggers keep (`app/alembic/row_counts.py`), which cost the
  same at a thousand rows or a million.

Statements are built from the table's own columns once per shape and kept, so
`app.core.db` compiles each once.
"""

import base64
import functools
import operator
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, Generic, Literal, NamedTuple, Self, TypeVar

from pydantic import BaseModel, Field
from sqlalchemy import (
    BigInteger,
    Column,
    ColumnElement,
    Executable,
    FromClause,
    SmallInteger,
    String,
    Table,
    Uuid,
    bindparam,
    delete,
    func,
    insert,
    literal,
    select,
    true,
    tuple_,
    update,
)
from sqlmodel import SQLModel


@dataclass(frozen=True, slots=True)
class TeamRows:
    """The rows of one team (the table's `team_id`)."""

    team_id: uuid.UUID
    column: ClassVar[str | None] = "team_id"

    @property
    def params(self) -> dict[str, Any]:
        return {"scope_id": self.team_id}

    def reaches(self, row: SQLModel) -> bool:
        return bool(row.team_id == self.team_id)  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class AllRows:
    """Every row of the table: a superuser's reach."""

    column: ClassVar[str | None] = None
    params: ClassVar[dict[str, Any]] = {}

    def reaches(self, _row: SQLModel) -> bool:
        return True


Scope = TeamRows | AllRows
ALL = AllRows()


# What a list reads: a table, or a query over several (a subquery with `id` and
# `created_at` columns, as `app.crud` builds for a team's members).
Listable = type[SQLModel] | FromClause


def table_of(table: Listable) -> Table:
    if isinstance(table, FromClause):
        return table  # type: ignore[return-value]
    return table.__table__  # type: ignore[attr-defined, no-any-return]


def _scoped(table: Table, scope: str | None) -> list[ColumnElement[bool]]:
    """`scope`: the column a scope narrows by (`Scope.column`); None for every row."""
    return [] if scope is None else [table.c[scope] == bindparam("scope_id")]


# Single rows ----------------------------------------------------------------------


@functools.cache
def find_statement(table: type[SQLModel], columns: tuple[str, ...]) -> Executable:
    t = table_of(table)
    return select(t).where(*(t.c[name] == bindparam(name) for name in columns)).limit(1)


@functools.cache
def get_statement(table: type[SQLModel], scope: str | None) -> Executable:
    t = table_of(table)
    return select(t).where(t.c.id == bindparam("id"), *_scoped(t, scope))


def new_row(
    table: type[SQLModel], data: BaseModel | None, values: Mapping[str, Any]
) -> dict[str, Any]:
    """Every column of a new row: from `data` and `values`, else the field's default."""
    row = data.model_dump(include=_columns(table)) if data is not None else {}
    row.update(values)
    for name, required, default, factory in _defaults(table):
        if name not in row:
            if required:
                raise TypeError(f"A new {table.__name__} needs a value for {name}")
            row[name] = factory() if factory is not None else default
    return row


@functools.cache
def _columns(table: type[SQLModel]) -> set[str]:
    return set(table_of(table).c.keys())


@functools.cache
def _defaults(table: type[SQLModel]) -> list[tuple[str, bool, Any, Any]]:
    """(column, required, default, default factory) of each of the table's fields."""
    return [
        (name, info.is_required(), info.default, info.default_factory)
        for name, info in table.model_fields.items()
        if name in _columns(table)
    ]


@functools.cache
def insert_statement(table: type[SQLModel], columns: tuple[str, ...]) -> Executable:
    t = table_of(table)
    return insert(t).values(_bound(columns)).returning(*t.c)


def _bound(columns: tuple[str, ...]) -> dict[str, Any]:
    return {name: bindparam(name) for name in columns}


@functools.cache
def update_statement(
    table: type[SQLModel], scope: str | None, columns: tuple[str, ...]
) -> Executable:
    t = table_of(table)
    where = (t.c.id == bindparam("id"), *_scoped(t, scope))
    return update(t).where(*where).values(_bound(columns)).returning(*t.c)


@functools.cache
def delete_statement(table: type[SQLModel], scope: str | None) -> Executable:
    t = table_of(table)
    where = (t.c.id == bindparam("id"), *_scoped(t, scope))
    return delete(t).where(*where).returning(t.c.id)


# Counts ---------------------------------------------------------------------------

COUNTED = "counted_by"  # Table.info key: the scope column a table's counters follow
WHOLE_TABLE = uuid.UUID(int=0)  # the scope id of a whole table's count

row_count = Table(
    "row_count",
    SQLModel.metadata,
    Column("table_name", String(63), primary_key=True),
    Column("scope_id", Uuid, primary_key=True),
    Column("shard", SmallInteger, primary_key=True),
    Column("count", BigInteger, nullable=False),
    comment="Row counts of the tables whose info names a `counted_by` column, "
    "kept exact by triggers; a count is the sum of its shards.",
)


def _count(t: Table, scope: str | None, filters: tuple[tuple[str, str], ...]) -> Any:
    info = getattr(t, "info", {})
    if info.get(COUNTED) is not None and not filters and scope in (None, info[COUNTED]):
        scope_id = bindparam("scope_id") if scope else literal(WHOLE_TABLE, Uuid)
        counters = (row_count.c.table_name == t.name, row_count.c.scope_id == scope_id)
        count = select(func.coalesce(func.sum(row_count.c.count), 0)).where(*counters)
    else:
        count = select(func.count()).select_from(t).where(*_filtered(t, scope, filters))
    return count.scalar_subquery()


# Pages ----------------------------------------------------------------------------

CURSOR_PATTERN = r"^[A-Za-z0-9_-]{32}$"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# The times a datetime holds (a day in from each end), in microseconds from the epoch.
_EARLIEST, _LATEST = -62_135_510_400_000_000, 253_402_214_399_000_000
_LARGEST_BIGINT = 2**63 - 1


class Cursor(NamedTuple):
    """Where a page ends in a list ordered by (created_at, id). Clients see 32 URL-safe
    characters: the time in microseconds since 1970 (8 bytes), then the id (16 bytes;
    a table with integer ids has the number there). Any such string is a position:
    it reveals nothing, and reaches nothing outside the caller's scope (one far
    outside the list gives an empty page)."""

    created_at: datetime
    id: uuid.UUID

    def encode(self) -> str:
        micros = (self.created_at - _EPOCH) // timedelta(microseconds=1)
        raw = micros.to_bytes(8, "big", signed=True) + self.id.bytes
        return base64.urlsafe_b64encode(raw).decode()

    def id_in(self, table: Table) -> uuid.UUID | int:
        """The id as `table` stores it: integer ids are capped to the largest bigint."""
        if isinstance(table.c.id.type, Uuid):
            return self.id
        return min(self.id.int, _LARGEST_BIGINT)

    @classmethod
    def decode(cls, cursor: str) -> "Cursor":
        """`cursor` matches CURSOR_PATTERN (the schema checks it)."""
        raw = base64.urlsafe_b64decode(cursor)
        micros = min(
            max(int.from_bytes(raw[:8], "big", signed=True), _EARLIEST), _LATEST
        )
        return cls(_EPOCH + timedelta(microseconds=micros), uuid.UUID(bytes=raw[8:]))


@dataclass(frozen=True, slots=True)
class PageRequest:
    """Which page a list request asks for: `limit` rows, `skip` rows from the start
    or from just after a cursor."""

    limit: int
    skip: int = 0
    after: Cursor | None = None


@dataclass(frozen=True, slots=True)
class PageRows:
    """One page of a list as rows, the list's total, and where the next page starts."""

    data: list[dict[str, Any]]
    count: int
    next_cursor: str | None


Filter = tuple[str, Literal["=", ">=", "<"], Any]
_COUNT = "_list_count"


def list_query(
    table: Listable,
    request: PageRequest,
    *,
    scope: Scope = ALL,
    filters: Sequence[Filter] = (),
    oldest_first: bool = False,
    shown: type[BaseModel] | None = None,
) -> tuple[Executable, dict[str, Any]]:
    """The statement for a page of `table`'s rows within `scope`, narrowed by
    `filters` (`(column, "=" | ">=" | "<", value)`, None values left out), and its
    parameters. With `shown`, only the columns that schema shows are read (a list
    never reads a password hash). One row more than asked for tells whether another
    page follows; each row carries the whole list's count."""
    given = tuple((name, op, value) for name, op, value in filters if value is not None)
    params: dict[str, Any] = {
        **scope.params,
        "skip": request.skip,
        "limit": request.limit + 1,
        **{f"filter_{name}_{_OPS[op]}": value for name, op, value in given},
    }
    if request.after is not None:
        after_id = request.after.id_in(table_of(table))
        params.update(after_created_at=request.after.created_at, after_id=after_id)
    statement = _list_statement(
        table,
        scope.column,
        tuple((name, op) for name, op, _ in given),
        oldest_first,
        tuple(shown.model_fields) if shown else None,
        request.after is not None,
    )
    return statement, params


def page_rows(found: list[dict[str, Any]], request: PageRequest) -> PageRows:
    """The page from the list statement's rows: an empty page is one row with only
    the count."""
    count = int(found[0][_COUNT]) if found else 0
    rows = [row for row in found if row["id"] is not None]
    for row in rows:
        del row[_COUNT]
    last = rows[request.limit - 1] if len(rows) > request.limit else None
    next_cursor = _cursor_after(last) if last else None
    return PageRows(data=rows[: request.limit], count=count, next_cursor=next_cursor)


def _cursor_after(row: dict[str, Any]) -> str:
    ident = row["id"]
    ident = ident if isinstance(ident, uuid.UUID) else uuid.UUID(int=ident)
    return Cursor(row["created_at"], ident).encode()


_OPS = {"=": "eq", ">=": "ge", "<": "lt"}


def _filtered(
    t: Table, scope: str | None, filters: tuple[tuple[str, str], ...]
) -> list[ColumnElement[bool]]:
    conditions = _scoped(t, scope)
    for name, op in filters:
        compare = getattr(operator, _OPS[op])
        conditions.append(compare(t.c[name], bindparam(f"filter_{name}_{_OPS[op]}")))
    return conditions


@functools.cache
def _list_statement(
    table: Listable,
    scope: str | None,
    filters: tuple[tuple[str, str], ...],
    oldest_first: bool,
    columns: tuple[str, ...] | None,
    after: bool,
) -> Executable:
    t = table_of(table)

    def order(c: Any) -> tuple[Any, ...]:
        return (
            (c.created_at, c.id) if oldest_first else (c.created_at.desc(), c.id.desc())
        )

    conditions = _filtered(t, scope, filters)
    if after:
        keys = tuple_(t.c.created_at, t.c.id)
        position = tuple_(bindparam("after_created_at"), bindparam("after_id"))
        conditions.append(keys > position if oldest_first else keys < position)
    shown = [t.c[name] for name in columns if name in t.c] if columns else list(t.c)
    rows = (
        select(*shown)
        .where(*conditions)
        .order_by(*order(t.c))
        .offset(bindparam("skip"))
        .limit(bindparam("limit"))
        .subquery("page")
    )
    one = select(literal(1).label("one")).subquery("one")  # a row even for no page
    return (
        select(_count(t, scope, filters).label(_COUNT), *rows.c)
        .select_from(one.outerjoin(rows, true()))
        .order_by(*order(rows.c))
    )


# Response schemas -----------------------------------------------------------------


class Public(SQLModel):
    """Base of response schemas (`XPublic`): validated as plain pydantic models.

    SQLModel's own `__new__`, `__init__` and `model_validate` serve table classes;
    on a response schema they only make validation call back into Python for every
    object, which for a page of 100 rows costs several times the validation itself.
    """

    __init__ = BaseModel.__init__

    def __new__(cls, *_args: Any, **_kwargs: Any) -> Any:
        return object.__new__(cls)

    @classmethod
    def model_validate(
        cls,
        obj: Any,
        *,
        strict: bool | None = None,
        extra: Literal["allow", "ignore", "forbid"] | None = None,
        from_attributes: bool | None = None,
        context: Any | None = None,
        by_alias: bool | None = None,
        by_name: bool | None = None,
        update: dict[str, Any] | None = None,
    ) -> Self:
        if update:
            return super().model_validate(obj, strict=strict, update=update)
        shown: Self = cls.__pydantic_validator__.validate_python(
            obj,
            strict=strict,
            extra=extra,
            from_attributes=from_attributes,
            context=context,
            by_alias=by_alias,
            by_name=by_name,
        )
        return shown


ShownT = TypeVar("ShownT", bound=BaseModel)


class Page(BaseModel, Generic[ShownT]):
    """A page of a list: its rows, the whole list's count, where the next page starts.
    A list's response schema names its row schema: `class ItemsPublic(Page[ItemPublic])`.
    """

    data: list[ShownT]
    count: int
    next_cursor: str | None = Field(
        default=None,
        description="Pass as `cursor` to read the page after this one; "
        "null on the last page.",
    )

    @classmethod
    def of(cls, rows: PageRows) -> Self:
        """The page as this schema: every row validated and shown by the row schema."""
        return cls.model_validate(rows, from_attributes=True)
