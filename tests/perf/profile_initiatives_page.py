"""Where the time of one `initiatives(first: 50)` page goes, in-process (no HTTP server, no client).

    .venv/bin/python -m tests.perf.profile_initiatives_page [--database-url URL] [--pyinstrument out.html] [--cprofile N]

Loads the same synthetic data as the benchmark (PostgreSQL URLs are WIPED first, as there), then
serves the benchmark's GraphQL query and the hand-written baseline through httpx's ASGI transport
and reports, per request: wall time, CPU of the event-loop thread (HTTP, GraphQL, ORM: Python),
CPU of other threads (aiosqlite runs SQLite in a worker thread), each SQL statement with its time,
DataLoader batches and asyncio tasks. `--pyinstrument` also writes a pyinstrument profile (pip
install pyinstrument first: it is not a project dependency).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import cProfile
import pstats
import statistics
import tempfile
import time
from pathlib import Path

import httpx
import sqlalchemy as sa

import api.graphql.loaders
from tests.factories import TEST_KEY_ENCRYPTION_KEY
from tests.perf import synthetic
from tests.perf.baseline import build_app
from tests.perf.bench_initiatives_page import ISSUER, MEMBER_SCOPES, QUERY
from tests.server import HTTP_TIMEOUT

GRAPHQL, BASELINE = "graphql", "baseline"


class Recorder:
    """SQL statements, DataLoader batches and tasks of the requests made while `on`."""

    def __init__(self) -> None:
        self.on = False
        self.statements: list[tuple[str, float]] = []
        self.batches: list[tuple[str, int]] = []
        self.tasks = 0
        self._started: list[float] = []

    def before(self, conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        self._started.append(time.perf_counter())

    def after(self, conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        elapsed = time.perf_counter() - self._started.pop()
        if self.on:
            self.statements.append((" ".join(statement.split()), elapsed))

    def task_factory(self, loop, coro, **kwargs):  # noqa: ANN001, ANN201
        if self.on:
            self.tasks += 1
        return asyncio.Task(coro, loop=loop, **kwargs)

    def reset(self) -> None:
        self.statements.clear()
        self.batches.clear()
        self.tasks = 0


def _count_batches(recorder: Recorder) -> None:
    """Wrap api.graphql.loaders.Loaders so that each batch is recorded (name, number of keys)."""
    original = api.graphql.loaders.Loaders.__call__

    def call(self, batch):  # noqa: ANN001, ANN202
        loader = original(self, batch)
        if not getattr(loader, "_bench_wrapped", False):
            load_fn = loader.load_fn
            name = f"{batch.__module__}.{batch.__name__}"

            async def recorded(keys, load_fn=load_fn, name=name):  # noqa: ANN001, ANN202
                if recorder.on:
                    recorder.batches.append((name, len(keys)))
                return await load_fn(keys)

            loader.load_fn = recorded
            loader._bench_wrapped = True
        return loader

    api.graphql.loaders.Loaders.__call__ = call


def _label(statement: str) -> str:
    words = statement.split()
    if statement.lower().startswith("select count("):
        return "SELECT count(*) ..." + (" (readable initiatives subquery)" if "FROM (" in statement else " FROM initiative")
    if words[0].upper() == "SELECT" and "FROM" in words:
        table = words[words.index("FROM") + 1]
        return f"SELECT ... FROM {table}" + (" ..." if len(words) > words.index("FROM") + 2 else "")
    return statement[:60]


async def _profile(url: str, token: str | None, requests: int, pyinstrument: Path | None, cprofile: int) -> None:
    recorder = Recorder()
    _count_batches(recorder)
    app = build_app(url, ISSUER)
    inner = app.app
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    asyncio.get_running_loop().set_task_factory(recorder.task_factory)
    async with inner.router.lifespan_context(inner):
        engine = inner.state.engine.sync_engine
        sa.event.listen(engine, "before_cursor_execute", recorder.before)
        sa.event.listen(engine, "after_cursor_execute", recorder.after)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench", timeout=HTTP_TIMEOUT) as client:

            async def call(which: str) -> None:
                if which == GRAPHQL:
                    response = await client.post(
                        "/graphql", json={"query": QUERY, "variables": {"first": 50}}, headers=headers
                    )
                else:
                    response = await client.get("/baseline/initiatives?first=50", headers=headers)
                response.raise_for_status()
                if "errors" in response.json():
                    raise SystemExit(response.text[:1000])

            for which in (GRAPHQL, BASELINE):
                for _ in range(10):
                    await call(which)
                recorder.reset()
                recorder.on = True
                walls = []
                thread_cpu, process_cpu = time.thread_time(), time.process_time()
                for _ in range(requests):
                    started = time.perf_counter()
                    await call(which)
                    walls.append(time.perf_counter() - started)
                thread_cpu, process_cpu = time.thread_time() - thread_cpu, time.process_time() - process_cpu
                recorder.on = False
                n = requests
                sql_ms = sum(e for _, e in recorder.statements) * 1000 / n
                print(
                    f"\n{which}: wall p50 {statistics.median(walls) * 1000:.1f} ms, mean {statistics.fmean(walls) * 1000:.1f}"
                    f" ms; event-loop thread CPU {thread_cpu * 1000 / n:.1f} ms, other threads CPU "
                    f"{(process_cpu - thread_cpu) * 1000 / n:.1f} ms; {len(recorder.statements) / n:g} SQL statements, "
                    f"{sql_ms:.1f} ms from cursor execute to result; {recorder.tasks / n:g} asyncio tasks; "
                    f"{len(recorder.batches) / n:g} DataLoader batches"
                )
                by_statement: dict[str, list[float]] = collections.defaultdict(list)
                for statement, elapsed in recorder.statements:
                    by_statement[_label(statement)].append(elapsed)
                for label, times in sorted(by_statement.items(), key=lambda kv: -sum(kv[1])):
                    print(f"    {len(times) / n:4g} x {sum(times) * 1000 / n:7.2f} ms  {label}")
                if recorder.batches:
                    print("    DataLoader batches (keys): " + ", ".join(
                        f"{name.rsplit('.', 1)[1]}({keys})" for name, keys in recorder.batches[: len(recorder.batches) // n]
                    ))
            if pyinstrument is not None:
                try:
                    from pyinstrument import Profiler
                except ImportError:
                    raise SystemExit("--pyinstrument needs pyinstrument, which is not a coplab dependency: "
                                     ".venv/bin/pip install pyinstrument") from None

                profiler = Profiler(interval=0.0005, async_mode="enabled")
                profiler.start()
                for _ in range(requests):
                    await call(GRAPHQL)
                profiler.stop()
                pyinstrument.write_text(profiler.output_html())
                print(f"\npyinstrument profile of {requests} GraphQL requests written to {pyinstrument}")
            if cprofile:
                profile = cProfile.Profile()
                profile.enable()
                for _ in range(requests):
                    await call(GRAPHQL)
                profile.disable()
                print(f"\ncProfile of {requests} GraphQL requests, top {cprofile} functions by own time:")
                pstats.Stats(profile).sort_stats("tottime").print_stats(cprofile)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.perf.profile_initiatives_page", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--initiatives", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=20250601)
    parser.add_argument("--database-url", default="", help="default: a temporary SQLite file; PostgreSQL is WIPED")
    parser.add_argument("--caller", choices=["anonymous", "member"], default="anonymous")
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--pyinstrument", type=Path, help="write a pyinstrument HTML profile here")
    parser.add_argument("--cprofile", type=int, default=0, metavar="N", help="print cProfile's top N functions by own time")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="coplab-profile-") as temp_dir:
        url = args.database_url or f"sqlite:///{Path(temp_dir) / 'profile.db'}"
        report, key = synthetic.load(url, initiatives=args.initiatives, seed=args.seed)
        print(f"{report.rows['initiative']} initiatives on {report.backend}, caller {args.caller}")
        token = None
        if args.caller == "member":
            from api.auth import tokens
            from api.core.settings import Settings

            audience = Settings(environment="production", issuer=ISSUER, key_encryption_keys=[TEST_KEY_ENCRYPTION_KEY], database_url=url).audience
            token = tokens.mint(key=key, issuer=ISSUER, audience=audience, subject=f"user:{report.member_user_id}",
                                client_id=synthetic.BENCH_CLIENT_ID, organisation_id=report.member_organisation_id,
                                scope=MEMBER_SCOPES, lifetime_seconds=3600)
        asyncio.run(_profile(url, token, args.requests, args.pyinstrument, args.cprofile))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
