"""The evidence map reads the newest change of its tables by index (created 2026-12-05)."""

import sqlalchemy as sa
import sqlmodel
from alembic import op


# The identifiers are stated once, here; branch labels and dependencies only when a migration has them.
revision = '0021'
down_revision = '0020'


def upgrade() -> None:
    with op.batch_alter_table('evidence_assessment', schema=None) as batch_op:
        batch_op.create_index('ix_evidence_assessment_updated_at', ['updated_at'], unique=False)

    with op.batch_alter_table('finding', schema=None) as batch_op:
        batch_op.create_index('ix_finding_updated_at', ['updated_at'], unique=False)

    with op.batch_alter_table('initiative', schema=None) as batch_op:
        batch_op.create_index('ix_initiative_updated_at', ['updated_at'], unique=False)

    with op.batch_alter_table('outcome_rating', schema=None) as batch_op:
        batch_op.create_index('ix_outcome_rating_computed_at', ['computed_at'], unique=False)

    with op.batch_alter_table('participation', schema=None) as batch_op:
        batch_op.create_index('ix_participation_updated_at', ['updated_at'], unique=False)

    with op.batch_alter_table('study', schema=None) as batch_op:
        batch_op.create_index('ix_study_updated_at', ['updated_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('study', schema=None) as batch_op:
        batch_op.drop_index('ix_study_updated_at')

    with op.batch_alter_table('participation', schema=None) as batch_op:
        batch_op.drop_index('ix_participation_updated_at')

    with op.batch_alter_table('outcome_rating', schema=None) as batch_op:
        batch_op.drop_index('ix_outcome_rating_computed_at')

    with op.batch_alter_table('initiative', schema=None) as batch_op:
        batch_op.drop_index('ix_initiative_updated_at')

    with op.batch_alter_table('finding', schema=None) as batch_op:
        batch_op.drop_index('ix_finding_updated_at')

    with op.batch_alter_table('evidence_assessment', schema=None) as batch_op:
        batch_op.drop_index('ix_evidence_assessment_updated_at')
