"""job queue

The background job queue's own schema (procrastinate's tables, types and functions,
as the installed release ships it), a `created_at` on its jobs so they list like any
other table, and `sent_email`, which makes a job that runs twice send once.

Upgrading procrastinate to a release that changes its schema takes a new migration
that applies the release's SQL migrations (`procrastinate schema --migrations-path`
lists them); see development.md.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 18:40:00

"""
import sqlalchemy as sa
from alembic import op
from procrastinate.schema import SchemaManager

# revision identifiers, used by Alembic.
revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(SchemaManager.get_schema())
    op.add_column(
        "procrastinate_jobs",
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
    )
    op.create_index(
        "ix_procrastinate_jobs_created_at_id",
        "procrastinate_jobs",
        ["created_at", "id"],
    )
    op.create_table(
        "sent_email",
        sa.Column("job_id", sa.BigInteger(), nullable=False),
        sa.Column("template", sa.String(length=40), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("job_id"),
    )


def downgrade() -> None:
    op.drop_table("sent_email")
    op.execute(
        """
        DO $$
        DECLARE name text;
        BEGIN
            FOR name IN SELECT oid::regprocedure::text FROM pg_proc
                WHERE proname LIKE 'procrastinate\\_%' LOOP
                EXECUTE 'DROP FUNCTION ' || name || ' CASCADE';
            END LOOP;
        END $$;
        DROP TABLE procrastinate_events, procrastinate_periodic_defers,
            procrastinate_jobs, procrastinate_workers CASCADE;
        DROP TYPE procrastinate_job_to_defer_v1, procrastinate_job_event_type,
            procrastinate_job_status;
        """
    )
