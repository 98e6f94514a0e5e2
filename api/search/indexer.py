"""The indexer: drains the search outbox into the engine, in batches and in order, retrying with
backoff while the engine fails (docs/search-indexing.md).

Each batch reads outbox rows in id order, collapses repeated initiatives, rebuilds their documents
from the database as it is now, replaces them in the engine (or removes them), waits until they
are searchable, then deletes exactly the rows it read, by id. Transactions commit out of id order,
so a cursor ("everything up to id N is done") could skip a row committed late with a smaller id;
deleting by id cannot. A batch that fails leaves its rows in place, and documents are full
replaces built from current state, so running a batch twice is harmless.

Run one indexer per engine: the API process's own (the default), or one `coplab search worker`.
"""

import asyncio
import logging
import queue
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import func, insert, literal, or_, union
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.core.db import UTCDateTime, utcnow
from api.initiatives.models import Initiative, Participation
from api.core.log_redaction import redact
from api.organisations.models import Organisation
from api.search import documents
from api.search.backend import SearchBackend
from api.search.models import SearchOutbox
from api.core.settings import Settings

log = logging.getLogger("coplab.search")

Sessions = async_sessionmaker[AsyncSession]


class IndexerState(Protocol):
    """What the indexer needs: the app's state, or the worker's."""

    settings: Settings
    search: SearchBackend
    indexer_session_factory: Sessions


@dataclass
class Backoff:
    """Exponential backoff: `initial`, doubling on every failure, never above `maximum`."""

    initial: float = 0.2
    maximum: float = 30.0
    _next: float | None = None

    def failed(self) -> float:
        """The delay before the next attempt."""
        delay = self.initial if self._next is None else self._next
        self._next = min(delay * 2, self.maximum)
        return delay

    def succeeded(self) -> None:
        self._next = None


@dataclass(frozen=True)
class Batch:
    rows: int  # outbox rows processed
    upserted: int
    deleted: int


def describe(error: BaseException) -> str:
    """An error for the log: its kind and message, never credentials."""
    return redact(f"{type(error).__name__}: {error}")[:500]


async def drain_batch(*, sessions: Sessions, backend: SearchBackend, size: int = 200) -> Batch:
    """Process up to `size` outbox rows. Raises when the engine (or the database) fails, keeping the rows."""
    async with sessions() as session:
        rows = (
            await session.exec(
                select(SearchOutbox.id, SearchOutbox.initiative_id).order_by(col(SearchOutbox.id)).limit(size)
            )
        ).all()
        if not rows:
            return Batch(0, 0, 0)
        initiative_ids = list(dict.fromkeys(initiative_id for _, initiative_id in rows))
        # Read after the rows: the documents reflect at least the writes that queued them.
        found, gone = await documents.build(session=session, initiative_ids=initiative_ids)
    await asyncio.to_thread(_send, backend, found, gone)
    row_ids = [row_id for row_id, _ in rows]
    async with sessions() as session:
        await session.exec(delete(SearchOutbox).where(col(SearchOutbox.id).in_(row_ids)))
        await session.commit()
    return Batch(len(rows), len(found), len(gone))


def _send(backend: SearchBackend, found: Sequence[dict], gone: Sequence[str]) -> None:
    if found:
        backend.upsert(found)
    if gone:
        backend.delete(gone)
    backend.wait()


async def drain(*, sessions: Sessions, backend: SearchBackend, size: int = 200) -> int:
    """Process the outbox until it is empty (once, no retries); the number of rows processed."""
    total = 0
    while (batch := await drain_batch(sessions=sessions, backend=backend, size=size)).rows:
        total += batch.rows
    return total


@dataclass(frozen=True)
class Backlog:
    rows: int  # outbox rows waiting
    oldest: datetime | None  # when the longest-waiting one was queued


async def backlog(*, sessions: Sessions) -> Backlog:
    """The outbox rows waiting to be indexed: how many, and since when."""
    async with sessions() as session:
        rows, oldest = (
            await session.exec(select(func.count(), func.min(SearchOutbox.enqueued_at)).select_from(SearchOutbox))
        ).one()
    return Backlog(rows, oldest)


async def pending(*, sessions: Sessions) -> int:
    """How many outbox rows wait to be indexed."""
    return (await backlog(sessions=sessions)).rows


_DONE = object()


async def rebuild(*, sessions: Sessions, backend: SearchBackend, progress: Callable[[int], Any] | None = None) -> int:
    """Rebuild the engine's index from the database (for Meilisearch: a shadow index, then a swap);
    the number of documents. Documents stream to the engine batch by batch, never all in memory."""
    batches: queue.Queue = queue.Queue(maxsize=2)

    def stream() -> Any:
        while (batch := batches.get()) is not _DONE:
            yield from batch
            if progress is not None:
                progress(len(batch))

    building = asyncio.ensure_future(asyncio.to_thread(backend.rebuild, stream()))

    async def put(item: object) -> None:
        while not building.done():
            try:
                batches.put_nowait(item)
                return
            except queue.Full:
                await asyncio.sleep(0.005)

    count = 0
    try:
        async with sessions() as session:
            async for ids in documents.every_initiative_id(session=session):
                found, _ = await documents.build(session=session, initiative_ids=ids)
                count += len(found)
                await put(found)
    finally:
        await put(_DONE)
        await building  # raises the engine's error, if any
    return count


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        pass


async def run_indexer(app_state: IndexerState, stop_event: asyncio.Event) -> None:
    """Drain the outbox until `stop_event` is set, polling every `search_poll_seconds`, backing off
    while the engine fails. An in-memory engine (the embedded one) is first rebuilt from the database."""
    settings, backend, sessions = app_state.settings, app_state.search, app_state.indexer_session_factory
    backoff = Backoff(settings.search_retry_initial_seconds, settings.search_retry_max_seconds)
    needs_rebuild = backend.name == "embedded"
    # A server's index may not exist yet, or have other settings: documents added to a missing index
    # would create it without its filterable attributes, and every search would then be refused.
    needs_settings = True
    failing = False
    while not stop_event.is_set():
        try:
            if needs_settings:
                await asyncio.to_thread(backend.ensure_index)
                needs_settings = False
            if needs_rebuild:
                count = await rebuild(sessions=sessions, backend=backend)
                needs_rebuild = False
                log.info("search index rebuilt from the database: %d documents", count)
            batch = await drain_batch(sessions=sessions, backend=backend, size=settings.search_batch_size)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # the engine (or the database) failed: keep the rows, try again later
            delay = backoff.failed()
            log.warning("search indexer: %s; outbox kept, retrying in %.1f s", describe(error), delay)
            failing = True
            await _pause(stop_event, delay)
            continue
        backoff.succeeded()
        if failing:
            log.info("search indexer: the engine answers again; catching up")
            failing = False
        if batch.rows < settings.search_batch_size:
            await _pause(stop_event, settings.search_poll_seconds)


async def requeue_changed_since(*, sessions: Sessions, since: datetime) -> int:
    """Queue every initiative changed since `since`, directly or through an organisation it names.

    A rebuild reads the database while the indexer may go on writing to the live index; the swap
    then replaces those writes with what the rebuild read, possibly older. Queuing what changed
    meanwhile lets the indexer write it again, from current state."""
    changed_organisations = select(Organisation.id).where(col(Organisation.updated_at) >= since)
    touched = select(Initiative.id.label("initiative_id")).where(  # type: ignore[union-attr]
        or_(
            col(Initiative.updated_at) >= since,
            col(Initiative.lead_organisation_id).in_(changed_organisations),
        )
    )
    partnered = select(Participation.initiative_id).where(
        col(Participation.organisation_id).in_(changed_organisations)
    )
    ids = union(touched, partnered).subquery()
    async with sessions() as session:
        result = await session.exec(
            insert(SearchOutbox).from_select(
                ["initiative_id", "enqueued_at"], select(ids.c.initiative_id, literal(utcnow(), UTCDateTime()))
            )
        )
        await session.commit()
        return result.rowcount or 0
