"""The search indexer's test doubles and helpers: an engine that can be taken down, fast settings, the change log's rows
and how far an index has followed them."""

import asyncio
import threading
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa

from api.core.db import create_engine, session_factory
from api.core.settings import Settings
from api.search.backend import SearchUnavailable
from api.search.embedded import EmbeddedBackend
from api.search.changes import Position
from api.search.models import SearchOutbox

T = TypeVar("T")
OUTBOX = SearchOutbox.__table__


class FlakyEngine:
    """A real embedded engine that refuses every write while `down`, as an unreachable server would."""

    def __init__(self) -> None:
        self.inner = EmbeddedBackend(built=False)  # as a server's: built from the database first
        self.name = "embedded"
        self.down = False
        self.refused = 0
        self.upserted: list[str] = []  # every document id sent, in order
        self._lock = threading.Lock()

    def _check(self) -> None:
        if self.down:
            with self._lock:
                self.refused += 1
            raise SearchUnavailable("connection refused")

    def upsert(self, docs: Iterable[dict]) -> None:
        self._check()
        docs = list(docs)
        self.upserted += [d["id"] for d in docs]
        self.inner.upsert(docs)

    def delete(self, ids: Iterable[str]) -> None:
        self._check()
        self.inner.delete(ids)

    def wait(self) -> None:
        self._check()

    def rebuild(self, docs: Iterable[dict]) -> None:
        self._check()
        self.inner.rebuild(docs)

    def __getattr__(self, name: str) -> Any:  # reads go straight to the engine
        return getattr(self.inner, name)


def fast(database_url: str, **overrides: Any) -> Settings:
    values = {
        "search_poll_seconds": 0.02,
        "search_retry_initial_seconds": 0.01,
        "search_retry_max_seconds": 0.05,
        **overrides,
    }
    return Settings(environment="test", database_url=database_url, data_dir=Path("/nonexistent"), **values)


def with_sessions(settings: Settings, work: Callable[[Any], Awaitable[T]]) -> T:
    """Run `work(sessions)` against the test database on an engine of its own."""

    async def main() -> T:
        engine = create_engine(settings.database_url)
        try:
            return await work(session_factory(engine))
        finally:
            await engine.dispose()

    return asyncio.run(main())


def outbox_rows(engine: sa.Engine) -> int:
    with engine.connect() as connection:
        return connection.execute(sa.select(sa.func.count()).select_from(OUTBOX)).scalar_one()


def queued(engine: sa.Engine) -> list[int]:
    """The initiative ids in the outbox (rows of the initiatives index; the log also holds the record
    indexes' rows), in row order, read on a fresh connection."""
    with engine.connect() as connection:
        return list(connection.execute(
            sa.select(OUTBOX.c.initiative_id).where(OUTBOX.c.record_type == "initiative").order_by(OUTBOX.c.id)
        ).scalars())


def queued_records(engine: sa.Engine, record_type: str) -> list[int]:
    """The ids of records of `record_type` in the outbox, in row order."""
    with engine.connect() as connection:
        return list(connection.execute(
            sa.select(OUTBOX.c.initiative_id).where(OUTBOX.c.record_type == record_type).order_by(OUTBOX.c.id)
        ).scalars())


def log_end(engine: sa.Engine) -> Position:
    """The position of the change log's last row (the start when it is empty)."""
    with engine.connect() as connection:
        row = connection.execute(
            sa.select(OUTBOX.c.txid, OUTBOX.c.id).order_by(OUTBOX.c.txid.desc(), OUTBOX.c.id.desc()).limit(1)
        ).first()
    return Position(*row) if row else Position()


def caught_up(app: Any, engine: sa.Engine) -> bool:
    """Whether the app's index has applied every change in the log."""
    position = app.state.search_progress.position
    return position is not None and position >= log_end(engine)


def server_position(base_url: str) -> Position | None:
    """Where a running server's own (embedded) index stands in the change log, as its /readyz says."""
    import re

    import httpx

    detail = httpx.get(f"{base_url}/readyz", timeout=10).json()["checks"]["search"]["detail"]
    found = re.search(r"position (\d+):(\d+)", detail)
    return Position(int(found[1]), int(found[2])) if found else None


def wait_until_server_caught_up(base_url: str, engine: sa.Engine, timeout: float = 30) -> None:
    """Return once the server's index has applied every change now in the log; fails after `timeout`."""
    import time

    end = log_end(engine)
    deadline = time.monotonic() + timeout
    while (position := server_position(base_url)) is None or position < end:
        assert time.monotonic() < deadline, f"the server's index stayed at {position}, the log ends at {end}"
        time.sleep(0.05)
