"""`coplab search check`, `reindex` and `worker`, and the comparison behind `check`."""

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from sqlmodel import Session

from api.core.db import create_engine, create_sync_engine, session_factory
from api.initiatives.models import Initiative
from api.search import documents
from api.search.consistency import compare
from api.search.embedded import EmbeddedBackend
from api.core.settings import Settings

COPLAB = [sys.executable, "-m", "api.cli"]


def _coplab(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([*COPLAB, *args], env=env, capture_output=True, text=True, timeout=120, check=False)


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


def test_the_commands_with_the_embedded_engine(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'search.db'}"
    env = {**os.environ, "COPLAB_DATABASE_URL": url, "COLUMNS": "200"}
    env.pop("COPLAB_MEILISEARCH_URL", None)
    for args in (("db", "upgrade"), ("vocabularies", "load"), ("org", "create", "inhope", "--name", "INHOPE", "--type", "INGO")):
        assert _coplab(*args, env=env).returncode == 0
    engine = create_sync_engine(url)
    with Session(engine) as session:
        session.add(Initiative(title="Hotline network", lead_organisation_id=1, status="IMPLEMENTATION", created_by="t", updated_by="t"))
        session.commit()
    engine.dispose()

    check = _coplab("search", "check", env=env)
    assert check.returncode == 0, check.stderr
    assert "in sync: 1 documents" in check.stderr
    assert "not what a running server holds" in check.stderr  # honest about what it checked
    assert "1 changes are still waiting in the search outbox" in check.stderr  # no indexer ran

    reindex = _coplab("search", "reindex", env=env)
    assert reindex.returncode == 0, reindex.stderr
    assert "rebuilt the embedded index: 1 documents" in reindex.stderr
    assert "changes nothing a running server serves" in reindex.stderr

    worker = _coplab("search", "worker", env=env)
    assert worker.returncode == 2
    assert "COPLAB_MEILISEARCH_URL" in worker.stderr


def test_settings_disable_the_in_process_indexer(monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("COPLAB_SEARCH_INDEXER_IN_PROCESS", "false")
    assert Settings(environment="test").search_indexer_in_process is False
