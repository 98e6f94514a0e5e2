"""The indexer keeps the index identical to the database: through an engine outage, under concurrent
writers, and after a write when the app's own indexer runs (how soon: tests/perf/bench_search.py)."""

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient
from strawberry.relay import from_base64

from api.main import create_app
from api.search import documents
from api.search.backend import SearchRequest
from api.search.embedded import EmbeddedBackend
from api.search.indexer import drain
from api.core.settings import Settings
from tests.factories import gid, mutate, user_errors
from api.search.changes import Position
from tests.search.indexing import FlakyEngine, caught_up, fast, log_end, outbox_rows, with_sessions


def _raw_id(global_id: str) -> int:
    return int(from_base64(global_id)[1])


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


def wait_until(condition: Callable[[], bool], timeout: float = 15.0) -> float:
    """Seconds until `condition()` held; fails the test after `timeout`."""
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < timeout, "timed out"
        time.sleep(0.01)
    return time.monotonic() - started


def assert_identical(
    index: EmbeddedBackend | FlakyEngine, settings: Settings, engine: sa.Engine, position: Position | None
) -> None:
    expected = database_documents(settings)
    assert expected, "the test wrote nothing"
    assert index.document_ids() == set(expected)  # nothing lost, nothing left behind
    assert index.stats().documents == len(expected)  # nothing duplicated
    stored = {d["id"]: d for d in index.get_documents(expected)}
    assert stored == expected  # every document as the database has it now
    assert position is not None and position >= log_end(engine)  # every change applied


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
        wait_until(lambda: len(flaky.document_ids()) == 5 and caught_up(app, engine))

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
        wait_until(lambda: flaky.refused >= 3)  # the indexer kept trying, and kept its position
        assert not caught_up(app, engine)
        assert flaky.document_ids() == {str(_raw_id(b)) for b in before}  # the index still serves the old state
        update(client, token, during[0], title="Changed twice", summary="After another change")

        flaky.down = False
        wait_until(lambda: caught_up(app, engine))
        assert_identical(flaky, settings, engine, app.state.search_progress.position)
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
        wait_until(lambda: caught_up(app, engine))
        assert len(database_documents(settings)) == 4 * 6
        assert_identical(flaky, settings, engine, app.state.search_progress.position)


def test_a_drain_after_concurrent_writes_indexes_every_write(database_url, engine, make) -> None:  # noqa: ANN001
    """Four threads write; a fresh index that then follows the whole log once holds every write."""
    settings = fast(database_url)
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
    _, position = with_sessions(settings, lambda sessions: drain(sessions=sessions, backend=index, size=7))
    assert_identical(index, settings, engine, position)


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

        wait_until(lambda: app.state.search_progress.built, timeout=10)
        assert finds("written before the server") == [str(older.id)]
        new_id = create(client, make.token(inhope), "Quokkaweather hotline escalation")
        # How soon is measured by the benchmark (tests/perf/bench_search.py), not asserted here.
        wait_until(lambda: finds("quokkaweather") == [str(_raw_id(new_id))], timeout=10)
    assert app.state.indexer_engine is not None  # the indexer had its own connections, now disposed
