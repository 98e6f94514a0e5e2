"""Health probes (docs/operations.md): /livez while the process is up, /readyz only when every
readiness check passes, on real servers over SQLite and PostgreSQL."""

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api import migrations
from api.core.settings import Settings
from api.main import create_app
from tests.operations.serving import coplab_serve
from tests.search.indexing import FlakyEngine
from tests.server import running_server
from tests.server import HTTP_TIMEOUT

pytestmark = pytest.mark.http

OLDER_REVISION = "0007"


@pytest.fixture
def older_database_url(fresh_database: str) -> str:
    """A database of its own, migrated only to an older revision than the code's head."""
    migrations.upgrade(fresh_database, OLDER_REVISION)
    return fresh_database


def test_livez_and_readyz_answer_get_and_head(database_url: str, tmp_path: Path) -> None:
    with coplab_serve(database_url, tmp_path) as served:
        base = served.base_url
        for path in ("/livez", "/health"):  # /health: the old name, kept
            live = httpx.get(f"{base}{path}", timeout=HTTP_TIMEOUT)
            assert live.status_code == 200 and live.json() == {"status": "ok"}
            head = httpx.head(f"{base}{path}", timeout=HTTP_TIMEOUT)
            assert head.status_code == 200 and head.content == b""

        ready = _once_ready(lambda: httpx.get(f"{base}/readyz", timeout=HTTP_TIMEOUT))  # the search index is built at start
        body = ready.json()
        assert body["status"] == "ready"
        assert list(body["checks"]) == ["database", "migrations", "shutdown", "search"]
        assert all(check["ok"] is True for check in body["checks"].values()), body
        heads = ", ".join(sorted(migrations.script_heads()))
        assert body["checks"]["migrations"]["detail"] == f"at head {heads}"

        head = httpx.head(f"{base}/readyz", timeout=HTTP_TIMEOUT)
        assert head.status_code == 200 and head.content == b""

        httpx.get(f"{base}/readyz", headers={"X-Request-ID": "probe-1"}, timeout=HTTP_TIMEOUT)
        served.stop()
        # A probe logs its access line and nothing else (probes come every few seconds).
        probe = [line for line in served.json_lines() if line["request_id"] == "probe-1"]
        assert [line["logger"] for line in probe] == ["uvicorn.access"], probe


def test_readyz_refuses_a_database_behind_the_code_until_it_is_upgraded(older_database_url: str, tmp_path: Path) -> None:
    with coplab_serve(older_database_url, tmp_path) as served:
        base = served.base_url
        assert httpx.get(f"{base}/livez", timeout=HTTP_TIMEOUT).status_code == 200  # alive, yet not ready

        behind = httpx.get(f"{base}/readyz", timeout=HTTP_TIMEOUT)
        assert behind.status_code == 503, behind.text
        body = behind.json()
        assert body["status"] == "not ready"
        assert body["checks"]["database"]["ok"] is True
        assert body["checks"]["migrations"]["ok"] is False
        detail = body["checks"]["migrations"]["detail"]
        assert f"database at {OLDER_REVISION}" in detail and "coplab db upgrade" in detail, detail
        assert older_database_url not in behind.text  # the body never names the database
        head = httpx.head(f"{base}/readyz", timeout=HTTP_TIMEOUT)
        assert head.status_code == 503 and head.content == b""

        # The server did not migrate the database itself…
        assert httpx.get(f"{base}/readyz", timeout=HTTP_TIMEOUT).status_code == 503
        # …and is ready once an operator has.
        migrations.upgrade(older_database_url)
        ready = _once_ready(lambda: httpx.get(f"{base}/readyz", timeout=HTTP_TIMEOUT))  # its search index follows once it can
        assert ready.json()["checks"]["migrations"]["ok"] is True
        assert httpx.head(f"{base}/readyz", timeout=HTTP_TIMEOUT).status_code == 200


def _once_ready(get: Callable[[], httpx.Response], timeout: float = 60) -> httpx.Response:
    """The first 200 from /readyz; fails with the last answer after `timeout`. Every other check is
    ready at once; the search index is built from the database when the process starts."""
    deadline = time.monotonic() + timeout
    while (answer := get()).status_code != 200:
        assert time.monotonic() < deadline, answer.text
        time.sleep(0.1)
    return answer


def _client(app: FastAPI) -> TestClient:
    return TestClient(app, raise_server_exceptions=True)


def test_readyz_turns_503_once_shutdown_begins(settings: Settings) -> None:
    """uvicorn runs the lifespan's shutdown only after it stopped listening, so the flag is seen
    through the application itself (as by a server that keeps answering while it drains)."""
    app = create_app(settings)
    client = _client(app)
    with client:
        _once_ready(lambda: client.get("/readyz"))
    assert app.state.shutting_down is True
    answer = client.get("/readyz")  # the lifespan has ended; the application still answers
    assert answer.status_code == 503
    assert answer.json()["checks"]["shutdown"] == {"ok": False, "detail": "shutting down"}
    assert client.get("/livez").status_code == 200


def test_registered_checks_take_part_and_fail_safely(settings: Settings) -> None:
    """A check added to app.state.readiness_checks is run in order; one that raises or hangs fails
    with a reason that names no more than the error's kind."""

    async def caught_up(app: FastAPI) -> tuple[bool, str]:
        return True, "caught up"

    async def raises(app: FastAPI) -> tuple[bool, str]:
        raise RuntimeError("password=hunter2 at db.internal")

    async def hangs(app: FastAPI) -> tuple[bool, str]:
        await asyncio.sleep(60)
        return True, "never"

    app = create_app(settings.model_copy(update={"readiness_timeout_seconds": 0.2}))
    app.state.readiness_checks["search"] = caught_up
    with _client(app) as client:
        ready = client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["checks"]["search"] == {"ok": True, "detail": "caught up"}

        app.state.readiness_checks["broken"] = raises
        app.state.readiness_checks["slow"] = hangs
        refused = client.get("/readyz")
        assert refused.status_code == 503
        checks = refused.json()["checks"]
        assert list(checks) == ["database", "migrations", "shutdown", "search", "broken", "slow"]
        assert checks["broken"] == {"ok": False, "detail": "failed: RuntimeError"}
        assert checks["slow"] == {"ok": False, "detail": "no answer within 0.2 s"}
        assert "hunter2" not in refused.text


def test_readyz_waits_for_the_search_index_and_searches_say_to_try_again(settings: Settings, make) -> None:  # noqa: ANN001
    """A process whose index is not built yet is not ready, and its searches answer a retryable error,
    never a partial answer; once built and caught up, both are well (docs/search-indexing.md)."""
    make.initiative(make.organisation("hotline"), "Hotline referrals")
    app = create_app(settings)
    flaky = app.state.search = FlakyEngine()
    flaky.down = True  # the build from the database fails until the engine answers
    search = {"query": "{ searchInitiatives(query: \"hotline\") { totalHits } }"}
    with running_server(settings, app=app) as base:
        not_ready = httpx.get(f"{base}/readyz", timeout=10)
        assert not_ready.status_code == 503
        assert not_ready.json()["checks"]["search"] == {"ok": False, "detail": "the search index is being built from the database"}
        unavailable = httpx.post(f"{base}/graphql", json=search, timeout=10).json()
        assert unavailable["errors"][0]["extensions"]["code"] == "SEARCH_UNAVAILABLE"
        assert "try again" in unavailable["errors"][0]["message"]

        flaky.down = False
        deadline = time.monotonic() + 30
        while (ready := httpx.get(f"{base}/readyz", timeout=10)).status_code != 200:
            assert time.monotonic() < deadline, ready.json()
            time.sleep(0.1)
        assert ready.json()["checks"]["search"]["detail"].startswith("caught up (position ")
        assert httpx.post(f"{base}/graphql", json=search, timeout=10).json() == {"data": {"searchInitiatives": {"totalHits": 1}}}


def test_readyz_names_the_search_position_and_digests_to_operators_only(settings: Settings) -> None:
    """The search index's position and digests move with non-public records too: anyone may learn that
    the index is caught up, only the holder of the metrics token where and with which documents."""
    app = create_app(settings.model_copy(update={"metrics_token": "operator-token"}))
    with _client(app) as client:
        _once_ready(lambda: client.get("/readyz"))
        public = client.get("/readyz").json()["checks"]["search"]
        wrong = client.get("/readyz", headers={"Authorization": "Bearer not-it"}).json()["checks"]["search"]
        operator = client.get("/readyz", headers={"Authorization": "Bearer operator-token"}).json()["checks"]["search"]
    assert public == wrong == {"ok": True, "detail": "caught up"}
    assert operator["ok"] is True
    assert operator["detail"].startswith("caught up (position ") and " digest " in operator["detail"], operator
