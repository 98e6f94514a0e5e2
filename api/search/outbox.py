"""Every change to what an initiative's search document holds adds outbox rows in the same
transaction, through one flush listener on every ORM session (sync, and the async sessions' sync
core), so no service can forget it. Bulk `delete(...)`/`update(...)` statements bypass ORM events:
services that issue them call `enqueue` themselves.

The listener runs after the flush's statements (before the commit), not before them, because a
new initiative only has its id then; `session.new`, `dirty` and `deleted` and the attribute
histories still describe what the flush wrote.
"""

from collections.abc import Iterable
from itertools import chain

import sqlalchemy as sa
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from api.core.db import UTCDateTime, utcnow
from api.evidence.models import EvidenceAssessment, Finding
from api.initiatives.models import Initiative, InitiativeClassification, Participation
from api.organisations.models import Organisation
from api.search.models import SearchOutbox

# The organisation's columns a search document includes (names, stakeholder type, whether listed).
ORGANISATION_FIELDS = ("name", "acronym", "aliases", "misspellings", "stakeholder_type", "status")
OUTBOX = SearchOutbox.__table__


def enqueue(session: object, initiative_ids: Iterable[int]) -> None:
    """Queue these initiatives for reindexing in the session's transaction (sync or async session)."""
    session.add_all([SearchOutbox(initiative_id=i) for i in dict.fromkeys(initiative_ids)])  # type: ignore[attr-defined]


def _values(row: object, name: str) -> list[int]:
    """The attribute's current and previous values, read without loading anything."""
    history = inspect(row).attrs[name].history
    return [v for v in chain(history.added, history.unchanged, history.deleted) if v is not None]


def _changed(row: object, names: Iterable[str]) -> bool:
    attrs = inspect(row).attrs
    return any(attrs[name].history.has_changes() for name in names)


def affected(session: Session) -> tuple[set[int], set[int], set[int]]:
    """From what this flush wrote: initiative ids, assessment ids (of changed findings) and
    organisation ids (whose names, type or status changed) whose documents are stale."""
    initiatives: set[int] = set()
    assessments: set[int] = set()
    organisations: set[int] = set()
    for row in chain(session.new, session.dirty, session.deleted):
        if isinstance(row, Initiative):
            if row.id is not None and (row not in session.dirty or session.is_modified(row)):
                initiatives.add(row.id)
        elif isinstance(row, (InitiativeClassification, Participation, EvidenceAssessment)):
            if row in session.dirty and not session.is_modified(row):
                continue
            initiatives.update(_values(row, "initiative_id"))
        elif isinstance(row, Finding):
            if row in session.dirty and not session.is_modified(row):
                continue
            assessments.update(_values(row, "assessment_id"))
        elif isinstance(row, Organisation) and row in session.dirty:
            if row.id is not None and _changed(row, ORGANISATION_FIELDS):
                organisations.add(row.id)
    return initiatives, assessments, organisations


@event.listens_for(Session, "after_flush")
def _enqueue_flushed(session: Session, _flush_context: object) -> None:
    initiatives, assessments, organisations = affected(session)
    if not (initiatives or assessments or organisations):
        return
    # Findings name their assessment; most assessments are in the session already.
    unresolved = set()
    for assessment_id in assessments:
        assessment = session.identity_map.get(identity_key(EvidenceAssessment, assessment_id))
        if assessment is not None and assessment.initiative_id is not None:
            initiatives.add(assessment.initiative_id)
        else:
            unresolved.add(assessment_id)
    connection = session.connection()
    now = sa.literal(utcnow(), UTCDateTime())
    if initiatives:
        connection.execute(OUTBOX.insert(), [{"initiative_id": i, "enqueued_at": utcnow()} for i in sorted(initiatives)])
    if unresolved:
        of_assessments = sa.select(EvidenceAssessment.initiative_id, now).where(
            EvidenceAssessment.id.in_(unresolved)  # type: ignore[union-attr]
        )
        connection.execute(OUTBOX.insert().from_select(["initiative_id", "enqueued_at"], of_assessments))
    if organisations:
        # One statement for every initiative the organisation leads or takes part in.
        led = sa.select(Initiative.id.label("initiative_id")).where(  # type: ignore[union-attr]
            Initiative.lead_organisation_id.in_(organisations),  # type: ignore[attr-defined]
            Initiative.deleted_at.is_(None),  # type: ignore[union-attr]
        )
        joined = (
            sa.select(Participation.initiative_id)
            .join(Initiative, Initiative.id == Participation.initiative_id)  # type: ignore[arg-type]
            .where(
                Participation.organisation_id.in_(organisations),  # type: ignore[attr-defined]
                Initiative.deleted_at.is_(None),  # type: ignore[union-attr]
            )
        )
        ids = sa.union(led, joined).subquery()
        connection.execute(
            OUTBOX.insert().from_select(["initiative_id", "enqueued_at"], sa.select(ids.c.initiative_id, now))
        )
