"""Vocabulary terms have synonyms, searched with their labels (created 2026-12-05)."""

import sqlalchemy as sa
from alembic import op


# The identifiers are stated once, here; branch labels and dependencies only when a migration has them.
revision = '0022'
down_revision = '0021'


def upgrade() -> None:
    with op.batch_alter_table('vocabulary_term', schema=None) as batch_op:
        batch_op.add_column(sa.Column('synonyms', sa.JSON(), nullable=False, server_default=sa.text("'[]'")))


def downgrade() -> None:
    with op.batch_alter_table('vocabulary_term', schema=None) as batch_op:
        batch_op.drop_column('synonyms')
