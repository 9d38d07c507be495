"""teams

Teams (shared workspaces), their members with a role each, and invitations by email.
Items belong to a team; `owner_id` stays as the user who created one (null once that
user is gone). Existing data moves over: every user gets a personal team, which they
own, and their items move into it; item counts follow teams instead of owners.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 17:55:35.285212

"""
from alembic import op
import sqlalchemy as sa
import sqlmodel.sql.sqltypes

from app.alembic.row_counts import count_rows, stop_counting_rows


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('team',
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('personal_for_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['personal_for_id'], ['user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('personal_for_id')
    )
    op.create_index('ix_team_created_at_id', 'team', ['created_at', 'id'], unique=False)
    op.create_table('team_invitation',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('team_id', sa.Uuid(), nullable=False),
    sa.Column('email', sa.String(length=255), nullable=False),
    sa.Column('role', sa.String(length=10), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=True),
    sa.Column('invited_by_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['invited_by_id'], ['user.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('team_id', 'email'),
    sa.UniqueConstraint('token_hash')
    )
    op.create_index('ix_team_invitation_team_id_created_at_id', 'team_invitation', ['team_id', 'created_at', 'id'], unique=False)
    op.create_table('team_member',
    sa.Column('team_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('role', sa.String(length=10), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('team_id', 'user_id')
    )
    op.create_index(op.f('ix_team_member_user_id'), 'team_member', ['user_id'], unique=False)

    # Every existing user gets a personal team, which they own.
    op.execute(
        "INSERT INTO team (id, name, personal_for_id, created_at) "
        "SELECT gen_random_uuid(), 'Personal', id, created_at FROM \"user\""
    )
    op.execute(
        "INSERT INTO team_member (team_id, user_id, role, created_at) "
        "SELECT id, personal_for_id, 'owner', created_at FROM team"
    )

    # Items move into their owner's personal team; counts follow teams from now on.
    stop_counting_rows(op, 'item')
    op.add_column('item', sa.Column('team_id', sa.Uuid(), nullable=True))
    op.execute(
        "UPDATE item SET team_id = team.id FROM team "
        "WHERE team.personal_for_id = item.owner_id"
    )
    op.alter_column('item', 'team_id', existing_type=sa.Uuid(), nullable=False)
    op.alter_column('item', 'owner_id', existing_type=sa.UUID(), nullable=True)
    op.drop_index('ix_item_owner_id_created_at_id', table_name='item')
    op.create_index('ix_item_owner_id', 'item', ['owner_id'], unique=False)
    op.create_index('ix_item_team_id_created_at_id', 'item', ['team_id', 'created_at', 'id'], unique=False)
    op.drop_constraint('item_owner_id_fkey', 'item', type_='foreignkey')
    op.create_foreign_key('item_owner_id_fkey', 'item', 'user', ['owner_id'], ['id'], ondelete='SET NULL')
    op.create_foreign_key('item_team_id_fkey', 'item', 'team', ['team_id'], ['id'], ondelete='CASCADE')
    count_rows(op, 'item', scope='team_id')


def downgrade():
    # Back to items per user: those whose creator is gone go.
    stop_counting_rows(op, 'item')
    op.execute("DELETE FROM item WHERE owner_id IS NULL")
    op.drop_constraint('item_team_id_fkey', 'item', type_='foreignkey')
    op.drop_constraint('item_owner_id_fkey', 'item', type_='foreignkey')
    op.create_foreign_key('item_owner_id_fkey', 'item', 'user', ['owner_id'], ['id'], ondelete='CASCADE')
    op.drop_index('ix_item_team_id_created_at_id', table_name='item')
    op.drop_index('ix_item_owner_id', table_name='item')
    op.create_index('ix_item_owner_id_created_at_id', 'item', ['owner_id', 'created_at', 'id'], unique=False)
    op.alter_column('item', 'owner_id', existing_type=sa.UUID(), nullable=False)
    op.drop_column('item', 'team_id')
    count_rows(op, 'item', scope='owner_id')
    op.drop_index(op.f('ix_team_member_user_id'), table_name='team_member')
    op.drop_table('team_member')
    op.drop_index('ix_team_invitation_team_id_created_at_id', table_name='team_invitation')
    op.drop_table('team_invitation')
    op.drop_index('ix_team_created_at_id', table_name='team')
    op.drop_table('team')
