"""Numbering, reading and comparing the published versions of a record. Flushes, never commits."""

from collections.abc import Sequence

import jsonpatch
import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.auth.principal import Principal
from api.core.batches import grouped
from api.versions.models import Publication, RecordVersion
from api.versions.snapshots import SNAPSHOTS

CATCH_UP_BATCH = 500
# Subjects of the seed loaders ("seed:registry", "seed:synthetic").
SEED_ACTOR_PREFIX = "seed:"
# Records published after review (api/reviews); the others publish directly.
REVIEWED_TYPES = frozenset({"EvidenceAssessment", "BestPractice", "RatingInquiry"})


async def publish(
    *,
    session: AsyncSession,
    principal: Principal,
    record_type: str,
    record_id: int,
    publication: Publication,
    change_note: str | None = None,
    revision_id: int | None = None,
    new: bool = False,
    force: bool = False,
) -> RecordVersion | None:
    """Keep the record as it now stands as its next version; None when it reads as the last one does
    (a write that changed nothing a reader compares). A `new` record is version 1 without asking; a `force`d version is written even then (a reviewed publication). Two writers numbering the same version at once
    meet the unique constraint, and the later one is answered CONFLICT."""
    await session.flush()
    _, snapshot_of = SNAPSHOTS[record_type]
    snapshot = (await snapshot_of(session, [record_id]))[record_id]
    last = None if new else (await _latest_of(session, record_type, [record_id])).get(record_id)
    if last is not None and last.snapshot == snapshot and not force:
        return None
    version = RecordVersion(
        record_type=record_type,
        record_id=record_id,
        number=1 if last is None else last.number + 1,
        published_by=principal.subject,
        organisation_id=principal.organisation_id,
        publication=publication,
        change_note=change_note,
        revision_id=revision_id,
        snapshot=snapshot,
    )
    session.add(version)
    await session.flush()
    return version


async def latest_number(*, session: AsyncSession, record_type: str, record_id: int | None) -> int | None:
    """The number of a record's newest version (None for a record not yet published)."""
    if record_id is None:
        return None
    last = (await _latest_of(session, record_type, [record_id])).get(record_id)
    return None if last is None else last.number


async def versions_of(
    *, session: AsyncSession, record_type: str, record_ids: Sequence[int]
) -> list[list[RecordVersion]]:
    """Each record's versions, oldest first (callers pass only ids of records they could read)."""
    statement = select(RecordVersion).where(
        RecordVersion.record_type == record_type, col(RecordVersion.record_id).in_(record_ids)
    )
    rows = (await session.exec(statement.order_by(RecordVersion.record_id, RecordVersion.number))).all()
    return grouped(record_ids, rows, lambda row: row.record_id)


def diff(older: RecordVersion, newer: RecordVersion) -> list[dict]:
    """The changes from one version to another, as RFC 6902 JSON Patch operations."""
    return jsonpatch.make_patch(older.snapshot, newer.snapshot).patch


def _publication(record_type: str, created_by: str) -> Publication:
    """Loaded from the Lab's sources: nobody reviewed it; otherwise an initiative was published by its
    organisation, and an assessment or practice written before review existed was not reviewed either."""
    if created_by.startswith(SEED_ACTOR_PREFIX) or record_type in REVIEWED_TYPES:
        return Publication.UNREVIEWED
    return Publication.DIRECT


async def catch_up(*, session: AsyncSession, actor: str, change_note: str | None = None) -> int:
    """Give every record whose state no version holds yet a new version: version 1 of records loaded
    from the seed or written before versions were kept, version N+1 of those a new seed file changed.
    Returns how many versions it wrote."""
    written = 0
    for record_type, (model, snapshot_of) in SNAPSHOTS.items():
        live = col(model.deleted_at).is_(None) if hasattr(model, "deleted_at") else sa.true()
        ids = list((await session.exec(select(model.id).where(live).order_by(model.id))).all())
        for start in range(0, len(ids), CATCH_UP_BATCH):
            batch = ids[start : start + CATCH_UP_BATCH]
            snapshots = await snapshot_of(session, batch)
            latest = await _latest_of(session, record_type, batch)
            authors = dict((await session.exec(select(model.id, model.created_by).where(col(model.id).in_(batch)))).all())
            for record_id in batch:
                last = latest.get(record_id)
                if last is not None and last.snapshot == snapshots[record_id]:
                    continue
                session.add(
                    RecordVersion(
                        record_type=record_type,
                        record_id=record_id,
                        number=1 if last is None else last.number + 1,
                        published_by=actor,
                        publication=_publication(record_type, authors[record_id]),
                        change_note=change_note if last is not None else None,
                        snapshot=snapshots[record_id],
                    )
                )
                written += 1
            await session.flush()
    return written


async def _latest_of(session: AsyncSession, record_type: str, record_ids: Sequence[int]) -> dict[int, RecordVersion]:
    newest = (
        select(RecordVersion.record_id, sa.func.max(RecordVersion.number).label("number"))
        .where(RecordVersion.record_type == record_type, col(RecordVersion.record_id).in_(record_ids))
        .group_by(RecordVersion.record_id)
        .subquery()
    )
    statement = select(RecordVersion).join(
        newest,
        sa.and_(
            RecordVersion.record_type == record_type,
            RecordVersion.record_id == newest.c.record_id,
            RecordVersion.number == newest.c.number,
        ),
    )
    return {row.record_id: row for row in (await session.exec(statement)).all()}
