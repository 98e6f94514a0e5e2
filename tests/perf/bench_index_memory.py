"""Benchmark: the embedded search index's memory and search times, this tree against a baseline
commit, in one run.

    .venv/bin/python -m tests.perf.bench_index_memory              # 100,000 initiatives, against where this branch left main
    .venv/bin/python -m tests.perf.bench_index_memory --baseline ee6bb24 --database sqlite:////tmp/bench.db
    .venv/bin/python -m tests.perf.bench_index_memory --records 10000 100000   # the three indexes, this tree


The search documents are built once, from a fresh SQLite registry of synthetic initiatives
(tests/perf/synthetic.py, as bench_search builds it) or from `--database`, and written in batches
to a file. Then, for the baseline commit's `api/` (taken with `git archive`) and for this tree's,
in turn, a fresh Python process (so that neither index's memory can hide in the other's):
- streams the documents into `EmbeddedBackend.rebuild` in batches, as the API server's indexer
  does, and reads its resident memory (VmRSS) before and after, and its peak (VmHWM);
- times bench_search's searches at the engine, as a user of a member organisation, alternating
  the engine call without snippets and with the highlights and crops `searchInitiatives` asks for.

The raw size of the documents (their JSON) is printed beside, as what a plain copy would cost.

With `--records N`, on bench_record_search's registry instead (about N evidence assessments and N
best practices beside N / 1.5 initiatives), this tree alone, for each size: each of the three
indexes an API process holds (initiatives, evidence, best practices) streamed into its own fresh
process in the same way, and its resident memory read; the record indexes' searches are
bench_record_search's.
The API server's own resident memory is bench_search's figure (docs/performance.md). Nothing here
is asserted: the figures go into docs/performance.md.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import pickle
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

BATCH = 500  # documents per batch, as api/search/documents.py builds them


def status() -> dict[str, float]:
    """This process's resident memory now and at its peak, in MiB."""
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = round(int(value.split()[0]) / 1024, 1)
    return {"resident": fields["VmRSS"], "peak": fields["VmHWM"]}


def batches(path: Path) -> Iterator[list[dict]]:
    with path.open("rb") as file:
        while True:
            try:
                yield pickle.load(file)  # noqa: S301 (written by this benchmark)
            except EOFError:
                return


def child(path: Path, runs: int, warmup: int, kind: str | None = None) -> dict:
    """Runs in a process whose `api` is the tree under measurement; `kind`, a record index's (no
    searches timed), else the initiatives index."""
    import api
    from api.auth.principal import Principal, PrincipalKind
    from api.auth.scopes import parse_scopes
    from api.search.embedded import EmbeddedBackend
    from tests.perf.bench_initiatives_page import summary
    from tests.perf.bench_search import CASES, SCOPES, engine_request

    principal = Principal(
        kind=PrincipalKind.USER,
        subject="user:1",  # the synthetic registry's member user (tests/perf/synthetic.py)
        organisation_id=1,
        organisation_is_member=True,
        scopes=parse_scopes(SCOPES),
    )
    gc.collect()
    before = status()
    if kind is None:
        backend = EmbeddedBackend()
    else:
        from api.search.record_schemas import SCHEMAS

        backend = EmbeddedBackend(SCHEMAS[kind])
    started = time.perf_counter()
    backend.rebuild(d for batch in batches(path) for d in batch)
    seconds = time.perf_counter() - started
    gc.collect()
    after = status()
    searches = {}
    for case in CASES if kind is None else ():
        times: dict[str, list[float]] = {"engine": [], "with_snippets": []}
        hits = 0
        for run in range(warmup + runs):
            for query in case.queries:
                request = engine_request(case, query, principal)
                bare = replace(request, highlight=(), crop=())
                t0 = time.perf_counter()
                backend.search(bare)
                t1 = time.perf_counter()
                hits = backend.search(request).total_hits
                t2 = time.perf_counter()
                if run >= warmup:
                    times["engine"].append((t1 - t0) * 1000)
                    times["with_snippets"].append((t2 - t1) * 1000)
        searches[case.name] = {**{k: summary(v) for k, v in times.items()}, "total_hits": hits}
    return {
        "api": str(Path(api.__file__).parent),
        "documents": backend.stats().documents,
        "seconds_index": round(seconds, 2),
        "memory_megabytes": {
            "before_index": before,
            "after_index": after,
            "index": round(after["resident"] - before["resident"], 1),
        },
        "searches": searches,
    }


def write_documents(url: str, path: Path, documents: list[dict] | None = None) -> dict:
    import asyncio

    from tests.perf.bench_search import all_documents

    started = time.perf_counter()
    built = documents is None
    if documents is None:
        documents = asyncio.run(all_documents(url))
    seconds = time.perf_counter() - started
    json_bytes = sum(len(json.dumps(d, ensure_ascii=False).encode()) for d in documents)
    text_bytes = sum(len(v.encode()) for d in documents for v in d.values() if isinstance(v, str))
    with path.open("wb") as file:
        for start in range(0, len(documents), BATCH):
            pickle.dump(documents[start : start + BATCH], file, protocol=pickle.HIGHEST_PROTOCOL)
    return {
        "documents": len(documents),
        **({"seconds_documents": round(seconds, 2)} if built else {}),
        "json_megabytes": round(json_bytes / 2**20, 1),
        "string_fields_megabytes": round(text_bytes / 2**20, 1),
    }


def measure_tree(root: Path, documents: Path, args: argparse.Namespace, kind: str | None = None) -> dict:
    """The child, in a fresh process whose `api` is the one under `root`."""
    from api.core.settings import PROJECT_ROOT

    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), str(PROJECT_ROOT)])}
    command = [sys.executable, __file__, "--child", str(documents), "--runs", str(args.runs), "--warmup", str(args.warmup)]
    command += ["--kind", kind] if kind else []
    # The script's own directory, not the work tree, is first on the child's path: `api` is root's.
    done = subprocess.run(command, env=env, cwd=root, capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"measuring {root} failed:\n{done.stderr}")
    return json.loads(done.stdout)


def baseline_tree(ref: str | None, directory: Path) -> tuple[Path, str]:
    from api.core.settings import PROJECT_ROOT

    # By default the commit this branch started from: main may since need what this venv lacks.
    find = ["git", "rev-parse", ref] if ref else ["git", "merge-base", "HEAD", "main"]
    commit = subprocess.run(find, cwd=PROJECT_ROOT, capture_output=True, text=True, check=True).stdout.strip()
    archive = directory / "baseline.tar"
    subprocess.run(["git", "archive", "-o", str(archive), commit, "api"], cwd=PROJECT_ROOT, check=True)
    root = directory / "baseline"
    with tarfile.open(archive) as tar:
        tar.extractall(root, filter="data")
    return root, commit


def record_indexes(args: argparse.Namespace, directory: Path) -> dict:
    """`--records`: each of the three indexes at each size, this tree, a fresh process each."""
    import asyncio

    from api.core.settings import PROJECT_ROOT
    from api.search.models import INITIATIVE
    from tests.perf import bench_record_search

    sizes = []
    for size in args.records:
        url = f"sqlite:///{directory / f'records-{size}.db'}"
        print(f"[{size}] loading the synthetic registry and {size} practices ...", flush=True)
        bench_record_search.load(url, size, args.seed)
        started = time.perf_counter()
        built = asyncio.run(bench_record_search.all_documents(url))
        seconds_documents = round(time.perf_counter() - started, 2)
        indexes = {}
        for kind, found in built.items():
            path = directory / f"records-{size}-{kind}.pickle"
            raw = write_documents(url, path, found)
            indexes[kind] = {"raw": raw, **measure_tree(PROJECT_ROOT, path, args, None if kind == INITIATIVE else kind)}
            print(f"[{size}] {kind}: {raw['documents']} documents, {raw['json_megabytes']} MiB as JSON, "
                  f"{indexes[kind]['memory_megabytes']}", flush=True)
        total = round(sum(i["memory_megabytes"]["index"] for i in indexes.values()), 1)
        print(f"[{size}] the three indexes add {total} MiB", flush=True)
        sizes.append({"records": size, "seconds_documents": seconds_documents, "indexes": indexes, "index_megabytes_total": total})
    return {"sizes": sizes}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--initiatives", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database", help="an existing registry to index instead of a fresh synthetic one")
    parser.add_argument("--baseline", help="the commit whose api/ is the baseline (default: where HEAD left main)")
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--records", type=int, nargs="+", help="measure the three indexes of bench_record_search's registry")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--kind", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.runs, args.warmup, args.kind)))
        return 0

    from api.core.settings import PROJECT_ROOT
    from tests.perf import synthetic
    from tests.perf.bench_initiatives_page import machine, source_tree
    from tests.perf.bench_search import report

    with tempfile.TemporaryDirectory(prefix="coplab-index-memory-") as name:
        directory = Path(name)
        if args.records:
            loadavg_before = [round(x, 2) for x in os.getloadavg()]
            measured = record_indexes(args, directory)
            return report({"machine": machine(), "source": source_tree(), "loadavg_before": loadavg_before, **measured,
                           "loadavg_after": [round(x, 2) for x in os.getloadavg()]}, args.json)
        url = args.database
        if url is None:
            url = f"sqlite:///{directory / 'bench.db'}"
            print(f"loading {args.initiatives} synthetic initiatives ...", flush=True)
            synthetic.load(url, initiatives=args.initiatives, seed=args.seed)
        documents = directory / "documents.pickle"
        raw = write_documents(url, documents)
        print(f"documents: {raw}", flush=True)
        root, commit = baseline_tree(args.baseline, directory)
        results = {
            "machine": machine(),
            "source": source_tree(),
            "loadavg_before": [round(x, 2) for x in os.getloadavg()],
            "raw": raw,
            "trees": {},
        }
        for label, tree in ((f"baseline {commit[:7]}", root), ("this tree", PROJECT_ROOT)):
            print(f"measuring {label} ...", flush=True)
            results["trees"][label] = measured = measure_tree(tree, documents, args)
            print(f"{label}: {measured['memory_megabytes']}, indexed in {measured['seconds_index']} s", flush=True)
            for case, figures in measured["searches"].items():
                engine, snippets = figures["engine"], figures["with_snippets"]
                print(
                    f"  {case}: p50/p95 ms engine {engine['p50']:.2f}/{engine['p95']:.2f}, "
                    f"with snippets {snippets['p50']:.2f}/{snippets['p95']:.2f}; hits {figures['total_hits']}",
                    flush=True,
                )
        results["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
    return report(results, args.json)


if __name__ == "__main__":
    raise SystemExit(main())
