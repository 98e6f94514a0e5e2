"""Work that must run once however many coplab processes and hosts start together on one database:
migrations, vocabularies and the first seed (`coplab serve`, `coplab migrate`).

On PostgreSQL a session-level advisory lock serialises it across hosts: the first process does the
work, the others wait, then find it done (migrating to head and loading vocabularies are no-ops the
second time, and the seed loads only into an empty registry). SQLite databases are files on one host,
so an exclusive lock on a file beside the database does the same.
"""

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from api.core.db import create_sync_engine

# pg_advisory_lock takes one bigint; this one is coplab's startup (the bytes of "coplab.1").
STARTUP_LOCK_KEY = int.from_bytes(b"coplab.1", "big") - 2**63


@contextmanager
def startup_lock(database_url: str) -> Iterator[None]:
    """Held while this process prepares the database; other processes starting meanwhile wait for it."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:":
            yield
            return
        lock_path = Path(url.database).with_name(Path(url.database).name + ".startup-lock")
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        with lock_path.open("a") as lock_file:
            fcntl.flock(lock_file, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock_file, fcntl.LOCK_UN)
        return
    engine = create_sync_engine(database_url)
    try:
        with engine.connect() as connection:
            connection.execute(sa.select(sa.func.pg_advisory_lock(STARTUP_LOCK_KEY)))
            connection.commit()
            try:
                yield
            finally:
                connection.execute(sa.select(sa.func.pg_advisory_unlock(STARTUP_LOCK_KEY)))
                connection.commit()
    finally:
        engine.dispose()
