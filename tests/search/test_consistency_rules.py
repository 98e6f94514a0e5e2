"""`compare`, the comparison behind `coplab search check`: which documents the index misses, holds extra,
or holds out of date (test_commands.py runs the command itself)."""

import asyncio

from api.core.db import create_engine, session_factory
from api.search import documents
from api.search.consistency import compare
from api.search.embedded import EmbeddedBackend


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
