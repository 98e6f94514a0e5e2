"""Benchmark: the portal's search and profile pages over HTTP, each next to the /graphql request
carrying the same operation and variables, interleaved in the same run.

    .venv/bin/python -m tests.perf.bench_portal                       # the seeded registry and 10,000 initiatives, SQLite
    .venv/bin/python -m tests.perf.bench_portal --initiatives 10000 --runs 200
    .venv/bin/python -m tests.perf.bench_portal --database-url postgresql://postgres@127.0.0.1:5432/bench

WARNING (PostgreSQL): schema public of the database is wiped first. Give it a database of its own.

For each size (`seeded`: the registry `coplab seed` loads, as the portal's tests serve it; a number:
that many synthetic initiatives, tests/perf/synthetic.py), the real app runs under uvicorn, and once
/readyz says its search index is built, every run asks, in an order that rotates from run to run so
that each sees the same load:
- the search page, `/search?q=…&harm=…` (a word of a title and the commonest harm), and the
  `searchInitiatives` operation of api/portal/operations/search.graphql as a POST to /graphql with
  the variables the page derives from that address (api.portal.rendering.SearchState);
- the search results alone, as htmx asks them while a visitor types (`HX-Request: true`);
- an initiative's profile page, `/initiatives/{id}` (the first hit of that search), and the
  operation of initiative.graphql with `{"id": …}` as a POST to /graphql.

The document posted is the file itself, so /graphql and the page run the same text (and share the
schema's parser and validation caches). Anonymous callers, as the portal serves today.

Target (docs/performance.md): each page's p95 under 1.3 times its GraphQL request's p95. Nothing is
asserted: the figures are printed and go into docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import httpx
from starlette.datastructures import QueryParams

from api.portal.operations import OPERATIONS
from api.portal.rendering import SearchState
from tests.perf import synthetic
from tests.perf.bench_initiatives_page import fmt_ms, machine, print_table, source_tree, stop_server, summary
from tests.perf.bench_search import start_server
from tests.perf.serving import wait_until_ready
from tests.seed.test_seed_command import seeded
from tests.server import HTTP_TIMEOUT

TARGET_RATIO = 1.3
WARM_UP = 5
# What the benchmark picks its search from: every initiative, the harms facet, the first hit's title.
PICK = """
query { searchInitiatives(query: "", facets: [HARMS], hitsPerPage: 1) {
  totalHits facetDistribution { facet values { value count } } hits { initiative { id title } } } }
"""


def fill(url: str, size: str, seed: int) -> dict:
    """A fresh registry of `size` in the database at `url`; what it holds."""
    if size == "seeded":
        if url.startswith("postgresql"):
            synthetic.reset_postgres(url)
        seeded(url)
        return {"registry": "seeded (coplab seed)"}
    report, _key = synthetic.load(url, initiatives=int(size), seed=seed)
    return {"registry": "synthetic", "rows": report.rows}


def addresses(client: httpx.Client, base_url: str) -> dict:
    """The search and the profile to measure: a word of the first initiative's title (its longest) and
    the commonest harm, and the first hit of that search."""
    picked = client.post(f"{base_url}/graphql", json={"query": PICK}).json()["data"]["searchInitiatives"]
    (harms,) = [f["values"] for f in picked["facetDistribution"] if f["facet"] == "HARMS"]
    harm = max(harms, key=lambda v: v["count"])["value"]
    word = max(picked["hits"][0]["initiative"]["title"].split(), key=len).strip(".,:;()“”\"'")
    params = [("q", word), ("harm", harm)]
    variables = SearchState.from_params(QueryParams(params)).variables()
    search = {"query": OPERATIONS["search"], "variables": variables}
    hits = check_graphql(client.post(f"{base_url}/graphql", json=search))["searchInitiatives"]
    if not hits["hits"]:
        raise SystemExit(f"the search {params} finds nothing")
    initiative_id = hits["hits"][0]["initiative"]["id"]
    return {
        "search_page": f"/search?{urlencode(params)}",
        "search_graphql": search,
        "total_hits": hits["totalHits"],
        "profile_page": f"/initiatives/{initiative_id}",
        "profile_graphql": {"query": OPERATIONS["initiative"], "variables": {"id": initiative_id}},
    }


def check_graphql(response: httpx.Response) -> dict:
    body = response.json()
    if response.status_code != 200 or body.get("errors"):
        raise SystemExit(f"/graphql failed: {response.text[:500]}")
    return body["data"]


def check_page(response: httpx.Response) -> None:
    if response.status_code != 200 or "text/html" not in response.headers.get("content-type", ""):
        raise SystemExit(f"{response.request.url} answered {response.status_code}: {response.text[:500]}")


def measure(client: httpx.Client, base_url: str, picked: dict, runs: int) -> dict[str, list[float]]:
    """Milliseconds per request, each request kind once per run, the order rotating every run."""
    kinds = {
        "search page": lambda: check_page(client.get(f"{base_url}{picked['search_page']}")),
        "search results (htmx)": lambda: check_page(
            client.get(f"{base_url}{picked['search_page']}", headers={"HX-Request": "true"})
        ),
        "search GraphQL": lambda: check_graphql(client.post(f"{base_url}/graphql", json=picked["search_graphql"])),
        "profile page": lambda: check_page(client.get(f"{base_url}{picked['profile_page']}")),
        "profile GraphQL": lambda: check_graphql(client.post(f"{base_url}/graphql", json=picked["profile_graphql"])),
    }
    names = list(kinds)
    for _ in range(WARM_UP):
        for ask in kinds.values():
            ask()
    spent: dict[str, list[float]] = {name: [] for name in names}
    for run in range(runs):
        shift = run % len(names)
        for name in names[shift:] + names[:shift]:
            begun = time.perf_counter()
            kinds[name]()
            spent[name].append((time.perf_counter() - begun) * 1000)
    return spent


def figures(spent: dict[str, list[float]]) -> dict:
    measured = {name: summary(values) for name, values in spent.items()}
    ratios = {}
    for page, graphql in (("search page", "search GraphQL"), ("search results (htmx)", "search GraphQL"),
                          ("profile page", "profile GraphQL")):
        ratios[page] = {q: measured[page][q] / measured[graphql][q] for q in ("p50", "p95")}
    return {"ms": measured, "ratio_to_graphql": ratios}


def run(args: argparse.Namespace) -> dict:
    results = {"machine": machine(), "source": source_tree(), "sizes": {}}
    for size in args.initiatives:
        with tempfile.TemporaryDirectory(prefix="coplab-bench-portal-") as directory:
            url = args.database_url or f"sqlite:///{Path(directory) / 'bench.db'}"
            loaded = fill(url, size, args.seed)
            process, base_url = start_server(url, timeout=300, env={"COPLAB_DATA_DIR": directory})
            try:
                print(f"{size}: ready after {wait_until_ready(base_url, timeout=900):.0f} s", flush=True)
                with httpx.Client(timeout=HTTP_TIMEOUT) as client:
                    picked = addresses(client, base_url)
                    spent = measure(client, base_url, picked, args.runs)
            finally:
                stop_server(process)
            results["sizes"][size] = {
                "backend": url.split(":", 1)[0].split("+")[0], **loaded, "runs": args.runs,
                "search_page": picked["search_page"], "total_hits": picked["total_hits"],
                "profile_page": picked["profile_page"], **figures(spent),
            }
    return results


def print_results(results: dict) -> None:
    rows = []
    for size, measured in results["sizes"].items():
        for name, values in measured["ms"].items():
            ratio = measured["ratio_to_graphql"].get(name)
            rows.append([
                f"{size} ({measured['backend']})", name, fmt_ms(values["p50"]), fmt_ms(values["p95"]),
                f"{ratio['p50']:.2f}" if ratio else "", f"{ratio['p95']:.2f}" if ratio else "",
                ("yes" if ratio["p95"] < TARGET_RATIO else "NO") if ratio else "",
            ])
    print_table(
        f"portal pages vs /graphql, {next(iter(results['sizes'].values()))['runs']} interleaved runs",
        ["registry", "endpoint", "p50 ms", "p95 ms", "p50 ÷ GraphQL", "p95 ÷ GraphQL", f"p95 < {TARGET_RATIO}×"],
        rows,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--initiatives", nargs="+", default=["seeded", "10000"],
                        help="`seeded` (the registry coplab seed loads) and/or numbers of synthetic initiatives")
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", help="a PostgreSQL database to empty and fill (default: SQLite files)")
    parser.add_argument("--json", type=Path, help="also write the figures there")
    args = parser.parse_args(argv)
    for size in args.initiatives:
        if size != "seeded" and not size.isdigit():
            parser.error(f"--initiatives takes `seeded` or numbers, not {size!r}")
    results = run(args)
    print_results(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
