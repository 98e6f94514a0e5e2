"""Every change to what an initiative's search document holds adds outbox rows in the same
transaction, through one flush listener on every ORM session (sync, and the async sessions' sync
core), so no service can forget it. Bulk `delete(...)`/`update(...)` statements bypass ORM events:
services that issue them call `enqueue` themselves.

The listener runs after the flush's statements (before the commit), not before them, because a
new initiative only has its id then; `session.new`, `dirty` and `deleted` and the attribute
histories still describe what the flush wrote.

One row per initiative per transaction is enough: a follower builds the document from the database
as it is when it reads the row, after the commit. A write that flushes several times (a create
flushes the initiative, then its classifications) logs the initiative once: the session remembers
which ids this transaction logged (`session.info`), and forgets them when the transaction ends or
any part of it (a savepoint) rolls back, so a row rolled back is written again.
"""

from collections.abc import Hashable, Iterable
from itertools import chain

import sqlalchemy as sa
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.orm.util import identity_key

from api.core.db import UTCDateTime, utcnow
from api.evidence.models import EvidenceAssessment, Finding
from api.initiatives.models import Initiative, InitiativeClassification, Participation
from api.organisations.models import Organisation
from api.search.models import SearchOutbox
from api.vocabularies.models import VocabularyTerm

# The organisation's columns a search document includes (names, stakeholder type, whether listed).
ORGANISATION_FIELDS = ("name", "acronym", "aliases", "misspellings", "stakeholder_type", "status")
# A term's columns a search document includes (api/search/classifications.py), and the vocabulary
# that names initiatives' statuses (the others are classification schemes of the same name).
TERM_FIELDS = ("label", "synonyms")
STATUS_VOCABULARY = "initiative-status"
OUTBOX = SearchOutbox.__table__


# session.info: what this transaction has logged: initiative ids, and (record type, id) pairs for the
# evidence and best-practice indexes (api/search/record_outbox.py).
LOGGED = "coplab.search_logged"


def not_yet_logged(session: Session, keys: Iterable[Hashable]) -> list:
    """Those of these keys this transaction has not logged yet (in order, once each); they count as logged now."""
    logged: set = session.info.setdefault(LOGGED, set())
    fresh = [k for k in dict.fromkeys(keys) if k not in logged]
    logged.update(fresh)
    return fresh


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back(session: Session, _previous: object) -> None:
    """A rollback, of the transaction or of a savepoint in it, may have taken rows with it."""
    session.info.pop(LOGGED, None)


@event.listens_for(Session, "after_transaction_end")
def _forget_ended(session: Session, transaction: SessionTransaction) -> None:
    """The next transaction logs afresh (a savepoint released keeps its rows in the transaction)."""
    if transaction.parent is None:
        session.info.pop(LOGGED, None)


def enqueue(session: object, initiative_ids: Iterable[int]) -> None:
    """Queue these initiatives for reindexing in the session's transaction (sync or async session)."""
    sync: Session = getattr(session, "sync_session", session)  # type: ignore[assignment]
    sync.add_all([SearchOutbox(initiative_id=i) for i in not_yet_logged(sync, initiative_ids)])


def attribute_values(row: object, name: str) -> list[int]:
    """The attribute's current and previous values, read without loading anything."""
    history = inspect(row).attrs[name].history
    return [v for v in chain(history.added, history.unchanged, history.deleted) if v is not None]


def changed(row: object, names: Iterable[str]) -> bool:
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


# The evidence and best-practice indexes' listener, registered wherever this one is.
from api.search import record_outbox  # noqa: E402, F401
