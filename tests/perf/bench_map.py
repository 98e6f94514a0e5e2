"""Benchmark: `evidenceMap` (intervention type × outcome, with a filter) over HTTP, next to its grouped SQL alone.

    .venv/bin/python -m tests.perf.bench_map                          # 10,000 and 100,000 initiatives, SQLite
    .venv/bin/python -m tests.perf.bench_map --initiatives 10000 --runs 30
    .venv/bin/python -m tests.perf.bench_map --database-url postgresql://postgres@127.0.0.1:5432/bench

For each size, on a fresh registry of synthetic initiatives with their assessments and findings
(tests/perf/synthetic.py), in the same run:
- the grouped SQL alone: `api.maps.service.compute` in this process for an anonymous caller, with the
  time the database spent on its statements summed (cursor execute events), and the whole compute
  (statements and assembling the cells) beside it: for the first map of a data version (which also
  counts the scope's unfiltered totals) and for another map of that version (which shares them, as
  every uncached request below does);
- p50/p95 of `evidenceMap` over HTTP on the real app under uvicorn (anonymous: the PUBLIC map), once
  /readyz says its search index is built,
  uncached (each request with other synthesis thresholds, so that no cached map answers) and cached
  (the same request again; the data version is still read each time); once asking every cell's
  fields, once asking the matrices a client drawing the whole map needs.

Nothing is asserted: the figures are printed and go into docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from datetime import date
from pathlib import Path

import httpx
from sqlalchemy import event

from api.auth.principal import ANONYMOUS
from api.core.db import create_engine, session_factory
from api.maps import service
from tests.perf import synthetic
from tests.perf.bench_initiatives_page import machine, source_tree, summary
from tests.perf.bench_search import start_server
from tests.perf.bench_initiatives_page import stop_server
from tests.perf.serving import wait_until_ready
from tests.server import HTTP_TIMEOUT

QUERY = """
query ($filter: EvidenceMapFilter, $n: Int!, $y: Int!) {
  evidenceMap(rows: INTERVENTION_TYPE, columns: OUTCOME, filter: $filter, synthesisMinStudies: $n, synthesisYears: $y) {
    scope asOf filteredTotals { initiatives studies findings }
    cells { row column initiatives initiativesWithoutEvidence studies findings
            designClasses { designClass studies } independentStudies latestPublication gap }
  }
}
"""
# What a client drawing the whole map asks (bubble size by studies, a mark by gap class): the matrices.
DRAWING_QUERY = """
query ($filter: EvidenceMapFilter, $n: Int!, $y: Int!) {
  evidenceMap(rows: INTERVENTION_TYPE, columns: OUTCOME, filter: $filter, synthesisMinStudies: $n, synthesisYears: $y) {
    scope asOf filteredTotals { initiatives studies findings } rowTerms { code label } columnTerms { code label }
    studies: matrix(measure: STUDIES) initiatives: matrix(measure: INITIATIVES) gapMatrix
  }
}
"""
FILTER = {"harms": ["CSAM-KNOWN", "SOLICITATION", "CSAM-SG"]}
WHERE = service.MapFilter(harms=("CSAM-KNOWN", "SOLICITATION", "CSAM-SG"))


async def sql_alone(url: str, runs: int) -> dict:
    engine = create_engine(url)
    spent: list[float] = []
    started: dict[int, float] = {}

    def before(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001, ARG001
        started[id(cursor)] = time.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001, ARG001
        spent.append(time.perf_counter() - started.pop(id(cursor)))

    event.listen(engine.sync_engine, "before_cursor_execute", before)
    event.listen(engine.sync_engine, "after_cursor_execute", after)
    results: dict = {}
    try:
        factory = session_factory(engine)
        async with factory() as session:
            shared = await service.unfiltered_totals(session, ANONYMOUS)
        # The first map of a data version computes the scope's unfiltered totals too; the others share
        # them, as every uncached request over HTTP below does.
        for name, unfiltered in (("first_of_version", None), ("", shared)):
            sql, whole = [], []
            for run in range(runs + 1):
                spent.clear()
                async with factory() as session:
                    begun = time.perf_counter()
                    await service.compute(
                        session=session, principal=ANONYMOUS, rows=service.Axis.INTERVENTION_TYPE,
                        columns=service.Axis.OUTCOME, where=WHERE, layer=service.Layer.EXISTENCE,
                        synthesis_min_studies=3, synthesis_years=5, today=date.today(), unfiltered=unfiltered,
                    )
                    elapsed = time.perf_counter() - begun
                if run:  # the first warms the connection and the caches of the database
                    sql.append(sum(spent) * 1000)
                    whole.append(elapsed * 1000)
            suffix = f"_{name}" if name else ""
            results |= {f"sql{suffix}_ms": summary(sql), f"compute{suffix}_ms": summary(whole), f"statements{suffix}": len(spent)}
    finally:
        await engine.dispose()
    return results


def over_http(base_url: str, runs: int, query: str = QUERY, years: int = 1) -> dict:
    uncached, cached = [], []
    with httpx.Client(timeout=HTTP_TIMEOUT) as client:
        def ask(n: int, y: int) -> float:
            begun = time.perf_counter()
            response = client.post(f"{base_url}/graphql", json={"query": query, "variables": {"filter": FILTER, "n": n, "y": y}})
            elapsed = (time.perf_counter() - begun) * 1000
            body = response.json()
            if response.status_code != 200 or "errors" in body:
                raise SystemExit(f"evidenceMap failed: {response.text[:500]}")
            return elapsed

        ask(3, 5)  # warm up
        for run in range(runs):
            uncached.append(ask(1 + run % 100, years + (run // 100) % 40))
        ask(3, 5)
        for _ in range(runs):
            cached.append(ask(3, 5))
    return {"uncached_ms": summary(uncached), "cached_ms": summary(cached)}


def run(args: argparse.Namespace) -> dict:
    results = {"machine": machine(), "source": source_tree(), "sizes": {}}
    for size in args.initiatives:
        with tempfile.TemporaryDirectory(prefix="coplab-bench-map-") as directory:
            url = args.database_url or f"sqlite:///{Path(directory) / 'bench.db'}"
            report, _key = synthetic.load(url, initiatives=size, seed=args.seed)
            print(f"{size} initiatives loaded ({report.backend}): {report.rows}", flush=True)
            alone = asyncio.run(sql_alone(url, args.runs))
            process, base_url = start_server(url, timeout=300, env={"COPLAB_DATA_DIR": directory})
            try:
                print(f"ready after {wait_until_ready(base_url, timeout=900):.0f} s", flush=True)
                http = over_http(base_url, args.runs)
                # Other thresholds than the cells' run, so that its uncached requests compute again.
                drawing = over_http(base_url, args.runs, DRAWING_QUERY, years=2)
            finally:
                stop_server(process)
            results["sizes"][size] = {
                "backend": report.backend, "rows": report.rows, **alone, **http,
                **{f"matrices_{name}": value for name, value in drawing.items()},
            }
            print(json.dumps(results["sizes"][size], indent=1), flush=True)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--initiatives", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", help="a PostgreSQL database to empty and fill (default: SQLite files)")
    args = parser.parse_args(argv)
    results = run(args)
    print(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
