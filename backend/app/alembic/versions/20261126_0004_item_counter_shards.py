"""item counters in shards

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 17:00:00

One counter row per owner (and one for the whole table) made every insert of an owner's
items wait for the previous one to commit: the row stays locked until its commit is
flushed to disk, so concurrent writes queued behind one another. The counts now live in
up to 16 rows each ("shards"), one per database connection's turn (the backend pid
modulo 16): concurrent writers update different rows, and a count is the sum of at
most 16 rows read by primary key. Still exact, still kept by statement-level triggers
(bulk SQL and cascades included).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

SHARDS = 16
SHARD = f"(pg_backend_pid() % {SHARDS})"

# Add the signed number of changed rows per owner (`delta_sql` yields owner_id, n)
# to this connection's shard, for owners that still exist (a user's deletion removes
# its counters by cascade, and then its items: those need no counting).
ADD_TO_SHARDS = f"""
    INSERT INTO item_count AS ic (owner_id, shard, count)
    SELECT d.owner_id, {SHARD}, d.n FROM ({{delta_sql}}) d
    WHERE EXISTS (SELECT 1 FROM "user" u WHERE u.id = d.owner_id)
    ON CONFLICT (owner_id, shard) DO UPDATE SET count = ic.count + excluded.count;
    INSERT INTO item_total AS it (id, count)
    SELECT {SHARD}, sum(d.n) FROM ({{delta_sql}}) d HAVING sum(d.n) <> 0
    ON CONFLICT (id) DO UPDATE SET count = it.count + excluded.count;
"""
ADDED = "SELECT owner_id, count(*) AS n FROM changed_items GROUP BY owner_id"
REMOVED = "SELECT owner_id, -count(*) AS n FROM changed_items GROUP BY owner_id"
MOVED = """
    SELECT owner_id, sum(n) AS n FROM (
        SELECT n.owner_id, 1 AS n FROM new_items n
        JOIN old_items o ON o.id = n.id WHERE o.owner_id <> n.owner_id
        UNION ALL
        SELECT o.owner_id, -1 FROM old_items o
        JOIN new_items n ON n.id = o.id WHERE o.owner_id <> n.owner_id
    ) moved GROUP BY owner_id
"""


def _counter_function(name: str, delta_sql: str) -> str:
    return f"""
        CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            {ADD_TO_SHARDS.format(delta_sql=delta_sql)}
            RETURN NULL;
        END
        $$
    """


def _one_row_function(name: str, delta_sql: str, *, total: bool) -> str:
    """Revision 0003's trigger function: one counter per owner, one for the table."""
    total_sql = (
        "UPDATE item_total SET count = count + "
        f"(SELECT coalesce(sum(d.n), 0) FROM ({delta_sql}) d) "
        "WHERE id = 1;"
        if total
        else ""
    )
    return f"""
        CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE "user" u SET item_count = u.item_count + c.n
            FROM ({delta_sql}) c WHERE u.id = c.owner_id;
            {total_sql}
            RETURN NULL;
        END
        $$
    """


def upgrade():
    op.create_table(
        "item_count",
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("shard", sa.SmallInteger(), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("owner_id", "shard"),
    )
    op.execute(
        "INSERT INTO item_count (owner_id, shard, count) "
        'SELECT id, 0, item_count FROM "user" WHERE item_count <> 0'
    )
    op.drop_column("user", "item_count")
    op.alter_column("item_total", "count", type_=sa.BigInteger())
    op.execute(_counter_function("item_counters_add", ADDED))
    op.execute(_counter_function("item_counters_remove", REMOVED))
    # Moves between owners leave the total as it is: it adds zero there.
    op.execute(_counter_function("item_counters_move", MOVED))


def downgrade():
    op.add_column(
        "user",
        sa.Column("item_count", sa.Integer(), server_default="0", nullable=False),
    )
    op.execute(
        'UPDATE "user" u SET item_count = c.n FROM '
        "(SELECT owner_id, sum(count) AS n FROM item_count GROUP BY owner_id) c "
        "WHERE u.id = c.owner_id"
    )
    op.execute(
        "WITH total AS (DELETE FROM item_total RETURNING count) "
        "INSERT INTO item_total (id, count) SELECT 1, coalesce(sum(count), 0) FROM total"
    )
    op.alter_column("item_total", "count", type_=sa.Integer())
    op.drop_table("item_count")
    op.execute(_one_row_function("item_counters_add", ADDED, total=True))
    op.execute(_one_row_function("item_counters_remove", REMOVED, total=True))
    op.execute(_one_row_function("item_counters_move", MOVED, total=False))
