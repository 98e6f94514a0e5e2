"""Studies, findings coded for the rating rules, computed outcome ratings with their history (created 2026-12-05)."""

import json

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0013'
down_revision = '0012'

MOVED_TO_STUDY = ('title', 'study_design', 'sample_size', 'setting', 'reference_doi', 'reference_url', 'published_on', 'period')
# The strongest comparison each design gives (seed/vocabularies/study-design.yaml, as of this migration).
DESIGN_COMPARISON = {
    'RCT': 'RANDOMISED', 'CRCT': 'RANDOMISED', 'SR-MA': 'RANDOMISED', 'SR': 'RANDOMISED',
    'RDD': 'MATCHED', 'IV': 'MATCHED', 'DID': 'MATCHED', 'PSM': 'MATCHED',
    'ITS': 'UNMATCHED', 'PREPOST-C': 'UNMATCHED', 'MIXED': 'UNMATCHED', 'PREPOST': 'PRE-POST',
}


def upgrade() -> None:
    op.create_table('rating_ruleset_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('current_version', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('adopted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('adopted_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rating_ruleset_state'))
    )
    op.create_table('study',
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('study_design', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('reference_doi', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('reference_url', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
    sa.Column('countries', sa.JSON(), nullable=False),
    sa.Column('population', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
    sa.Column('sample_size', sa.Integer(), nullable=True),
    sa.Column('setting', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
    sa.Column('published_on', sa.Date(), nullable=True),
    sa.Column('published_precision', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True),
    sa.Column('period', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('peer_reviewed', sa.Boolean(), nullable=True),
    sa.Column('funder', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
    sa.Column('sample_key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('visibility', sa.Enum('PUBLIC', 'MEMBERS', 'ORGANISATION', name='visibility', native_enum=False, length=20), nullable=False),
    sa.Column('provenance', sa.JSON(), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_study_organisation_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_study'))
    )
    with op.batch_alter_table('study', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_study_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_study_reference_doi'), ['reference_doi'], unique=False)
        batch_op.create_index(batch_op.f('ix_study_sample_key'), ['sample_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_study_study_design'), ['study_design'], unique=False)

    op.create_table('outcome_rating',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('initiative_id', sa.Integer(), nullable=True),
    sa.Column('practice_id', sa.Integer(), nullable=True),
    sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('rating', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('certainty', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('extent', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('sustained', sa.Boolean(), nullable=False),
    sa.Column('independently_replicated', sa.Boolean(), nullable=False),
    sa.Column('self_evaluated_only', sa.Boolean(), nullable=False),
    sa.Column('withdrawn', sa.Boolean(), nullable=False),
    sa.Column('ruleset_version', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('rule_id', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('contributions', sa.JSON(), nullable=False),
    sa.Column('trace', sa.JSON(), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('(initiative_id IS NULL) <> (practice_id IS NULL)', name=op.f('ck_outcome_rating_one_subject')),
    sa.ForeignKeyConstraint(['initiative_id'], ['initiative.id'], name=op.f('fk_outcome_rating_initiative_id_initiative')),
    sa.ForeignKeyConstraint(['practice_id'], ['best_practice.id'], name=op.f('fk_outcome_rating_practice_id_best_practice')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outcome_rating')),
    sa.UniqueConstraint('initiative_id', 'outcome', name='uq_outcome_rating_initiative'),
    sa.UniqueConstraint('practice_id', 'outcome', name='uq_outcome_rating_practice')
    )
    with op.batch_alter_table('outcome_rating', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outcome_rating_initiative_id'), ['initiative_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outcome_rating_practice_id'), ['practice_id'], unique=False)
        batch_op.create_index('ix_outcome_rating_rating', ['rating', 'certainty'], unique=False)

    op.create_table('outcome_rating_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rating_id', sa.Integer(), nullable=False),
    sa.Column('rating', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('certainty', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('ruleset_version', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('rule_id', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('changed_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.ForeignKeyConstraint(['rating_id'], ['outcome_rating.id'], name=op.f('fk_outcome_rating_change_rating_id_outcome_rating'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outcome_rating_change'))
    )
    with op.batch_alter_table('outcome_rating_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outcome_rating_change_rating_id'), ['rating_id'], unique=False)

    # Every assessment so far reported on its own study: each becomes a study with the same id,
    # registered by the assessing organisation, as visible as the assessment was. A study counted
    # PEER-REVIEWED as its independence; peer review is now the study's, and the assessor INDEPENDENT.
    op.execute(
        "INSERT INTO study (id, organisation_id, title, study_design, reference_doi, reference_url, countries,"
        " sample_size, setting, published_on, period, peer_reviewed, visibility, provenance, deleted_at,"
        " created_at, updated_at, created_by, updated_by)"
        " SELECT id, assessing_organisation_id, title, study_design, reference_doi, reference_url, '[]',"
        " sample_size, setting, published_on, period,"
        " CASE WHEN independence = 'PEER-REVIEWED' THEN TRUE ELSE NULL END,"
        " visibility, provenance, deleted_at, created_at, updated_at, created_by, updated_by"
        " FROM evidence_assessment"
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("SELECT setval(pg_get_serial_sequence('study', 'id'), COALESCE((SELECT MAX(id) FROM study), 0) + 1, false)")
    op.execute("UPDATE evidence_assessment SET independence = 'INDEPENDENT' WHERE independence = 'PEER-REVIEWED'")
    op.execute("DELETE FROM vocabulary_term WHERE vocabulary = 'independence' AND code = 'PEER-REVIEWED'")
    with op.batch_alter_table('evidence_assessment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('study_id', sa.Integer(), nullable=True))
    op.execute("UPDATE evidence_assessment SET study_id = id")

    # Findings gain a comparison (the strongest their study's design gives), and what was their rating
    # becomes what the contributor proposed: ratings are computed from now on.
    with op.batch_alter_table('finding', schema=None) as batch_op:
        batch_op.add_column(sa.Column('comparison', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True))
        batch_op.add_column(sa.Column('proposed_rating', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True))
        batch_op.add_column(sa.Column('proposed_certainty', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True))
    comparisons = " ".join(f"WHEN '{design}' THEN '{comparison}'" for design, comparison in DESIGN_COMPARISON.items())
    op.execute(
        f"UPDATE finding SET proposed_rating = rating, proposed_certainty = certainty, comparison = CASE"
        f" (SELECT study_design FROM evidence_assessment WHERE evidence_assessment.id = finding.assessment_id)"
        f" {comparisons} ELSE 'NONE' END"
    )

    _split_seed_records()

    with op.batch_alter_table('evidence_assessment', schema=None) as batch_op:
        batch_op.alter_column('study_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_index(batch_op.f('ix_evidence_assessment_study_design'))
        batch_op.create_index(batch_op.f('ix_evidence_assessment_study_id'), ['study_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_evidence_assessment_study_id_study'), 'study', ['study_id'], ['id'])
        for column in MOVED_TO_STUDY:
            batch_op.drop_column(column)

    with op.batch_alter_table('finding', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ci_low', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('ci_high', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('p_value', sa.Float(), nullable=True))
        batch_op.alter_column('comparison', existing_type=sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False)
        batch_op.add_column(sa.Column('significance', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False, server_default='NOT-TESTED'))
        batch_op.add_column(sa.Column('risk_of_bias', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True))
        batch_op.add_column(sa.Column('follow_up_months', sa.Integer(), nullable=True))
        batch_op.drop_index(batch_op.f('ix_finding_rating'))
        batch_op.drop_column('rating')
        batch_op.drop_column('certainty')



# A seeded assessment's content before this migration, and the fields that now belong to its study.
STUDY_CONTENT = ('title', 'study_design', 'reference_url', 'period', 'visibility', 'provenance')


def _json(value: object) -> dict:
    return json.loads(value) if isinstance(value, str) else value


def _split_seed_records() -> None:
    """Seed records as the seed files now state them, so that the next `coplab seed` compares like with
    like: each seeded assessment's study becomes a seed record of its own (under the assessment's key),
    and the assessment's content names it and holds its findings in their new shape (what the finding
    was rated becomes the rating it proposes)."""
    connection = op.get_bind()
    seed_record = sa.table(
        'seed_record', sa.column('kind', sa.String), sa.column('key', sa.String), sa.column('record_id', sa.Integer),
        sa.column('content', sa.JSON), sa.column('loaded_at', sa.DateTime(timezone=True)),
    )
    rows = connection.execute(
        sa.select(seed_record.c.key, seed_record.c.record_id, seed_record.c.content, seed_record.c.loaded_at)
        .where(seed_record.c.kind == 'assessment')
    ).all()
    for key, record_id, content, loaded_at in rows:
        old = _json(content)
        study = {name: old.get(name) for name in STUDY_CONTENT}
        study = {
            'organisation': old.get('assessing_organisation'), **study, 'reference_doi': None, 'published': None,
            'peer_reviewed': True if old.get('independence') == 'PEER-REVIEWED' else None, 'funder': None,
            'population': None, 'countries': [], 'sample_key': None,
        }
        comparison = None  # the design's own, as the loader derives it
        new = {
            'initiative': old.get('initiative'),
            'assessing_organisation': old.get('assessing_organisation'),
            'study': key,
            'independence': 'INDEPENDENT' if old.get('independence') == 'PEER-REVIEWED' else old.get('independence'),
            'limitations': old.get('limitations'),
            'conflicts_of_interest': old.get('conflicts_of_interest'),
            'visibility': old.get('visibility'),
            'provenance': old.get('provenance'),
            'findings': [
                [outcome, direction, 'NOT-TESTED', comparison, None, None, None, None, None, rating, certainty, note]
                for outcome, direction, rating, certainty, note in old.get('findings', [])
            ],
        }
        connection.execute(
            seed_record.update()
            .where(seed_record.c.kind == 'assessment', seed_record.c.key == key)
            .values(content=new)
        )
        # The study has the assessment's id (above).
        connection.execute(
            seed_record.insert().values(kind='study', key=key, record_id=record_id, content=study, loaded_at=loaded_at)
        )


def _join_seed_records() -> None:
    """The reverse of `_split_seed_records`: each seeded assessment's content holds its study's fields again."""
    connection = op.get_bind()
    seed_record = sa.table('seed_record', sa.column('kind', sa.String), sa.column('key', sa.String),
                           sa.column('content', sa.JSON))
    studies = dict(connection.execute(
        sa.select(seed_record.c.key, seed_record.c.content).where(seed_record.c.kind == 'study')
    ).all())
    for key, content in connection.execute(
        sa.select(seed_record.c.key, seed_record.c.content).where(seed_record.c.kind == 'assessment')
    ).all():
        new, study = _json(content), _json(studies.get(key, {}))
        old = {name: new.get(name) for name in ('initiative', 'assessing_organisation', 'independence', 'limitations',
                                                'conflicts_of_interest', 'visibility', 'provenance')}
        old.update({name: study.get(name) for name in STUDY_CONTENT if name not in ('visibility', 'provenance')})
        old['findings'] = [
            [f[0], f[1], f[9] or 'NOT-RATED', f[10] or 'NOT-ASSESSED', f[11]] for f in new.get('findings', [])
        ]
        connection.execute(
            seed_record.update().where(seed_record.c.kind == 'assessment', seed_record.c.key == key).values(content=old)
        )


def downgrade() -> None:
    # Back to one study per assessment: each assessment takes its study's fields (studies without an
    # assessment are dropped), and a finding's proposed rating becomes its rating again.
    with op.batch_alter_table('evidence_assessment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('title', sa.VARCHAR(length=300), nullable=True))
        batch_op.add_column(sa.Column('study_design', sa.VARCHAR(length=40), nullable=True))
        batch_op.add_column(sa.Column('sample_size', sa.INTEGER(), nullable=True))
        batch_op.add_column(sa.Column('setting', sa.VARCHAR(length=2000), nullable=True))
        batch_op.add_column(sa.Column('reference_doi', sa.VARCHAR(length=200), nullable=True))
        batch_op.add_column(sa.Column('reference_url', sa.VARCHAR(length=2000), nullable=True))
        batch_op.add_column(sa.Column('published_on', sa.DATE(), nullable=True))
        batch_op.add_column(sa.Column('period', sa.VARCHAR(length=100), nullable=True))
    for column in MOVED_TO_STUDY:
        op.execute(
            f"UPDATE evidence_assessment SET {column} = (SELECT study.{column} FROM study WHERE study.id = evidence_assessment.study_id)"
        )
    with op.batch_alter_table('evidence_assessment', schema=None) as batch_op:
        batch_op.alter_column('title', existing_type=sa.VARCHAR(length=300), nullable=False)
        batch_op.alter_column('study_design', existing_type=sa.VARCHAR(length=40), nullable=False)
        batch_op.drop_constraint(batch_op.f('fk_evidence_assessment_study_id_study'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_evidence_assessment_study_id'))
        batch_op.create_index(batch_op.f('ix_evidence_assessment_study_design'), ['study_design'], unique=False)
        batch_op.drop_column('study_id')

    with op.batch_alter_table('finding', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rating', sa.VARCHAR(length=40), nullable=True))
        batch_op.add_column(sa.Column('certainty', sa.VARCHAR(length=40), nullable=True))
    op.execute(
        "UPDATE finding SET rating = COALESCE(proposed_rating, 'NOT-RATED'), certainty = COALESCE(proposed_certainty, 'NOT-ASSESSED')"
    )
    with op.batch_alter_table('finding', schema=None) as batch_op:
        batch_op.alter_column('rating', existing_type=sa.VARCHAR(length=40), nullable=False)
        batch_op.alter_column('certainty', existing_type=sa.VARCHAR(length=40), nullable=False)
        batch_op.create_index(batch_op.f('ix_finding_rating'), ['rating'], unique=False)
        for column in ('proposed_certainty', 'proposed_rating', 'follow_up_months', 'risk_of_bias', 'significance',
                       'comparison', 'p_value', 'ci_high', 'ci_low'):
            batch_op.drop_column(column)

    _join_seed_records()
    op.execute("DELETE FROM seed_record WHERE kind = 'study'")
    op.drop_table('outcome_rating_change')
    op.drop_table('outcome_rating')
    op.drop_table('study')
    op.drop_table('rating_ruleset_state')
