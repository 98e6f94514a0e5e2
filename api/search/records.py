"""The indexes beside the initiatives index: evidence assessments and best practices. Each is a
`SearchBackend` of the process's engine with its own schema, fed from the same change log as the
initiatives index (a row's `record_type` says which), so one position per follower covers them all
and the many-process guarantees of docs/search-indexing.md hold for every index alike.

A document depends on more than its own record: an assessment's on its initiative (title, visibility,
lead and partners, computed ratings) and on the other assessments coding its study (who may read the
study). The indexer expands what it reads accordingly: an initiative's change rebuilds its assessments'
documents, an assessment's change those of every assessment coding the same study.
"""

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, literal, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.core.db import UTCDateTime, utcnow
from api.evidence.models import EvidenceAssessment
from api.organisations.models import Organisation
from api.practices.models import BestPractice

from api.core.settings import Settings
from api.search import record_documents
from api.search.backend import SearchBackend
from api.search.changes import Change
from api.search.models import BEST_PRACTICE, EVIDENCE, INITIATIVE, SearchOutbox
from api.search.record_schemas import SCHEMAS, index_uid
from api.search.schema import IndexSchema

Built = tuple[list[dict], list[str]]  # documents to upsert, document ids to delete


@dataclass(frozen=True)
class RecordIndex:
    record_type: str
    schema: IndexSchema
    build: Callable[..., Awaitable[Built]]  # (session=, ids=)
    every_id: Callable[..., AsyncIterator[list[int]]]  # (session=)


RECORD_INDEXES = {
    EVIDENCE: RecordIndex(EVIDENCE, SCHEMAS[EVIDENCE], record_documents.build_evidence, record_documents.every_evidence_id),
    BEST_PRACTICE: RecordIndex(
        BEST_PRACTICE, SCHEMAS[BEST_PRACTICE], record_documents.build_practices, record_documents.every_practice_id
    ),
}

Backends = Mapping[str, SearchBackend]  # record type → its index, beside the initiatives index


def create_backends(settings: Settings) -> dict[str, SearchBackend]:
    """An index per record type, of the engine `engines.create_backend` chooses."""
    if settings.meilisearch_url:
        from api.search.meilisearch_backend import MeilisearchBackend

        return {
            kind: MeilisearchBackend(
                settings.meilisearch_url,
                settings.meilisearch_api_key,
                index_uid=index_uid(settings.search_index_uid, kind),
                schema=index.schema,
            )
            for kind, index in RECORD_INDEXES.items()
        }
    from api.search.embedded import EmbeddedBackend

    return {kind: EmbeddedBackend(index.schema, built=False) for kind, index in RECORD_INDEXES.items()}


async def build_changed(*, session: AsyncSession, read: Sequence[Change], backends: Backends) -> dict[str, Built]:
    """The documents to replace and remove in each record index for these changes."""
    if not backends:
        return {}
    initiative_ids = list(dict.fromkeys(c.initiative_id for c in read if c.record_type == INITIATIVE))
    ids: dict[str, list[int]] = {kind: [] for kind in backends}
    for change in read:
        if change.record_type in ids:
            ids[change.record_type].append(change.initiative_id)
    if EVIDENCE in ids:
        # The initiatives' assessments, then every assessment coding the same study as one of those
        # or of the assessments changed (a partner of one initiative may read a study coded for another).
        of_initiatives = await record_documents.evidence_ids_of(session=session, initiative_ids=initiative_ids)
        ids[EVIDENCE] += await record_documents.evidence_ids_of(
            session=session, study_of=list(dict.fromkeys([*ids[EVIDENCE], *of_initiatives]))
        )
    built = {}
    for kind, record_ids in ids.items():
        if record_ids:
            built[kind] = await RECORD_INDEXES[kind].build(session=session, ids=list(dict.fromkeys(record_ids)))
    return built


async def requeue_changed_since(*, session: AsyncSession, since: datetime) -> int:
    """Queue every assessment and practice changed since `since`, or whose organisation changed since
    (for `coplab search reindex`: see `indexer.requeue_changed_since`); how many rows were queued."""
    changed_organisations = select(Organisation.id).where(col(Organisation.updated_at) >= since)
    now = literal(utcnow(), UTCDateTime())
    queued = 0
    for kind, model, organisation in (
        (EVIDENCE, EvidenceAssessment, EvidenceAssessment.assessing_organisation_id),
        (BEST_PRACTICE, BestPractice, BestPractice.organisation_id),
    ):
        touched = select(model.id, literal(kind), now).where(  # type: ignore[attr-defined]
            or_(col(model.updated_at) >= since, col(organisation).in_(changed_organisations))
        )
        result = await session.exec(
            insert(SearchOutbox).from_select(["initiative_id", "record_type", "enqueued_at"], touched)  # type: ignore[call-overload]
        )
        queued += result.rowcount or 0
    return queued
