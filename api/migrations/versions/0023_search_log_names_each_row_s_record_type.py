"""The search change log names each row's record type (created 2026-12-05).

One log feeds every search index (initiatives, evidence assessments, best practices): a row's
`record_type` says which, and its `initiative_id` holds that record's id. Rows written before are
initiatives'."""

import sqlalchemy as sa
from alembic import op


# The identifiers are stated once, here; branch labels and dependencies only when a migration has them.
revision = '0023'
down_revision = '0022'


def upgrade() -> None:
    with op.batch_alter_table('search_outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('record_type', sa.String(length=20), server_default='initiative', nullable=False))


def downgrade() -> None:
    # Rows of other record types would otherwise be read as initiatives' ids.
    op.execute("DELETE FROM search_outbox WHERE record_type <> 'initiative'")
    with op.batch_alter_table('search_outbox', schema=None) as batch_op:
        batch_op.drop_column('record_type')
