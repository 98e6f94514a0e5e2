"""Questioning a rating: inquiries, their appeals and the appeals' reviewers (created 2026-12-05)."""

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0014'
down_revision = '0013'


def upgrade() -> None:
    op.create_table('rating_inquiry',
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rating_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('grounds', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('text', sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('answer', sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=True),
    sa.Column('answered_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('answered_by_organisation_id', sa.Integer(), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['answered_by_organisation_id'], ['organisation.id'], name=op.f('fk_rating_inquiry_answered_by_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_rating_inquiry_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['rating_id'], ['outcome_rating.id'], name=op.f('fk_rating_inquiry_rating_id_outcome_rating'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rating_inquiry'))
    )
    with op.batch_alter_table('rating_inquiry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rating_inquiry_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_rating_inquiry_rating_id'), ['rating_id'], unique=False)
        batch_op.create_index('ix_rating_inquiry_status', ['status', 'id'], unique=False)

    op.create_table('rating_appeal',
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('inquiry_id', sa.Integer(), nullable=False),
    sa.Column('text', sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('assigned_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['inquiry_id'], ['rating_inquiry.id'], name=op.f('fk_rating_appeal_inquiry_id_rating_inquiry'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rating_appeal')),
    sa.UniqueConstraint('inquiry_id', name=op.f('uq_rating_appeal_inquiry_id'))
    )
    op.create_table('rating_appeal_reviewer',
    sa.Column('appeal_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('decision', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('reasons', sqlmodel.sql.sqltypes.AutoString(length=900), nullable=True),
    sa.Column('decided_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['appeal_id'], ['rating_appeal.id'], name=op.f('fk_rating_appeal_reviewer_appeal_id_rating_appeal'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_rating_appeal_reviewer_organisation_id_organisation')),
    sa.PrimaryKeyConstraint('appeal_id', 'organisation_id', name=op.f('pk_rating_appeal_reviewer'))
    )
    with op.batch_alter_table('rating_appeal_reviewer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rating_appeal_reviewer_organisation_id'), ['organisation_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('rating_appeal_reviewer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rating_appeal_reviewer_organisation_id'))

    op.drop_table('rating_appeal_reviewer')
    op.drop_table('rating_appeal')
    with op.batch_alter_table('rating_inquiry', schema=None) as batch_op:
        batch_op.drop_index('ix_rating_inquiry_status')
        batch_op.drop_index(batch_op.f('ix_rating_inquiry_rating_id'))
        batch_op.drop_index(batch_op.f('ix_rating_inquiry_organisation_id'))

    op.drop_table('rating_inquiry')
