"""Running coplab on a live Meilisearch: two API processes and one `coplab search worker` sharing
it, `coplab search reindex` (shadow index and swap) while writes go on, `coplab search check`, the
worker stopped and started again, and the engine going away mid-stream, with nothing lost."""

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from sqlmodel import func, select

from api.initiatives.models import Initiative
from api.core.settings import Settings
from tests.meilisearch_server import MeilisearchServer, on_meilisearch
from tests.server import free_port, running_server, wait_until_answering
from tests.server import HTTP_TIMEOUT

COPLAB = [sys.executable, "-m", "api.cli"]
CREATE = """mutation($i: CreateInitiativeInput!) {
  createInitiative(input: $i) { initiative { id } userErrors { field code } } }"""
TOTAL = "query($q: String!) { searchInitiatives(query: $q) { totalHits } }"


def _env(live: Settings) -> dict[str, str]:
    """The environment of a `coplab` command for the app's settings."""
    env = {**os.environ, "COLUMNS": "200", "COPLAB_DATABASE_URL": live.database_url,
           "COPLAB_MEILISEARCH_URL": live.meilisearch_url, "COPLAB_MEILISEARCH_API_KEY": live.meilisearch_api_key,
           "COPLAB_SEARCH_INDEX_UID": live.search_index_uid, "COPLAB_SEARCH_POLL_SECONDS": "0.05",
           "COPLAB_SEARCH_RETRY_MAX_SECONDS": "1"}
    return env


def _coplab(*args: str, live: Settings) -> subprocess.CompletedProcess:
    """Run a command; its console output (stdout and stderr together) is in `.stdout`."""
    return subprocess.run([*COPLAB, *args], env=_env(live), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=180, check=False)


def _create(url: str, token: str, title: str) -> None:
    answer = httpx.post(f"{url}/graphql", json={"query": CREATE, "variables": {"i": {
        "title": title, "status": "IMPLEMENTATION", "visibility": "PUBLIC"}}},
        headers={"Authorization": f"Bearer {token}"}, timeout=30).json()
    assert answer["data"]["createInitiative"]["userErrors"] == [], answer


def _total(url: str, query: str = "") -> int:
    answer = httpx.post(f"{url}/graphql", json={"query": TOTAL, "variables": {"q": query}}, timeout=30).json()
    assert "errors" not in answer, answer
    return answer["data"]["searchInitiatives"]["totalHits"]


def _search_error(url: str) -> str | None:
    answer = httpx.post(f"{url}/graphql", json={"query": TOTAL, "variables": {"q": ""}}, timeout=30).json()
    return answer["errors"][0]["extensions"]["code"] if "errors" in answer else None


def _until_total(url: str, total: int, seconds: float = 30) -> int | None:
    """The total once it is `total`, or what it is at the deadline (None: search still unavailable,
    as before the indexer has created the index)."""
    deadline = time.monotonic() + seconds
    while True:
        found = None if _search_error(url) == "SEARCH_UNAVAILABLE" else _total(url)
        if found == total or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


@pytest.fixture
def live(settings: Settings, meilisearch_server: MeilisearchServer) -> Iterator[Settings]:
    with on_meilisearch(settings, meilisearch_server, "ops") as live_settings:
        yield live_settings.model_copy(update={"search_retry_max_seconds": 1.0})


def test_reindex_swaps_in_a_full_index_while_writes_go_on_and_check_finds_them_equal(live, make, meilisearch_server) -> None:  # noqa: ANN001
    hotline = make.organisation("hotline")
    token = make.token(hotline)
    for n in range(30):
        make.initiative(hotline, f"Helpline {n}")
    with running_server(live) as url:
        assert _until_total(url, 30) == 30
        seen: list[int] = []
        reindexing = threading.Event()

        def write_and_watch() -> None:
            written = 0
            while reindexing.is_set() or written < 10:
                if written < 40:
                    _create(url, token, f"Written meanwhile {written}")
                    written += 1
                seen.append(_total(url))
                time.sleep(0.02)

        reindexing.set()
        writer = threading.Thread(target=write_and_watch)
        writer.start()
        try:
            reindex = _coplab("search", "reindex", live=live)
        finally:
            reindexing.clear()
            writer.join(timeout=120)
        assert reindex.returncode == 0, reindex.stdout
        assert "rebuilt the meilisearch index" in reindex.stdout
        written = make.db.exec(select(func.count()).select_from(Initiative)).one()
        assert written >= 40
        # Searches went on during the rebuild and never saw a partial index.
        assert seen and min(seen) >= 30
        assert _until_total(url, written) == written

    check = _coplab("search", "check", live=live)
    assert check.returncode == 0, check.stdout
    indexes = httpx.get(f"{live.meilisearch_url}/indexes", params={"limit": 1000},
                        headers=meilisearch_server.headers(), timeout=HTTP_TIMEOUT).json()["results"]
    # No shadow index is left: the initiatives index and the record indexes beside it.
    assert sorted(i["uid"] for i in indexes if i["uid"].startswith(live.search_index_uid)) == sorted(
        [live.search_index_uid, f"{live.search_index_uid}-evidence", f"{live.search_index_uid}-best-practices"]
    )


def test_check_reports_a_difference_and_exits_1(live, make) -> None:  # noqa: ANN001
    hotline = make.organisation("hotline")
    make.initiative(hotline, "Helpline")
    with running_server(live) as url:
        assert _until_total(url, 1) == 1
    make.initiative(hotline, "Casework")  # queued, and no indexer runs now

    check = _coplab("search", "check", live=live)

    assert check.returncode == 1, check.stdout
    assert "missing from the index" in check.stdout


def test_check_reports_a_difference_in_the_evidence_and_practice_indexes(live, make) -> None:  # noqa: ANN001
    """The check covers the record indexes on Meilisearch too: a practice and an assessment written while
    no indexer runs are missing from their indexes, named with their index."""
    hotline = make.organisation("hotline")
    initiative = make.initiative(hotline, "Helpline")
    with running_server(live) as url:
        assert _until_total(url, 1) == 1
    practice = make.practice(hotline, "Answer within a day")  # queued, and no indexer runs now
    assessment = make.assessment(initiative, hotline, "A survey of callers")

    check = _coplab("search", "check", live=live)

    assert check.returncode == 1, check.stdout
    assert "2 missing from the index" in check.stdout, check.stdout
    assert f"evidence:{assessment.id}" in check.stdout and f"best_practice:{practice.id}" in check.stdout


def test_the_worker_indexes_what_api_processes_queue_and_loses_nothing_while_stopped(live, make) -> None:  # noqa: ANN001
    hotline = make.organisation("hotline")
    token = make.token(hotline)
    api_only = live.model_copy(update={"search_indexer_in_process": False})
    with running_server(api_only) as url:
        worker = subprocess.Popen([*COPLAB, "search", "worker"], env=_env(live), stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True)
        try:
            _create(url, token, "Helpline for teenagers")
            assert _until_total(url, 1) == 1
        finally:
            worker.terminate()
            output = worker.communicate(timeout=30)[0]
        assert worker.returncode == 0 and "search worker stopped" in output, output

        for n in range(3):
            _create(url, token, f"Written while no worker runs {n}")
        time.sleep(1)
        assert _total(url) == 1  # nothing indexes them now ...

        worker = subprocess.Popen([*COPLAB, "search", "worker"], env=_env(live), stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True)
        try:
            assert _until_total(url, 4) == 4  # ... and the worker, back, catches up
        finally:
            worker.terminate()
            worker.communicate(timeout=30)
    assert _coplab("search", "check", live=live).returncode == 0


def test_an_engine_outage_mid_stream_loses_nothing(live, make, meilisearch_server) -> None:  # noqa: ANN001
    if meilisearch_server.process is None:
        pytest.skip("stopping Meilisearch needs a server the tests started (COPLAB_TEST_MEILISEARCH_URL names one)")
    hotline = make.organisation("hotline")
    token = make.token(hotline)
    with running_server(live) as url:
        for n in range(3):
            _create(url, token, f"Before the outage {n}")
        assert _until_total(url, 3) == 3

        meilisearch_server.stop()
        try:
            for n in range(4):
                _create(url, token, f"During the outage {n}")  # writes go on: the outbox keeps them
            assert _search_error(url) == "SEARCH_UNAVAILABLE"
            time.sleep(1.5)  # the indexer fails and backs off meanwhile
        finally:
            meilisearch_server.restart()

        _create(url, token, "After the outage")
        assert _until_total(url, 8) == 8
    assert _coplab("search", "check", live=live).returncode == 0


SEARCH_TITLES = """query($q: String!) { searchInitiatives(query: $q, hitsPerPage: 50, facets: [STATUS]) {
  totalHits facetDistribution { values { value count } } hits { initiative { title } } } }"""


def _serve(live: Settings) -> tuple[subprocess.Popen, str]:
    """`coplab serve` in a process of its own, its indexer off (the worker indexes): (process, URL)."""
    port = free_port()
    env = {**_env(live), "COPLAB_SEARCH_INDEXER_IN_PROCESS": "false", "COPLAB_ISSUER": live.issuer,
           "COPLAB_ENVIRONMENT": live.environment.value, "COPLAB_DATA_DIR": str(live.data_dir)}
    process = subprocess.Popen([*COPLAB, "serve", "--port", str(port), "--no-prepare", "--no-seed"], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    wait_until_answering(process, url)
    return process, url


def _titles(url: str, token: str | None, query: str) -> tuple[list[str], int, dict[str, int]]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    answer = httpx.post(f"{url}/graphql", json={"query": SEARCH_TITLES, "variables": {"q": query}},
                        headers=headers, timeout=30).json()
    assert "errors" not in answer, answer
    result = answer["data"]["searchInitiatives"]
    counts = {v["value"]: v["count"] for v in result["facetDistribution"][0]["values"]}
    return sorted(h["initiative"]["title"] for h in result["hits"]), result["totalHits"], counts


def _until_titles(url: str, token: str | None, query: str, count: int) -> list[str]:
    deadline = time.monotonic() + 30
    while True:
        # Until the worker has created the index, search is unavailable.
        titles = [] if _search_error(url) == "SEARCH_UNAVAILABLE" else _titles(url, token, query)[0]
        if len(titles) == count or time.monotonic() > deadline:
            return titles
        time.sleep(0.1)


def _write(url: str, token: str, title: str, visibility: str) -> None:
    answer = httpx.post(f"{url}/graphql", json={"query": CREATE, "variables": {"i": {
        "title": title, "status": "IMPLEMENTATION", "visibility": visibility}}},
        headers={"Authorization": f"Bearer {token}"}, timeout=30).json()
    assert answer["data"]["createInitiative"]["userErrors"] == [], answer


def test_two_api_processes_and_one_worker_share_one_meilisearch(live, make) -> None:  # noqa: ANN001
    hotline, ministry = make.organisation("hotline"), make.organisation("ministry")
    ours, theirs = make.token(hotline), make.token(ministry)
    first, first_url = _serve(live)
    second, second_url = _serve(live)
    worker = subprocess.Popen([*COPLAB, "search", "worker"], env=_env(live), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    try:
        _write(first_url, ours, "Grooming helpline", "PUBLIC")
        _write(second_url, theirs, "Grooming prosecution", "ORGANISATION")
        _write(second_url, ours, "Grooming casework", "ORGANISATION")
        for url in (first_url, second_url):  # a write through either process is searchable through both
            assert _until_titles(url, ours, "grooming", 2) == ["Grooming casework", "Grooming helpline"]
            assert _until_titles(url, theirs, "grooming", 2) == ["Grooming helpline", "Grooming prosecution"]
            # Nothing leaks: not in hits, totals or facet counts.
            assert _titles(url, None, "grooming") == (["Grooming helpline"], 1, {"IMPLEMENTATION": 1})
            assert _titles(url, ours, "prosecution") == ([], 0, {})

        worker.terminate()
        assert worker.wait(timeout=30) == 0
        _write(first_url, ours, "Grooming awareness week", "PUBLIC")
        _write(second_url, theirs, "Grooming school visits", "PUBLIC")
        time.sleep(1)
        assert _titles(first_url, None, "grooming")[1] == 1  # queued, not indexed while no worker runs

        worker = subprocess.Popen([*COPLAB, "search", "worker"], env=_env(live), stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True)
        for url in (first_url, second_url):
            assert _until_titles(url, None, "grooming", 3) == [
                "Grooming awareness week", "Grooming helpline", "Grooming school visits"]
    finally:
        for process in (worker, first, second):
            process.terminate()
        for process in (worker, first, second):
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
    assert _coplab("search", "check", live=live).returncode == 0


def test_reindex_with_a_key_limited_to_the_index_says_it_cannot_see_the_swap(live, make, meilisearch_server) -> None:  # noqa: ANN001
    """Meilisearch hides index-swap tasks (they belong to no index) from a key limited to some
    indexes, so the rebuild cannot know the swap happened; it says why instead of "not found"."""
    make.initiative(make.organisation("hotline"), "Helpline")
    key, key_uid = meilisearch_server.create_key(
        ["documents.*", "indexes.*", "settings.*", "tasks.get", "search"], [f"{live.search_index_uid}*"])
    try:
        reindex = _coplab("search", "reindex", live=live.model_copy(update={"meilisearch_api_key": key}))
    finally:
        httpx.delete(f"{live.meilisearch_url}/keys/{key_uid}", headers=meilisearch_server.headers(), timeout=HTTP_TIMEOUT)

    assert reindex.returncode == 1
    said = " ".join(reindex.stdout.split())
    assert 'the key needs "indexes": ["*"]' in said
    assert "the live index is unchanged" not in said  # the swap was enqueued: it may have happened
