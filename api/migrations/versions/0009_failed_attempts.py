"""Failed attempts: the guessing limits counted in the database, shared by every API process (created 2026-12-04)."""

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0009'
down_revision = '0008'


def upgrade() -> None:
    op.create_table(
        'failed_attempt',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('key_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('failed_at', sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_failed_attempt')),
    )
    with op.batch_alter_table('failed_attempt', schema=None) as batch_op:
        batch_op.create_index('ix_failed_attempt_kind_key', ['kind', 'key_hash', 'failed_at'], unique=False)
        batch_op.create_index('ix_failed_attempt_kind_time', ['kind', 'failed_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('failed_attempt', schema=None) as batch_op:
        batch_op.drop_index('ix_failed_attempt_kind_time')
        batch_op.drop_index('ix_failed_attempt_kind_key')
    op.drop_table('failed_attempt')
