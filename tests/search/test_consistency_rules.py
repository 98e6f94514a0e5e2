"""`compare`, the comparison behind `coplab search check`: which documents the index misses, holds extra,
or holds out of date (test_commands.py runs the command itself)."""

import asyncio

from api.core.db import create_engine, session_factory
from api.search import documents
from api.search.consistency import compare, differing, digests_named
from api.search.embedded import EmbeddedBackend
from api.search.models import BEST_PRACTICE, EVIDENCE
from api.search.records import RECORD_INDEXES


def test_compare_reports_missing_extra_and_different_documents(database_url, make) -> None:  # noqa: ANN001
    inhope = make.organisation("inhope")
    kept, changed, absent = (make.initiative(inhope, t) for t in ("Kept", "Changed", "Absent"))

    async def run() -> tuple:
        engine = create_engine(database_url)
        sessions = session_factory(engine)
        try:
            async with sessions() as session:
                built, _ = await documents.build(session=session, initiative_ids=[kept.id, changed.id])
            index = EmbeddedBackend()
            stale = next(d for d in built if d["id"] == str(changed.id))
            index.upsert([d for d in built if d is not stale] + [{**stale, "title": "Old title"}])
            index.upsert([{**stale, "id": "999999"}])  # an initiative the database does not have
            return await compare(sessions=sessions, backend=index)
        finally:
            await engine.dispose()

    differences = asyncio.run(run())
    assert differences.checked == 3
    assert (differences.missing, differences.extra, differences.different) == ([str(absent.id)], ["999999"], [str(changed.id)])
    assert not differences.in_sync


def test_compare_reports_the_differences_of_the_evidence_and_practice_indexes(database_url, make) -> None:  # noqa: ANN001
    """The same comparison over each record index (`coplab search check` runs it for both)."""
    lead, university = make.organisation("lead"), make.organisation("university")
    initiative = make.initiative(lead, "Hotline network")
    kept, changed, absent = (make.assessment(initiative, university, t) for t in ("Kept trial", "Changed trial", "Absent trial"))
    practices = [make.practice(university, t) for t in ("Kept guidance", "Changed guidance", "Absent guidance")]
    expected_ids = {
        EVIDENCE: [str(kept.id), str(changed.id), str(absent.id)],
        BEST_PRACTICE: [str(p.id) for p in practices],
    }

    async def run(kind: str) -> tuple:
        index = RECORD_INDEXES[kind]
        engine = create_engine(database_url)
        sessions = session_factory(engine)
        try:
            kept_id, changed_id, _ = expected_ids[kind]
            async with sessions() as session:
                built, _ = await index.build(session=session, ids=[int(kept_id), int(changed_id)])
            backend = EmbeddedBackend(index.schema)
            stale = next(d for d in built if d["id"] == changed_id)
            backend.upsert([d for d in built if d is not stale] + [{**stale, "updated_at": 1}])
            backend.upsert([{**stale, "id": "999999"}])  # a record the database does not have
            return await compare(
                sessions=sessions,
                backend=backend,
                every_id=index.every_id,
                build=lambda session, ids: index.build(session=session, ids=ids),
            )
        finally:
            await engine.dispose()

    for kind in (EVIDENCE, BEST_PRACTICE):
        differences = asyncio.run(run(kind))
        _, changed_id, absent_id = expected_ids[kind]
        assert differences.checked == 3, kind
        assert (differences.missing, differences.extra, differences.different) == ([absent_id], ["999999"], [changed_id]), kind


def test_the_digests_of_every_index_are_read_from_the_readiness_detail() -> None:
    detail = "caught up (position 12:40, digest 00000000000000aa, evidence digest 00000000000000bb, best_practice digest 00000000000000cc)"
    named = digests_named(detail)
    assert named == {"initiatives": "00000000000000aa", "evidence": "00000000000000bb", "best_practice": "00000000000000cc"}
    assert differing(named, named) == []
    assert differing(named, {**named, "evidence": "0" * 16}) == ["evidence"]
    assert differing(named, {"initiatives": "00000000000000aa"}) == ["evidence", "best_practice"]  # an older server
    assert differing(named, None) == ["initiatives", "evidence", "best_practice"]
