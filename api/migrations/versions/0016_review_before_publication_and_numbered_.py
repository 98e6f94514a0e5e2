"""Review before publication and numbered versions (created 2026-12-05)."""

import sqlalchemy as sa
import sqlmodel
from alembic import op


# The identifiers are stated once, here; branch labels and dependencies only when a migration has them.
revision = '0016'
down_revision = '0015'


def upgrade() -> None:
    op.create_table('review_conflict',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('declared_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_review_conflict_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_review_conflict_user_id_user_account')),
    sa.PrimaryKeyConstraint('user_id', 'organisation_id', name=op.f('pk_review_conflict'))
    )
    op.create_table('reviewer',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('granted_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('granted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_reviewer_user_id_user_account')),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_reviewer'))
    )
    op.create_table('revision',
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_type', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=True),
    sa.Column('base_version', sa.Integer(), nullable=True),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.Column('change_note', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_version', sa.Integer(), nullable=True),
    sa.Column('withdrawn_reason', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
    sa.Column('changes_requested', sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=True),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_revision_organisation_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_revision'))
    )
    with op.batch_alter_table('revision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_revision_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index('ix_revision_record', ['record_type', 'record_id', 'state'], unique=False)
        batch_op.create_index(batch_op.f('ix_revision_state'), ['state'], unique=False)

    op.create_table('disagreement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('revision_id', sa.Integer(), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('field', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('first', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('second', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('resolution', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('resolved_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['revision_id'], ['revision.id'], name=op.f('fk_disagreement_revision_id_revision'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disagreement'))
    )
    with op.batch_alter_table('disagreement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_disagreement_revision_id'), ['revision_id'], unique=False)

    op.create_table('record_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_type', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('published_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('publication', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('change_note', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
    sa.Column('revision_id', sa.Integer(), nullable=True),
    sa.Column('snapshot', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_record_version_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['revision_id'], ['revision.id'], name=op.f('fk_record_version_revision_id_revision')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_record_version')),
    sa.UniqueConstraint('record_type', 'record_id', 'number', name='uq_record_version_number')
    )
    op.create_table('review_assignment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('revision_id', sa.Integer(), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('assigned_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('coding', sa.JSON(), nullable=True),
    sa.Column('decision', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('notes', sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['revision_id'], ['revision.id'], name=op.f('fk_review_assignment_revision_id_revision'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_review_assignment_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_assignment')),
    sa.UniqueConstraint('revision_id', 'round', 'user_id', name='uq_review_assignment_reviewer')
    )
    with op.batch_alter_table('review_assignment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_assignment_revision_id'), ['revision_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_review_assignment_user_id'), ['user_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('review_assignment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_assignment_user_id'))
        batch_op.drop_index(batch_op.f('ix_review_assignment_revision_id'))

    op.drop_table('review_assignment')
    op.drop_table('record_version')
    with op.batch_alter_table('disagreement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_disagreement_revision_id'))

    op.drop_table('disagreement')
    with op.batch_alter_table('revision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_revision_state'))
        batch_op.drop_index('ix_revision_record')
        batch_op.drop_index(batch_op.f('ix_revision_organisation_id'))

    op.drop_table('revision')
    op.drop_table('reviewer')
    op.drop_table('review_conflict')
