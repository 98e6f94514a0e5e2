"""The search outbox becomes a change log every index follows: rows stamped with their transaction, and the log's shared state (created 2026-12-04)."""

import sqlalchemy as sa
from alembic import op

from api.core.db import current_transaction_id

revision = '0010'
down_revision = '0009'


def upgrade() -> None:
    # On SQLite the table is rebuilt with AUTOINCREMENT, so that ids never come back after pruning.
    with op.batch_alter_table(
        'search_outbox', schema=None, recreate='auto', table_kwargs={'sqlite_autoincrement': True}
    ) as batch_op:
        # Rows already queued take the migration's own transaction id: below every later writer's.
        batch_op.add_column(sa.Column('txid', sa.BigInteger(), nullable=False, server_default=current_transaction_id()))
        batch_op.create_index('ix_search_outbox_position', ['txid', 'id'], unique=False)
    state = op.create_table(
        'search_log_state',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('pruned_txid', sa.BigInteger(), nullable=False),
        sa.Column('pruned_id', sa.BigInteger(), nullable=False),
        sa.Column('indexed_txid', sa.BigInteger(), nullable=False),
        sa.Column('indexed_id', sa.BigInteger(), nullable=False),
        sa.Column('leader', sa.String(length=200), nullable=True),
        sa.Column('lease_until', sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_search_log_state')),
    )
    # The shared index's indexer starts from the beginning: rows still queued are indexed as before.
    op.bulk_insert(state, [{'id': 1, 'pruned_txid': 0, 'pruned_id': 0, 'indexed_txid': 0, 'indexed_id': 0}])


def downgrade() -> None:
    op.drop_table('search_log_state')
    with op.batch_alter_table('search_outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_search_outbox_position')
        batch_op.drop_column('txid')
