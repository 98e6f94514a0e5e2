"""Figures: numbers that size or describe the problem, with the initiatives, harms and places they concern (created 2026-12-05)."""

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0012'
down_revision = '0011'


def upgrade() -> None:
    op.create_table(
        'figure',
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('recording_organisation_id', sa.Integer(), nullable=True),
        sa.Column('source_organisation_id', sa.Integer(), nullable=True),
        sa.Column('statement', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column('value', sa.Float(), nullable=True),
        sa.Column('unit', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column('denominator', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.Column('period_start', sa.Date(), nullable=False),
        sa.Column('period_end', sa.Date(), nullable=False),
        sa.Column('period_precision', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column(
            'visibility',
            sa.Enum('PUBLIC', 'MEMBERS', 'ORGANISATION', name='visibility', native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column('provenance', sa.JSON(), nullable=False),
        sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ['recording_organisation_id'], ['organisation.id'],
            name=op.f('fk_figure_recording_organisation_id_organisation'),
        ),
        sa.ForeignKeyConstraint(
            ['source_organisation_id'], ['organisation.id'], name=op.f('fk_figure_source_organisation_id_organisation')
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_figure')),
    )
    with op.batch_alter_table('figure', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_figure_recording_organisation_id'), ['recording_organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_figure_source_organisation_id'), ['source_organisation_id'], unique=False)
        batch_op.create_index('ix_figure_visible_order', ['deleted_at', 'period_end', 'id'], unique=False)

    op.create_table(
        'figure_classification',
        sa.Column('figure_id', sa.Integer(), nullable=False),
        sa.Column('scheme', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ['figure_id'], ['figure.id'], name=op.f('fk_figure_classification_figure_id_figure'), ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('figure_id', 'scheme', 'code', name=op.f('pk_figure_classification')),
    )
    with op.batch_alter_table('figure_classification', schema=None) as batch_op:
        batch_op.create_index('ix_figure_classification_lookup', ['scheme', 'code', 'figure_id'], unique=False)

    op.create_table(
        'figure_initiative',
        sa.Column('figure_id', sa.Integer(), nullable=False),
        sa.Column('initiative_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ['figure_id'], ['figure.id'], name=op.f('fk_figure_initiative_figure_id_figure'), ondelete='CASCADE'
        ),
        sa.ForeignKeyConstraint(
            ['initiative_id'], ['initiative.id'], name=op.f('fk_figure_initiative_initiative_id_initiative')
        ),
        sa.PrimaryKeyConstraint('figure_id', 'initiative_id', name=op.f('pk_figure_initiative')),
    )
    with op.batch_alter_table('figure_initiative', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_figure_initiative_initiative_id'), ['initiative_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('figure_initiative', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_figure_initiative_initiative_id'))
    op.drop_table('figure_initiative')
    with op.batch_alter_table('figure_classification', schema=None) as batch_op:
        batch_op.drop_index('ix_figure_classification_lookup')
    op.drop_table('figure_classification')
    with op.batch_alter_table('figure', schema=None) as batch_op:
        batch_op.drop_index('ix_figure_visible_order')
        batch_op.drop_index(batch_op.f('ix_figure_source_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_figure_recording_organisation_id'))
    op.drop_table('figure')
