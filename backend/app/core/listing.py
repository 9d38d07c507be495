"""The statements `app.core.db` runs for any table, and the list kit.

- Who reaches which rows is a `Scope`: `OwnRows(owner_id)` or `ALL` (a superuser).
- Every list is one `Page[XPublic]` (`data`, `count`, `next_cursor`) read by
  `Database.page`: ordered by (created_at, id), paged by `skip`+`limit` or after a
  cursor (one index seek at any depth), with an exact count.
- Counts come from `count(*)`, or, for a table that declares it, from counters that
  database triggers keep (`row_count`, see `app/alembic/row_counts.py`): a list's
  count then costs the same at a thousand rows or a million.

Statements are built from the table's own columns, once per shape (table, scope,
columns set), and kept: `app.core.db` compiles each once.
"""

import base64
import functools
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, Generic, Literal, NamedTuple, Self, TypeVar

from pydantic import BaseModel, Field
from sqlalchemy import (
    BigInteger,
    BindParameter,
    Column,
    ColumnElement,
    Executable,
    ScalarSelect,
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

# Scopes ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OwnRows:
    """The rows one user owns (the table's `owner_id`)."""

    owner_id: uuid.UUID
    column: ClassVar[str] = "owner_id"

    @property
    def params(self) -> dict[str, Any]:
        return {"scope_id": self.owner_id}

    def reaches(self, row: SQLModel) -> bool:
        return bool(getattr(row, self.column) == self.owner_id)


@dataclass(frozen=True, slots=True)
class AllRows:
    """Every row of the table: a superuser's reach."""

    column: ClassVar[str | None] = None

    @property
    def params(self) -> dict[str, Any]:
        return {}

    def reaches(self, _row: SQLModel) -> bool:
        return True


Scope = OwnRows | AllRows
ALL = AllRows()


def _table(table: type[SQLModel]) -> Table:
    return table.__table__  # type: ignore[attr-defined, no-any-return]


def _scoped(table: Table, scope: str | None) -> list[ColumnElement[bool]]:
    """`scope`: the column a scope narrows by (its `column`), None for all rows."""
    if scope is None:
        return []
    return [table.c[scope] == bindparam("scope_id")]


# Single rows ----------------------------------------------------------------------


@functools.cache
def find_statement(table: type[SQLModel], columns: tuple[str, ...]) -> Executable:
    t = _table(table)
    return select(t).where(*(t.c[name] == bindparam(name) for name in columns)).limit(1)


@functools.cache
def get_statement(table: type[SQLModel], scope: str | None) -> Executable:
    t = _table(table)
    return select(t).where(t.c.id == bindparam("id"), *_scoped(t, scope))


def new_row(
    table: type[SQLModel], data: BaseModel | None, values: Mapping[str, Any]
) -> dict[str, Any]:
    """Every column of a new row: from `data` and `values`, else the field's default."""
    columns = _table(table).c
    row = data.model_dump(include=set(columns.keys())) if data is not None else {}
    row.update(values)
    for name, info in table.model_fields.items():
        if name in columns and name not in row:
            if info.is_required():
                raise TypeError(f"A new {table.__name__} needs a value for {name}")
            row[name] = info.get_default(call_default_factory=True)
    return row


@functools.cache
def insert_statement(table: type[SQLModel], columns: tuple[str, ...]) -> Executable:
    t = _table(table)
    return insert(t).values({name: bindparam(name) for name in columns}).returning(*t.c)


@functools.cache
def update_statement(
    table: type[SQLModel], scope: str | None, columns: tuple[str, ...]
) -> Executable:
    t = _table(table)
    return (
        update(t)
        .where(t.c.id == bindparam("id"), *_scoped(t, scope))
        .values({name: bindparam(name) for name in columns})
        .returning(*t.c)
    )


@functools.cache
def delete_statement(table: type[SQLModel], scope: str | None) -> Executable:
    t = _table(table)
    return (
        delete(t).where(t.c.id == bindparam("id"), *_scoped(t, scope)).returning(t.c.id)
    )


# Counters -------------------------------------------------------------------------

COUNTED = "counted_by"
"""`Table.info` key: the scope column a table's row counters are kept by, e.g.
`__table_args__ = ({"info": {COUNTED: "owner_id"}},)`. The table's migration must
add the counting triggers (`app/alembic/row_counts.py`)."""

# The whole table's count is kept under this scope id.
WHOLE_TABLE = uuid.UUID(int=0)

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


def counted_by(table: Table) -> str | None:
    column: str | None = table.info.get(COUNTED)
    return column


# Pages ----------------------------------------------------------------------------


class Cursor(NamedTuple):
    """Where a page ends in a list ordered by (created_at, id): the next page starts
    after it. Clients see it as 32 URL-safe characters: the time in microseconds
    since 1970 (8 bytes) and the id (16 bytes). Every such string is some position
    (one far outside the list just gives an empty page): a cursor reveals nothing and
    reaches nothing that the caller's scope does not."""

    created_at: datetime
    id: uuid.UUID

    def encode(self) -> str:
        delta = self.created_at - _EPOCH
        micros = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
        raw = micros.to_bytes(8, "big", signed=True) + self.id.bytes
        return base64.urlsafe_b64encode(raw).decode()

    @classmethod
    def decode(cls, cursor: str) -> "Cursor":
        """`cursor` must match CURSOR_PATTERN (the schema checks it)."""
        raw = base64.urlsafe_b64decode(cursor)
        micros = int.from_bytes(raw[:8], "big", signed=True)
        micros = min(max(micros, _EARLIEST), _LATEST)
        return cls(_EPOCH + timedelta(microseconds=micros), uuid.UUID(bytes=raw[8:]))


CURSOR_PATTERN = r"^[A-Za-z0-9_-]{32}$"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# The times a datetime can hold, in microseconds from the epoch.
_EARLIEST = -62_135_596_800_000_000 + 86_400_000_000
_LATEST = 253_402_300_799_000_000 - 86_400_000_000


@dataclass(frozen=True, slots=True)
class PageRequest:
    """Which page a list request asks for: `skip` rows from the start, or from just
    after a cursor."""

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
_OPERATORS = {"=": "eq", ">=": "ge", "<": "lt"}


@dataclass(frozen=True)
class List:
    """One list read: the rows of `table` within `scope`, narrowed by `filters`
    (`(column, "=" | ">=" | "<", value)`; None values are left out), newest first
    unless `oldest_first`, reading only the columns `shown` declares (so a list never
    reads what it does not show, a password hash say)."""

    table: type[SQLModel]
    request: PageRequest
    scope: Scope = ALL
    filters: Sequence[Filter] = ()
    oldest_first: bool = False
    shown: type[BaseModel] | None = None
    params: dict[str, Any] = field(init=False)

    def __post_init__(self) -> None:
        given = [
            (name, op, value) for name, op, value in self.filters if value is not None
        ]
        object.__setattr__(self, "filters", tuple(given))
        params: dict[str, Any] = {
            **self.scope.params,
            "skip": self.request.skip,
            # One row more than asked for tells whether another page follows.
            "limit": self.request.limit + 1,
        }
        for name, op, value in given:
            params[_filter_param(name, op)] = value
        if self.request.after is not None:
            params["after_created_at"] = self.request.after.created_at
            params["after_id"] = self.request.after.id
        object.__setattr__(self, "params", params)

    def statement(self) -> Executable:
        """The page and the list's count, in one statement (one round trip)."""
        columns = tuple(self.shown.model_fields) if self.shown else None
        filters = tuple((name, op) for name, op, _ in self.filters)
        return _list_statement(
            self.table,
            self.scope.column,
            filters,
            self.oldest_first,
            columns,
            self.request.after is not None,
        )

    def rows(self, found: list[dict[str, Any]]) -> PageRows:
        """The page from the statement's rows: each carries the count; an empty page
        is one row with nothing but the count."""
        count = int(found[0].pop(_COUNT)) if found else 0
        for row in found[1:]:
            del row[_COUNT]
        rows = found if found and found[0]["id"] is not None else []
        limit = self.request.limit
        next_cursor = (
            Cursor(rows[limit - 1]["created_at"], rows[limit - 1]["id"]).encode()
            if len(rows) > limit
            else None
        )
        return PageRows(data=rows[:limit], count=count, next_cursor=next_cursor)


def _filter_param(name: str, op: str) -> str:
    return f"filter_{name}_{_OPERATORS[op]}"


def _conditions(
    t: Table, scope: str | None, filters: tuple[tuple[str, str], ...]
) -> list[ColumnElement[bool]]:
    conditions = _scoped(t, scope)
    for name, op in filters:
        value: BindParameter[Any] = bindparam(_filter_param(name, op))
        column = t.c[name]
        conditions.append(
            column == value
            if op == "="
            else column >= value
            if op == ">="
            else column < value
        )
    return conditions


_COUNT = "_list_count"


def _count(
    t: Table, scope: str | None, filters: tuple[tuple[str, str], ...]
) -> ScalarSelect[Any]:
    counter = counted_by(t)
    if counter is not None and not filters and scope in (None, counter):
        scope_id: BindParameter[Any] = (
            bindparam("scope_id") if scope else bindparam("whole", WHOLE_TABLE)
        )
        return (
            select(func.coalesce(func.sum(row_count.c.count), 0))
            .where(row_count.c.table_name == t.name, row_count.c.scope_id == scope_id)
            .scalar_subquery()
        )
    return (
        select(func.count())
        .select_from(t)
        .where(*_conditions(t, scope, filters))
        .scalar_subquery()
    )


@functools.cache
def _list_statement(
    table: type[SQLModel],
    scope: str | None,
    filters: tuple[tuple[str, str], ...],
    oldest_first: bool,
    columns: tuple[str, ...] | None,
    after: bool,
) -> Executable:
    t = _table(table)
    keys = tuple_(t.c.created_at, t.c.id)
    conditions = _conditions(t, scope, filters)
    if after:
        position = tuple_(bindparam("after_created_at"), bindparam("after_id"))
        conditions.append(keys > position if oldest_first else keys < position)

    def order(c: Any) -> tuple[Any, ...]:
        return (
            (c.created_at, c.id) if oldest_first else (c.created_at.desc(), c.id.desc())
        )

    shown = [t.c[name] for name in columns if name in t.c] if columns else list(t.c)
    page = select(*shown).where(*conditions).order_by(*order(t.c))
    rows = page.offset(bindparam("skip")).limit(bindparam("limit")).subquery("page")
    # One row with the count even when the page is empty.
    one = select(literal(1).label("one")).subquery("one")
    return (
        select(_count(t, scope, filters).label(_COUNT), *rows.c)
        .select_from(one.outerjoin(rows, true()))
        .order_by(*order(rows.c))
    )


# Response schemas -----------------------------------------------------------------


class Public(SQLModel):
    """Base of response schemas (`XPublic`): validated as plain pydantic models.

    SQLModel's own `__new__` and `__init__` serve table classes, whose rows the ORM
    loads without `__init__`; on a response schema they only make validation call
    back into Python for every object, which for a page of 100 rows costs several
    times the validation itself.
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
        """Pydantic's own validation, without SQLModel's layer for table classes."""
        if update:
            return super().model_validate(
                obj, strict=strict, from_attributes=from_attributes, update=update
            )
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

NEXT_CURSOR_DESCRIPTION = (
    "Pass as `cursor` to read the page after this one; null on the last page."
)


class Page(BaseModel, Generic[ShownT]):
    """A page of a list: its rows, the whole list's count, where the next page starts.

    Each list's response schema names its row schema: `class ItemsPublic(Page[ItemPublic])`.
    """

    data: list[ShownT]
    count: int
    next_cursor: str | None = Field(default=None, description=NEXT_CURSOR_DESCRIPTION)

    @classmethod
    def of(cls, rows: PageRows) -> Self:
        """The page as this schema: every row validated and shown by the row schema."""
        return cls.model_validate(rows, from_attributes=True)
