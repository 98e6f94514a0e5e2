"""Withdrawn practices keep their reason (created 2026-12-05)."""

import sqlalchemy as sa
import sqlmodel
from alembic import op


# The identifiers are stated once, here; branch labels and dependencies only when a migration has them.
revision = '0019'
down_revision = '0018'


def upgrade() -> None:
    with op.batch_alter_table('best_practice', schema=None) as batch_op:
        batch_op.add_column(sa.Column('withdrawn_reason', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('best_practice', schema=None) as batch_op:
        batch_op.drop_column('withdrawn_reason')
