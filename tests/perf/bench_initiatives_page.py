"""Benchmark: one `initiatives(first: 50)` page with nested organisation, participations and
assessments over HTTP, against a hand-written SQL + JSON endpoint answering the same question,
both served by the same uvicorn process on the same database and engine.

    .venv/bin/python -m tests.perf.bench_initiatives_page                       # temp SQLite file
    .venv/bin/python -m tests.perf.bench_initiatives_page \\
        --database-url postgresql://postgres@127.0.0.1:5432/coplab_bench         # PostgreSQL

WARNING (PostgreSQL): schema public of the database is wiped first (DROP SCHEMA public CASCADE;
CREATE SCHEMA public). Give it a database of its own; never one you need.

Target (docs/performance.md): GraphQL p50 within 2x of the hand-written baseline's p50.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import httpx
from sqlalchemy.engine import make_url

from api.auth import tokens
from api.core.settings import PROJECT_ROOT, Settings
from tests.factories import TEST_KEY_ENCRYPTION_KEY
from tests.perf import synthetic
from tests.perf.baseline import SERVER_TIME_HEADER, SQL_HEADER
from tests.server import HTTP_TIMEOUT

ISSUER = "https://bench.coplab.invalid"
MEMBER_SCOPES = "initiatives:read assessments:read practices:read org:read"
TARGET_RATIO = 2.0

QUERY = """
query Page($first: Int!) {
  initiatives(first: $first) {
    totalCount
    edges {
      cursor
      node {
        id
        title
        status { code label }
        visibility
        updatedAt
        leadOrganisation { id name slug stakeholderType { code label } }
        participations { role { code } organisation { id name } }
        assessments { id title studyDesign { code } findings { rating { code } certainty { code } } }
      }
    }
  }
}
"""

GRAPHQL = "graphql"
BASELINE = "baseline"


@dataclass
class Sample:
    client_ms: list[float] = field(default_factory=list)
    server_ms: list[float] = field(default_factory=list)
    sql_statements: list[int] = field(default_factory=list)
    sql_ms: list[float] = field(default_factory=list)
    bytes: int = 0

    def add(self, client_ms: float, response: httpx.Response) -> None:
        self.client_ms.append(client_ms)
        self.server_ms.append(float(response.headers[SERVER_TIME_HEADER]))
        statements, sql_ms = response.headers[SQL_HEADER].split(";")
        self.sql_statements.append(int(statements))
        self.sql_ms.append(float(sql_ms))


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def summary(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "p50": percentile(values, 0.50),
        "p95": percentile(values, 0.95),
        "p99": percentile(values, 0.99),
        "mean": statistics.fmean(values),
        "min": min(values),
        "max": max(values),
    }


class Endpoints:
    """How to call each endpoint for one caller."""

    def __init__(self, base_url: str, first: int, token: str | None) -> None:
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.graphql_url = f"{base_url}/graphql"
        self.graphql_body = json.dumps({"query": QUERY, "variables": {"first": first}}).encode()
        self.baseline_url = f"{base_url}/baseline/initiatives?first={first}"
        self.health_url = f"{base_url}/health"

    def request(self, client: httpx.Client | httpx.AsyncClient, which: str):  # noqa: ANN201
        if which == GRAPHQL:
            return client.post(
                self.graphql_url,
                content=self.graphql_body,
                headers={**self.headers, "Content-Type": "application/json"},
            )
        return client.get(self.baseline_url, headers=self.headers)


def _check_response(which: str, response: httpx.Response) -> dict:
    if response.status_code != 200:
        raise SystemExit(f"{which}: HTTP {response.status_code}: {response.text[:500]}")
    body = response.json()
    if body.get("errors"):
        raise SystemExit(f"{which}: errors: {json.dumps(body['errors'])[:1000]}")
    return body


def _check_during_run(which: str, response: httpx.Response) -> None:
    """Every timed response must be a full answer (cheap check: no parsing)."""
    if response.status_code != 200 or b'"errors"' in response.content:
        raise SystemExit(f"{which}: HTTP {response.status_code} during the run: {response.text[:500]}")


def _shape(body: dict) -> list[tuple]:
    """Initiative ids in order with their nested counts."""
    return [
        (
            edge["node"]["id"],
            edge["node"]["leadOrganisation"]["id"],
            len(edge["node"]["participations"]),
            len(edge["node"]["assessments"]),
            sum(len(a["findings"]) for a in edge["node"]["assessments"]),
        )
        for edge in body["data"]["initiatives"]["edges"]
    ]


def verify_same(client: httpx.Client, endpoints: Endpoints, caller: str) -> dict:
    """Abort unless both endpoints give the same ids, order and nested counts."""
    graphql = _check_response(GRAPHQL, endpoints.request(client, GRAPHQL))
    baseline = _check_response(BASELINE, endpoints.request(client, BASELINE))
    g, b = _shape(graphql), _shape(baseline)
    g_total = graphql["data"]["initiatives"]["totalCount"]
    b_total = baseline["data"]["initiatives"]["totalCount"]
    identical = graphql == baseline
    line = (
        f"check [{caller}]: {len(g)} initiatives, totalCount {g_total}/{b_total}, "
        f"{sum(x[2] for x in g)} participations, {sum(x[3] for x in g)} assessments, "
        f"{sum(x[4] for x in g)} findings; ids, order and nested counts "
        f"{'match' if g == b and g_total == b_total else 'DIFFER'}; payloads {'identical' if identical else 'differ'}"
    )
    print(line, flush=True)
    if g != b or g_total != b_total or not g:
        for index, (x, y) in enumerate(zip(g, b, strict=False)):
            if x != y:
                print(f"  first difference at edge {index}: graphql {x} baseline {y}")
                break
        raise SystemExit("the GraphQL and baseline answers differ: aborting")
    return {
        "initiatives": len(g),
        "total_count": g_total,
        "participations": sum(x[2] for x in g),
        "assessments": sum(x[3] for x in g),
        "findings": sum(x[4] for x in g),
        "payload_identical": identical,
        "graphql_bytes": len(json.dumps(graphql)),
        "baseline_bytes": len(json.dumps(baseline)),
    }


def _cpu_seconds(pid: int) -> float | None:
    """utime + stime of a process (Linux)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def sequential(client: httpx.Client, endpoints: Endpoints, requests: int) -> dict[str, Sample]:
    """`requests` per endpoint, one at a time, interleaved (alternating which goes first)."""
    samples = {GRAPHQL: Sample(), BASELINE: Sample()}
    for i in range(requests):
        order = (GRAPHQL, BASELINE) if i % 2 == 0 else (BASELINE, GRAPHQL)
        for which in order:
            started = time.perf_counter()
            response = endpoints.request(client, which)
            elapsed = (time.perf_counter() - started) * 1000
            _check_during_run(which, response)
            samples[which].add(elapsed, response)
            samples[which].bytes = len(response.content)
    return samples


async def _concurrent_phase(
    endpoints: Endpoints, which: str, requests: int, concurrency: int, sample: Sample
) -> float:
    remaining = requests
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=HTTP_TIMEOUT) as client:
        # Open the connections before the clock starts.
        await asyncio.gather(*(client.get(endpoints.health_url) for _ in range(concurrency)))

        async def worker() -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                started = time.perf_counter()
                response = await endpoints.request(client, which)
                elapsed = (time.perf_counter() - started) * 1000
                _check_during_run(which, response)
                sample.add(elapsed, response)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - started


def concurrent(endpoints: Endpoints, requests: int, concurrency: int, server_pid: int, rounds: int = 4) -> dict:
    """`requests` per endpoint from `concurrency` clients, in alternating rounds; throughput in req/s."""
    results = {}
    samples = {GRAPHQL: Sample(), BASELINE: Sample()}
    elapsed = {GRAPHQL: 0.0, BASELINE: 0.0}
    server_cpu = {GRAPHQL: 0.0, BASELINE: 0.0}
    client_cpu = {GRAPHQL: 0.0, BASELINE: 0.0}
    per_round = max(concurrency, requests // rounds)
    for r in range(rounds):
        for which in ((GRAPHQL, BASELINE) if r % 2 == 0 else (BASELINE, GRAPHQL)):
            cpu_before, client_before = _cpu_seconds(server_pid), time.process_time()
            elapsed[which] += asyncio.run(_concurrent_phase(endpoints, which, per_round, concurrency, samples[which]))
            cpu_after, client_after = _cpu_seconds(server_pid), time.process_time()
            if cpu_before is not None and cpu_after is not None:
                server_cpu[which] += cpu_after - cpu_before
            client_cpu[which] += client_after - client_before
    for which in (GRAPHQL, BASELINE):
        n = len(samples[which].client_ms)
        results[which] = {
            "requests": n,
            "seconds": elapsed[which],
            "throughput_rps": n / elapsed[which],
            "client_ms": summary(samples[which].client_ms),
            "server_ms": summary(samples[which].server_ms),
            # CPU of the uvicorn process only (the PostgreSQL backends are other processes).
            "server_cpu_ms_per_request": server_cpu[which] * 1000 / n,
            "server_cpu_utilisation": server_cpu[which] / elapsed[which],
            "client_cpu_utilisation": client_cpu[which] / elapsed[which],
        }
    return results


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(database_url: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.perf.baseline", "--database-url", database_url,
         "--port", str(port), "--issuer", ISSUER],
        cwd=PROJECT_ROOT,
    )
    return process, wait_until_healthy(process, f"http://127.0.0.1:{port}", timeout=HTTP_TIMEOUT)


def wait_until_healthy(process: subprocess.Popen, base_url: str, *, timeout: float) -> str:
    """`base_url` once the server answers /health; exits if it dies or takes longer than `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited with code {process.returncode}")
        try:
            if httpx.get(f"{base_url}/health", timeout=1).status_code == 200:
                return base_url
        except httpx.TransportError:
            time.sleep(0.2)
    process.terminate()
    raise SystemExit(f"the server did not start within {timeout:.0f} s")


def stop_server(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def source_tree() -> dict:
    """Which code was measured: the commit, and whether the work tree had uncommitted changes."""
    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=PROJECT_ROOT, capture_output=True, text=True,
                                  timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    changed = [line[3:] for line in git("status", "--porcelain", "--", "api").splitlines()]
    return {"commit": git("rev-parse", "HEAD"), "api_files_changed_since_commit": changed}


def machine() -> dict:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpus": os.cpu_count(), "cpu_model": model, "python": platform.python_version(),
            "platform": platform.platform()}


def fmt_ms(value: float) -> str:
    return f"{value:.1f}" if value >= 10 else f"{value:.2f}"


def print_table(title: str, headers: list[str], rows: list[list[str]]) -> None:
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:  # pragma: no cover - rich is a project dependency
        print(title)
        print(" | ".join(headers))
        for row in rows:
            print(" | ".join(row))
        return
    table = Table(title=title)
    for h in headers:
        table.add_column(h, justify="left" if h in ("caller", "endpoint") else "right")
    for row in rows:
        table.add_row(*row)
    Console(width=200).print(table)


def print_results(results: dict) -> None:
    load = results["load"]
    config = results["config"]
    print(
        f"\nbackend {load['backend']}: {load['rows']['initiative']} initiatives loaded in {load['seconds_load']:.2f} s "
        f"(migrations + vocabularies {load['seconds_migrate']:.2f} s), database {load['database_bytes'] / 2**20:.1f} MiB; "
        f"load average before/after {results['loadavg_before']} / {results['loadavg_after']}"
    )
    sequential_rows, concurrent_rows = [], []
    for caller, data in results["callers"].items():
        for which in (GRAPHQL, BASELINE):
            seq = data["sequential"][which]
            con = data["concurrent"][which]
            sequential_rows.append([
                caller, which,
                fmt_ms(seq["client_ms"]["p50"]), fmt_ms(seq["client_ms"]["p95"]), fmt_ms(seq["client_ms"]["p99"]),
                fmt_ms(seq["client_ms"]["mean"]), fmt_ms(seq["server_ms"]["p50"]),
                f"{seq['sql_statements']:g}", fmt_ms(seq["sql_ms"]["p50"]), f"{seq['response_bytes']:,}",
            ])
            concurrent_rows.append([
                caller, which, f"{con['throughput_rps']:.1f}", fmt_ms(con["client_ms"]["p50"]),
                fmt_ms(con["client_ms"]["p95"]), f"{con['server_cpu_ms_per_request']:.1f}",
                f"{100 * con['server_cpu_utilisation']:.0f}%", f"{100 * con['client_cpu_utilisation']:.0f}%",
            ])
    print_table(
        f"Sequential: {config['requests']} requests per endpoint and caller, interleaved (latency in ms)",
        ["caller", "endpoint", "p50", "p95", "p99", "mean", "server p50", "SQL stmts", "SQL p50", "bytes"],
        sequential_rows,
    )
    print_table(
        f"Concurrent: {config['concurrent_requests']} requests per endpoint and caller, {config['concurrency']} clients",
        ["caller", "endpoint", "req/s", "p50", "p95", "server CPU ms/req", "server CPU", "client CPU"],
        concurrent_rows,
    )
    for caller, data in results["callers"].items():
        ratio = data["ratio_p50"]
        verdict = (
            f"within the {TARGET_RATIO:g}x target"
            if ratio <= TARGET_RATIO
            else f"MISSES the {TARGET_RATIO:g}x target by a factor of {ratio / TARGET_RATIO:.1f}"
        )
        print(
            f"ratio [{caller}]: GraphQL p50 / baseline p50 = {ratio:.2f}x ({verdict}); "
            f"server-side p50 ratio {data['ratio_server_p50']:.2f}x; "
            f"throughput baseline / GraphQL {data['ratio_throughput']:.2f}x"
        )


def run(args: argparse.Namespace) -> dict:
    temp_dir = None
    url = args.database_url
    if not url:
        temp_dir = tempfile.TemporaryDirectory(prefix="coplab-bench-")
        url = f"sqlite:///{Path(temp_dir.name) / 'bench.db'}"
    print(f"loading {args.initiatives} initiatives (seed {args.seed}) into {make_url(url)!r}",
          flush=True)
    report, key = synthetic.load(url, initiatives=args.initiatives, seed=args.seed)
    print(f"loaded in {report.seconds_load:.2f} s: {report.rows}", flush=True)
    settings = Settings(environment="production", issuer=ISSUER, key_encryption_keys=[TEST_KEY_ENCRYPTION_KEY], database_url=url, data_dir=Path("/nonexistent"))
    member_token = tokens.mint(
        key=key, issuer=settings.issuer, audience=settings.audience,
        subject=f"user:{report.member_user_id}", client_id=synthetic.BENCH_CLIENT_ID, organisation_id=report.member_organisation_id,
        scope=MEMBER_SCOPES, lifetime_seconds=6 * 3600,
    )
    callers = {"anonymous": None, "member": member_token}
    results: dict = {
        "config": {"initiatives": args.initiatives, "seed": args.seed, "first": args.first,
                   "requests": args.requests, "warmup": args.warmup, "concurrency": args.concurrency,
                   "concurrent_requests": args.concurrent_requests or args.requests},
        "machine": machine(),
        "source": source_tree(),
        "load": asdict(report),
        "callers": {},
        "loadavg_before": [round(x, 2) for x in os.getloadavg()],
    }
    if results["loadavg_before"][0] > 0.5:
        print(f"warning: load average {results['loadavg_before']}: other processes compete for the CPU, "
              "figures will be noisy", flush=True)
    process, base_url = start_server(url)
    try:
        with httpx.Client(timeout=HTTP_TIMEOUT) as client:
            for caller, token in callers.items():
                endpoints = Endpoints(base_url, args.first, token)
                check = verify_same(client, endpoints, caller)
                for i in range(args.warmup):
                    for which in (GRAPHQL, BASELINE):
                        endpoints.request(client, which).raise_for_status()
                print(f"[{caller}] sequential: {args.requests} requests per endpoint ...", flush=True)
                seq = sequential(client, endpoints, args.requests)
                print(f"[{caller}] concurrent: {results['config']['concurrent_requests']} requests per endpoint, "
                      f"{args.concurrency} clients ...", flush=True)
                con = concurrent(endpoints, results["config"]["concurrent_requests"], args.concurrency, process.pid)
                seq_summary = {
                    which: {"client_ms": summary(s.client_ms), "server_ms": summary(s.server_ms),
                            "sql_ms": summary(s.sql_ms), "sql_statements": statistics.median(s.sql_statements),
                            "response_bytes": s.bytes}
                    for which, s in seq.items()
                }
                results["callers"][caller] = {
                    "check": check,
                    "sequential": seq_summary,
                    "concurrent": con,
                    "ratio_p50": seq_summary[GRAPHQL]["client_ms"]["p50"] / seq_summary[BASELINE]["client_ms"]["p50"],
                    "ratio_server_p50": seq_summary[GRAPHQL]["server_ms"]["p50"]
                    / seq_summary[BASELINE]["server_ms"]["p50"],
                    "ratio_throughput": con[BASELINE]["throughput_rps"] / con[GRAPHQL]["throughput_rps"],
                }
    finally:
        results["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
        stop_server(process)
        if temp_dir is not None:
            temp_dir.cleanup()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.perf.bench_initiatives_page",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--initiatives", type=int, default=10_000, help="initiatives to generate (default 10000)")
    parser.add_argument("--seed", type=int, default=20250601, help="random seed of the generator")
    parser.add_argument(
        "--database-url",
        default="",
        help="database to fill and serve (default: a temporary SQLite file). A PostgreSQL URL such as "
        "postgresql://postgres@127.0.0.1:5432/coplab_bench is WIPED first: schema public is dropped and "
        "recreated. Give it a database of its own.",
    )
    parser.add_argument("--requests", type=int, default=200, help="sequential requests per endpoint and caller")
    parser.add_argument("--concurrent-requests", type=int, default=0,
                        help="requests per endpoint and caller in the concurrent run (default: --requests)")
    parser.add_argument("--concurrency", type=int, default=8, help="concurrent clients in the concurrent run")
    parser.add_argument("--warmup", type=int, default=30, help="warm-up requests per endpoint and caller")
    parser.add_argument("--first", type=int, default=50, help="page size (default 50)")
    parser.add_argument("--json", type=Path, help="also write the results as JSON to this file")
    args = parser.parse_args(argv)
    results = run(args)
    print_results(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str) + "\n")
        print(f"results written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
