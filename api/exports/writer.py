"""Writing an export: each entity of a scope in JSON Lines and CSV, then the manifest."""

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic.runtime.migration import MigrationContext

from api.auth.principal import ANONYMOUS, Principal
from api.core.db import UTCDateTime, utcnow
from api.exports.entities import Embedded, Entity, Scope, file_names, in_scope
from api.exports.formats import EntityFiles, json_value, timestamp, write_json

FORMAT = "coplab-export/1"
MANIFEST = "manifest.json"

# Told each entity's name and row count before its rows are written; returns what to call after each row.
Tracker = Callable[[str, int], Callable[[], None]]


def schema_version(connection: sa.Connection) -> str | None:
    """The Alembic revision the database is at (None before `coplab db upgrade`)."""
    return MigrationContext.configure(connection).get_current_revision()


def data_version(connection: sa.Connection, scope: Scope) -> str:
    """A key that changes whenever the rows an export of `scope` reads from change: per table, the
    number of rows and the newest value of each timestamp column. One read, whatever the size.

    Services stamp `updated_at` on every change (a list of codes replaced included) and every row
    is created with its timestamps, so an insert, an update or a delete moves the key; it is the
    same in every process reading the same database."""
    tables = list(dict.fromkeys(table for entity in in_scope(scope) for table in _tables(entity)))
    measures = []
    for table in tables:
        measures.append(sa.select(sa.func.count()).select_from(table).scalar_subquery())
        measures += [
            sa.select(sa.func.max(column)).scalar_subquery()
            for column in table.columns
            if isinstance(column.type, UTCDateTime)
        ]
    values = connection.execute(sa.select(*measures)).one()
    text = "|".join(value.isoformat() if isinstance(value, datetime) else str(value) for value in values)
    return hashlib.sha256(text.encode()).hexdigest()


def _tables(entity: Entity) -> list[sa.Table]:
    return [entity.table, *(embedded.table for embedded in entity.embedded)]


def write_export(
    *, engine: sa.Engine, directory: Path, scope: Scope, track: Tracker | None = None, dated_by_data: bool = False
) -> dict[str, Any]:
    """Write every entity of `scope` into `directory`, then manifest.json; returns the manifest.

    `generated_at` is the time of writing; with `dated_by_data`, the newest timestamp among the
    exported records instead (null for an empty export), so the manifest too is a function of the
    data alone, whichever process writes it and whenever."""
    private = scope is Scope.ALL
    directory.mkdir(parents=True, exist_ok=True, mode=0o700 if private else 0o755)
    # Written last: a directory whose writing failed half-way has no manifest to import it by.
    (directory / MANIFEST).unlink(missing_ok=True)
    principal = None if private else ANONYMOUS
    entities: dict[str, Any] = {}
    newest: list[datetime] = []  # each entity's newest timestamp
    with _snapshot(engine) as connection:
        version = schema_version(connection)
        for entity in in_scope(scope):
            entities[entity.name], entity_newest = _write_entity(connection, entity, directory, principal, track)
            newest += [entity_newest] if entity_newest is not None else []
    generated_at = max(newest, default=None) if dated_by_data else utcnow()
    manifest = {
        "format": FORMAT,
        "scope": scope.value,
        "schema_version": version,
        "generated_at": timestamp(generated_at) if generated_at is not None else None,
        "entities": entities,
    }
    write_json(directory / MANIFEST, manifest, private=private)
    return manifest


@contextmanager
def _snapshot(engine: sa.Engine) -> Iterator[sa.Connection]:
    """One read transaction over every file, so the ids one file names are in the others."""
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            if connection.dialect.name == "sqlite":
                # pysqlite opens no transaction for reads: each SELECT would see the latest commit.
                connection.exec_driver_sql("BEGIN")
            yield connection


def _write_entity(
    connection: sa.Connection,
    entity: Entity,
    directory: Path,
    principal: Principal | None,
    track: Tracker | None,
) -> tuple[dict[str, Any], datetime | None]:
    """Write one entity's files; returns what the manifest says of them and the newest timestamp
    among its records."""
    scope = Scope.ALL if principal is None else Scope.PUBLIC
    statement = entity.statement(principal)
    total = connection.execute(sa.select(sa.func.count()).select_from(statement.subquery())).scalar_one()
    advance = track(entity.name, total) if track is not None else (lambda: None)
    files = EntityFiles(directory, file_names(entity), entity.fields(scope), private=principal is None)
    rows = 0
    newest: datetime | None = None
    try:
        for record, stamps in _records(connection, entity, statement, principal):
            files.write(record)
            newest = max([*stamps, newest] if newest is not None else stamps, default=None)
            rows += 1
            advance()
    finally:
        checksums = files.close()
    return {"rows": rows, "files": checksums}, newest


def _records(
    connection: sa.Connection, entity: Entity, statement: sa.Select, principal: Principal | None
) -> Iterator[tuple[dict[str, Any], list[datetime]]]:
    """The entity's records in primary key order, embedded lists included, each with its timestamps."""
    lists = {embedded.name: _lists(connection, embedded, principal) for embedded in entity.embedded}
    ordered = statement.order_by(*_binary_order(entity.primary_key, connection.dialect))
    for row in connection.execute(ordered).mappings():
        record = {name: json_value(value) for name, value in row.items()}
        for name, by_owner in lists.items():
            record[name] = by_owner.get(row["id"], [])
        yield record, [value for value in row.values() if isinstance(value, datetime)]


def _lists(connection: sa.Connection, embedded: Embedded, principal: Principal | None) -> dict[Any, list[Any]]:
    by_owner: dict[Any, list[Any]] = {}
    for owner, value in connection.execute(embedded.statement(principal)):
        by_owner.setdefault(owner, []).append(value)
    # Sorted here, by code point: PostgreSQL would sort text by its locale.
    return {owner: sorted(values) for owner, values in by_owner.items()}


def _binary_order(columns: tuple[sa.Column, ...], dialect: sa.Dialect) -> list[sa.ColumnElement]:
    """Text keys by code point on every backend (PostgreSQL's default collation follows the locale),
    so the same rows come out in the same order from SQLite and PostgreSQL."""
    if dialect.name != "postgresql":
        return list(columns)
    return [column.collate("C") if isinstance(column.type, sa.String) else column for column in columns]
