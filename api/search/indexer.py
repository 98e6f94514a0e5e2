"""The indexer: follows the search change log into an index, in batches and in log order, retrying
with backoff while the engine fails (docs/search-indexing.md).

Each batch reads the changes after the index's position (api/search/changes.py), collapses repeated
initiatives, rebuilds their documents from the database as it is now, replaces them in the engine (or
removes them), waits until they are searchable, and only then moves the position past them. A batch
that fails leaves the position where it was, and documents are full replaces built from current
state, so applying a change twice is harmless.

Every API process with the embedded engine follows the log into its own index, from a position it
keeps in memory. A shared index (Meilisearch) has one indexer at a time: the process holding the
lease, which keeps the index's position in the database, so another process takes over where it stopped.
"""

import asyncio
import contextlib
import logging
import math
import os
import queue
import socket
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import insert, literal, or_, union
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.core.db import UTCDateTime, utcnow
from api.core.health import Detail
from api.initiatives.models import Initiative, Participation
from api.core.log_redaction import redact
from api.organisations.models import Organisation
from api.search import changes, documents, records
from api.search.changes import Position
from api.search.backend import SearchBackend
from api.search.models import INITIATIVE, SearchOutbox
from api.core.settings import Settings

log = logging.getLogger("coplab.search")

Sessions = async_sessionmaker[AsyncSession]


class IndexerState(Protocol):
    """What the indexer needs: the app's state, or the worker's."""

    settings: Settings
    search: SearchBackend
    indexer_session_factory: Sessions
    search_progress: "SearchProgress"


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


async def apply_batch(
    *,
    sessions: Sessions,
    backend: SearchBackend,
    position: Position,
    size: int = 200,
    others: "records.Backends | None" = None,
) -> tuple[Batch, Position]:
    """Apply up to `size` changes after `position`; the batch and the position after it. Raises when
    the engine (or the database) fails: the caller keeps its position and tries again. `others` are
    the record indexes beside the initiatives index (api/search/records.py), fed from the same log."""
    async with sessions() as session:
        read = await changes.read_after(session, position, size)
        if not read:
            return Batch(0, 0, 0), position
        initiative_ids = list(dict.fromkeys(c.initiative_id for c in read if c.record_type == INITIATIVE))
        # Read after the changes: the documents reflect at least the writes that logged them.
        found, gone = await documents.build(session=session, initiative_ids=initiative_ids)
        built = await records.build_changed(session=session, read=read, backends=others or {})
    await asyncio.to_thread(_send, backend, found, gone)
    for kind, (kind_found, kind_gone) in built.items():
        await asyncio.to_thread(_send, (others or {})[kind], kind_found, kind_gone)
    upserted = len(found) + sum(len(f) for f, _ in built.values())
    deleted = len(gone) + sum(len(g) for _, g in built.values())
    return Batch(len(read), upserted, deleted), read[-1].position


def _send(backend: SearchBackend, found: Sequence[dict], gone: Sequence[str]) -> None:
    if found:
        backend.upsert(found)
    if gone:
        backend.delete(gone)
    backend.wait()


async def drain(
    *,
    sessions: Sessions,
    backend: SearchBackend,
    size: int = 200,
    position: Position = Position(),
    others: "records.Backends | None" = None,
) -> tuple[int, Position]:
    """Apply every change after `position` (the whole log, by default) until none is left, once and
    without retries; the number of changes applied and the position reached."""
    total = 0
    while True:
        batch, position = await apply_batch(sessions=sessions, backend=backend, position=position, size=size, others=others)
        if not batch.rows:
            return total, position
        total += batch.rows


@dataclass(frozen=True)
class Backlog:
    rows: int  # changes waiting
    oldest_seconds: float | None  # how long the longest-waiting one has waited


async def backlog(*, sessions: Sessions, position: Position | None = None) -> Backlog:
    """The changes an index has not applied yet (the shared index's, unless `position` is given): how
    many, and how long the oldest has waited."""
    async with sessions() as session:
        if position is None:
            position = await changes.indexed_position(session)
        return Backlog(*await changes.waiting(session, position))


async def pending(*, sessions: Sessions) -> int:
    """How many changes the shared index has not applied yet."""
    return (await backlog(sessions=sessions)).rows


_DONE = object()


async def rebuild(
    *,
    sessions: Sessions,
    backend: SearchBackend,
    progress: Callable[[int], Any] | None = None,
    others: "records.Backends | None" = None,
    record_progress: Callable[[str, int], Any] | None = None,
) -> int:
    """Rebuild the engine's index from the database (for Meilisearch: a shadow index, then a swap);
    the number of documents. Documents stream to the engine batch by batch, never all in memory.
    `others`, the record indexes, are rebuilt after it the same way (`record_progress(kind, n)`)."""
    count = await rebuild_one(
        sessions=sessions, backend=backend, every_id=documents.every_initiative_id, progress=progress,
        build=lambda session, ids: documents.build(session=session, initiative_ids=ids),
    )
    for kind, other in (others or {}).items():
        index = records.RECORD_INDEXES[kind]
        count += await rebuild_one(
            sessions=sessions, backend=other, every_id=index.every_id,
            build=lambda session, ids, index=index: index.build(session=session, ids=ids),  # type: ignore[misc]
            progress=(lambda n, kind=kind: record_progress(kind, n)) if record_progress else None,  # type: ignore[misc]
        )
    return count


async def rebuild_one(
    *,
    sessions: Sessions,
    backend: SearchBackend,
    every_id: Callable[..., Any],
    build: Callable[[AsyncSession, list[int]], Any],
    progress: Callable[[int], Any] | None = None,
) -> int:
    """Rebuild one index from the ids `every_id(session=)` yields and the documents `build` makes."""
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
            async for ids in every_id(session=session):
                found, _ = await build(session, ids)
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


@dataclass
class SearchProgress:
    """This process's indexing, as /readyz and /metrics read it."""

    built: bool = False  # the index holds the registry (embedded: built since the process started)
    position: Position | None = None  # None: the index must be built from the database first
    caught_up_at: float | None = None  # time.monotonic() when a read last found nothing more to apply
    leader: bool = False  # shared index: this process holds the indexer's lease
    lease_renewed_at: float = -math.inf
    failing: str | None = None  # the last error, while the indexer backs off

    def caught_up_within(self, seconds: float) -> bool:
        return self.caught_up_at is not None and time.monotonic() - self.caught_up_at <= seconds


async def readiness(app: Any) -> tuple[bool, str | Detail]:  # noqa: ANN401
    """/readyz's search check. Embedded: this process's index is built and has applied every change
    within `search_ready_lag_seconds`; its position in the log is named (tests compare it with the
    log's end). A shared index: no change has waited longer than that for whichever process indexes."""
    settings, progress = app.state.settings, app.state.search_progress
    bound = settings.search_ready_lag_seconds
    if app.state.search.name == "embedded":
        if not progress.built or progress.position is None:
            return False, "the search index is being built from the database"
        # The digest of the documents held in each index: equal digests, equal indexes (`coplab search
        # check --server`); the initiatives' first, then each record index's named by its record type.
        digests = [f"digest {app.state.search.stats().digest}"] + [
            f"{kind} digest {other.stats().digest}" for kind, other in getattr(app.state, "record_search", {}).items()
        ]
        where = f"position {progress.position.txid}:{progress.position.id}, {', '.join(digests)}"
        if not progress.caught_up_within(bound):
            behind = "the search index is behind the change log"
            return False, Detail(behind, f"{behind} ({where})")
        return True, Detail("caught up", f"caught up ({where})")
    waiting = await backlog(sessions=app.state.session_factory)
    if waiting.oldest_seconds is not None and waiting.oldest_seconds > bound:
        return False, f"{waiting.rows} changes wait; the oldest for {waiting.oldest_seconds:.0f} s"
    return True, f"{waiting.rows} changes wait"


async def wait_until_built(progress: SearchProgress, indexer: asyncio.Task) -> None:
    """Return once the indexer has built the index (it keeps retrying while the database or engine
    fails); raise if the indexer ended first."""
    while not progress.built:
        if indexer.done():
            indexer.result()  # its error, if it failed
            raise RuntimeError("the search indexer stopped before the index was built")
        await asyncio.sleep(0.05)


async def _follow_own(
    sessions: Sessions, backend: SearchBackend, progress: SearchProgress, size: int, others: "records.Backends"
) -> Batch:
    """One step of a process's own index (embedded): built first, rebuilt when the log was pruned past
    its position, otherwise the next batch of changes."""
    async with sessions() as session:
        if progress.position is not None and await changes.pruned_through(session) > progress.position:
            log.warning("search index: the change log was pruned past this index's position; rebuilding")
            progress.position = None
        start = await changes.start(session) if progress.position is None else None
    if start is not None:
        count = await rebuild(sessions=sessions, backend=backend, others=others)
        progress.position, progress.built = start, True
        log.info("search index built from the database: %d documents", count)
    assert progress.position is not None
    batch, progress.position = await apply_batch(
        sessions=sessions, backend=backend, position=progress.position, size=size, others=others
    )
    return batch


async def _follow_shared(
    sessions: Sessions,
    backend: SearchBackend,
    progress: SearchProgress,
    settings: Settings,
    holder: str,
    others: "records.Backends",
) -> Batch | None:
    """One step of the shared index's indexer, or None while another process holds the lease."""
    lease = settings.search_lease_seconds
    async with sessions() as session:
        if time.monotonic() - progress.lease_renewed_at > lease / 3:
            renewed = await changes.take_lease(session, holder=holder, seconds=lease)
            await session.commit()
            if not renewed:
                if progress.leader:
                    log.warning("search indexer: lost the lease; another process indexes now")
                progress.leader, progress.lease_renewed_at = False, -math.inf
                return None
            if not progress.leader:
                log.info("search indexer: this process indexes the shared index (lease %s)", holder)
            progress.leader, progress.lease_renewed_at = True, time.monotonic()
        position = await changes.indexed_position(session)
        behind = await changes.pruned_through(session) > position
        start = await changes.start(session) if behind else None
    if start is not None:
        log.warning("search index: the change log was pruned past the shared index's position; rebuilding")
        await rebuild(sessions=sessions, backend=backend, others=others)
        position = start
    batch, position = await apply_batch(
        sessions=sessions, backend=backend, position=position, size=settings.search_batch_size, others=others
    )
    async with sessions() as session:
        saved = await changes.save_indexed_position(session, position, holder=holder)
        await session.commit()
    if not saved:  # the lease lapsed meanwhile: the next holder applies these changes again, harmlessly
        progress.leader, progress.lease_renewed_at = False, -math.inf
        return None
    progress.position, progress.built = position, True
    return batch


async def _prune(sessions: Sessions, settings: Settings) -> None:
    async with sessions() as session:
        removed = await changes.prune(session, older_than_seconds=settings.search_log_retention_seconds)
        await session.commit()
    if removed:
        log.info("search change log: pruned %d changes older than %.0f s", removed, settings.search_log_retention_seconds)


async def run_indexer(app_state: IndexerState, stop_event: asyncio.Event) -> None:
    """Follow the change log until `stop_event` is set, polling every `search_poll_seconds`, backing off
    while the engine fails: into this process's own index (embedded), or, while this process holds the
    lease, into the shared one. Prunes the log now and then."""
    settings, backend, sessions = app_state.settings, app_state.search, app_state.indexer_session_factory
    # The record indexes (evidence, best practices) follow the same log, in the same batches.
    others: records.Backends = getattr(app_state, "record_search", None) or {}
    progress: SearchProgress = getattr(app_state, "search_progress", None) or SearchProgress()
    app_state.search_progress = progress
    own_index = backend.name == "embedded"
    holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    backoff = Backoff(settings.search_retry_initial_seconds, settings.search_retry_max_seconds)
    # A server's index may not exist yet, or have other settings: documents added to a missing index
    # would create it without its filterable attributes, and every search would then be refused.
    needs_settings = True
    pruned_at = -math.inf
    try:
        while not stop_event.is_set():
            try:
                if needs_settings:
                    await asyncio.to_thread(backend.ensure_index)
                    for other in others.values():
                        await asyncio.to_thread(other.ensure_index)
                    needs_settings = False
                if own_index:
                    batch: Batch | None = await _follow_own(sessions, backend, progress, settings.search_batch_size, others)
                else:
                    batch = await _follow_shared(sessions, backend, progress, settings, holder, others)
                if time.monotonic() - pruned_at > settings.search_prune_interval_seconds:
                    await _prune(sessions, settings)
                    pruned_at = time.monotonic()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the engine (or the database) failed: keep the position, try again later
                delay = backoff.failed()
                progress.failing = describe(error)
                log.warning("search indexer: %s; position kept, retrying in %.1f s", progress.failing, delay)
                await _pause(stop_event, delay)
                continue
            backoff.succeeded()
            if progress.failing is not None:
                log.info("search indexer: the engine answers again; catching up")
                progress.failing = None
            if batch is None:  # another process indexes the shared index: ask for the lease again later
                await _pause(stop_event, settings.search_lease_seconds / 3)
            elif batch.rows < settings.search_batch_size:
                progress.caught_up_at = time.monotonic()
                await _pause(stop_event, settings.search_poll_seconds)
    finally:
        if progress.leader:
            with contextlib.suppress(Exception):  # the lease lapses by itself if the database is gone
                async with sessions() as session:
                    await changes.release_lease(session, holder=holder)
                    await session.commit()
            progress.leader = False


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
        # The record indexes: assessments and practices changed since (an initiative's queue row
        # covers its assessments), and those of the organisations changed since.
        requeued = (result.rowcount or 0) + await records.requeue_changed_since(session=session, since=since)
        await session.commit()
        return requeued
