"""Misspellings of organisation names: searchable, never shown (created 2026-12-04)."""

import sqlalchemy as sa
from alembic import op


revision = '0006'
down_revision = '0005'


def upgrade() -> None:
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        # Existing organisations start with none.
        batch_op.add_column(sa.Column('misspellings', sa.JSON(), nullable=False, server_default=sa.text("'[]'")))


def downgrade() -> None:
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.drop_column('misspellings')
