"""Several API processes on one database converge (docs/search-indexing.md, "Following the change log"):
three `coplab serve` processes, each with its own embedded index, take concurrent writes through all of
them; afterwards every process answers every search identically, counts and facets included, and
scoped to the caller. Also: servers started together on one empty database prepare it once, and
`coplab serve --workers 4` answers the same from all of its processes."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from api.core.settings import Settings
from api.seeding.synthetic import load_synthetic
from api.search.models import SearchOutbox
from tests.conftest import empty_database
from tests.meilisearch_server import on_meilisearch
from tests.search.indexing import log_end
from tests.server import free_port, server_process, wait_until_answering
from tests.server import HTTP_TIMEOUT

COPLAB = shutil.which("coplab", path=str(Path(sys.executable).parent))
CREATE = """mutation($i: CreateInitiativeInput!) { createInitiative(input: $i) {
  initiative { id } userErrors { code } } }"""
UPDATE = """mutation($i: UpdateInitiativeInput!) { updateInitiative(input: $i) { userErrors { code } } }"""
SEARCH = """query($q: String!) { searchInitiatives(query: $q, hitsPerPage: 100, facets: [STATUS, STAKEHOLDER_TYPES]) {
  totalHits hits { initiative { id title } } facetDistribution { facet values { value count } } } }"""
QUERIES = ("", "hotline", "mirror", "escalation quokka", "removal")
WORDS = ("hotline", "mirror", "removal", "escalation", "quokka")


def _environment(settings: Settings, **values: str) -> dict[str, str]:
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("COPLAB_")}
    return {
        **inherited,
        "COPLAB_ENVIRONMENT": "test",
        "COPLAB_DATABASE_URL": settings.database_url,
        "COPLAB_ISSUER": settings.issuer,  # one issuer for every process, as behind one public address
        "COPLAB_SEARCH_POLL_SECONDS": "0.05",
        # /readyz names its index digests to holders of this token only: `search check --server` sends it.
        "COPLAB_METRICS_TOKEN": "operators-only",
        **({
            "COPLAB_MEILISEARCH_URL": settings.meilisearch_url,
            "COPLAB_MEILISEARCH_API_KEY": settings.meilisearch_api_key or "",
            "COPLAB_SEARCH_INDEX_UID": settings.search_index_uid,
        } if settings.meilisearch_url else {}),
        **values,
    }


@contextmanager
def servers(settings: Settings, count: int, *args: str, **env: str) -> Iterator[list[str]]:
    with server_processes(settings, count, *args, **env) as started:
        yield [url for url, _ in started]


@contextmanager
def server_processes(settings: Settings, count: int, *args: str, **env: str) -> Iterator[list[tuple[str, subprocess.Popen]]]:
    with ExitStack() as stack:
        started = []
        for _ in range(count):
            port = free_port()
            command = [COPLAB, "serve", "--no-seed", "--port", str(port), *args]
            started.append(stack.enter_context(server_process(command, _environment(settings, **env), port=port)))
        yield started


def _post(url: str, query: str, variables: dict, token: str | None = None) -> dict:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    answer = httpx.post(f"{url}/graphql", json={"query": query, "variables": variables}, headers=headers, timeout=HTTP_TIMEOUT)
    body = answer.json()
    assert "errors" not in body, body
    return body["data"]


def _searches(url: str, token: str | None) -> dict[str, dict]:
    return {q: _post(url, SEARCH, {"q": q}, token)["searchInitiatives"] for q in QUERIES}


def _write(url: str, token: str, writer: int) -> None:
    """Initiatives of every visibility, some changed after they were created."""
    for n in range(12):
        visibility = ("PUBLIC", "MEMBERS", "ORGANISATION")[n % 3]
        title = f"{WORDS[n % 5]} {WORDS[(n + writer) % 5]} initiative {writer}-{n}"
        created = _post(url, CREATE, {"i": {"title": title, "status": "IMPLEMENTATION", "visibility": visibility}}, token)
        assert created["createInitiative"]["userErrors"] == []
        if n % 4 == 1:
            initiative = created["createInitiative"]["initiative"]["id"]
            changed = _post(url, UPDATE, {"i": {"id": initiative, "title": f"removal quokka {writer}-{n}"}}, token)
            assert changed["updateInitiative"]["userErrors"] == []


def _converged(urls: list[str], tokens: dict[str, str | None], timeout: float = 90) -> dict[str, dict]:
    """Every process's answers, once they are the same for every caller (fails after `timeout`)."""
    deadline = time.monotonic() + timeout
    while True:
        answers = {who: [_searches(url, token) for url in urls] for who, token in tokens.items()}
        if all(all(a == per_url[0] for a in per_url) for per_url in answers.values()):
            return {who: per_url[0] for who, per_url in answers.items()}
        assert time.monotonic() < deadline, "the processes' indexes did not converge"
        time.sleep(0.5)


def test_three_processes_answer_every_search_identically_after_concurrent_writes(settings, make, engine) -> None:  # noqa: ANN001
    hotline, ngo = make.organisation("hotline"), make.organisation("ngo")
    tokens = {"anonymous": None, "hotline": make.token(hotline), "ngo": make.token(ngo)}
    writers = [make.token(hotline), make.token(ngo), make.token(hotline)]
    with servers(settings, 3) as urls:
        with ThreadPoolExecutor(max_workers=6) as pool:  # two writers through each process at once
            running = [pool.submit(_write, urls[n % 3], writers[n % 3], n) for n in range(6)]
            for future in running:
                future.result()
        answers = _converged(urls, tokens)
        # `coplab search check --server`: each process's own index equals one built from the database.
        checked = _search_check(settings, *urls)
    said = checked.stdout + checked.stderr  # the console writes to standard error
    assert checked.returncode == 0, said
    assert "in sync: 72 documents" in said
    assert all(f"{url}: the same index (digest " in said for url in urls), said

    with engine.connect() as connection:
        titles = dict(connection.execute(sa.text("SELECT id, visibility FROM initiative")).all())
        owners = dict(connection.execute(sa.text("SELECT id, lead_organisation_id FROM initiative")).all())
    assert len(titles) == 6 * 12
    everything = answers["anonymous"][""]
    public = {i for i, v in titles.items() if v == "PUBLIC"}
    assert everything["totalHits"] == len(public) == 24  # anonymous callers count public records only
    assert {int(_raw(h["initiative"]["id"])) for h in everything["hits"]} == public
    for who, organisation in (("hotline", hotline), ("ngo", ngo)):
        readable = {i for i, v in titles.items() if v in ("PUBLIC", "MEMBERS") or owners[i] == organisation.id}
        found = answers[who][""]
        assert found["totalHits"] == len(readable)  # members' records, and only their own organisation-only ones
        assert {int(_raw(h["initiative"]["id"])) for h in found["hits"]} == readable
    assert answers["anonymous"]["removal"]["totalHits"] > 0  # the updates are searchable everywhere too


def _search_check(settings: Settings, *urls: str) -> subprocess.CompletedProcess:
    servers = [argument for url in urls for argument in ("--server", url)]
    return subprocess.run([COPLAB, "search", "check", *servers, "--wait", "20"], env=_environment(settings),
                          capture_output=True, text=True, timeout=180, check=False)


def test_search_check_finds_a_server_whose_index_missed_a_change(settings, make, engine) -> None:  # noqa: ANN001
    hotline = make.organisation("hotline")
    token = make.token(hotline)
    with servers(settings, 1) as [url]:
        _write(url, token, 0)
        _converged([url], {"hotline": token})
        agreeing = _search_check(settings, url)
        assert agreeing.returncode == 0, agreeing.stdout + agreeing.stderr
        with engine.begin() as connection:  # a change the log never hears of: no process will apply it
            connection.execute(sa.text("UPDATE initiative SET title = 'renamed behind the log' WHERE id = "
                                       "(SELECT min(id) FROM initiative)"))
        checked = _search_check(settings, url)
    said = checked.stdout + checked.stderr
    assert checked.returncode == 1, said
    assert "in sync: 12 documents" in said  # the index built from the database is right
    assert f"{url}: another index within 20 s: digest " in said, said


def test_search_check_finds_a_server_whose_practice_index_missed_a_change(settings, make, engine) -> None:  # noqa: ANN001
    """--server compares every index a server holds, not only the initiatives': a best practice
    changed behind the log leaves that server's practice index alone different, and the check says so."""
    university = make.organisation("university")
    make.practice(university, "Answer within a day")
    with servers(settings, 1) as [url]:
        agreeing = _search_check(settings, url)
        said = agreeing.stdout + agreeing.stderr
        assert agreeing.returncode == 0, said
        assert "in sync: 1 documents (initiatives 0, evidence assessments 0, best practices 1)" in said, said
        with engine.begin() as connection:  # a change the log never hears of: no process will apply it
            connection.execute(sa.text("UPDATE best_practice SET title = 'renamed behind the log'"))
        checked = _search_check(settings, url)
    said = checked.stdout + checked.stderr
    assert checked.returncode == 1, said
    assert f"{url}: another index within 20 s" in said, said
    assert "different: best practices (" in said, said  # the initiatives and evidence indexes agree


def test_a_process_restarted_later_catches_up_with_what_others_wrote(settings, make, engine) -> None:  # noqa: ANN001
    hotline = make.organisation("hotline")
    token = make.token(hotline)
    with servers(settings, 1) as [first]:
        _write(first, token, 0)
        with servers(settings, 1) as [second]:  # builds its index from the database, then follows the log
            _write(second, token, 1)
            answers = _converged([first, second], {"hotline": token})
    assert answers["hotline"][""]["totalHits"] == 24
    with engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(SearchOutbox)).scalar_one() > 0
    assert log_end(engine).id > 0


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_servers_started_together_on_an_empty_database_prepare_it_once(backend, tmp_path) -> None:  # noqa: ANN001
    with empty_database(backend, tmp_path) as url:
        _start_three_at_once(Settings(environment="test", database_url=url, data_dir=tmp_path))


def _start_three_at_once(fresh: Settings) -> None:
    ports = [free_port() for _ in range(3)]
    processes = [
        subprocess.Popen([COPLAB, "serve", "--port", str(port)], env=_environment(fresh),
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for port in ports
    ]
    try:
        for port, process in zip(ports, processes, strict=True):
            wait_until_answering(process, f"http://127.0.0.1:{port}")  # fails with its output if it died
        # All three started (none failed on a migration another was running), and the registry is there once.
        counts = [
            _post(f"http://127.0.0.1:{port}", "{ initiatives(first: 1) { totalCount } }", {})["initiatives"]["totalCount"]
            for port in ports
        ]
        assert counts == [19, 19, 19]  # the Lab's registry holds 19 initiatives (README)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)


def test_serve_with_four_workers_answers_the_same_from_all_of_them(settings, make) -> None:  # noqa: ANN001
    hotline = make.organisation("hotline")
    token = make.token(hotline)
    with servers(settings, 1, "--workers", "4") as [url]:
        _write(url, token, 0)
        deadline = time.monotonic() + 90
        while True:  # each request reaches any of the processes: twenty answers in a row must agree
            answers = [_searches(url, token) for _ in range(20)]
            if all(a == answers[0] for a in answers) and answers[0][""]["totalHits"] == 12:
                break
            assert time.monotonic() < deadline, "the workers' indexes did not converge"
            time.sleep(0.5)


def test_on_meilisearch_one_process_indexes_at_a_time_and_another_takes_over_when_it_dies(
    settings, make, engine, meilisearch_server  # noqa: ANN001
) -> None:
    hotline = make.organisation("hotline")
    token = make.token(hotline)
    with on_meilisearch(settings, meilisearch_server, "many") as live:
        with server_processes(live, 3, COPLAB_SEARCH_LEASE_SECONDS="3") as started:
            urls = [url for url, _ in started]
            with ThreadPoolExecutor(max_workers=3) as pool:
                for future in [pool.submit(_write, urls[n], token, n) for n in range(3)]:
                    future.result()
            answers = _converged(urls, {"anonymous": None, "hotline": token})
            assert answers["hotline"][""]["totalHits"] == 36
            leader = _leader(engine)
            assert leader is not None
            holders = [process for _, process in started if f":{process.pid}:" in leader]
            # `coplab serve` runs uvicorn in its own process: the lease names that process.
            assert len(holders) == 1, (leader, [p.pid for _, p in started])
            holders[0].kill()  # no graceful release: the lease must lapse
            holders[0].wait()
            survivors = [url for url, process in started if process is not holders[0]]
            _write(survivors[0], token, 3)
            deadline = time.monotonic() + 60
            while _searches(survivors[1], token)[""]["totalHits"] != 48:  # indexed by whichever survivor took over
                assert time.monotonic() < deadline, "no surviving process took over the indexing"
                time.sleep(0.2)
            answers = _converged(survivors, {"hotline": token})
            assert answers["hotline"][""]["totalHits"] == 48
            assert _leader(engine) not in (None, leader)
            checked = subprocess.run(
                [COPLAB, "search", "check"], env=_environment(live), capture_output=True, text=True, timeout=180, check=False
            )
            assert checked.returncode == 0, checked.stdout + checked.stderr
            assert "in sync: 48 documents" in checked.stdout + checked.stderr


def _leader(engine: sa.Engine) -> str | None:
    with engine.connect() as connection:
        return connection.execute(sa.text("SELECT leader FROM search_log_state WHERE id = 1")).scalar()


def _raw(global_id: str) -> str:
    from strawberry.relay import from_base64

    return from_base64(global_id)[1]


BUILT = "search index built from the database"


def _log_lines(path: Path) -> list[dict]:
    lines = []
    for text in path.read_text().splitlines():
        if text.startswith("{"):
            lines.append(json.loads(text))
    return lines


def _built_by(path: Path) -> list[int]:
    """The processes that logged building their index, in the order they did."""
    return [line["pid"] for line in _log_lines(path) if line["message"].startswith(BUILT)]


def test_a_worker_restarted_after_a_crash_takes_requests_only_once_its_index_is_built(settings, engine, tmp_path) -> None:  # noqa: ANN001
    """`--workers 2`: one worker is killed; uvicorn starts another on the same port. Searches sent all
    along each carry a request id; the access log (JSON, with each line's process) shows that the new
    worker answered some of them, and no search anywhere was answered from an index being built."""
    # (`engine` among the fixtures: the tables are emptied after the test, the 3,000 initiatives with them.)
    load_synthetic(url=settings.database_url, initiatives=3000, seed=1, alongside_registry=True)
    log = tmp_path / "serve.log"
    port = free_port()
    command = [COPLAB, "serve", "--no-seed", "--port", str(port), "--workers", "2"]
    with log.open("wb") as output, server_process(command, _environment(settings, COPLAB_LOG_FORMAT="json"),
                                                  port=port, output=output) as (url, _):
        # A first start also rates the 3,000 initiatives, whose documents the workers then index again.
        deadline = time.monotonic() + 240
        while len(set(_built_by(log))) < 2:
            assert time.monotonic() < deadline, "the two workers did not build their indexes"
            time.sleep(0.1)
        first, second = _built_by(log)[:2]
        os.kill(first, signal.SIGKILL)
        answers: dict[str, dict] = {}
        replacement_built_at = None
        while replacement_built_at is None or time.monotonic() < replacement_built_at + 2:
            assert time.monotonic() < deadline, "no worker replaced the killed one"
            request_id = uuid.uuid4().hex
            answer = httpx.post(f"{url}/graphql", json={"query": "{ searchInitiatives(query: \"\") { totalHits } }"},
                                headers={"X-Request-ID": request_id}, timeout=HTTP_TIMEOUT)
            answers[request_id] = answer.json()
            if replacement_built_at is None and set(_built_by(log)) - {first, second}:
                replacement_built_at = time.monotonic()
    [replacement] = set(_built_by(log)) - {first, second}
    assert all("errors" not in body for body in answers.values()), [b for b in answers.values() if "errors" in b][:3]
    assert len({body["data"]["searchInitiatives"]["totalHits"] for body in answers.values()}) == 1
    answered_by = {line["request_id"]: line["pid"] for line in _log_lines(log)
                   if line["logger"] == "uvicorn.access" and line["request_id"] in answers}
    assert set(answered_by) == set(answers)  # every search's id is in the access log, with its worker
    assert replacement in answered_by.values() and second in answered_by.values()
