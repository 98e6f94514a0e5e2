"""Participations confirmed by the partner organisation (created 2026-12-04)."""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0007'
down_revision = '0006'


def upgrade() -> None:
    with op.batch_alter_table('participation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('confirmed_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
    # Participations recorded before partners confirmed theirs stand as they were shown: confirmed,
    # as of when they were recorded, by whoever recorded them.
    op.execute("UPDATE participation SET confirmed_at = created_at, confirmed_by = created_by")


def downgrade() -> None:
    with op.batch_alter_table('participation', schema=None) as batch_op:
        batch_op.drop_column('confirmed_by')
        batch_op.drop_column('confirmed_at')
