"""`coplab search check`, `reindex` and `worker`."""

import os
import subprocess
import sys
from pathlib import Path

from sqlmodel import Session

from api.core.db import create_sync_engine
from api.initiatives.models import Initiative

COPLAB = [sys.executable, "-m", "api.cli"]


def _coplab(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([*COPLAB, *args], env=env, capture_output=True, text=True, timeout=120, check=False)


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
    # Honest about what it checked, and how to check a running server.
    assert "builds a fresh index here and compares it" in check.stderr
    assert "--server URL compares a running server's index with it" in check.stderr
    assert "not yet applied" not in check.stderr  # the index it built here holds every change

    reindex = _coplab("search", "reindex", env=env)
    assert reindex.returncode == 0, reindex.stderr
    assert "rebuilt the embedded index: 1 documents" in reindex.stderr
    assert "changes nothing a running server serves" in reindex.stderr

    worker = _coplab("search", "worker", env=env)
    assert worker.returncode == 2
    assert "COPLAB_MEILISEARCH_URL" in worker.stderr
