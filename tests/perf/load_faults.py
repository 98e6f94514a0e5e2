"""Proof under load and faults: `coplab serve` on PostgreSQL, many clients, one fault mid-load.

    .venv/bin/python -m tests.perf.load_faults --workers 2 --clients 50 --seconds 60 --fault none
    .venv/bin/python -m tests.perf.load_faults --fault kill --seconds 60
    .venv/bin/python -m tests.perf.load_faults --fault postgres --seconds 60
    .venv/bin/python -m tests.perf.load_faults --fault search --seconds 120      # on Meilisearch
    .venv/bin/python -m tests.perf.load_faults --compare-workers 1,2 --seconds 30

A command, never part of the test suite. It creates a PostgreSQL database of its own (dropped
afterwards), starts `coplab serve --workers N` on it (which seeds the Lab's registry), registers a
few organisations with write tokens, and runs C concurrent clients for D seconds of mixed traffic:
initiatives pages, node lookups, `searchInitiatives`, `createInitiative` (a unique title each) and
`updateInitiative`, each write with a client-side X-Request-ID. Every answer's status is recorded,
and every acknowledged write (id and title).

Faults, a third of the way in:
- `kill`: SIGKILL to the server's whole process group, then the same command on the same port;
- `postgres`: PostgreSQL restarted (`pg_ctlcluster 15 main restart -m fast`); the server is not;
- `search`: the server runs on a Meilisearch of this command's own, stopped for `--search-outage`
  seconds and started again on the same directory and port.

Afterwards it checks, and exits non-zero if any check fails: no 5xx answer; every acknowledged
write in the database exactly once (by title; no title twice at all); once /readyz agrees 20 times
in a row, every acknowledged write found by `searchInitiatives`, 20 answers in a row identical
(requests land on random workers, so agreement means every process answers the same). It prints
acknowledged createInitiative per second and p50/p95 latency per kind of request.
`--compare-workers 1,2` runs a write-only phase per worker count instead, on the same database.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import random
import secrets
import signal
import string
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from statistics import quantiles
from collections.abc import Iterator

import httpx
import psycopg

from tests.server import COPLAB, coplab_environment, free_port

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
ORGANISATIONS = 4
WRITE_SCOPES = "initiatives:read initiatives:write"
# Kinds of request and their share of the mixed traffic.
MIX = {"page": 30, "node": 15, "search": 25, "create": 20, "update": 10}
AGREEING = 20  # answers in a row that must agree before the indexes count as caught up
SETTLE_SECONDS = 300

PAGE = "query { initiatives(first: 20) { edges { node { id title status { code } } } } }"
NODE = "query($id: ID!) { node(id: $id) { id ... on Initiative { title summary } } }"
SEARCH = """query($q: String!, $page: Int!, $per: Int!, $m: MatchingStrategy!, $filter: SearchFilter) {
  searchInitiatives(query: $q, page: $page, hitsPerPage: $per, matchingStrategy: $m, filter: $filter) {
    totalHits totalPages hits { initiative { id title } } } }"""
CREATE = """mutation($input: CreateInitiativeInput!) { createInitiative(input: $input) {
  initiative { id title } userErrors { code message } } }"""
UPDATE = """mutation($input: UpdateInitiativeInput!) { updateInitiative(input: $input) {
  initiative { id } userErrors { code message } } }"""
VIEWER = "{ viewer { organisation { id slug } } }"
SEARCH_WORDS = ["helpline", "hotline", "groming", "report", "education", "abuse material"]


@dataclass
class Record:
    kind: str
    outcome: str  # "ok", "http:NNN", "gql:CODE", "user:CODE", "conn:Exception"
    seconds: float
    at: float  # since the load started


@dataclass
class Load:
    """What one phase of load saw."""

    tag: str
    records: list[Record] = field(default_factory=list)
    acknowledged: dict[str, str] = field(default_factory=dict)  # title -> Relay id
    attempted: set[str] = field(default_factory=set)  # every title sent
    own: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))  # org index -> ids
    started: float = 0.0
    seconds: float = 0.0
    fault_window: tuple[float, float] | None = None

    def in_fault_window(self, record: Record) -> bool:
        """The request was under way at some time from 1 s before the fault to 1 s after it."""
        if self.fault_window is None:
            return False
        began, ended = self.fault_window
        return record.at <= ended + 1 and record.at + record.seconds >= began - 1


# ---------------------------------------------------------------- the database and the server


@contextmanager
def fresh_database() -> Iterator[str]:
    name = f"coplab_load_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        wait_for_postgres()
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Server:
    """`coplab serve --workers N --port P` in a process group of its own."""

    def __init__(self, env: dict[str, str], workers: int, port: int, log: Path) -> None:
        self.env, self.workers, self.port, self.log = env, workers, port, log
        self.url = f"http://127.0.0.1:{port}"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 240) -> None:
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(
                [COPLAB, "serve", "--workers", str(self.workers), "--port", str(self.port)],
                env=self.env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"coplab serve exited with {self.process.returncode}:\n{self.tail()}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=5).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.5)
        self.kill()
        raise RuntimeError(f"coplab serve was not ready within {timeout:.0f} s:\n{self.tail()}")

    def kill(self) -> None:
        """SIGKILL to the whole process group: the supervisor and every worker at once."""
        if self.process is not None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""


def coplab_command(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([COPLAB, *args], env=env, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"coplab {' '.join(args)} failed: {done.stderr[-2000:]}")
    return done.stdout.strip()


def organisations_with_tokens(env: dict[str, str], tag: str) -> list[str]:
    tokens = []
    for number in range(ORGANISATIONS):
        slug = f"load-{tag}-{number}"
        coplab_command(env, "org", "create", slug, "--name", f"Load test organisation {tag} {number}", "--type", "INGO")
        tokens.append(coplab_command(env, "token", "mint", "--org", slug, "--scopes", WRITE_SCOPES, "--lifetime", "7200"))
    return tokens


def wait_for_postgres(timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1"]).returncode != 0:
        if time.monotonic() > deadline:
            raise RuntimeError("PostgreSQL did not come back")
        time.sleep(0.5)


def restart_postgres() -> str:
    for command in (["pg_ctlcluster", "15", "main", "restart", "-m", "fast"], ["service", "postgresql", "restart"]):
        if subprocess.run(command, capture_output=True).returncode == 0:
            wait_for_postgres()
            return " ".join(command)
    raise RuntimeError("could not restart PostgreSQL")


# ---------------------------------------------------------------- the clients


def outcome_of(answer: httpx.Response, field_name: str | None) -> tuple[str, dict | None]:
    if answer.status_code != 200:
        return f"http:{answer.status_code}", None
    body = answer.json()
    if body.get("errors"):
        return "gql:" + str(body["errors"][0].get("extensions", {}).get("code", "?")), None
    data = body["data"]
    payload = data.get(field_name) if field_name else data
    if field_name and payload and payload.get("userErrors"):
        return "user:" + payload["userErrors"][0]["code"], None
    return "ok", payload


async def client(number: int, http: httpx.AsyncClient, tokens: list[str], load: Load, until: float,
                 mix: dict[str, int], known: list[str]) -> None:
    org = number % len(tokens)
    headers = {"Authorization": f"Bearer {tokens[org]}"}
    kinds, weights = list(mix), list(mix.values())
    sequence = 0
    rng = random.Random(number)
    while time.monotonic() < until:
        kind = rng.choices(kinds, weights)[0]
        if kind == "update" and not load.own[org]:
            kind = "create"
        request_headers, field_name, title = dict(headers), None, None
        if kind == "page":
            body = {"query": PAGE}
        elif kind == "node":
            pool = known + list(load.acknowledged.values())[-200:]
            body = {"query": NODE, "variables": {"id": rng.choice(pool)}}
        elif kind == "search":
            words = rng.choice(SEARCH_WORDS + [load.tag])
            body = {"query": SEARCH, "variables": {"q": words, "page": 1, "per": 20, "m": "LAST"}}
        elif kind == "create":
            sequence += 1
            title = f"Load {load.tag} client {number} write {sequence} {secrets.token_hex(4)}"
            load.attempted.add(title)
            body = {"query": CREATE, "variables": {"input": {"title": title, "status": "IMPLEMENTATION",
                                                              "summary": f"Written under load by client {number}."}}}
            field_name = "createInitiative"
        else:
            body = {"query": UPDATE, "variables": {"input": {"id": rng.choice(load.own[org]),
                                                              "summary": f"Updated under load {secrets.token_hex(4)}."}}}
            field_name = "updateInitiative"
        if field_name:
            request_headers["X-Request-ID"] = f"load-{uuid.uuid4().hex}"
        start = time.monotonic()
        try:
            answer = await http.post("/graphql", json=body, headers=request_headers)
            outcome, payload = outcome_of(answer, field_name)
        except httpx.TransportError as error:
            outcome, payload = f"conn:{type(error).__name__}", None
        except ValueError:  # a body that is not JSON
            outcome, payload = "http:200-not-json", None
        elapsed = time.monotonic() - start
        load.records.append(Record(kind, outcome, elapsed, start - load.started))
        if kind == "create" and outcome == "ok":
            load.acknowledged[title] = payload["initiative"]["id"]
            load.own[org].append(payload["initiative"]["id"])
        if outcome.startswith("conn:"):
            await asyncio.sleep(0.2)  # the server is down: do not spin


async def run_load(url: str, tokens: list[str], load: Load, clients: int, seconds: float, mix: dict[str, int],
                   fault=None) -> None:  # noqa: ANN001
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as http:
        first = await http.post("/graphql", json={"query": PAGE})
        known = [edge["node"]["id"] for edge in first.json()["data"]["initiatives"]["edges"]]
        load.started = time.monotonic()
        until = load.started + seconds
        tasks = [asyncio.create_task(client(n, http, tokens, load, until, mix, known)) for n in range(clients)]
        if fault is not None:
            await asyncio.sleep(seconds / 3)
            began = time.monotonic() - load.started
            await asyncio.to_thread(fault)
            load.fault_window = (began, time.monotonic() - load.started)
        await asyncio.gather(*tasks)
        load.seconds = time.monotonic() - load.started


# ---------------------------------------------------------------- the checks


def relay_pk(relay_id: str) -> int:
    return int(base64.b64decode(relay_id).decode().rsplit(":", 1)[1])


def check_database(database_url: str, load: Load) -> list[str]:
    with psycopg.connect(database_url) as connection:
        rows = connection.execute("SELECT id, title FROM initiative WHERE title LIKE %s AND deleted_at IS NULL",
                                  (f"Load {load.tag} %",)).fetchall()
    ids_by_title: dict[str, list[int]] = defaultdict(list)
    for pk, title in rows:
        ids_by_title[title].append(pk)
    problems = [f"title written {len(ids)} times: {title!r} (ids {ids})" for title, ids in ids_by_title.items() if len(ids) > 1]
    for title, relay_id in load.acknowledged.items():
        if ids_by_title.get(title) != [relay_pk(relay_id)]:
            problems.append(f"acknowledged write {title!r} ({relay_pk(relay_id)}) found as {ids_by_title.get(title)}")
    written = set(ids_by_title) & load.attempted  # this phase's (a run's earlier phases share the tag)
    print(f"  database: {len(written)} initiatives written by this phase, {len(load.acknowledged)} acknowledged, "
          f"{len(written - set(load.acknowledged))} written without an acknowledgement (the answer was lost), "
          f"{len(load.attempted - written)} attempts not written")
    return problems


def wait_until_ready(url: str) -> str:
    """/readyz answers 200 with the same search detail AGREEING times in a row (every worker alike)."""
    deadline, streak, last = time.monotonic() + SETTLE_SECONDS, 0, None
    while time.monotonic() < deadline:
        try:
            answer = httpx.get(f"{url}/readyz", timeout=10)
            detail = answer.json()["checks"].get("search", {}).get("detail") if answer.status_code == 200 else None
        except (httpx.TransportError, ValueError):
            detail = None
        behind = detail is None or (detail.endswith("changes wait") and not detail.startswith("0 "))
        streak = streak + 1 if detail == last and not behind else 0
        last = detail
        if streak >= AGREEING:
            return detail
        time.sleep(0.1)
    raise RuntimeError(f"/readyz did not agree {AGREEING} times in a row within {SETTLE_SECONDS} s (last: {last})")


def search_all(http: httpx.Client, words: str, strategy: str, lead: str | None = None) -> frozenset[str]:
    ids, page = set(), 1
    while True:
        variables = {"q": words, "page": page, "per": 100, "m": strategy,
                     "filter": {"leadOrganisation": [lead]} if lead else None}
        result = http.post("/graphql", json={"query": SEARCH, "variables": variables}).json()
        if result.get("errors"):
            raise RuntimeError(f"search failed: {result['errors']}")
        found = result["data"]["searchInitiatives"]
        ids.update(hit["initiative"]["id"] for hit in found["hits"])
        if page >= found["totalPages"]:
            return frozenset(ids)
        page += 1


def agreed_search(
    http: httpx.Client, words: str, strategy: str, wanted: set[str], exact: bool, lead: str | None = None
) -> str | None:
    """Repeat the search until AGREEING answers in a row are identical and hold `wanted` (all of it,
    or exactly it); None then, else what the last answers showed."""
    deadline, streak, last = time.monotonic() + SETTLE_SECONDS, 0, None
    while time.monotonic() < deadline:
        answer = search_all(http, words, strategy, lead)
        good = answer == wanted if exact else wanted <= answer
        streak = streak + 1 if good and answer == last else (1 if good else 0)
        last = answer
        if streak >= AGREEING:
            return None
        if not good:
            time.sleep(0.2)
    return f"search {words!r}: {len(wanted - (last or set()))} of {len(wanted)} missing, {len((last or set()) - wanted)} extra"


def check_search(url: str, tokens: list[str], database_url: str, load: Load, sample: int) -> list[str]:
    detail = wait_until_ready(url)
    print(f"  /readyz agreed {AGREEING} times in a row: search {detail!r}")
    problems, found = [], 0
    # Every initiative of the run (its tag is in every title), one organisation's at a time: a search
    # reaches its first 10,000 hits only, and a long run writes more than that.
    for token in tokens:
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as http:
            viewer = http.post("/graphql", json={"query": VIEWER}).json()["data"]["viewer"]["organisation"]
            with psycopg.connect(database_url) as connection:
                rows = connection.execute(
                    "SELECT i.id FROM initiative i JOIN organisation o ON o.id = i.lead_organisation_id "
                    "WHERE i.title LIKE %s AND i.deleted_at IS NULL AND o.slug = %s",
                    (f"Load {load.tag} %", viewer["slug"])).fetchall()
            in_database = {base64.b64encode(f"Initiative:{pk}".encode()).decode() for (pk,) in rows}
            found += len(in_database)
            if problem := agreed_search(http, load.tag, "ALL", in_database, exact=True, lead=viewer["id"]):
                problems.append(f"{viewer['slug']}: {problem}")
    # A sample of acknowledged titles, each by its whole title.
    titles = random.Random(0).sample(sorted(load.acknowledged), min(sample, len(load.acknowledged)))
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {tokens[0]}"}, timeout=30) as http:
        for title in titles:
            if problem := agreed_search(http, title, "ALL", {load.acknowledged[title]}, exact=False):
                problems.append(problem)
    print(f"  search: {found} initiatives of the run found by their tag and lead organisation, {AGREEING} identical "
          f"answers in a row each; {len(titles)} titles each found by its own title, {AGREEING} times in a row")
    return problems


def percentile(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return quantiles(values, n=100, method="inclusive")[q - 1]


def report(load: Load, label: str) -> list[str]:
    print(f"\n== {label}: {load.seconds:.1f} s, {len(load.records)} requests")
    outcomes = Counter(record.outcome for record in load.records)
    print("  answers: " + ", ".join(f"{name} {count}" for name, count in outcomes.most_common()))
    creates = sum(1 for r in load.records if r.kind == "create" and r.outcome == "ok")
    print(f"  throughput: {creates} acknowledged createInitiative, {creates / load.seconds:.1f}/s; "
          f"all requests {len(load.records) / load.seconds:.1f}/s")
    print(f"  {'kind':8} {'count':>6} {'ok':>6} {'p50 ms':>8} {'p95 ms':>8}")
    for kind in MIX:
        mine = [r for r in load.records if r.kind == kind]
        if mine:
            ok = [r.seconds * 1000 for r in mine if r.outcome == "ok"]
            print(f"  {kind:8} {len(mine):6} {len(ok):6} {percentile(ok, 50):8.1f} {percentile(ok, 95):8.1f}")
    cut = [r for r in load.records if r.outcome.startswith("conn:") and not load.in_fault_window(r)]
    if cut:  # outside any fault: when they happened tells a server's cause from a client's
        print("  connection errors outside the fault, at: " + ", ".join(
            f"{r.at:.1f} s ({r.outcome[5:]} after {r.seconds:.1f} s)" for r in cut[:10]))
    problems = []
    server_errors = sum(count for name, count in outcomes.items() if name.startswith("http:5"))
    print(f"  5xx answers: {server_errors}")
    if server_errors:
        problems.append(f"{server_errors} answers with a 5xx status")
    if load.fault_window:
        began, ended = load.fault_window
        during = Counter(r.outcome for r in load.records if load.in_fault_window(r))
        after = [r for r in load.records if r.at > ended + 5]
        after_ok = sum(1 for r in after if r.outcome == "ok")
        print(f"  fault from {began:.1f} s to {ended:.1f} s; answers around it: "
              + ", ".join(f"{name} {count}" for name, count in during.most_common()))
        print(f"  after the fault (+5 s): {after_ok} of {len(after)} requests ok; "
              f"last failure at {max((r.at for r in load.records if r.outcome != 'ok'), default=0):.1f} s")
        if after and after_ok / len(after) < 0.95:
            problems.append(f"after the fault only {after_ok} of {len(after)} requests succeeded")
    return problems


# ---------------------------------------------------------------- the command


@contextmanager
def meilisearch_if(wanted: bool) -> Iterator[object | None]:
    if not wanted:
        yield None
        return
    from tests.meilisearch_server import find_or_start_meilisearch, no_server_reason

    with find_or_start_meilisearch() as server:
        if server is None or server.process is None:
            raise SystemExit(f"--fault search needs a meilisearch binary this command starts: {no_server_reason()}")
        yield server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.perf.load_faults", description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2, help="coplab serve --workers (default 2)")
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients (default 50)")
    parser.add_argument("--seconds", type=float, default=300, help="load duration per phase (default 300)")
    parser.add_argument("--fault", choices=["none", "kill", "postgres", "search"], default="none")
    parser.add_argument("--search-outage", type=float, default=60, help="seconds Meilisearch stays down (--fault search)")
    parser.add_argument("--meilisearch", action="store_true", help="serve on Meilisearch even without --fault search")
    parser.add_argument("--compare-workers", help="e.g. 1,2: a write-only phase per worker count, in this run")
    parser.add_argument("--search-sample", type=int, default=30, help="acknowledged titles searched one by one")
    args = parser.parse_args(argv)

    tag = "".join(random.choices(string.ascii_lowercase, k=10))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    problems: list[str] = []
    load_before = os.getloadavg()
    print(f"run {tag}: load average before {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}, "
          f"{os.cpu_count()} CPUs, commit {git_commit()}")
    with tempfile.TemporaryDirectory(prefix="coplab-load-") as directory, fresh_database() as database_url, \
            meilisearch_if(args.fault == "search" or args.meilisearch) as meili:
        extra = {"COPLAB_ISSUER": url, "COPLAB_LOG_FORMAT": "text"}
        if meili is not None:
            extra |= {"COPLAB_MEILISEARCH_URL": meili.url, "COPLAB_MEILISEARCH_API_KEY": meili.master_key,
                      "COPLAB_SEARCH_INDEX_UID": f"load_{tag}"}
        env = coplab_environment(database_url, **extra)
        log = Path(directory) / "serve.log"
        phases = ([int(n) for n in args.compare_workers.split(",")] if args.compare_workers else [args.workers])
        tokens: list[str] = []
        for workers in phases:
            server = Server(env, workers, port, log)
            started = time.monotonic()
            server.start()
            print(f"\ncoplab serve --workers {workers} ready in {time.monotonic() - started:.1f} s ({url}, log {log})")
            try:
                tokens = tokens or organisations_with_tokens(env, tag)
                fault = {"none": None, "kill": lambda: restart_server(server),
                         "postgres": lambda: print(f"  restarted PostgreSQL: {restart_postgres()}"),
                         "search": lambda: outage(meili, args.search_outage)}[args.fault]
                mix = {"create": 1} if args.compare_workers else MIX
                load = Load(tag)
                asyncio.run(run_load(url, tokens, load, args.clients, args.seconds, mix, fault))
                label = f"--workers {workers}, {args.clients} clients, fault {args.fault}" + (
                    ", writes only" if args.compare_workers else "")
                problems += report(load, label)
                problems += check_database(database_url, load)
                problems += check_search(url, tokens, database_url, load, args.search_sample)
            finally:
                server.stop()
        if server.process and server.process.returncode not in (0, -signal.SIGTERM):
            print(f"  server exit status {server.process.returncode}")
        kept = Path(tempfile.gettempdir()) / f"coplab-load-{tag}.log"
        kept.write_bytes(log.read_bytes())  # the temporary directory goes; the server's log stays for reading
        print(f"\nserver log kept: {kept}")
        errors = [line for line in log.read_text(errors="replace").splitlines() if "Traceback" in line or " ERROR " in line]
        print(f"\nserver log: {len(errors)} ERROR/Traceback lines" + "".join(f"\n  {line[:300]}" for line in errors[:10]))
    load_after = os.getloadavg()
    print(f"load average after {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}")
    wait_for_postgres()
    print("\nchecks: " + ("all passed" if not problems else f"{len(problems)} FAILED"))
    for problem in problems[:50]:
        print(f"  - {problem}")
    return 1 if problems else 0


def restart_server(server: Server) -> None:
    server.kill()
    print("  killed the server's process group (SIGKILL)")
    time.sleep(2)
    started = time.monotonic()
    server.start()
    print(f"  started again on the same port, ready in {time.monotonic() - started:.1f} s")


def outage(meili, seconds: float) -> None:  # noqa: ANN001
    meili.stop()
    print(f"  stopped Meilisearch for {seconds:.0f} s")
    time.sleep(seconds)
    meili.restart()
    print("  Meilisearch started again on the same directory and port")


def git_commit() -> str:
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    return done.stdout.strip() or "?"


if __name__ == "__main__":
    sys.exit(main())
