"""misspellings of organisation names: searchable, never shown

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 16:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        # Existing organisations start with none.
        batch_op.add_column(sa.Column('misspellings', sa.JSON(), nullable=False, server_default=sa.text("'[]'")))


def downgrade() -> None:
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.drop_column('misspellings')
