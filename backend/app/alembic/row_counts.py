"""Exact row counts that cost the same at any table size, for a migration to switch on.

`count_rows(op, "item", scope="owner_id")` adds statement-level triggers that keep, in
`row_count`, how many rows `item` has per owner and in all. A list's count is then the
sum of at most 16 rows read by primary key (`app.core.listing`), instead of a
`count(*)` that walks an index as long as the list. Bulk SQL and cascades are counted
too (the triggers see every statement's changed rows at once).

Each count is spread over up to 16 rows ("shards", one per database connection's turn:
the backend pid modulo 16), so concurrent writers do not queue behind one another on
one locked row until their commits are flushed.

When does a table need it? When its lists are long (a user with tens of thousands of
rows, or a superuser's view of all of them): `count(*)` costs ~1 ms per 10,000 rows on
every page read. Tables that stay small (users, a few thousand rows) do without. The
model must declare it too: `owned_table_args(..., counted=True)` sets
`info={"counted_by": scope}` on the table.
"""

from typing import Any

SHARDS = 16
WHOLE_TABLE = "00000000-0000-0000-0000-000000000000"


def _add(table: str, delta_sql: str) -> str:
    """Add the signed number of changed rows per scope (`delta_sql` yields
    scope_id, n) and in all to this connection's shard."""
    return f"""
        INSERT INTO row_count AS rc (table_name, scope_id, shard, count)
        SELECT '{table}', d.scope_id, pg_backend_pid() % {SHARDS}, d.n
        FROM ({delta_sql}) d WHERE d.n <> 0
        ON CONFLICT (table_name, scope_id, shard)
        DO UPDATE SET count = rc.count + excluded.count;
    """


def _with_total(per_scope: str, sign: str) -> str:
    return (
        f"{per_scope} UNION ALL "
        f"SELECT '{WHOLE_TABLE}'::uuid, {sign}count(*) FROM changed"
    )


def _statements(table: str, scope: str) -> list[tuple[str, str, str, str]]:
    """(name, event and transition tables, body) of each trigger."""
    added = _with_total(
        f"SELECT {scope} AS scope_id, count(*) AS n FROM changed GROUP BY {scope}", ""
    )
    removed = _with_total(
        f"SELECT {scope} AS scope_id, -count(*) AS n FROM changed GROUP BY {scope}", "-"
    )
    # Rows moved to another scope: minus one for the old, plus one for the new; the
    # total stays as it is.
    moved = f"""
        SELECT scope_id, sum(n) AS n FROM (
            SELECT n.{scope} AS scope_id, 1 AS n FROM new_rows n
            JOIN old_rows o ON o.id = n.id WHERE o.{scope} <> n.{scope}
            UNION ALL
            SELECT o.{scope}, -1 FROM old_rows o
            JOIN new_rows n ON n.id = o.id WHERE o.{scope} <> n.{scope}
        ) moved GROUP BY scope_id
    """
    return [
        ("added", "INSERT", "REFERENCING NEW TABLE AS changed", _add(table, added)),
        ("removed", "DELETE", "REFERENCING OLD TABLE AS changed", _add(table, removed)),
        (
            "moved",
            "UPDATE",
            "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
            _add(table, moved),
        ),
    ]


def count_rows(op: Any, table: str, *, scope: str) -> None:
    """Start counting `table`'s rows by `scope`, from the rows it has now."""
    for name, event, transition, body in _statements(table, scope):
        function = f"{table}_row_count_{name}"
        op.execute(
            f"CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN {body} RETURN NULL; END $$"
        )
        op.execute(
            f"CREATE TRIGGER {function} AFTER {event} ON {table} {transition} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
        )
    op.execute(
        "INSERT INTO row_count (table_name, scope_id, shard, count) "
        f"SELECT '{table}', {scope}, 0, count(*) FROM {table} GROUP BY {scope} "
        f"UNION ALL SELECT '{table}', '{WHOLE_TABLE}', 0, count(*) FROM {table} "
        f"HAVING count(*) > 0"
    )


def stop_counting_rows(op: Any, table: str) -> None:
    for name in ("added", "removed", "moved"):
        function = f"{table}_row_count_{name}"
        op.execute(f"DROP TRIGGER IF EXISTS {function} ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS {function}()")
    op.execute(f"DELETE FROM row_count WHERE table_name = '{table}'")
