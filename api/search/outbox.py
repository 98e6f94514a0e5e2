"""Every change to what an initiative's search document holds adds outbox rows in the same
transaction, through one flush listener on every ORM session (sync, and the async sessions' sync
core), so no service can forget it. Bulk `delete(...)`/`update(...)` statements bypass ORM events:
services that issue them call `enqueue` themselves.

The listener runs after the flush's statements (before the commit), not before them, because a
new initiative only has its id then; `session.new`, `dirty` and `deleted` and the attribute
histories still describe what the flush wrote.

One row per initiative per transaction is enough (a create flushes the initiative, then its
classifications, and logs it once): api/search/transaction_memory.py remembers what was logged.
"""

from collections.abc import Iterable
from itertools import chain

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from api.core.db import UTCDateTime, utcnow
from api.evidence.models import EvidenceAssessment, Finding
from api.initiatives.models import Initiative, InitiativeClassification, Participation
from api.organisations.models import Organisation
from api.search.models import SearchOutbox
from api.search.transaction_memory import attribute_values, changed, not_yet_logged
from api.vocabularies.models import VocabularyTerm

# The organisation's columns a search document includes (names, stakeholder type, whether listed).
ORGANISATION_FIELDS = ("name", "acronym", "aliases", "misspellings", "stakeholder_type", "status")
# A term's columns a search document includes (api/search/classifications.py), and the vocabulary
# that names initiatives' statuses (the others are classification schemes of the same name).
TERM_FIELDS = ("label", "synonyms")
STATUS_VOCABULARY = "initiative-status"
OUTBOX = SearchOutbox.__table__


def enqueue(session: object, initiative_ids: Iterable[int]) -> None:
    """Queue these initiatives for reindexing in the session's transaction (sync or async session)."""
    sync: Session = getattr(session, "sync_session", session)  # type: ignore[assignment]
    sync.add_all([SearchOutbox(initiative_id=i) for i in not_yet_logged(sync, initiative_ids)])


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
            initiatives.update(attribute_values(row, "initiative_id"))
        elif isinstance(row, Finding):
            if row in session.dirty and not session.is_modified(row):
                continue
            assessments.update(attribute_values(row, "assessment_id"))
        elif isinstance(row, Organisation) and row in session.dirty:
            if row.id is not None and changed(row, ORGANISATION_FIELDS):
                organisations.add(row.id)
    return initiatives, assessments, organisations


def relabelled_terms(session: Session) -> set[tuple[str, str]]:
    """(vocabulary, code) of the terms whose label or synonyms this flush changed: the search documents
    of every initiative holding them hold their words."""
    return {
        (row.vocabulary, row.code)
        for row in session.dirty
        if isinstance(row, VocabularyTerm) and changed(row, TERM_FIELDS)
    }


def _holding(terms: set[tuple[str, str]]) -> sa.Select:
    """The initiatives (not deleted) classified under, or with the status of, one of these terms."""
    classified = sa.select(InitiativeClassification.initiative_id).where(
        sa.or_(
            *(
                sa.and_(InitiativeClassification.scheme == vocabulary, InitiativeClassification.code == code)
                for vocabulary, code in terms
            )
        )
    )
    with_status = [code for vocabulary, code in terms if vocabulary == STATUS_VOCABULARY]
    live = Initiative.deleted_at.is_(None)  # type: ignore[union-attr]
    return sa.select(Initiative.id.label("initiative_id")).where(  # type: ignore[union-attr]
        live,
        sa.or_(
            Initiative.id.in_(classified),  # type: ignore[union-attr]
            Initiative.status.in_(with_status),  # type: ignore[attr-defined]
        ),
    )


@event.listens_for(Session, "after_flush")
def _enqueue_flushed(session: Session, _flush_context: object) -> None:
    initiatives, assessments, organisations = affected(session)
    terms = relabelled_terms(session)
    if terms:
        # A vocabulary load (`coplab vocabularies load`, at every start) that relabels a term or changes
        # its synonyms: one statement for every initiative holding one of them.
        ids = _holding(terms).subquery()
        now = sa.literal(utcnow(), UTCDateTime())
        session.connection().execute(
            OUTBOX.insert().from_select(["initiative_id", "enqueued_at"], sa.select(ids.c.initiative_id, now))
        )
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
    fresh = not_yet_logged(session, sorted(initiatives))
    if fresh:
        connection.execute(OUTBOX.insert(), [{"initiative_id": i, "enqueued_at": utcnow()} for i in fresh])
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
        # An assessment counts as public evidence (`has_evidence`, ratings) only while its assessing
        # organisation is listed: its admission or suspension changes the assessed initiatives' documents.
        assessed = (
            sa.select(EvidenceAssessment.initiative_id)
            .join(Initiative, Initiative.id == EvidenceAssessment.initiative_id)  # type: ignore[arg-type]
            .where(
                EvidenceAssessment.assessing_organisation_id.in_(organisations),  # type: ignore[attr-defined]
                Initiative.deleted_at.is_(None),  # type: ignore[union-attr]
            )
        )
        ids = sa.union(led, joined, assessed).subquery()
        connection.execute(
            OUTBOX.insert().from_select(["initiative_id", "enqueued_at"], sa.select(ids.c.initiative_id, now))
        )

