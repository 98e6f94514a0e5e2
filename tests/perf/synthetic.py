"""The benchmarks' data: the product's synthetic registry (api/seeding/synthetic.py, what
`coplab seed --synthetic` loads) in a fresh database, plus what only the benchmarks need: a member
user, its membership and the OAuth client its tokens name, and a signing key.

Same `seed` and `initiatives` give the same rows, ids and timestamps on every backend.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from joserfc.jwk import ECKey
from sqlmodel import SQLModel

import api.models  # noqa: F401  (registers every table)
from api import migrations
from api.auth.keys import ALGORITHM
from api.auth.principal import Role
from api.core.db import create_sync_engine
from api.seeding import synthetic as registry
from api.core.settings import PROJECT_ROOT
from tests.factories import load_vocabularies

ACTOR = registry.ACTOR
BENCH_CLIENT_ID = "bench"
NOW = registry.NOW


@dataclass
class LoadReport:
    backend: str
    url: str
    seed: int
    seconds_migrate: float = 0.0
    seconds_load: float = 0.0
    rows: dict[str, int] = field(default_factory=dict)
    database_bytes: int = 0
    member_organisation_id: int = 0
    member_user_id: int = 0


def reset_postgres(url: str) -> None:
    """Drop and recreate schema `public`: the benchmark starts from an empty database."""
    engine = create_sync_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


def prepare(url: str) -> float:
    """A fresh, migrated database with the vocabularies; returns the seconds it took."""
    started = time.perf_counter()
    backend = sa.engine.make_url(url).get_backend_name()
    if backend == "postgresql":
        reset_postgres(url)
    elif backend == "sqlite":
        database = sa.engine.make_url(url).database
        if database and database != ":memory:":
            for suffix in ("", "-wal", "-shm"):
                Path(database + suffix).unlink(missing_ok=True)
    migrations.upgrade(url)
    engine = create_sync_engine(url)
    load_vocabularies(engine, PROJECT_ROOT / "seed" / "vocabularies")
    engine.dispose()
    return time.perf_counter() - started


def bench_rows() -> dict[str, list[dict]]:
    """The benchmark's member caller: user 1, an EDITOR of organisation 1 (a MEMBER), and its client."""
    audit = {"created_at": NOW, "updated_at": NOW, "created_by": ACTOR, "updated_by": ACTOR}
    return {
        "user_account": [{"id": 1, "email": "bench@coplab.invalid", "name": "Bench User", **audit}],
        "membership": [{
            "id": 1, "user_id": 1, "organisation_id": 1, "role": Role.EDITOR, "name": "Bench User", "accepted_at": NOW,
            **audit,
        }],
        # The registered client its tokens name (the server refuses tokens of unknown clients).
        "oauth_client": [{
            "id": 1, "client_id": BENCH_CLIENT_ID, "secret_hash": None, "organisation_id": 1, "name": "Benchmark",
            "scopes": [], "grant_types": [], "redirect_uris": [], "revoked_at": None, **audit,
        }],
    }


def build_rows(*, initiatives: int, seed: int) -> dict[str, list[dict]]:
    """Every row to insert, per table, in insertion order (parents first)."""
    rows = registry.build_rows(initiatives=initiatives, seed=seed)
    return {"organisation": rows.pop("organisation"), **bench_rows(), **rows}


def signing_key_row() -> tuple[dict, ECKey]:
    """A fresh ES256 signing key (as `tests.factories.tokens.Tokens._key` makes it) and its row."""
    key = ECKey.generate_key("P-256", parameters={"alg": ALGORITHM, "use": "sig"}, auto_kid=True)
    row = {
        "kid": key.kid,
        "private_jwk": json.dumps(key.as_dict(private=True)),
        "public_jwk": json.dumps(key.as_dict(private=False)),
        "created_at": datetime.now(UTC),
        "retired_at": None,
    }
    return row, key


def database_bytes(url: str) -> int:
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = Path(parsed.database or "")
        return sum(p.stat().st_size for p in (database, Path(f"{database}-wal")) if p.exists())
    engine = create_sync_engine(url)
    with engine.connect() as connection:
        size = connection.execute(sa.text(
            "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r'"
        )).scalar_one()
    engine.dispose()
    return int(size)


def load(url: str, *, initiatives: int, seed: int) -> tuple[LoadReport, ECKey]:
    """Fresh database, then every synthetic row in one transaction; returns the report and the signing key.
    The rows are built before the clock starts: the load time is the bulk insert alone."""
    backend = sa.engine.make_url(url).get_backend_name()
    report = LoadReport(backend=backend, url=sa.engine.make_url(url).render_as_string(hide_password=True), seed=seed)
    report.seconds_migrate = prepare(url)
    rows = build_rows(initiatives=initiatives, seed=seed)
    key_row, key = signing_key_row()
    engine = create_sync_engine(url)
    started = time.perf_counter()
    with engine.begin() as connection:
        registry.BulkInsert(connection).add(rows)
        connection.execute(SQLModel.metadata.tables["signing_key"].insert(), [key_row])
        registry.move_sequences(connection, list(rows))
    report.seconds_load = time.perf_counter() - started
    # Planner statistics, as a database in service would have them (not part of the load time).
    with engine.begin() as connection:
        connection.execute(sa.text("ANALYZE"))
        if backend == "sqlite":
            connection.execute(sa.text("PRAGMA wal_checkpoint(TRUNCATE)"))
    engine.dispose()
    report.rows = {name: len(table_rows) for name, table_rows in rows.items()}
    report.database_bytes = database_bytes(url)
    report.member_organisation_id = 1
    report.member_user_id = 1
    return report, key
