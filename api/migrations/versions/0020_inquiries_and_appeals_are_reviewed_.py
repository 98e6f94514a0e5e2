"""Inquiries and appeals are reviewed before publication (created 2026-12-05).

`rating_inquiry` now holds only what was published: an inquiry and the reviewers' ruling (version 1),
and the appeal with the ruling on it (version 2). What the earlier procedure left is carried over:
- an inquiry answered by the secretariat stays published with its answer and no ruling;
- an appeal decided by two reviewer organisations becomes the inquiry's appeal, its outcome the ruling and
  the organisations' reasons the reasons;
- an open inquiry, and an appeal not yet decided, become SUBMITTED revisions awaiting two reviewers (an
  open inquiry's activity entries move to its revision);
- the retired webhook event types are taken off every endpoint.
Downgrading restores the tables and columns, not the rows moved to revisions."""

import sqlalchemy as sa
import sqlmodel
from alembic import op


# The identifiers are stated once, here; branch labels and dependencies only when a migration has them.
revision = '0020'
down_revision = '0019'


def upgrade() -> None:
    with op.batch_alter_table('rating_inquiry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('appeal', sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=True))
        batch_op.add_column(sa.Column('ruling', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True))
        batch_op.add_column(sa.Column('reasons', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True))
    _carry_over(op.get_bind())
    with op.batch_alter_table('rating_inquiry', schema=None) as batch_op:
        batch_op.alter_column('reasons', existing_type=sa.JSON(), nullable=False)

    with op.batch_alter_table('rating_appeal_reviewer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rating_appeal_reviewer_organisation_id'))
    op.drop_table('rating_appeal_reviewer')
    op.drop_table('rating_appeal')
    with op.batch_alter_table('rating_inquiry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rating_inquiry_status'))
        batch_op.create_index(batch_op.f('ix_rating_inquiry_ruling'), ['ruling'], unique=False)
        batch_op.drop_constraint(batch_op.f('fk_rating_inquiry_answered_by_organisation_id_organisation'), type_='foreignkey')
        batch_op.drop_column('answered_at')
        batch_op.drop_column('answered_by_organisation_id')
        batch_op.drop_column('status')
        batch_op.drop_column('answered_by')


RETIRED_EVENTS = {"inquiry.filed", "inquiry.answered", "appeal.filed", "appeal.decided"}

inquiry_table = sa.table(
    "rating_inquiry",
    sa.column("id"), sa.column("rating_id"), sa.column("organisation_id"), sa.column("grounds"), sa.column("text"),
    sa.column("status"), sa.column("answered_at", sa.DateTime(timezone=True)), sa.column("appeal"), sa.column("ruling"),
    sa.column("reasons", sa.JSON()), sa.column("decided_at", sa.DateTime(timezone=True)),
    sa.column("created_at", sa.DateTime(timezone=True)), sa.column("created_by"),
)
appeal_table = sa.table(
    "rating_appeal",
    sa.column("id"), sa.column("inquiry_id"), sa.column("text"), sa.column("status"), sa.column("outcome"),
    sa.column("decided_at", sa.DateTime(timezone=True)), sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("created_by"),
)
appeal_reviewer_table = sa.table("rating_appeal_reviewer", sa.column("appeal_id"), sa.column("position"), sa.column("reasons"))
revision_table = sa.table(
    "revision",
    sa.column("id"), sa.column("record_type"), sa.column("record_id"), sa.column("base_version"),
    sa.column("organisation_id"), sa.column("state"), sa.column("content", sa.JSON()), sa.column("round"),
    sa.column("submitted_at", sa.DateTime(timezone=True)), sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("updated_at", sa.DateTime(timezone=True)), sa.column("created_by"), sa.column("updated_by"),
)
activity_table = sa.table("activity", sa.column("subject_type"), sa.column("subject_id"))
endpoint_table = sa.table("webhook_endpoint", sa.column("id"), sa.column("event_types", sa.JSON()))


def _content(row: sa.Row, appeal_text: str | None) -> dict:
    return {
        "data": {
            "rating_id": row.rating_id, "grounds": row.grounds, "text": row.text, "appeal": appeal_text,
            "ruling": None, "reasons": [], "published_by": None,
        }
    }


def _submitted(connection: sa.Connection, row: sa.Row, record_id: int | None, appeal_text: str | None, filed: sa.Row) -> int:
    """A revision awaiting its two reviewers, filed when and by whom the inquiry (or appeal) was."""
    values = {
        "record_type": "RatingInquiry", "record_id": record_id, "base_version": 1 if record_id else None,
        "organisation_id": row.organisation_id, "state": "SUBMITTED", "content": _content(row, appeal_text), "round": 1,
        "submitted_at": filed.created_at, "created_at": filed.created_at, "updated_at": filed.created_at,
        "created_by": filed.created_by, "updated_by": filed.created_by,
    }
    return connection.execute(revision_table.insert().values(**values).returning(revision_table.c.id)).scalar_one()


def _carry_over(connection: sa.Connection) -> None:
    connection.execute(inquiry_table.update().values(reasons=[]))
    appeals = {row.inquiry_id: row for row in connection.execute(sa.select(appeal_table))}
    for row in connection.execute(sa.select(inquiry_table).order_by(inquiry_table.c.id)).all():
        if row.status == "OPEN":
            revision_id = _submitted(connection, row, None, None, row)
            connection.execute(
                activity_table.update()
                .where(activity_table.c.subject_type == "RatingInquiry", activity_table.c.subject_id == row.id)
                .values(subject_type="Revision", subject_id=revision_id)
            )
            connection.execute(inquiry_table.delete().where(inquiry_table.c.id == row.id))
            continue
        connection.execute(inquiry_table.update().where(inquiry_table.c.id == row.id).values(decided_at=row.answered_at))
        escalated = appeals.get(row.id)
        if escalated is None:
            continue
        if escalated.status == "DECIDED":
            reasons = connection.execute(
                sa.select(appeal_reviewer_table.c.reasons)
                .where(appeal_reviewer_table.c.appeal_id == escalated.id)
                .order_by(appeal_reviewer_table.c.position)
            ).scalars()
            connection.execute(
                inquiry_table.update()
                .where(inquiry_table.c.id == row.id)
                .values(appeal=escalated.text, ruling=escalated.outcome, reasons=[r or "" for r in reasons], decided_at=escalated.decided_at)
            )
        else:
            _submitted(connection, row, row.id, escalated.text, escalated)
    for row in connection.execute(sa.select(endpoint_table)).all():
        kept = [name for name in (row.event_types or []) if name not in RETIRED_EVENTS]
        if kept != row.event_types:
            connection.execute(endpoint_table.update().where(endpoint_table.c.id == row.id).values(event_types=kept))


def downgrade() -> None:
    with op.batch_alter_table('rating_inquiry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('answered_by', sa.VARCHAR(length=200), nullable=True))
        batch_op.add_column(sa.Column('status', sa.VARCHAR(length=20), nullable=False, server_default='ANSWERED'))
        batch_op.add_column(sa.Column('answered_by_organisation_id', sa.INTEGER(), nullable=True))
        batch_op.add_column(sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_rating_inquiry_answered_by_organisation_id_organisation'), 'organisation', ['answered_by_organisation_id'], ['id'])
        batch_op.drop_index(batch_op.f('ix_rating_inquiry_ruling'))
        batch_op.create_index(batch_op.f('ix_rating_inquiry_status'), ['status', 'id'], unique=False)
        batch_op.drop_column('decided_at')
        batch_op.drop_column('reasons')
        batch_op.drop_column('ruling')
        batch_op.drop_column('appeal')

    op.create_table('rating_appeal',
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.VARCHAR(length=200), nullable=False),
    sa.Column('updated_by', sa.VARCHAR(length=200), nullable=False),
    sa.Column('id', sa.INTEGER(), nullable=False),
    sa.Column('inquiry_id', sa.INTEGER(), nullable=False),
    sa.Column('text', sa.VARCHAR(length=4000), nullable=False),
    sa.Column('status', sa.VARCHAR(length=20), nullable=False),
    sa.Column('assigned_by', sa.VARCHAR(length=200), nullable=True),
    sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.VARCHAR(length=20), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['inquiry_id'], ['rating_inquiry.id'], name=op.f('fk_rating_appeal_inquiry_id_rating_inquiry'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rating_appeal')),
    sa.UniqueConstraint('inquiry_id', name=op.f('uq_rating_appeal_inquiry_id'))
    )
    op.create_table('rating_appeal_reviewer',
    sa.Column('appeal_id', sa.INTEGER(), nullable=False),
    sa.Column('organisation_id', sa.INTEGER(), nullable=False),
    sa.Column('position', sa.INTEGER(), nullable=False),
    sa.Column('decision', sa.VARCHAR(length=20), nullable=True),
    sa.Column('reasons', sa.VARCHAR(length=900), nullable=True),
    sa.Column('decided_by', sa.VARCHAR(length=200), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['appeal_id'], ['rating_appeal.id'], name=op.f('fk_rating_appeal_reviewer_appeal_id_rating_appeal'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_rating_appeal_reviewer_organisation_id_organisation')),
    sa.PrimaryKeyConstraint('appeal_id', 'organisation_id', name=op.f('pk_rating_appeal_reviewer'))
    )
    with op.batch_alter_table('rating_appeal_reviewer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rating_appeal_reviewer_organisation_id'), ['organisation_id'], unique=False)
