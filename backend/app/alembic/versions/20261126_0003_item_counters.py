"""item counters kept by triggers

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 14:10:00

An owner's item count lives in "user".item_count and the table's in item_total, kept
exact by statement-level triggers on item (bulk SQL and cascades included), so a list's
`count` does not scan the items.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "user",
        sa.Column("item_count", sa.Integer(), server_default="0", nullable=False),
    )
    op.create_table(
        "item_total",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.execute(
        'UPDATE "user" u SET item_count = c.n FROM '
        "(SELECT owner_id, count(*) AS n FROM item GROUP BY owner_id) c "
        "WHERE u.id = c.owner_id"
    )
    op.execute("INSERT INTO item_total (id, count) SELECT 1, count(*) FROM item")
    op.execute(
        """
        CREATE FUNCTION item_counters_add() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE "user" u SET item_count = u.item_count + c.n
            FROM (SELECT owner_id, count(*) AS n FROM changed_items GROUP BY owner_id) c
            WHERE u.id = c.owner_id;
            UPDATE item_total SET count = count + (SELECT count(*) FROM changed_items)
            WHERE id = 1;
            RETURN NULL;
        END
        $$
        """
    )
    op.execute(
        """
        CREATE FUNCTION item_counters_remove() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE "user" u SET item_count = u.item_count - c.n
            FROM (SELECT owner_id, count(*) AS n FROM changed_items GROUP BY owner_id) c
            WHERE u.id = c.owner_id;
            UPDATE item_total SET count = count - (SELECT count(*) FROM changed_items)
            WHERE id = 1;
            RETURN NULL;
        END
        $$
        """
    )
    op.execute(
        """
        CREATE FUNCTION item_counters_move() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE "user" u SET item_count = u.item_count + c.n
            FROM (
                SELECT owner_id, sum(n) AS n FROM (
                    SELECT n.owner_id, 1 AS n FROM new_items n
                    JOIN old_items o ON o.id = n.id WHERE o.owner_id <> n.owner_id
                    UNION ALL
                    SELECT o.owner_id, -1 FROM old_items o
                    JOIN new_items n ON n.id = o.id WHERE o.owner_id <> n.owner_id
                ) moved GROUP BY owner_id
            ) c
            WHERE u.id = c.owner_id;
            RETURN NULL;
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER item_counters_insert AFTER INSERT ON item "
        "REFERENCING NEW TABLE AS changed_items "
        "FOR EACH STATEMENT EXECUTE FUNCTION item_counters_add()"
    )
    op.execute(
        "CREATE TRIGGER item_counters_delete AFTER DELETE ON item "
        "REFERENCING OLD TABLE AS changed_items "
        "FOR EACH STATEMENT EXECUTE FUNCTION item_counters_remove()"
    )
    op.execute(
        "CREATE TRIGGER item_counters_update AFTER UPDATE ON item "
        "REFERENCING OLD TABLE AS old_items NEW TABLE AS new_items "
        "FOR EACH STATEMENT EXECUTE FUNCTION item_counters_move()"
    )


def downgrade():
    op.execute("DROP TRIGGER item_counters_update ON item")
    op.execute("DROP TRIGGER item_counters_delete ON item")
    op.execute("DROP TRIGGER item_counters_insert ON item")
    op.execute("DROP FUNCTION item_counters_move()")
    op.execute("DROP FUNCTION item_counters_remove()")
    op.execute("DROP FUNCTION item_counters_add()")
    op.drop_table("item_total")
    op.drop_column("user", "item_count")
