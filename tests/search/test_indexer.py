"""The indexer keeps the index identical to the database: through an engine outage, under concurrent
writers, and after a write when the app's own indexer runs (how soon: tests/perf/bench_search.py)."""

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from strawberry.relay import from_base64

from api.core.db import create_engine, session_factory
from api.main import create_app
from api.search import documents
from api.search.backend import SearchRequest, SearchUnavailable
from api.search.embedded import EmbeddedBackend
from api.search.indexer import Backoff, describe, drain, drain_batch
from api.search.models import SearchOutbox
from api.core.settings import Settings
from tests.factories import gid, mutate, user_errors

T = TypeVar("T")
OUTBOX = SearchOutbox.__table__


class FlakyEngine:
    """A real embedded engine that refuses every write while `down`, as an unreachable server would."""

    def __init__(self) -> None:
        self.inner = EmbeddedBackend()
        self.name = "embedded"
        self.down = False
        self.refused = 0
        self.upserted: list[str] = []  # every document id sent, in order
        self._lock = threading.Lock()

    def _check(self) -> None:
        if self.down:
            with self._lock:
                self.refused += 1
            raise SearchUnavailable("connection refused")

    def upsert(self, docs: Iterable[dict]) -> None:
        self._check()
        docs = list(docs)
        self.upserted += [d["id"] for d in docs]
        self.inner.upsert(docs)

    def delete(self, ids: Iterable[str]) -> None:
        self._check()
        self.inner.delete(ids)

    def wait(self) -> None:
        self._check()

    def rebuild(self, docs: Iterable[dict]) -> None:
        self._check()
        self.inner.rebuild(docs)

    def __getattr__(self, name: str) -> Any:  # reads go straight to the engine
        return getattr(self.inner, name)


def _raw_id(global_id: str) -> int:
    return int(from_base64(global_id)[1])


def fast(database_url: str, **overrides: Any) -> Settings:
    values = {
        "search_poll_seconds": 0.02,
        "search_retry_initial_seconds": 0.01,
        "search_retry_max_seconds": 0.05,
        **overrides,
    }
    return Settings(environment="test", database_url=database_url, data_dir=Path("/nonexistent"), **values)


def with_sessions(settings: Settings, work: Callable[[Any], Awaitable[T]]) -> T:
    """Run `work(sessions)` against the test database on an engine of its own."""

    async def main() -> T:
        engine = create_engine(settings.database_url)
        try:
            return await work(session_factory(engine))
        finally:
            await engine.dispose()

    return asyncio.run(main())


def database_documents(settings: Settings) -> dict[str, dict]:
    """Every search document the database implies, built straight from it."""

    async def work(sessions: Any) -> dict[str, dict]:
        built: dict[str, dict] = {}
        async with sessions() as session:
            async for ids in documents.every_initiative_id(session=session):
                found, _ = await documents.build(session=session, initiative_ids=ids)
                built.update({d["id"]: d for d in found})
        return built

    return with_sessions(settings, work)


def outbox_rows(engine: sa.Engine) -> int:
    with engine.connect() as connection:
        return connection.execute(sa.select(sa.func.count()).select_from(OUTBOX)).scalar_one()


def wait_until(condition: Callable[[], bool], timeout: float = 15.0) -> float:
    """Seconds until `condition()` held; fails the test after `timeout`."""
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < timeout, "timed out"
        time.sleep(0.01)
    return time.monotonic() - started


def assert_identical(index: EmbeddedBackend | FlakyEngine, settings: Settings, engine: sa.Engine) -> None:
    expected = database_documents(settings)
    assert expected, "the test wrote nothing"
    assert index.document_ids() == set(expected)  # nothing lost, nothing left behind
    assert index.stats().documents == len(expected)  # nothing duplicated
    stored = {d["id"]: d for d in index.get_documents(expected)}
    assert stored == expected  # every document as the database has it now
    assert outbox_rows(engine) == 0


def create(client: TestClient, token: str, title: str) -> str:
    payload = mutate(client, "createInitiative", {"title": title, "status": "IMPLEMENTATION"}, token, "initiative { id }")
    assert user_errors(payload) == []
    return payload["initiative"]["id"]


def update(client: TestClient, token: str, initiative_id: str, **fields: Any) -> None:
    assert user_errors(mutate(client, "updateInitiative", {"id": initiative_id, **fields}, token)) == []


# --- an engine outage --------------------------------------------------------------------------


def test_nothing_is_lost_through_an_engine_outage(database_url, engine, make) -> None:  # noqa: ANN001
    settings = fast(database_url)
    inhope = make.organisation("inhope", stakeholder_type="HOTLINE")
    iwf = make.organisation("iwf", stakeholder_type="HOTLINE")
    token = make.token(inhope)
    app = create_app(settings)
    flaky = app.state.search = FlakyEngine()
    with TestClient(app) as client:
        before = [create(client, token, f"Before the outage {n}") for n in range(5)]
        wait_until(lambda: len(flaky.document_ids()) == 5 and outbox_rows(engine) == 0)

        flaky.down = True
        during = [create(client, token, f"During the outage {n}") for n in range(8)]  # writes are accepted
        update(client, token, before[0], title="Renamed while the engine was down", harms=["CSAM-NEW"])
        assert user_errors(mutate(client, "deleteInitiative", {"id": before[1]}, token)) == []
        added = mutate(
            client, "addParticipation",
            {"initiative": before[2], "organisation": gid("Organisation", iwf.id), "role": "FUNDING"}, token,
            "participation { id }",
        )
        assert user_errors(added) == []
        confirmed = mutate(client, "confirmParticipation", {"id": added["participation"]["id"]}, make.token(iwf))
        assert user_errors(confirmed) == []
        assert user_errors(mutate(client, "updateOrganisation", {"id": gid("Organisation", iwf.id), "name": "IWF"},
                                  make.token(iwf))) == []
        wait_until(lambda: flaky.refused >= 3)  # the indexer kept trying, and kept the rows
        assert outbox_rows(engine) > 0
        assert flaky.document_ids() == {str(_raw_id(b)) for b in before}  # the index still serves the old state
        update(client, token, during[0], title="Changed twice", summary="After another change")

        flaky.down = False
        wait_until(lambda: outbox_rows(engine) == 0)
        assert_identical(flaky, settings, engine)
    documents_now = database_documents(settings)
    assert str(_raw_id(before[1])) not in documents_now  # deleted while the engine was down, and removed
    assert documents_now[str(_raw_id(during[0]))]["title"] == "Changed twice"
    assert "IWF" in documents_now[str(_raw_id(before[2]))]["organisations"]


# --- concurrent writers ------------------------------------------------------------------------


def test_concurrent_writers_then_a_drain_leave_the_index_identical(database_url, engine, make) -> None:  # noqa: ANN001
    settings = fast(database_url)
    organisations = [make.organisation(f"org-{n}") for n in range(4)]
    tokens = [make.token(o) for o in organisations]
    app = create_app(settings)
    flaky = app.state.search = FlakyEngine()

    def writer(n: int) -> None:
        for i in range(8):
            initiative_id = create(client, tokens[n], f"Writer {n} initiative {i}")
            if i % 2:
                update(client, tokens[n], initiative_id, summary=f"Revised by writer {n}")
            if i % 4 == 3:
                assert user_errors(mutate(client, "deleteInitiative", {"id": initiative_id}, tokens[n])) == []

    with TestClient(app) as client:
        with ThreadPoolExecutor(max_workers=4) as pool:
            running = [pool.submit(writer, n) for n in range(4)]
            for _ in range(3):  # the engine fails and recovers while they write
                time.sleep(0.05)
                flaky.down = True
                time.sleep(0.05)
                flaky.down = False
            for future in running:
                future.result()
        wait_until(lambda: outbox_rows(engine) == 0)
        assert len(database_documents(settings)) == 4 * 6
        assert_identical(flaky, settings, engine)


def test_a_drain_after_concurrent_writes_indexes_every_write(database_url, engine, make) -> None:  # noqa: ANN001
    """No indexer runs while four threads write; one drain afterwards brings a fresh index level."""
    settings = fast(database_url, search_indexer_in_process=False)
    organisations = [make.organisation(f"org-{n}") for n in range(4)]
    tokens = [make.token(o) for o in organisations]
    with TestClient(create_app(settings)) as client:

        def writer(n: int) -> None:
            for i in range(6):
                initiative_id = create(client, tokens[n], f"Writer {n} initiative {i}")
                update(client, tokens[n], initiative_id, harms=["CSAM-KNOWN"])

        with ThreadPoolExecutor(max_workers=4) as pool:
            for future in [pool.submit(writer, n) for n in range(4)]:
                future.result()
    assert outbox_rows(engine) >= 4 * 6 * 2
    index = EmbeddedBackend()
    with_sessions(settings, lambda sessions: drain(sessions=sessions, backend=index, size=7))
    assert_identical(index, settings, engine)


# --- batches -----------------------------------------------------------------------------------


def test_a_batch_takes_rows_in_order_collapses_repeats_and_deletes_only_what_it_took(database_url, engine, make) -> None:  # noqa: ANN001
    settings = fast(database_url)
    inhope = make.organisation("inhope")
    first, second, third = (make.initiative(inhope, t) for t in ("First", "Second", "Third"))
    with engine.begin() as connection:
        connection.execute(OUTBOX.delete())
        for initiative_id in (second.id, first.id, second.id, second.id, third.id):
            connection.execute(OUTBOX.insert().values(initiative_id=initiative_id, enqueued_at=first.created_at))
    index = FlakyEngine()
    batch = with_sessions(settings, lambda sessions: drain_batch(sessions=sessions, backend=index, size=4))
    assert (batch.rows, batch.upserted, batch.deleted) == (4, 2, 0)
    assert sorted(index.upserted) == sorted([str(first.id), str(second.id)])  # the first four rows, each initiative once
    with engine.connect() as connection:
        assert list(connection.execute(sa.select(OUTBOX.c.initiative_id)).scalars()) == [third.id]

    index.down = True
    with pytest.raises(SearchUnavailable):
        with_sessions(settings, lambda sessions: drain_batch(sessions=sessions, backend=index, size=4))
    assert outbox_rows(engine) == 1  # kept for the next attempt


def test_backoff_doubles_up_to_its_maximum_and_starts_again_after_a_success() -> None:
    backoff = Backoff(initial=0.2, maximum=1.0)
    assert [backoff.failed() for _ in range(5)] == [0.2, 0.4, 0.8, 1.0, 1.0]
    backoff.succeeded()
    assert backoff.failed() == 0.2


def test_logged_errors_carry_no_credentials() -> None:
    error = SearchUnavailable("GET http://search.example/indexes?token=s3cr3t failed")
    assert "s3cr3t" not in describe(error)
    assert describe(error).startswith("SearchUnavailable: ")


# --- the app's own indexer ---------------------------------------------------------------------


def test_the_apps_indexer_rebuilds_at_start_and_makes_a_write_searchable(
    database_url, engine, make  # noqa: ANN001
) -> None:
    settings = Settings(environment="test", database_url=database_url, data_dir=Path("/nonexistent"))  # defaults
    inhope = make.organisation("inhope")
    older = make.initiative(inhope, "Written before the server started")
    app = create_app(settings)
    with TestClient(app) as client:
        search = app.state.search

        def finds(query: str) -> list[str]:
            return [hit.id for hit in search.search(SearchRequest(query=query)).hits]

        wait_until(lambda: finds("written before the server") == [str(older.id)], timeout=5)
        new_id = create(client, make.token(inhope), "Quokkaweather hotline escalation")
        # How soon is measured by the benchmark (tests/perf/bench_search.py), not asserted here.
        wait_until(lambda: finds("quokkaweather") == [str(_raw_id(new_id))], timeout=10)
    assert app.state.indexer_engine is not None  # the indexer had its own connections, now disposed
