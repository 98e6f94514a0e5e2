"""Loading a verified export into an empty registry: one transaction, the ids kept, core bulk inserts."""

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

from api.core.db import UTCDateTime, utcnow
from api.exports.entities import ENTITIES, Embedded, Entity, in_scope
from api.exports.reader import Export, ExportProblems
from api.exports.writer import Tracker, schema_version
from api.initiatives.models import Initiative
from api.search.models import SearchOutbox
from api.vocabularies.models import Vocabulary

BATCH = 1000
# Any row in these means the registry already holds data an import would collide with.
REGISTRY_TABLES = ("organisation", "initiative", "evidence_assessment", "best_practice", "figure", "seed_record")
INITIATIVES = Initiative.__table__
# Tables whose ids come from a sequence on PostgreSQL.
SERIAL_TABLES = tuple(e.table.name for e in ENTITIES if list(e.table.primary_key.columns.keys()) == ["id"])


@contextmanager
def import_transaction(engine: sa.Engine) -> Iterator[sa.Connection]:
    """One write transaction from the first check to the last row: committed at the end, or nothing."""
    with engine.connect() as connection, connection.begin():
        if connection.dialect.name == "sqlite":
            # Take the write lock before the checks, so no writer slips in between them and the inserts.
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        yield connection


def check_target(connection: sa.Connection, export: Export) -> None:
    """The database is migrated to the export's schema version, has its vocabularies and holds no registry."""
    revision = schema_version(connection)
    if revision is None:
        raise ExportProblems(["the database has no schema: run `coplab db upgrade` and `coplab vocabularies load` first"])
    if revision != export.manifest.get("schema_version"):
        raise ExportProblems(
            [
                f"schema version: the export was written at revision {export.manifest.get('schema_version')!r}, the "
                f"database is at {revision!r}; bring the database to the export's revision (or export again "
                "from a database at this one)"
            ]
        )
    if connection.execute(sa.select(sa.func.count()).select_from(Vocabulary.__table__)).scalar_one() == 0:
        raise ExportProblems(["no vocabularies in the database: run `coplab vocabularies load` first"])
    held = _rows_held(connection)
    if held:
        listed = ", ".join(f"{count} in {table}" for table, count in held.items())
        raise ExportProblems([f"the registry is not empty ({listed}): import loads only into an empty registry"])


def _rows_held(connection: sa.Connection) -> dict[str, int]:
    metadata = INITIATIVES.metadata
    counts = {
        name: connection.execute(sa.select(sa.func.count()).select_from(metadata.tables[name])).scalar_one()
        for name in REGISTRY_TABLES
    }
    return {name: count for name, count in counts.items() if count}


def load(connection: sa.Connection, export: Export, track: Tracker | None = None) -> dict[str, int]:
    """Insert every record of the export; the rows loaded per entity."""
    loaded = {}
    for entity in in_scope(export.scope):
        records = export.records[entity.name]
        advance = track(entity.name, len(records)) if track is not None else None
        _insert(connection, entity, records, advance)
        loaded[entity.name] = len(records)
    _link_parts(connection, export.records["initiatives"])
    if connection.dialect.name == "postgresql":
        _advance_sequences(connection)
    _queue_for_search(connection)
    return loaded


def _insert(
    connection: sa.Connection, entity: Entity, records: Sequence[dict[str, Any]], advance: Callable[[], None] | None
) -> None:
    for start in range(0, len(records), BATCH):
        batch = records[start : start + BATCH]
        connection.execute(entity.table.insert(), [_row(entity, record) for record in batch])
        for embedded in entity.embedded:
            listed = [row for record in batch for row in _embedded_rows(embedded, record)]
            if listed:
                connection.execute(embedded.table.insert(), listed)
        if advance is not None:
            for _ in batch:
                advance()


def _row(entity: Entity, record: dict[str, Any]) -> dict[str, Any]:
    row = {name: record[name] for name in entity.columns}
    if entity.table is INITIATIVES:
        # An initiative may be part of one with a larger id: linked once all are in (`_link_parts`).
        row["part_of_id"] = None
    return row


def _embedded_rows(embedded: Embedded, record: dict[str, Any]) -> list[dict[str, Any]]:
    scheme = {"scheme": embedded.scheme} if embedded.scheme is not None else {}
    return [{embedded.owner: record["id"], embedded.value: value, **scheme} for value in record[embedded.name]]


def _link_parts(connection: sa.Connection, initiatives: Sequence[dict[str, Any]]) -> None:
    links = [{"initiative": r["id"], "whole": r["part_of_id"]} for r in initiatives if r["part_of_id"] is not None]
    if links:
        statement = (
            INITIATIVES.update()
            .where(INITIATIVES.c.id == sa.bindparam("initiative"))
            .values(part_of_id=sa.bindparam("whole"))
        )
        connection.execute(statement, links)


def _advance_sequences(connection: sa.Connection) -> None:
    """Move each id sequence past the largest id loaded, so the next record created gets a new one."""
    for table in SERIAL_TABLES:
        connection.execute(
            sa.text(
                "SELECT setval(pg_get_serial_sequence(:table, 'id'), COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) "
                f'FROM "{table}"'
            ),
            {"table": f'"{table}"'},
        )


def _queue_for_search(connection: sa.Connection) -> None:
    """Queue every live initiative in the search outbox, in this transaction: the indexer (the API
    process's, or `coplab search worker`) then builds their documents, whatever the engine."""
    outbox = SearchOutbox.__table__
    live = sa.select(INITIATIVES.c.id, sa.literal(utcnow(), UTCDateTime())).where(INITIATIVES.c.deleted_at.is_(None))
    connection.execute(outbox.insert().from_select(["initiative_id", "enqueued_at"], live.order_by(INITIATIVES.c.id)))
