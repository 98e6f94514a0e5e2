"""Activity trail (created 2026-12-05)."""

import sqlalchemy as sa
import sqlmodel
from alembic import op


# The identifiers are stated once, here; branch labels and dependencies only when a migration has them.
revision = '0015'
down_revision = '0014'


def upgrade() -> None:
    op.create_table('activity',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('subject_type', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('version', sa.Integer(), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_activity_organisation_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activity'))
    )
    with op.batch_alter_table('activity', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_activity_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_activity_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index('ix_activity_subject', ['subject_type', 'subject_id', 'id'], unique=False)
        batch_op.create_index('ix_activity_time', ['occurred_at', 'id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('activity', schema=None) as batch_op:
        batch_op.drop_index('ix_activity_time')
        batch_op.drop_index('ix_activity_subject')
        batch_op.drop_index(batch_op.f('ix_activity_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_activity_kind'))

    op.drop_table('activity')
