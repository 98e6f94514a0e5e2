"""`coplab search` (registered in api/cli.py): the search index of initiatives (docs/search-indexing.md)."""

import asyncio
from typing import TYPE_CHECKING, Annotated

import typer
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.core import logs
from api.core.console import console, database_engine, progress
from api.core.db import session_factory
from api.core.settings import get_settings
from api.search.backend import SearchUnavailable
from api.search.indexer import describe

if TYPE_CHECKING:
    from api.search.backend import SearchBackend
    from api.search.consistency import Differences

search_app = typer.Typer(help="The search index of initiatives (docs/search-indexing.md).", no_args_is_help=True)

EMBEDDED_NOTE = (
    "The embedded engine keeps its index in the memory of each API process, which builds it from the "
    "database when it starts and follows the change log itself"
)


def _backend() -> "SearchBackend":
    from api.search.engines import create_backend

    return create_backend(get_settings())


def _record_backends() -> dict[str, "SearchBackend"]:
    """The evidence and best-practice indexes beside the initiatives index (api/search/records.py)."""
    from api.search.records import create_backends

    return create_backends(get_settings())


# Each record index's progress bar.
RECORD_LABELS = {"evidence": "evidence assessments", "best_practice": "best practices"}
INDEX_LABELS = {"initiatives": "initiatives", **RECORD_LABELS}


def _digests(digests: dict[str, str] | None) -> str:
    if not digests:
        return "none named"
    return ", ".join(f"{INDEX_LABELS.get(kind, kind)} {digest}" for kind, digest in digests.items())


@search_app.command("worker")
def search_worker() -> None:
    """Index the shared search index from the change log until interrupted, while this process holds the
    indexer's lease (one process at a time indexes; another takes over when it stops), retrying while
    the engine is down (Meilisearch only).

    Stops on Ctrl-C or SIGTERM. For deployments whose API processes run with
    COPLAB_SEARCH_INDEXER_IN_PROCESS=false."""
    import signal
    from types import SimpleNamespace

    from api.search.indexer import run_indexer

    backend = _backend()
    if backend.name == "embedded":
        console.print(f"[red]{EMBEDDED_NOTE}; a worker in another process cannot reach that index. "
                      "Configure COPLAB_MEILISEARCH_URL to run a worker.")
        raise typer.Exit(2)
    logs.configure(get_settings())  # the indexer's log lines, as the API's (docs/operations.md, Logs)

    async def main() -> None:
        async with database_engine() as engine:
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            state = SimpleNamespace(
                settings=get_settings(),
                search=backend,
                record_search=_record_backends(),
                indexer_session_factory=session_factory(engine),
            )
            console.print(f"indexing the search change log into {backend.name} while this process holds the lease; Ctrl-C stops")
            await run_indexer(state, stop)

    asyncio.run(main())
    console.print("search worker stopped")


@search_app.command("reindex")
def search_reindex() -> None:
    """Rebuild the search index from the database, without downtime.

    With Meilisearch, a fresh index is built beside the live one and swapped in, so searches go on
    meanwhile; changes made during the rebuild are queued again for the indexer. The embedded
    engine's index lives in the API process, which rebuilds it when it starts."""
    from datetime import timedelta

    from api.core.db import utcnow
    from api.search import record_documents
    from api.search.indexer import rebuild, requeue_changed_since

    backend = _backend()
    others = _record_backends()

    async def main() -> tuple[int, int]:
        async with database_engine() as engine:
            sessions = session_factory(engine)
            # A transaction open before the start may commit older timestamps after it: look back a minute.
            started = utcnow() - timedelta(minutes=1)
            async with sessions() as session:
                total = await _count_initiatives(session)
                totals = {kind: await record_documents.count(session=session, record_type=kind) for kind in others}
            with progress() as bars:
                task = bars.add_task("initiatives", total=total)
                tasks = {kind: bars.add_task(RECORD_LABELS[kind], total=totals[kind]) for kind in others}
                count = await rebuild(
                    sessions=sessions,
                    backend=backend,
                    progress=lambda n: bars.advance(task, n),
                    others=others,
                    record_progress=lambda kind, n: bars.advance(tasks[kind], n),
                )
            requeued = await requeue_changed_since(sessions=sessions, since=started)
            return count, requeued

    try:
        count, requeued = asyncio.run(main())
    except SearchUnavailable as error:
        unchanged = "; the live index is unchanged" if error.live_index_unchanged else ""
        console.print(f"[red]the search engine failed: {describe(error)}{unchanged}")
        raise typer.Exit(1) from None
    console.print(f"rebuilt the {backend.name} index: {count} documents; {requeued} changed meanwhile, queued again")
    console.print("(the initiatives index and, beside it, the evidence and best-practice indexes)")
    if backend.name == "embedded":
        console.print(f"Note: {EMBEDDED_NOTE}; this command built an index in its own process only, "
                      "which changes nothing a running server serves.")


async def _count_initiatives(session: AsyncSession) -> int:
    from sqlalchemy import func

    from api.initiatives.models import Initiative

    statement = select(func.count()).select_from(Initiative).where(col(Initiative.deleted_at).is_(None))
    return (await session.exec(statement)).one()


@search_app.command("check")
def search_check(
    show: Annotated[int, typer.Option(help="How many ids of each kind of difference to list.")] = 20,
    server: Annotated[
        list[str] | None,
        typer.Option(help="Embedded engine: also compare the index of the server at this address (repeatable).",
                     show_default=False),
    ] = None,
    answers: Annotated[
        int, typer.Option(min=1, help="--server: /readyz readings in a row that must agree (workers answer by turns).")
    ] = 20,
    wait: Annotated[float, typer.Option(min=0, help="--server: seconds each server has to agree.")] = 60.0,
) -> None:
    """Compare the database with the search index: missing, extra and different documents.

    Exits 1 when they differ. With Meilisearch this checks the index every server searches. The
    embedded engine's index lives in each API process: this builds one here and checks it, and with
    --server compares each running server's indexes (initiatives, evidence assessments, best practices)
    with these by digest (equal digests, equal documents; compare while no writes are under way, or a
    server may be a few changes ahead or behind). A server names its digests to holders of its
    metrics token only: this sends COPLAB_METRICS_TOKEN from the same settings as the servers'."""
    from api.search import record_documents
    from api.search.consistency import INITIATIVES, Differences, compare, differing, server_agrees
    from api.search.indexer import pending, rebuild
    from api.search.records import RECORD_INDEXES

    backend = _backend()
    others = _record_backends()
    checked: dict[str, int] = {}  # documents compared per index

    async def main() -> tuple["Differences", int]:
        async with database_engine() as engine:
            sessions = session_factory(engine)
            if backend.name == "embedded":
                await rebuild(sessions=sessions, backend=backend, others=others)
            async with sessions() as session:
                total = await _count_initiatives(session)
                totals = {kind: await record_documents.count(session=session, record_type=kind) for kind in others}
            with progress() as bars:
                task = bars.add_task("initiatives compared", total=total)
                differences = await compare(sessions=sessions, backend=backend, progress=lambda n: bars.advance(task, n))
                checked[INITIATIVES] = differences.checked
                for kind, other in others.items():
                    index = RECORD_INDEXES[kind]
                    bar = bars.add_task(f"{RECORD_LABELS[kind]} compared", total=totals[kind])
                    found = await compare(
                        sessions=sessions,
                        backend=other,
                        progress=lambda n, bar=bar: bars.advance(bar, n),
                        every_id=index.every_id,
                        build=lambda session, ids, index=index: index.build(session=session, ids=ids),
                    )
                    checked[kind] = found.checked
                    # Record documents' ids are named with their index, as `evidence:12`.
                    differences = Differences(
                        checked=differences.checked + found.checked,
                        missing=differences.missing + [f"{kind}:{i}" for i in found.missing],
                        extra=differences.extra + [f"{kind}:{i}" for i in found.extra],
                        different=differences.different + [f"{kind}:{i}" for i in found.different],
                    )
            # The embedded index just built here has applied everything; a shared one may lag its indexer.
            return differences, 0 if backend.name == "embedded" else await pending(sessions=sessions)

    if backend.name == "embedded" and not server:
        console.print(f"Note: {EMBEDDED_NOTE}. This check builds a fresh index here and compares it: it tests "
                      "document building and the engine; --server URL compares a running server's index with it.",
                      soft_wrap=True)
    try:
        differences, waiting = asyncio.run(main())
    except SearchUnavailable as error:
        console.print(f"[red]the search engine failed: {describe(error)}")
        raise typer.Exit(2) from None
    for label, ids in (("missing from the index", differences.missing), ("in the index but not in the database",
                       differences.extra), ("different from the database", differences.different)):
        if ids:
            listed = ", ".join(ids[:show]) + (" …" if len(ids) > show else "")
            console.print(f"{len(ids)} {label}: {listed}")
    if waiting:
        console.print(f"{waiting} changes are not yet applied to the index; differences in those are expected until the indexer catches up")
    if not differences.in_sync:
        raise typer.Exit(1)
    per_index = ", ".join(f"{INDEX_LABELS.get(kind, kind)} {count}" for kind, count in checked.items())
    console.print(f"in sync: {differences.checked} documents ({per_index})")
    if server and backend.name != "embedded":
        console.print("--server compares embedded indexes; with Meilisearch every server searches the index checked above")
    elif server:
        # Every index a server holds: the initiatives' and each record index (evidence, best practices).
        expected = {INITIATIVES: backend.stats().digest, **{kind: other.stats().digest for kind, other in others.items()}}
        assert all(expected.values())  # the embedded engine always has one
        named = _digests(expected)
        disagreeing = 0
        for url in server:
            agrees, seen = server_agrees(  # type: ignore[arg-type]
                url, expected, answers=answers, wait=wait, token=get_settings().metrics_token
            )
            if agrees:
                console.print(f"{url}: the same index (digest {expected[INITIATIVES]}, {answers} answers in a row; "
                              f"every index: {named})", soft_wrap=True)
            else:
                disagreeing += 1
                differ = differing(expected, seen)  # type: ignore[arg-type]
                console.print(f"[red]{url}: another index within {wait:.0f} s: digest "
                              f"{(seen or {}).get(INITIATIVES) or 'not named'}, expected {expected[INITIATIVES]}; "
                              f"different: {', '.join(INDEX_LABELS.get(k, k) for k in differ)} "
                              f"(seen {_digests(seen)}; expected {named})", soft_wrap=True)
        if disagreeing:
            raise typer.Exit(1)
