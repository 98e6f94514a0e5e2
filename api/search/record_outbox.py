"""Change log rows for the evidence and best-practice indexes, written in the same transaction as the
change, by a flush listener beside the initiatives' one (api/search/outbox.py; api/models.py registers
both) sharing its memory of what the transaction logged (api/search/transaction_memory.py): one row
per record per transaction, forgotten when the transaction ends or a savepoint rolls back.

What makes a document stale: the assessment, its findings or its study (a correction) changing, and
the practice or its classifications; an organisation's names or status, for the assessments it made
and the studies it registered, and for its practices. Changes reaching an assessment through its
initiative or its study's other assessments are expanded by the indexer (api/search/records.py).
Publication (`publishRevision`) and withdrawal write these rows through the domain services, so the
listener sees them as any other write.
"""

from itertools import chain

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from api.core.db import UTCDateTime, utcnow
from api.evidence.models import EvidenceAssessment, Finding, Study
from api.organisations.models import Organisation
from api.practices.models import BestPractice, PracticeClassification
from api.search.models import BEST_PRACTICE, EVIDENCE, SearchOutbox
from api.search.transaction_memory import attribute_values, changed, not_yet_logged

# The organisation's columns these documents include: its names, and its status (whether listed).
ORGANISATION_FIELDS = ("name", "acronym", "aliases", "status")

OUTBOX = SearchOutbox.__table__


def _written(session: Session, row: object) -> bool:
    return row not in session.dirty or session.is_modified(row)


@event.listens_for(Session, "after_flush")
def _enqueue_records(session: Session, _flush_context: object) -> None:
    keys: list[tuple[str, int]] = []
    studies: set[int] = set()
    organisations: set[int] = set()
    for row in chain(session.new, session.dirty, session.deleted):
        if isinstance(row, EvidenceAssessment):
            if row.id is not None and _written(session, row):
                keys.append((EVIDENCE, row.id))
        elif isinstance(row, Finding):
            if _written(session, row):
                keys += [(EVIDENCE, i) for i in attribute_values(row, "assessment_id")]
        elif isinstance(row, Study):
            if row.id is not None and row in session.dirty and session.is_modified(row):
                studies.add(row.id)
        elif isinstance(row, BestPractice):
            if row.id is not None and _written(session, row):
                keys.append((BEST_PRACTICE, row.id))
        elif isinstance(row, PracticeClassification):
            if _written(session, row):
                keys += [(BEST_PRACTICE, i) for i in attribute_values(row, "practice_id")]
        elif isinstance(row, Organisation) and row in session.dirty:
            if row.id is not None and changed(row, ORGANISATION_FIELDS):
                organisations.add(row.id)
    if not (keys or studies or organisations):
        return
    connection = session.connection()
    fresh = not_yet_logged(session, keys)
    if fresh:
        connection.execute(
            OUTBOX.insert(), [{"initiative_id": i, "record_type": kind, "enqueued_at": utcnow()} for kind, i in fresh]
        )
    now = sa.literal(utcnow(), UTCDateTime())
    if studies or organisations:
        # One statement for every assessment coding a corrected study, or made by (or coding a study
        # registered by) an organisation whose names or status changed.
        conditions = []
        if studies:
            conditions.append(EvidenceAssessment.study_id.in_(studies))  # type: ignore[attr-defined]
        if organisations:
            conditions.append(EvidenceAssessment.assessing_organisation_id.in_(organisations))  # type: ignore[attr-defined]
            conditions.append(
                EvidenceAssessment.study_id.in_(sa.select(Study.id).where(Study.organisation_id.in_(organisations)))  # type: ignore[attr-defined,union-attr]
            )
        connection.execute(
            OUTBOX.insert().from_select(
                ["initiative_id", "record_type", "enqueued_at"],
                sa.select(EvidenceAssessment.id, sa.literal(EVIDENCE), now).where(sa.or_(*conditions)),  # type: ignore[arg-type]
            )
        )
    if organisations:
        connection.execute(
            OUTBOX.insert().from_select(
                ["initiative_id", "record_type", "enqueued_at"],
                sa.select(BestPractice.id, sa.literal(BEST_PRACTICE), now).where(  # type: ignore[arg-type]
                    BestPractice.organisation_id.in_(organisations)  # type: ignore[attr-defined]
                ),
            )
        )
