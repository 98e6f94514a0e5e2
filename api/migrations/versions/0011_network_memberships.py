"""Organisations' memberships in networks and alliances; the status NAMED for seeded organisations no
document affiliates with the Lab (created 2026-12-08)."""

from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0011'
down_revision = '0010'

# What `coplab seed` writes as the author of the records it loads (api/seeding/registry.py).
SEED_ACTOR = 'seed:registry'
organisation = sa.table(
    'organisation',
    sa.column('id', sa.Integer()),
    sa.column('status', sa.String()),
    sa.column('updated_at', sa.DateTime(timezone=True)),
    sa.column('updated_by', sa.String()),
)
seed_record = sa.table(
    'seed_record',
    sa.column('kind', sa.String()),
    sa.column('key', sa.String()),
    sa.column('record_id', sa.Integer()),
    sa.column('content', sa.JSON()),
    sa.column('loaded_at', sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    op.create_table('network_membership',
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_organisation_id', sa.Integer(), nullable=False),
    sa.Column('network_organisation_id', sa.Integer(), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('provenance', sa.JSON(), nullable=False),
    sa.CheckConstraint('member_organisation_id <> network_organisation_id', name=op.f('ck_network_membership_not_itself')),
    sa.ForeignKeyConstraint(['member_organisation_id'], ['organisation.id'], name=op.f('fk_network_membership_member_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['network_organisation_id'], ['organisation.id'], name=op.f('fk_network_membership_network_organisation_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_network_membership')),
    sa.UniqueConstraint('member_organisation_id', 'network_organisation_id', 'role', name='uq_network_membership_member_network_role')
    )
    with op.batch_alter_table('network_membership', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_network_membership_member_organisation_id'), ['member_organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_network_membership_network_organisation_id'), ['network_organisation_id'], unique=False)
    _relabel_seeded('OBSERVER', 'NAMED')


def downgrade() -> None:
    with op.batch_alter_table('network_membership', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_network_membership_network_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_network_membership_member_organisation_id'))
    op.drop_table('network_membership')
    _relabel_seeded('NAMED', 'OBSERVER')
    # The code before this revision knows no NAMED: every organisation with it goes back to OBSERVER,
    # the status that was listed and searchable in the same way.
    op.execute(organisation.update().where(organisation.c.status == 'NAMED').values(status='OBSERVER'))


def _relabel_seeded(old: str, new: str) -> None:
    """The seed now loads the organisations it loaded as `old` with `new` (no document supports an
    observer relation with the Lab): organisations of the seed still `old` become `new`; those whose
    status the secretariat has changed since keep it. Each seed record's content says `new`, as if the
    seed files had been loaded again, so a later `coplab seed` sees no change to write over a status
    set since. Organisations that did not come from the seed keep their status: a person set it."""
    connection = op.get_bind()
    now = datetime.now(UTC)
    records = connection.execute(
        sa.select(seed_record.c.key, seed_record.c.record_id, seed_record.c.content).where(
            seed_record.c.kind == 'organisation'
        )
    ).all()
    for key, record_id, content in records:
        if not isinstance(content, dict) or content.get('status') != old:
            continue
        connection.execute(
            organisation.update()
            .where(organisation.c.id == record_id, organisation.c.status == old)
            .values(status=new, updated_at=now, updated_by=SEED_ACTOR)
        )
        connection.execute(
            seed_record.update()
            .where(seed_record.c.kind == 'organisation', seed_record.c.key == key)
            .values(content={**content, 'status': new}, loaded_at=now)
        )
