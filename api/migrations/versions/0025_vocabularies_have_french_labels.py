"""Vocabularies and their terms have French labels, for the portal's French pages (created 2026-12-05)."""

import sqlalchemy as sa
from alembic import op


# The identifiers are stated once, here; branch labels and dependencies only when a migration has them.
revision = '0025'
down_revision = '0024'


def upgrade() -> None:
    with op.batch_alter_table('vocabulary', schema=None) as batch_op:
        batch_op.add_column(sa.Column('label_fr', sa.String(length=200), nullable=True))
    with op.batch_alter_table('vocabulary_term', schema=None) as batch_op:
        batch_op.add_column(sa.Column('label_fr', sa.String(length=300), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('vocabulary_term', schema=None) as batch_op:
        batch_op.drop_column('label_fr')
    with op.batch_alter_table('vocabulary', schema=None) as batch_op:
        batch_op.drop_column('label_fr')
