"""createInitiative throughput against a running server: `clients` concurrent clients, each sending
one createInitiative after another for `seconds`, counting the ones that succeeded
(docs/performance.md, "Writes: statements per createInitiative").

    .venv/bin/python -m tests.perf.bench_create --url http://127.0.0.1:8123 --token "$TOKEN" [--clients 16] [--seconds 20]
"""

import argparse
import asyncio
import statistics
import time

import httpx

from tests.initiatives.test_create_statements import FULL
from tests.server import HTTP_TIMEOUT

CREATE = """
mutation($input: CreateInitiativeInput!) {
  createInitiative(input: $input) { initiative { id } userErrors { code } }
}
"""
INPUT = {key: value for key, value in FULL.items() if key != "title"}


async def _client(http: httpx.AsyncClient, number: int, until: float, latencies: list[float], failures: list[str]) -> None:
    sent = 0
    while time.monotonic() < until:
        sent += 1
        started = time.monotonic()
        variables = {"input": {**INPUT, "title": f"Benchmark initiative {number}-{sent}"}}
        response = await http.post("/graphql", json={"query": CREATE, "variables": variables})
        body = response.json() if response.status_code == 200 else {}
        payload = (body.get("data") or {}).get("createInitiative") or {}
        if payload.get("initiative") and not payload.get("userErrors"):
            latencies.append(time.monotonic() - started)
        else:
            failures.append(f"{response.status_code} {response.text[:200]}")


async def run(url: str, token: str, clients: int, seconds: float) -> None:
    latencies: list[float] = []
    failures: list[str] = []
    limits = httpx.Limits(max_connections=clients)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits, timeout=HTTP_TIMEOUT) as http:
        started = time.monotonic()
        await asyncio.gather(*(_client(http, n, started + seconds, latencies, failures) for n in range(clients)))
        elapsed = time.monotonic() - started
    ordered = sorted(latencies)
    p95 = ordered[int(len(ordered) * 0.95)] if ordered else float("nan")
    print(
        f"{len(latencies)} creates in {elapsed:.1f} s: {len(latencies) / elapsed:.1f}/s with {clients} clients; "
        f"latency p50 {statistics.median(ordered) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms; {len(failures)} failed"
    )
    for failure in failures[:3]:
        print("failed:", failure)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20.0)
    arguments = parser.parse_args()
    asyncio.run(run(arguments.url, arguments.token, arguments.clients, arguments.seconds))


if __name__ == "__main__":
    main()
