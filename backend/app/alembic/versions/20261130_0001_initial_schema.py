"""initial schema

Users and their login sessions, items, the audit log, and the row counters that keep
item list counts exact at any size (`app/alembic/row_counts.py`).

Revision ID: 0001
Revises: 
Create Date: 2026-11-30 14:32:17.838940

"""
from alembic import op
import sqlalchemy as sa
import sqlmodel.sql.sqltypes

from app.alembic.row_counts import count_rows, stop_counting_rows


# revision identifiers, used by Alembic.
revision = '0001'
down_revision = None
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
    op.create_table('row_count',
    sa.Column('table_name', sa.String(length=63), nullable=False),
    sa.Column('scope_id', sa.Uuid(), nullable=False),
    sa.Column('shard', sa.SmallInteger(), nullable=False),
    sa.Column('count', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('table_name', 'scope_id', 'shard'),
    comment='Row counts of the tables whose info names a `counted_by` column, kept exact by triggers; a count is the sum of its shards.'
    )
    op.create_table('user',
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('is_superuser', sa.Boolean(), nullable=False),
    sa.Column('email', sa.String(length=255), nullable=False),
    sa.Column('is_verified', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('full_name', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('pending_email', sa.String(length=255), nullable=True),
    sa.Column('hashed_password', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('email')
    )
    op.create_index('ix_user_created_at_id', 'user', ['created_at', 'id'], unique=False)
    op.create_table('item',
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('owner_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    info={'counted_by': 'owner_id'}
    )
    op.create_index('ix_item_created_at_id', 'item', ['created_at', 'id'], unique=False)
    op.create_index('ix_item_owner_id_created_at_id', 'item', ['owner_id', 'created_at', 'id'], unique=False)
    count_rows(op, 'item', scope='owner_id')
    op.create_table('user_session',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_user_session_user_id'), 'user_session', ['user_id'], unique=False)
    op.create_table('refresh_token',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('session_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['session_id'], ['user_session.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('token_hash')
    )
    op.create_index(op.f('ix_refresh_token_session_id'), 'refresh_token', ['session_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_refresh_token_session_id'), table_name='refresh_token')
    op.drop_table('refresh_token')
    op.drop_index(op.f('ix_user_session_user_id'), table_name='user_session')
    op.drop_table('user_session')
    stop_counting_rows(op, 'item')
    op.drop_index('ix_item_owner_id_created_at_id', table_name='item')
    op.drop_index('ix_item_created_at_id', table_name='item')
    op.drop_table('item')
    op.drop_index('ix_user_created_at_id', table_name='user')
    op.drop_table('user')
    op.drop_table('row_count')
    op.drop_index('ix_audit_event_target_id_created_at', table_name='audit_event')
    op.drop_index('ix_audit_event_event_type_created_at', table_name='audit_event')
    op.drop_index('ix_audit_event_created_at_id', table_name='audit_event')
    op.drop_index('ix_audit_event_actor_id_created_at', table_name='audit_event')
    op.drop_table('audit_event')
