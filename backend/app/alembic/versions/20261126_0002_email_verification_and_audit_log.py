"""email verification and audit log

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 12:41:19.050205

"""
from alembic import op
import sqlalchemy as sa
import sqlmodel.sql.sqltypes


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('audit_event',
    sa.Column('event_type', sa.String(length=40), nullable=False),
    sa.Column('actor_id', sa.Uuid(), nullable=True),
    sa.Column('target_id', sa.Uuid(), nullable=True),
    sa.Column('ip', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('request_id', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_audit_event_actor_id_created_at', 'audit_event', ['actor_id', 'created_at'], unique=False)
    op.create_index('ix_audit_event_created_at_id', 'audit_event', ['created_at', 'id'], unique=False)
    op.create_index('ix_audit_event_event_type_created_at', 'audit_event', ['event_type', 'created_at'], unique=False)
    op.create_index('ix_audit_event_target_id_created_at', 'audit_event', ['target_id', 'created_at'], unique=False)
    # Accounts that exist before verification did count as verified.
    op.add_column('user', sa.Column('is_verified', sa.Boolean(), server_default=sa.text('true'), nullable=False))
    op.add_column('user', sa.Column('pending_email', sa.String(length=255), nullable=True))


def downgrade():
    op.drop_column('user', 'pending_email')
    op.drop_column('user', 'is_verified')
    op.drop_index('ix_audit_event_target_id_created_at', table_name='audit_event')
    op.drop_index('ix_audit_event_event_type_created_at', table_name='audit_event')
    op.drop_index('ix_audit_event_created_at_id', table_name='audit_event')
    op.drop_index('ix_audit_event_actor_id_created_at', table_name='audit_event')
    op.drop_table('audit_event')
