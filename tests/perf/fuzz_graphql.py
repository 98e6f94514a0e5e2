"""Fuzzing: many generated GraphQL operations against a live `coplab serve`, every failure collected.

    .venv/bin/python -m tests.perf.fuzz_graphql                              # 5000 per profile, a new seed
    .venv/bin/python -m tests.perf.fuzz_graphql --examples 20000 --seed 7    # again, the same operations
    .venv/bin/python -m tests.perf.fuzz_graphql --profiles writer --minutes 30
    .venv/bin/python -m tests.perf.fuzz_graphql --postgresql postgresql://postgres@127.0.0.1:5432/test

The suite's tests/test_generated_operations.py sends a bounded number of the same operations and
stops at the first failure; this sends as many as asked (or as fit in `--minutes`) for each profile
(`anonymous`: no token; `writer`: an admin of the fuzzing organisation with every scope but
`lab:admin`), on a fresh registry arranged by tests/fuzzing.py (SQLite, or a PostgreSQL schema of its own), and goes on past failures.
It prints how the answers went (codes counted) and each kind of failure once, with the count and
the shortest operation that showed it, and exits 1 if there was any (docs/api.md, Fuzzing).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from hypothesis.errors import HypothesisException
from sqlmodel import Session

from api import migrations
from api.core.db import create_sync_engine
from api.core.settings import PROJECT_ROOT, Settings
from tests.conftest import _private_postgres_schema
from tests.factories import Factory, load_vocabularies
from tests.fuzzing import LOG_FAILURE, Failure, Fuzzer, arrange, coplab_server, operations, run

BATCH = 250  # examples per Hypothesis run, so --minutes can stop between runs


def _kind(failure: Failure) -> str:
    """What tells one failure from another: its problems without the values, the fields whose errors
    had no code or an internal one, and the last line of the traceback it logged."""
    kinds = sorted({re.split(r":", problem, maxsplit=1)[0] for problem in failure.problems})
    try:
        errors = json.loads(failure.body).get("errors") or []
        fields = sorted({".".join(map(str, e.get("path") or ["request"])) for e in errors
                         if (e.get("extensions") or {}).get("code") in (None, "INTERNAL_SERVER_ERROR")})
    except (ValueError, AttributeError, TypeError):
        fields = []
    raised = [line.strip() for line in failure.log.splitlines() if re.match(r"^\w[\w.]*(Error|Exception)\b", line)]
    return "; ".join(kinds) + (f" at {', '.join(fields)}" if fields else "") + (f" ({raised[-1][:160]})" if raised else "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=5000, help="operations per profile (5000)")
    parser.add_argument("--seed", type=int, default=None, help="the seed (printed; a new one if not given)")
    parser.add_argument("--profiles", default="anonymous,writer", help="comma-separated (anonymous,writer)")
    parser.add_argument("--minutes", type=float, default=None, help="stop each profile after this long")
    parser.add_argument(
        "--postgresql", metavar="URL", default=None,
        help="run on PostgreSQL instead, in a schema of its own in this database, dropped afterwards",
    )
    parser.add_argument("--keep", type=Path, default=None, help="write the database and server log here (the database is made anew)")
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else random.randrange(2**32)
    profiles = [name.strip() for name in args.profiles.split(",") if name.strip()]

    directory = args.keep or Path(tempfile.mkdtemp(prefix="coplab-fuzz-"))
    directory.mkdir(parents=True, exist_ok=True)
    drop: Callable[[], None] = lambda: None  # noqa: E731
    if args.postgresql:
        database_url, drop = _private_postgres_schema(args.postgresql)
    else:
        (directory / "fuzz.db").unlink(missing_ok=True)  # a fresh registry every run
        database_url = f"sqlite:///{directory / 'fuzz.db'}"
    try:
        return _fuzz(args, seed, profiles, directory, database_url)
    finally:
        drop()


def _fuzz(args: argparse.Namespace, seed: int, profiles: list[str], directory: Path, database_url: str) -> int:
    migrations.upgrade(database_url)
    engine = create_sync_engine(database_url)
    load_vocabularies(engine, PROJECT_ROOT / "seed" / "vocabularies")
    settings = Settings(environment="test", database_url=database_url, data_dir=directory)
    with Session(engine, expire_on_commit=False) as session:
        registry = arrange(Factory(session, settings), token_lifetime=7 * 24 * 3600)
    engine.dispose()
    strategy = operations(registry)
    print(f"fuzzing seed {seed}: {args.examples} operations per profile ({', '.join(profiles)}); files in {directory}")

    failures: list[Failure] = []
    started = time.monotonic()
    with coplab_server(database_url, settings.issuer, directory) as (base_url, output):
        fuzzer = Fuzzer(base_url, output)
        for name in profiles:
            profile_started, before, batch = time.monotonic(), fuzzer.sent, 0
            while fuzzer.sent - before < args.examples:
                if args.minutes is not None and time.monotonic() - profile_started > args.minutes * 60:
                    break
                count = min(BATCH, args.examples - (fuzzer.sent - before))
                try:
                    run(fuzzer, registry.profiles[name], strategy, examples=count, seed=seed + batch, collect=failures)
                except HypothesisException as error:  # e.g. the strategy ran out of new examples
                    print(f"  batch {batch} stopped: {error}")
                batch += 1
            took = time.monotonic() - profile_started
            print(f"{name}: {fuzzer.sent - before} operations in {took:.0f} s")
        outcomes = dict(fuzzer.outcomes.most_common())
        leftover = output.everything()
    print(f"{fuzzer.sent} operations in {time.monotonic() - started:.0f} s; answers: {outcomes}")

    kinds: dict[str, list[Failure]] = {}
    for failure in failures:
        kinds.setdefault(_kind(failure), []).append(failure)
    for kind, found in kinds.items():
        shortest = min(found, key=lambda f: len(f.operation.as_text()))
        print(f"\n=== {len(found)} × {kind}\n{shortest.describe()}")
    if LOG_FAILURE.search(leftover) and not failures:
        print(f"\n=== the server logged a traceback outside any answer:\n{leftover[-3000:]}")
        return 1
    print(f"\n{len(failures)} failing operations, {len(kinds)} kinds (seed {seed})")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
