"""session details

What a user's list of sessions shows of each login: how it was proven (`method`),
and the address and browser it came from. Sessions from before this migration show
`password` and no address or browser.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 01:11:20.198852

"""
from alembic import op
import sqlalchemy as sa
import sqlmodel.sql.sqltypes


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('user_session', sa.Column('method', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False, server_default='password'))
    op.alter_column('user_session', 'method', server_default=None)
    op.add_column('user_session', sa.Column('ip', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
    op.add_column('user_session', sa.Column('user_agent', sqlmodel.sql.sqltypes.AutoString(length=512), nullable=True))


def downgrade():
    op.drop_column('user_session', 'user_agent')
    op.drop_column('user_session', 'ip')
    op.drop_column('user_session', 'method')
