"""Benchmark: searching initiatives on the embedded engine and on Meilisearch, side by side.

    .venv/bin/python -m tests.perf.bench_search                        # 10,000 and 100,000 initiatives
    .venv/bin/python -m tests.perf.bench_search --initiatives 10000 --runs 30 --engines embedded

Meilisearch is measured when a server is found as the tests find one (tests/meilisearch_server.py:
COPLAB_TEST_MEILISEARCH_URL, or a `meilisearch` binary on PATH, started here); otherwise the run
says why and measures the embedded engine alone.

For each size, on a fresh SQLite registry of synthetic initiatives (tests/perf/synthetic.py), the
search documents are built once from the database, then for each engine in turn:
- indexing: the engine's rebuild from those documents (for Meilisearch: into a shadow index, every
  task finished, then swapped in), its time and documents per second; for the embedded engine the
  resident memory the index adds to the process;
- write-to-searchable lag: `createInitiative` through GraphQL on a real server (its in-process
  indexer), then `searchInitiatives` polled until the new initiative is found;
- p50/p95 of each kind of search, in the same run, for a member organisation's user (so the access
  filter is always part of the search): the engine call without snippets (the baseline: in this
  process for the embedded engine, one HTTP round trip for Meilisearch, with the engine's own
  reported time beside it), the same call with the highlights and crops `searchInitiatives` asks
  for (`SearchBackend.search`), and `searchInitiatives` over HTTP on the server (GraphQL,
  authentication, loading the hits' initiatives);
- the resident and peak memory of the API server process, and of Meilisearch's.

Relevance figures need the research test set of judged queries, which does not exist yet. Nothing
here is asserted: the figures are printed and go into docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import httpx

from api.auth import tokens
from api.auth.principal import Principal, PrincipalKind
from api.auth.scopes import parse_scopes
from api.core.db import create_engine, session_factory
from api.search import documents
from api.search.access import access_filter
from api.search.backend import SearchBackend, SearchRequest
from api.search.embedded import EmbeddedBackend
from api.search.meilisearch_backend import MeilisearchBackend
from api.search.filters import AnyOf, all_of
from api.core.settings import PROJECT_ROOT, Settings
from tests.factories import TEST_KEY_ENCRYPTION_KEY
from tests.perf import synthetic
from tests.meilisearch_server import MeilisearchServer, find_or_start_meilisearch, no_server_reason
from tests.perf.bench_initiatives_page import free_port, machine, source_tree, summary, wait_until_healthy
from tests.server import HTTP_TIMEOUT

ISSUER = "https://bench.coplab.invalid"
ENGINES = ("embedded", "meilisearch")
SCOPES = "initiatives:read initiatives:write"
FACETS = ("status", "harms", "intervention_types", "countries")
GRAPHQL_FACETS = ["STATUS", "HARMS", "INTERVENTION_TYPES", "COUNTRIES"]
HIGHLIGHTED = ("title", "summary", "organisations")
CROPPED = ("description",)

SEARCH = """
query($q: String!, $filter: SearchFilter, $facets: [SearchFacet!]) {
  searchInitiatives(query: $q, filter: $filter, facets: $facets, hitsPerPage: 20) {
    totalHits
    processingTimeMs
    hits { initiative { id title } highlights { field text matches { start length } } }
    facetDistribution { facet values { value count } }
  }
}
"""
CREATE = """
mutation($input: CreateInitiativeInput!) {
  createInitiative(input: $input) { initiative { id } userErrors { code } }
}
"""


@dataclass(frozen=True)
class Case:
    """One kind of search: the words typed (several for typed-as-you-go) and what narrows it."""

    name: str
    queries: tuple[str, ...]
    statuses: tuple[str, ...] = ()
    facets: bool = False


CASES = (
    Case("typed as you go: h, he, hel, help, helpl, helpli", ("h", "he", "hel", "help", "helpl", "helpli")),
    Case("typo: 'groming'", ("groming",)),
    Case("two words with a typo + access + 4 facets", ("groming detection",), facets=True),
    Case("filtered: 'helpline' + status", ("helpline",), statuses=("IMPLEMENTATION", "FINALISATION")),
    Case("empty query + access + 4 facets", ("",), facets=True),
)


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


async def all_documents(url: str) -> list[dict]:
    engine = create_engine(url)
    found: list[dict] = []
    try:
        async with session_factory(engine)() as session:
            async for batch in documents.every_initiative_id(session=session):
                built, _ = await documents.build(session=session, initiative_ids=batch)
                found += built
    finally:
        await engine.dispose()
    return found


def start_server(url: str, *, timeout: float, env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    """The real app under uvicorn, once it answers (on the embedded engine it fills its index in the
    background)."""
    port = free_port()
    env = {**os.environ, **env, "COPLAB_DATABASE_URL": url, "COPLAB_ISSUER": ISSUER, "COPLAB_ENVIRONMENT": "production",
           "COPLAB_KEY_ENCRYPTION_KEYS": TEST_KEY_ENCRYPTION_KEY}
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "api.main:create_app", "--factory", "--port", str(port), "--log-level", "warning"],
        cwd=PROJECT_ROOT,
        env=env,
    )
    return process, wait_until_healthy(process, f"http://127.0.0.1:{port}", timeout=timeout)


def graphql(client: httpx.Client, base_url: str, token: str, query: str, variables: dict) -> dict:
    data = graphql_or_unavailable(client, base_url, token, query, variables)
    if data is None:
        raise SystemExit("GraphQL: search is unavailable")
    return data


def graphql_or_unavailable(client: httpx.Client, base_url: str, token: str, query: str, variables: dict) -> dict | None:
    """The answer's data, or None while the server says search is unavailable (the embedded engine
    refuses searches until its index is built)."""
    response = client.post(
        f"{base_url}/graphql", json={"query": query, "variables": variables}, headers={"Authorization": f"Bearer {token}"}
    )
    response.raise_for_status()
    body = response.json()
    if body.get("errors"):
        if {error.get("extensions", {}).get("code") for error in body["errors"]} == {"SEARCH_UNAVAILABLE"}:
            return None
        raise SystemExit(f"GraphQL errors: {body['errors']}")
    return body["data"]


def engine_request(case: Case, query: str, principal: Principal) -> SearchRequest:
    caller = AnyOf("status", case.statuses) if case.statuses else None
    return SearchRequest(
        query=query,
        filter=all_of(caller, access_filter(principal)),
        facets=FACETS if case.facets else (),
        hits_per_page=20,
        highlight=HIGHLIGHTED,
        crop=CROPPED,
    )


def graphql_variables(case: Case, query: str) -> dict:
    return {
        "q": query,
        "filter": {"statuses": list(case.statuses)} if case.statuses else None,
        "facets": GRAPHQL_FACETS if case.facets else [],
    }


@dataclass
class Engine:
    """One engine under measurement: the backend this process searches with, the settings the
    server runs with, and the processes whose memory counts."""

    name: str
    backend: SearchBackend
    server_env: dict[str, str]
    engine_pid: int | None = None  # Meilisearch's own process, when the benchmark started it


def measure(size: int, args: argparse.Namespace, meilisearch: MeilisearchServer | None) -> dict:
    with tempfile.TemporaryDirectory(prefix="coplab-search-bench-") as directory:
        url = f"sqlite:///{Path(directory) / 'bench.db'}"
        print(f"[{size}] loading the synthetic registry ...", flush=True)
        report, key = synthetic.load(url, initiatives=size, seed=args.seed)

        started = time.perf_counter()
        docs = asyncio.run(all_documents(url))
        seconds_documents = time.perf_counter() - started
        print(f"[{size}] {len(docs)} documents built from the database in {seconds_documents:.1f} s", flush=True)
        principal = Principal(
            kind=PrincipalKind.USER,
            subject=f"user:{report.member_user_id}",
            organisation_id=report.member_organisation_id,
            organisation_is_member=True,
            scopes=parse_scopes(SCOPES),
        )
        token = tokens.mint(
            key=key,
            issuer=ISSUER,
            audience=Settings().audience,
            subject=f"user:{report.member_user_id}",
            client_id=synthetic.BENCH_CLIENT_ID,
            organisation_id=report.member_organisation_id,
            scope=SCOPES,
            lifetime_seconds=6 * 3600,
        )
        result: dict = {
            "initiatives": size,
            "documents": len(docs),
            "seconds_documents": round(seconds_documents, 2),
            "engines": {},
        }
        for engine in engines(args.engines, meilisearch, size):
            result["engines"][engine.name] = measure_engine(engine, size, url, docs, principal, token, args)
        return result


def engines(names: list[str], meilisearch: MeilisearchServer | None, size: int) -> Iterator[Engine]:
    for name in names:
        if name == "embedded":
            yield Engine("embedded", EmbeddedBackend(), {})
        elif meilisearch is not None:
            uid = f"coplab_bench_{size}_{uuid.uuid4().hex[:8]}"
            # The master key, for brevity: the benchmark measures the engine, not the key's scope.
            backend = MeilisearchBackend(meilisearch.url, meilisearch.master_key, index_uid=uid, task_timeout=1800)
            env = {"COPLAB_MEILISEARCH_URL": meilisearch.url, "COPLAB_SEARCH_INDEX_UID": uid}
            if meilisearch.master_key:
                env["COPLAB_MEILISEARCH_API_KEY"] = meilisearch.master_key
            process = meilisearch.process
            try:
                yield Engine(f"meilisearch {meilisearch.version}", backend, env, process.pid if process else None)
            finally:
                meilisearch.delete_indexes(prefix=uid)


def measure_engine(
    engine: Engine, size: int, url: str, docs: list[dict], principal: Principal, token: str, args: argparse.Namespace
) -> dict:
    label = f"[{size}] {engine.name}"
    gc.collect()
    before = rss_bytes()
    started = time.perf_counter()
    engine.backend.rebuild(docs)  # Meilisearch: until every task has finished and the index is swapped in
    seconds_index = time.perf_counter() - started
    gc.collect()
    result: dict = {
        "seconds_index": round(seconds_index, 2),
        "documents_per_second": round(len(docs) / seconds_index),
        "searches": {},
    }
    if engine.engine_pid is None:
        result["index_megabytes_in_process"] = round((rss_bytes() - before) / 2**20, 1)
    print(f"{label}: indexed in {seconds_index:.1f} s ({result['documents_per_second']} documents/s)", flush=True)

    started = time.perf_counter()
    process, base_url = start_server(url, timeout=args.startup_timeout, env=engine.server_env)
    try:
        with httpx.Client(timeout=HTTP_TIMEOUT) as client:
            # The embedded engine's server fills its own index after starting: wait until it sees
            # what the benchmark's engine sees. On Meilisearch it searches the index just built.
            visible = engine.backend.search(engine_request(Case("all", ("",)), "", principal)).total_hits
            while True:
                data = graphql_or_unavailable(client, base_url, token, SEARCH, {"q": "", "filter": None, "facets": []})
                if data is not None and data["searchInitiatives"]["totalHits"] == visible:
                    break
                if time.perf_counter() - started > args.startup_timeout:
                    raise SystemExit("the server's index did not fill in time")
                time.sleep(0.5)
            result["seconds_server_ready"] = round(time.perf_counter() - started, 2)
            result["write_to_searchable_ms"] = summary(write_lags(client, base_url, token, args.writes))
            for case in CASES:
                figures, hits = time_case(engine.backend, case, principal, client, base_url, token, args)
                result["searches"][case.name] = {**figures, "total_hits_engine_vs_graphql": hits}
                print(
                    f"{label} {case.name}: p50/p95 ms raw engine {figures['raw']['p50']:.1f}/{figures['raw']['p95']:.1f}, "
                    f"SearchBackend.search {figures['backend']['p50']:.1f}/{figures['backend']['p95']:.1f}, "
                    f"GraphQL over HTTP {figures['graphql']['p50']:.1f}/{figures['graphql']['p95']:.1f}; hits {hits}",
                    flush=True,
                )
            result["memory_megabytes"] = {"api_server": process_memory(process.pid)}
            if engine.engine_pid is not None:
                result["memory_megabytes"]["meilisearch"] = process_memory(engine.engine_pid)
            print(f"{label}: memory {result['memory_megabytes']}", flush=True)
    finally:
        process.terminate()
        process.wait(timeout=30)
    return result


def time_case(
    backend: SearchBackend,
    case: Case,
    principal: Principal,
    client: httpx.Client,
    base_url: str,
    token: str,
    args: argparse.Namespace,
) -> tuple[dict, tuple[int, int] | None]:
    """p50/p95 of one kind of search three ways, in turn on the same queries: the engine without
    snippets (the baseline; for Meilisearch an HTTP round trip, with the time the engine itself
    reports beside it), the engine with the snippets `searchInitiatives` asks for, and
    `searchInitiatives` over HTTP."""
    times: dict[str, list[float]] = {"engine_reported": [], "raw": [], "backend": [], "graphql": []}
    hits = None
    for run in range(args.warmup + args.runs):
        for query in case.queries:
            request = engine_request(case, query, principal)
            bare = replace(request, highlight=(), crop=())
            t0 = time.perf_counter()
            reported = backend.search(bare).processing_time_ms
            t1 = time.perf_counter()
            answer = backend.search(request)
            t2 = time.perf_counter()
            data = graphql(client, base_url, token, SEARCH, graphql_variables(case, query))
            t3 = time.perf_counter()
            if run >= args.warmup:
                times["engine_reported"].append(reported)
                times["raw"].append((t1 - t0) * 1000)
                times["backend"].append((t2 - t1) * 1000)
                times["graphql"].append((t3 - t2) * 1000)
            hits = (answer.total_hits, data["searchInitiatives"]["totalHits"])
    return {name: summary(values) for name, values in times.items()}, hits


def process_memory(pid: int) -> dict[str, float]:
    """Resident memory now and at its peak (VmRSS, VmHWM), in MiB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = round(int(value.split()[0]) / 1024, 1)
    return {"resident": fields["VmRSS"], "peak": fields["VmHWM"]}


def write_lags(client: httpx.Client, base_url: str, token: str, writes: int) -> list[float]:
    """Milliseconds from a write's answer to the moment a search finds it."""
    lags = []
    for _ in range(writes):
        word = "zq" + uuid.uuid4().hex[:10]
        data = graphql(
            client, base_url, token, CREATE, {"input": {"title": f"Benchmark {word}", "status": "PIPELINE"}}
        )
        assert data["createInitiative"]["userErrors"] == [], data
        written = time.perf_counter()
        while True:
            found = graphql(client, base_url, token, SEARCH, {"q": word, "filter": None, "facets": []})
            if found["searchInitiatives"]["totalHits"]:
                lags.append((time.perf_counter() - written) * 1000)
                break
            if time.perf_counter() - written > 30:
                raise SystemExit(f"a write was not searchable after 30 s ({word})")
            time.sleep(0.01)
    return lags


def report(results: dict, path: Path | None) -> int:
    """Print the figures as JSON, and write them to `path` if given."""
    text = json.dumps(results, indent=2)
    if path:
        path.write_text(text)
    print(text)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--initiatives", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--writes", type=int, default=20)
    parser.add_argument("--startup-timeout", type=float, default=600)
    parser.add_argument("--engines", nargs="+", choices=ENGINES, default=list(ENGINES))
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    with find_or_start_meilisearch() as meilisearch:
        if "meilisearch" in args.engines and meilisearch is None:
            print(f"Meilisearch is not measured: {no_server_reason()}", flush=True)
            args.engines.remove("meilisearch")
        results = {
            "machine": machine(),
            "source": source_tree(),
            "meilisearch": meilisearch.version if meilisearch and "meilisearch" in args.engines else None,
            # The research test set of judged queries (issue 17) does not exist yet: no relevance figures.
            "relevance": None,
            "loadavg_before": [round(x, 2) for x in os.getloadavg()],
            "sizes": [measure(size, args, meilisearch) for size in args.initiatives],
            "loadavg_after": [round(x, 2) for x in os.getloadavg()],
        }
    return report(results, args.json)


if __name__ == "__main__":
    raise SystemExit(main())
