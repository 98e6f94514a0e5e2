"""Benchmark: searching evidence assessments and best practices next to initiatives, on the embedded
engine and on Meilisearch, in the same run.

    .venv/bin/python -m tests.perf.bench_record_search                     # 10,000 and 100,000 records
    .venv/bin/python -m tests.perf.bench_record_search --records 10000 --engines embedded
    .venv/bin/python -m tests.perf.bench_record_search --records 10000 --http   # and over HTTP

For each size N, a fresh SQLite registry: the synthetic registry (tests/perf/synthetic.py) with about
N evidence assessments (it draws about 1.5 per initiative, so N / 1.5 initiatives), plus N synthetic
best practices made here (titles, statements and rationales from the registry's topics, harms,
intervention types, evidence bases and visibilities drawn with a fixed seed). Then, for each engine:
the documents of the three indexes built from the database (as the indexer builds them), each index
rebuilt from them (time, documents per second), and p50/p95 of each kind of search on each index, in
turn on the same queries, through `SearchBackend.search` with the access filter of a member
organisation's user and the highlights and crops the GraphQL queries ask for.

Measured at the engine (the `SearchBackend` call). With `--http`, also over HTTP, after each engine's
searches: the real app under uvicorn (bench_search's server) on the same database and engine (on the
embedded engine it builds its own three indexes from the database; on Meilisearch it searches the
indexes just built), and p50/p95 of `searchInitiatives`, `searchEvidence` and `searchBestPractices`
on the same cases, with the member's token, then the server's resident memory. Nothing here is
asserted: the figures are printed and go into docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import random
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from sqlmodel import SQLModel

from api.auth import tokens
from api.auth.principal import Principal, PrincipalKind
from api.auth.scopes import parse_scopes
from api.core.db import create_engine, create_sync_engine, session_factory
from api.core.settings import Settings
from api.search import documents, record_documents, record_queries
from api.search.access import access_filter
from api.search.backend import SearchBackend, SearchRequest
from api.search.embedded import EmbeddedBackend
from api.search.filters import AnyOf, Filter, all_of
from api.search.meilisearch_backend import MeilisearchBackend
from api.search.models import BEST_PRACTICE, EVIDENCE, INITIATIVE
from api.search.record_access import evidence_access_filter, practice_access_filter
from api.search.record_schemas import SCHEMAS, index_uid
from api.search.schema import INITIATIVES
from api.search.service import CROPPED, HIGHLIGHTED
from api.seeding import synthetic as registry
from tests.meilisearch_server import MeilisearchServer, find_or_start_meilisearch, no_server_reason
from tests.perf import synthetic
from tests.perf.bench_initiatives_page import machine, source_tree, stop_server, summary
from tests.perf.bench_search import ISSUER, graphql, graphql_or_unavailable, process_memory, start_server
from tests.server import HTTP_TIMEOUT

ENGINES = ("embedded", "meilisearch")
SCOPES = "initiatives:read assessments:read practices:read"
ASSESSMENTS_PER_INITIATIVE = 1.5  # what the synthetic registry draws, on average
HARMS = ("CSAM-KNOWN", "CSAM-NEW", "SOLICITATION", "EXTORTION", "CSAM-SG")
INTERVENTIONS = ("DET-HASH", "DET-CLS", "RPT-HOT", "BLK", "AGE")
BASES = ("ASSESSMENTS", "CONSENSUS", "LEGAL-MANDATE")
VERBS = ("Report", "Escalate", "Verify", "Remove", "Train", "Share", "Review", "Detect", "Support", "Explain")
OBJECTS = ("hotline notices", "grooming signals", "hash lists", "victim reports", "age checks", "moderation queues")


@dataclass(frozen=True)
class Case:
    name: str
    queries: tuple[str, ...]
    filter: Filter | None = None
    facets: tuple[str, ...] = ()
    graphql_filter: dict | None = None  # `filter`, as the GraphQL query takes it


def cases(kind: str) -> tuple[Case, ...]:
    typed = Case("typed as you go: h, he, hel, help, helpl", ("h", "he", "hel", "help", "helpl"))
    if kind == INITIATIVE:
        return (typed, Case("typo: 'groming'", ("groming",)),
                Case("empty query + access + 4 facets", ("",), facets=("status", "harms", "intervention_types", "countries")))
    if kind == EVIDENCE:
        return (typed, Case("typo: 'evaluaton'", ("evaluaton",)),
                Case("'research' + design filter", ("research",), AnyOf("study_design", ("RCT", "DID", "ITS")),
                     graphql_filter={"studyDesigns": ["RCT", "DID", "ITS"]}),
                Case("empty query + access + 5 facets", ("",), facets=SCHEMAS[EVIDENCE].facets))
    return (Case("typed as you go: e, es, esc, esca, escal", ("e", "es", "esc", "esca", "escal")),
            Case("typo: 'hotlin notices'", ("hotlin notices",)),
            Case("empty query + access + 3 facets", ("",), facets=SCHEMAS[BEST_PRACTICE].facets))


# Each kind's GraphQL search (`--http`): the fields a results page asks for, hits loaded from the database.
HIGHLIGHTS = "highlights { field text matches { start length } }"
FACET_COUNTS = "facetDistribution { facet values { value count } }"
GRAPHQL = {
    INITIATIVE: ("searchInitiatives", "SearchFilter", "SearchFacet", "initiative { id title }"),
    EVIDENCE: ("searchEvidence", "EvidenceSearchFilter", "EvidenceSearchFacet", "evidenceAssessment { id }"),
    BEST_PRACTICE: ("searchBestPractices", "BestPracticeSearchFilter", "BestPracticeSearchFacet", "bestPractice { id title }"),
}


def graphql_search(kind: str) -> str:
    field, filter_type, facet_type, record = GRAPHQL[kind]
    return (f"query($q: String!, $filter: {filter_type}, $facets: [{facet_type}!]) {{ {field}(query: $q, filter: $filter, "
            f"facets: $facets, hitsPerPage: 20) {{ totalHits hits {{ {record} {HIGHLIGHTS} }} {FACET_COUNTS} }} }}")


def practice_rows(count: int, organisations: int, seed: int) -> dict[str, list[dict]]:
    rng = random.Random(f"coplab-bench-practices:{seed}")
    audit = {"created_at": registry.NOW, "updated_at": registry.NOW, "created_by": registry.ACTOR, "updated_by": registry.ACTOR}
    practices, classified = [], []
    for practice_id in range(1, count + 1):
        verb, thing = rng.choice(VERBS), rng.choice(OBJECTS)
        practices.append({
            "id": practice_id, "organisation_id": rng.randint(1, organisations), "title": f"{verb} {thing} ({practice_id})",
            "statement": f"{verb} {thing} within a day and escalate what needs urgent action.",
            "rationale": rng.choice((None, f"Teams that {verb.lower()} {thing} early remove material faster.")),
            "evidence_basis": rng.choice(BASES), "visibility": rng.choices(("PUBLIC", "MEMBERS", "ORGANISATION"), (8, 1, 1))[0],
            "provenance": [], "deleted_at": None, "withdrawn_reason": None, **audit,
        })
        for code in rng.sample(HARMS, rng.randint(1, 2)):
            classified.append({"practice_id": practice_id, "scheme": "harm", "code": code})
        for code in rng.sample(INTERVENTIONS, rng.randint(1, 2)):
            classified.append({"practice_id": practice_id, "scheme": "intervention-type", "code": code})
    return {"best_practice": practices, "practice_classification": classified}


def load(url: str, size: int, seed: int) -> tuple[synthetic.LoadReport, Any]:
    """The synthetic registry with about `size` evidence assessments, plus `size` best practices."""
    report, key = synthetic.load(url, initiatives=round(size / ASSESSMENTS_PER_INITIATIVE), seed=seed)
    engine = create_sync_engine(url)
    with engine.begin() as connection:
        registry.BulkInsert(connection).add(practice_rows(size, report.rows["organisation"], seed))
    engine.dispose()
    return report, key


async def all_documents(url: str) -> dict[str, list[dict]]:
    """Every document of each index, built from the database as the indexer builds them."""
    engine = create_engine(url)
    built: dict[str, list[dict]] = {INITIATIVE: [], EVIDENCE: [], BEST_PRACTICE: []}
    builders: dict[str, tuple[Callable, Callable]] = {
        INITIATIVE: (documents.every_initiative_id, lambda session, ids: documents.build(session=session, initiative_ids=ids)),
        EVIDENCE: (record_documents.every_evidence_id, lambda session, ids: record_documents.build_evidence(session=session, ids=ids)),
        BEST_PRACTICE: (record_documents.every_practice_id, lambda session, ids: record_documents.build_practices(session=session, ids=ids)),
    }
    try:
        async with session_factory(engine)() as session:
            for kind, (every, build) in builders.items():
                async for ids in every(session=session):
                    found, _ = await build(session, ids)
                    built[kind] += found
    finally:
        await engine.dispose()
    return built


def request(kind: str, case: Case, query: str, principal: Principal) -> SearchRequest:
    access = {INITIATIVE: access_filter, EVIDENCE: evidence_access_filter, BEST_PRACTICE: practice_access_filter}[kind]
    highlight, crop = {
        INITIATIVE: (HIGHLIGHTED, CROPPED),
        EVIDENCE: (record_queries.EVIDENCE_HIGHLIGHTED, ()),
        BEST_PRACTICE: (record_queries.PRACTICE_HIGHLIGHTED, record_queries.PRACTICE_CROPPED),
    }[kind]
    return SearchRequest(query=query, filter=all_of(case.filter, access(principal)), facets=case.facets,
                         hits_per_page=20, highlight=highlight, crop=crop)


def backends(name: str, meilisearch: MeilisearchServer | None, size: int) -> tuple[dict[str, SearchBackend], dict[str, str]]:
    """The three indexes, and the settings under which the API server searches the same ones."""
    schemas = {INITIATIVE: INITIATIVES, **SCHEMAS}
    if name == "embedded":  # the server builds its own, from the database
        return {kind: EmbeddedBackend(schema) for kind, schema in schemas.items()}, {}
    assert meilisearch is not None
    uid = f"coplab_bench_records_{size}_{uuid.uuid4().hex[:8]}"
    uids = {INITIATIVE: uid, **{kind: index_uid(uid, kind) for kind in SCHEMAS}}  # as the server names them
    env = {"COPLAB_MEILISEARCH_URL": meilisearch.url, "COPLAB_SEARCH_INDEX_UID": uid}
    if meilisearch.master_key:
        env["COPLAB_MEILISEARCH_API_KEY"] = meilisearch.master_key
    return {
        kind: MeilisearchBackend(meilisearch.url, meilisearch.master_key, index_uid=uids[kind], schema=schema,
                                 task_timeout=1800)
        for kind, schema in schemas.items()
    }, env


def over_http(indexes: dict[str, SearchBackend], url: str, env: dict[str, str], principal: Principal, token: str,
              args: argparse.Namespace, label: str) -> dict[str, Any]:
    """p50/p95 of each kind's GraphQL search on the real app under uvicorn, once its three indexes hold
    what the benchmark's do (on the embedded engine it builds its own from the database), and the
    server's resident memory then."""
    started = time.perf_counter()
    process, base_url = start_server(url, timeout=args.startup_timeout, env=env)
    try:
        with httpx.Client(timeout=HTTP_TIMEOUT) as client:
            everything = Case("all", ("",))
            for kind, backend in indexes.items():
                visible = backend.search(request(kind, everything, "", principal)).total_hits
                while True:
                    data = graphql_or_unavailable(client, base_url, token, graphql_search(kind), {"q": ""})
                    if data is not None and data[GRAPHQL[kind][0]]["totalHits"] == visible:
                        break
                    if time.perf_counter() - started > args.startup_timeout:
                        raise SystemExit(f"the server's {kind} index did not fill in time")
                    time.sleep(0.5)
            figures: dict[str, Any] = {"seconds_server_ready": round(time.perf_counter() - started, 2), "searches": {}}
            for kind in indexes:
                for case in cases(kind):
                    times: list[float] = []
                    hits = 0
                    for run in range(args.warmup + args.runs):
                        for query in case.queries:
                            variables = {"q": query, "filter": case.graphql_filter, "facets": [f.upper() for f in case.facets]}
                            t0 = time.perf_counter()
                            hits = graphql(client, base_url, token, graphql_search(kind), variables)[GRAPHQL[kind][0]]["totalHits"]
                            if run >= args.warmup:
                                times.append((time.perf_counter() - t0) * 1000)
                    figures["searches"][f"{kind}: {case.name}"] = stats = {**summary(times), "total_hits": hits}
                    print(f"{label} over HTTP {kind} {case.name}: p50/p95 ms {stats['p50']:.1f}/{stats['p95']:.1f}; hits {hits}",
                          flush=True)
            figures["api_server_memory_megabytes"] = process_memory(process.pid)
            print(f"{label} over HTTP: server ready in {figures['seconds_server_ready']} s, memory "
                  f"{figures['api_server_memory_megabytes']}", flush=True)
            return figures
    finally:
        stop_server(process)


def measure(size: int, args: argparse.Namespace, meilisearch: MeilisearchServer | None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="coplab-record-bench-") as directory:
        url = f"sqlite:///{Path(directory) / 'bench.db'}"
        print(f"[{size}] loading the synthetic registry and {size} practices ...", flush=True)
        report, key = load(url, size, args.seed)
        started = time.perf_counter()
        docs = asyncio.run(all_documents(url))
        seconds_documents = time.perf_counter() - started
        counts = {kind: len(found) for kind, found in docs.items()}
        print(f"[{size}] documents built in {seconds_documents:.1f} s: {counts}", flush=True)
        principal = Principal(kind=PrincipalKind.USER, subject="user:1", organisation_id=1, organisation_is_member=True,
                              scopes=parse_scopes(SCOPES))
        token = tokens.mint(key=key, issuer=ISSUER, audience=Settings().audience, subject="user:1",
                            client_id=synthetic.BENCH_CLIENT_ID, organisation_id=1, scope=SCOPES, lifetime_seconds=6 * 3600)
        result: dict[str, Any] = {"records": size, "documents": counts, "seconds_documents": round(seconds_documents, 2),
                                  "engines": {}}
        for name in args.engines:
            indexes, server_env = backends(name, meilisearch, size)
            label = f"[{size}] {name}"
            figures: dict[str, Any] = {}
            try:
                for kind, backend in indexes.items():
                    gc.collect()
                    t0 = time.perf_counter()
                    backend.rebuild(docs[kind])
                    seconds = time.perf_counter() - t0
                    figures[kind] = {"seconds_index": round(seconds, 2),
                                     "documents_per_second": round(len(docs[kind]) / seconds) if seconds else None,
                                     "searches": {}}
                    print(f"{label} {kind}: indexed in {seconds:.1f} s", flush=True)
                # The three indexes' searches in turn, in the same run.
                for kind, backend in indexes.items():
                    for case in cases(kind):
                        times: list[float] = []
                        hits = 0
                        for run in range(args.warmup + args.runs):
                            for query in case.queries:
                                t0 = time.perf_counter()
                                hits = backend.search(request(kind, case, query, principal)).total_hits
                                if run >= args.warmup:
                                    times.append((time.perf_counter() - t0) * 1000)
                        figures[kind]["searches"][case.name] = {**summary(times), "total_hits": hits}
                        stats = figures[kind]["searches"][case.name]
                        print(f"{label} {kind} {case.name}: p50/p95 ms {stats['p50']:.1f}/{stats['p95']:.1f}; hits {hits}",
                              flush=True)
                if args.http:
                    figures["graphql_over_http"] = over_http(indexes, url, server_env, principal, token, args, label)
            finally:
                if meilisearch is not None and name == "meilisearch":
                    for backend in indexes.values():
                        meilisearch.delete_indexes(prefix=backend.index_uid)  # type: ignore[attr-defined]
            result["engines"][name if name == "embedded" else f"meilisearch {meilisearch.version}"] = figures  # type: ignore[union-attr]
        return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--engines", nargs="+", choices=ENGINES, default=list(ENGINES))
    parser.add_argument("--http", action="store_true", help="also time the GraphQL searches on a real server")
    parser.add_argument("--startup-timeout", type=float, default=1800)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    with find_or_start_meilisearch() as meilisearch:
        if "meilisearch" in args.engines and meilisearch is None:
            print(f"Meilisearch is not measured: {no_server_reason()}", flush=True)
            args.engines.remove("meilisearch")
        results = {
            "machine": machine(),
            "source": source_tree(),
            "loadavg_before": [round(x, 2) for x in os.getloadavg()],
            "sizes": [measure(size, args, meilisearch) for size in args.records],
            "loadavg_after": [round(x, 2) for x in os.getloadavg()],
        }
    text = json.dumps(results, indent=2)
    if args.json:
        args.json.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
