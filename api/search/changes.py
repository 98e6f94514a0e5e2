"""Reading the search change log (`search_outbox`) from a position, so that every index converges on
every committed change however many processes follow it and however transactions interleave
(docs/search-indexing.md, "Following the change log").

A position is a row's (transaction id, row id). On PostgreSQL transactions commit out of id order, so
a follower reads only rows written by transactions below the *horizon*: the oldest transaction still
running when it looks (`pg_snapshot_xmin`). Every transaction below it has ended, so its rows are all
visible or never will be, and no row can appear later behind a position already passed. On SQLite
writers hold the database's write lock from their first write to their commit, so rows become
visible in id order and every committed row is below the horizon; their transaction id is 0.
"""

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel.ext.asyncio.session import AsyncSession

from api.core.db import database_epoch, transaction_horizon, utcnow
from api.search.models import INITIATIVE, SearchLogState, SearchOutbox

STATE = SearchLogState.__table__
LOG = SearchOutbox.__table__


@dataclass(frozen=True, order=True)
class Position:
    """Just after the row (txid, id): a follower has applied every row at or before it."""

    txid: int = 0
    id: int = 0


@dataclass(frozen=True)
class Change:
    position: Position
    initiative_id: int  # the id of a record of `record_type`
    record_type: str = INITIATIVE


def _after(position: Position) -> sa.ColumnElement[bool]:
    return sa.or_(LOG.c.txid > position.txid, sa.and_(LOG.c.txid == position.txid, LOG.c.id > position.id))


def _is_postgresql(session: AsyncSession) -> bool:
    return session.bind.dialect.name == "postgresql"  # type: ignore[union-attr]


async def horizon(session: AsyncSession) -> int | None:
    """Transactions below this id have all ended (PostgreSQL); None where rows arrive in order (SQLite)."""
    if not _is_postgresql(session):
        return None
    return (await session.exec(sa.select(transaction_horizon()))).scalar_one()  # type: ignore[call-overload]


async def start(session: AsyncSession) -> Position:
    """Where a follower that builds its index from the database now starts: before every change the
    build may miss. Rows after it that the build saw already are applied again, harmlessly: documents
    are whole replacements built from the database as it is."""
    below = await horizon(session)
    if below is not None:
        return Position(below, 0)
    last = (await session.exec(sa.select(sa.func.max(LOG.c.id)))).scalar_one()  # type: ignore[call-overload]
    return Position(0, last or 0)


async def read_after(session: AsyncSession, position: Position, limit: int) -> list[Change]:
    """Up to `limit` committed changes after `position`, in log order."""
    # The horizon is read in the same statement, so by the same snapshot as the rows.
    statement = sa.select(LOG.c.txid, LOG.c.id, LOG.c.initiative_id, LOG.c.record_type).where(
        _after(position), LOG.c.txid < transaction_horizon()
    )
    rows = (await session.exec(statement.order_by(LOG.c.txid, LOG.c.id).limit(limit))).all()  # type: ignore[call-overload]
    return [Change(Position(txid, row_id), record_id, kind) for txid, row_id, record_id, kind in rows]


async def waiting(session: AsyncSession, position: Position) -> tuple[int, float | None]:
    """How many changes after `position` wait, and the age in seconds of the oldest of them."""
    count, oldest = (
        await session.exec(sa.select(sa.func.count(), sa.func.min(LOG.c.enqueued_at)).where(_after(position)))  # type: ignore[call-overload]
    ).one()
    if not count or oldest is None:
        return 0, None
    return count, max(0.0, (utcnow() - oldest).total_seconds())


async def state(session: AsyncSession) -> SearchLogState:
    """The log's shared state row (made when a database created without the migrations lacks it)."""
    found = await session.get(SearchLogState, 1)
    if found is None:
        insert = (postgresql.insert if _is_postgresql(session) else sqlite.insert)(STATE)
        await session.exec(insert.values(id=1).on_conflict_do_nothing())  # type: ignore[call-overload]
        found = await session.get(SearchLogState, 1)
    assert found is not None
    return found


async def pruned_through(session: AsyncSession) -> Position:
    """Rows at or before this position may be gone: a follower behind it must rebuild."""
    row = (await session.exec(sa.select(STATE.c.pruned_txid, STATE.c.pruned_id).where(STATE.c.id == 1))).first()  # type: ignore[call-overload]
    return Position(*row) if row else Position()


async def prune(session: AsyncSession, *, older_than_seconds: float) -> int:
    """Delete rows enqueued more than `older_than_seconds` ago and record how far the log is pruned;
    the number of rows deleted."""
    cutoff = utcnow() - timedelta(seconds=older_than_seconds)
    statement = sa.delete(LOG).where(LOG.c.enqueued_at < cutoff).returning(LOG.c.txid, LOG.c.id)
    deleted = (await session.exec(statement)).all()  # type: ignore[call-overload]
    if not deleted:
        return 0
    last = max(Position(txid, row_id) for txid, row_id in deleted)
    current = await state(session)
    if last > Position(current.pruned_txid, current.pruned_id):
        current.pruned_txid, current.pruned_id = last.txid, last.id
        session.add(current)
    return len(deleted)


# The shared index's indexer (Meilisearch): one process at a time holds a lease, renewed while it runs.


async def take_lease(session: AsyncSession, *, holder: str, seconds: float) -> bool:
    """Hold (or renew) the indexer's lease for `seconds`, by the database's clock; False while another
    live process holds it."""
    await state(session)
    result = await session.exec(
        sa.update(STATE)  # type: ignore[call-overload]
        .where(
            STATE.c.id == 1,
            sa.or_(STATE.c.leader.is_(None), STATE.c.leader == holder, STATE.c.lease_until < database_epoch()),
        )
        .values(leader=holder, lease_until=database_epoch() + seconds)
    )
    return result.rowcount == 1


async def release_lease(session: AsyncSession, *, holder: str) -> None:
    await session.exec(
        sa.update(STATE).where(STATE.c.id == 1, STATE.c.leader == holder).values(leader=None, lease_until=None)  # type: ignore[call-overload]
    )


async def indexed_position(session: AsyncSession) -> Position:
    """Where the shared index stands in the log."""
    current = await state(session)
    return Position(current.indexed_txid, current.indexed_id)


async def save_indexed_position(session: AsyncSession, position: Position, *, holder: str) -> bool:
    """Record the shared index's position, only while `holder` still holds the lease."""
    result = await session.exec(
        sa.update(STATE)  # type: ignore[call-overload]
        .where(STATE.c.id == 1, STATE.c.leader == holder)
        .values(indexed_txid=position.txid, indexed_id=position.id)
    )
    return result.rowcount == 1
