"""Database engines, sessions, the constraint naming convention and audit columns."""

import asyncio
import contextvars
import functools
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel import Field, SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

# Stable constraint names so Alembic can diff and drop them on every database.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


def _sql_function(name: str, type_: sa.types.TypeEngine, *, postgresql: str, sqlite: str, doc: str) -> type:
    """A SQL expression written once per database (for a column default, or a statement)."""
    function = type(name, (sa.sql.functions.FunctionElement,), {"type": type_, "inherit_cache": True, "__doc__": doc})
    compiles(function)(lambda element, compiler, **kw: sqlite)
    compiles(function, "postgresql")(lambda element, compiler, **kw: postgresql)
    return function


current_transaction_id = _sql_function(
    "current_transaction_id",
    sa.BigInteger(),
    postgresql="(pg_current_xact_id()::text::bigint)",
    sqlite="0",
    doc="The writing transaction's id: PostgreSQL's 64-bit `pg_current_xact_id()`, which never wraps "
    "around; 0 on SQLite, where writers commit one at a time, in the order of their rows' ids.",
)
transaction_horizon = _sql_function(
    "transaction_horizon",
    sa.BigInteger(),
    postgresql="(pg_snapshot_xmin(pg_current_snapshot())::text::bigint)",
    sqlite="9223372036854775807",
    doc="Every transaction with a lower id has ended (PostgreSQL: the snapshot's xmin); on SQLite, where "
    "rows become visible in order, above every id.",
)
database_epoch = _sql_function(
    "database_epoch",
    sa.Float(),
    postgresql="extract(epoch from clock_timestamp())",
    sqlite="((julianday('now') - 2440587.5) * 86400.0)",
    doc="Seconds since the epoch by the database's clock: one clock for every host sharing a lease.",
)


class UTCDateTime(sa.TypeDecorator):
    """A timezone-aware UTC timestamp on every backend (SQLite stores no offset)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime: store timezone-aware UTC values")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class AuditColumns(SQLModel):
    """When each record was created and last changed, and by whom (a principal's subject)."""

    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    created_by: str = Field(max_length=200)
    updated_by: str = Field(max_length=200)


def contains_pattern(text: str) -> str:
    """A case-folded LIKE pattern matching `text` literally anywhere (use with escape="\\")."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def sync_url(url: str) -> str:
    """The URL with a synchronous driver (Alembic, CLI)."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    driver = {"sqlite": "pysqlite", "postgresql": "psycopg"}.get(backend)
    return parsed.set(drivername=f"{backend}+{driver}").render_as_string(hide_password=False)


def async_url(url: str) -> str:
    """The URL with an asynchronous driver (the API)."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    driver = {"sqlite": "aiosqlite", "postgresql": "psycopg"}.get(backend)
    return parsed.set(drivername=f"{backend}+{driver}").render_as_string(hide_password=False)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record) -> None:  # noqa: ANN001
        cursor = dbapi_connection.cursor()
        # WAL lets readers proceed while one writer commits; foreign keys are off by default.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()


def _ensure_sqlite_dir(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        from pathlib import Path

        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)


def create_sync_engine(url: str) -> Engine:
    """A synchronous engine for migrations, the CLI and the OAuth server's worker threads."""
    _ensure_sqlite_dir(url)
    engine = sa.create_engine(sync_url(url))
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    return engine


def pool_options(url: str, *, size: int, overflow: int, statement_timeout_seconds: float) -> dict[str, Any]:
    """`create_engine` keywords for a pool of `size` connections kept open and `overflow` more opened
    under load, whose statements PostgreSQL cancels after `statement_timeout_seconds` (0: never)."""
    options: dict[str, Any] = {"pool_size": size, "max_overflow": overflow, "pool_pre_ping": True}
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql" and statement_timeout_seconds > 0:
        # Added to the URL's own `options` (a search_path, say), which connect_args would otherwise replace.
        given = parsed.query.get("options", "")
        given = " ".join(given) if isinstance(given, tuple) else given
        timeout = f"-c statement_timeout={int(statement_timeout_seconds * 1000)}"
        options["connect_args"] = {"options": f"{given} {timeout}".strip()}
    return options


def create_engine(url: str, **kwargs) -> AsyncEngine:  # noqa: ANN003
    """The API's asynchronous engine."""
    _ensure_sqlite_dir(url)
    engine = create_async_engine(async_url(url), **kwargs)
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine.sync_engine)
    return engine


# The session whose operation the current task is running, so an operation calling another of the
# same session (`scalar` calls `execute`) runs it directly instead of waiting for itself.
_operating: contextvars.ContextVar["AsyncSession | None"] = contextvars.ContextVar("operating_session", default=None)

# Every AsyncSession method that talks to the database.
_DATABASE_OPERATIONS = (
    "exec", "execute", "scalar", "scalars", "get", "get_one", "stream", "stream_scalars", "flush", "commit",
    "rollback", "refresh", "run_sync", "delete", "delete_all", "merge", "merge_all", "connection",
)


class CompletingSession(AsyncSession):
    """An AsyncSession whose database operations, once started, run to their end.

    graphql-core cancels the sibling fields of a field whose error reaches a shared parent, and
    strawberry's DataLoader cancels a batch nobody waits for any more. A statement cancelled
    halfway leaves its connection in an unknown state: SQLAlchemy invalidates it, and the
    request's session fails when it closes ("Cannot operate on a closed database", "the connection
    is closed") while the answer has already gone out. Here a cancelled caller only stops waiting:
    its operation completes, operations of one session run one at a time, and closing waits for
    any still running."""

    def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        super().__init__(*args, **kwargs)
        self._one_at_a_time = asyncio.Lock()
        self._running: set[asyncio.Future] = set()

    async def _complete(self, operation: Callable[..., Awaitable], *args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        if _operating.get() is self:
            return await operation(*args, **kwargs)

        async def run():  # noqa: ANN202
            _operating.set(self)  # in this task's own copy of the context
            async with self._one_at_a_time:
                return await operation(*args, **kwargs)

        task = asyncio.ensure_future(run())
        self._running.add(task)
        task.add_done_callback(self._finished)
        return await asyncio.shield(task)

    def _finished(self, task: asyncio.Future) -> None:
        self._running.discard(task)
        if not task.cancelled():
            task.exception()  # retrieved here: a caller that was cancelled never sees it

    async def close(self) -> None:
        while self._running:
            await asyncio.wait(list(self._running))
        try:
            await super().close()
        except sa.exc.DBAPIError as error:
            # Closing rolls back what was not committed; when the database went away (a restart, an
            # outage) the connection is gone and its transaction with it, so there is nothing left to
            # undo and the request's own answer stands (docs/operations.md, "A database outage").
            if not database_unavailable(error):
                raise


def _completing(name: str) -> Callable:
    inherited = getattr(AsyncSession, name)

    @functools.wraps(inherited)
    async def operation(self: CompletingSession, *args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        return await self._complete(functools.partial(inherited, self), *args, **kwargs)

    return operation


for _name in _DATABASE_OPERATIONS:
    if hasattr(AsyncSession, _name):
        setattr(CompletingSession, _name, _completing(_name))


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, class_=CompletingSession, expire_on_commit=False, autoflush=False)


@asynccontextmanager
async def transaction(factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A unit of work: commits once at the end, rolls back on any exception."""
    async with factory() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


async def rows_in_order(session: AsyncSession, statement: sa.Select, id_column: Any, ids: Sequence[int]) -> list[Any]:  # noqa: ANN401
    """The rows of `statement` whose `id_column` is among `ids`, in the order of `ids`; None where a
    row is missing (or the statement, a readable one, leaves it out). What a batch loader answers."""
    found = {row.id: row for row in (await session.exec(statement.where(id_column.in_(ids)))).all()}
    return [found.get(i) for i in ids]


# What a database server that is down, restarting or unreachable raises (psycopg's OperationalError,
# a connection the pool found closed, a full pool): an outage, not a bug. SQLite's OperationalError
# is not one: it also means a statement that is wrong.
UNAVAILABLE_ERRORS = (sa.exc.OperationalError, sa.exc.InterfaceError, sa.exc.TimeoutError)
DATABASE_UNAVAILABLE_MESSAGE = "The registry's database is unavailable at the moment; try again shortly."


def database_unavailable(error: BaseException | None) -> bool:
    """Whether `error` (or what caused it) says the database could not be reached, rather than that
    a statement was wrong."""
    while error is not None:
        if isinstance(error, sa.exc.DBAPIError) and isinstance(error.orig, sqlite3.Error):
            return False
        if isinstance(error, UNAVAILABLE_ERRORS) or (isinstance(error, sa.exc.DBAPIError) and error.connection_invalidated):
            return True
        error = error.__cause__
    return False
