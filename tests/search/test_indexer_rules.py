"""The indexer's own rules, called directly: a batch applies the changes after its position in log order,
sends each initiative once and moves the position past only what it applied; the log's horizon on PostgreSQL;
pruning and the lease; the retry backoff; credentials kept out of what it logs; the setting that leaves
indexing a shared index to `coplab search worker`."""

import pytest
import sqlalchemy as sa

from api.search import changes
from api.search.backend import SearchRequest, SearchUnavailable
from api.search.embedded import EmbeddedBackend
from api.core.settings import Settings
from api.search.changes import Position
from api.search.indexer import Backoff, apply_batch, describe
from tests.search.indexing import OUTBOX, FlakyEngine, fast, log_end, with_sessions


def test_a_batch_applies_changes_in_order_collapses_repeats_and_moves_past_only_what_it_applied(database_url, engine, make) -> None:  # noqa: ANN001
    settings = fast(database_url)
    inhope = make.organisation("inhope")
    first, second, third = (make.initiative(inhope, t) for t in ("First", "Second", "Third"))
    start = log_end(engine)
    with engine.begin() as connection:
        for initiative_id in (second.id, first.id, second.id, second.id, third.id):
            connection.execute(OUTBOX.insert().values(initiative_id=initiative_id, enqueued_at=first.created_at))
    index = FlakyEngine()

    def batch(position: Position) -> tuple:
        return with_sessions(settings, lambda sessions: apply_batch(sessions=sessions, backend=index, position=position, size=4))

    applied, position = batch(start)
    assert (applied.rows, applied.upserted, applied.deleted) == (4, 2, 0)
    assert sorted(index.upserted) == sorted([str(first.id), str(second.id)])  # the first four rows, each initiative once
    assert start < position < log_end(engine)

    index.down = True
    with pytest.raises(SearchUnavailable):
        batch(position)
    index.down = False
    applied, last = batch(position)  # the failed batch is applied again from the same position
    assert (applied.rows, index.upserted[-1], last) == (1, str(third.id), log_end(engine))
    applied, same = batch(last)
    assert (applied.rows, same) == (0, last)  # nothing after the end; the log keeps its rows
    with engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(OUTBOX)).scalar_one() >= 5


def test_a_change_is_read_only_once_every_earlier_transaction_has_ended(database_url, engine, make) -> None:  # noqa: ANN001
    """PostgreSQL commits out of id order: a transaction that wrote its row first but commits last must not
    be passed by a follower that already read a later row."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite writers commit one at a time, in id order (the other case of this rule)")
    settings = fast(database_url)
    inhope = make.organisation("inhope")
    slow_one, fast_one = make.initiative(inhope, "Slow"), make.initiative(inhope, "Fast")
    start = log_end(engine)

    def read(position: Position) -> list[changes.Change]:
        async def work(sessions):  # noqa: ANN001, ANN202
            async with sessions() as session:
                return await changes.read_after(session, position, 100)

        return with_sessions(settings, work)

    with engine.connect() as slow:
        slow_transaction = slow.begin()
        slow.execute(OUTBOX.insert().values(initiative_id=slow_one.id, enqueued_at=slow_one.created_at))
        with engine.begin() as quick:  # starts after the slow one and commits first
            quick.execute(OUTBOX.insert().values(initiative_id=fast_one.id, enqueued_at=fast_one.created_at))
        assert read(start) == []  # the committed row waits behind the open transaction
        slow_transaction.commit()
    read_now = read(start)
    assert [c.initiative_id for c in read_now] == [slow_one.id, fast_one.id]  # in transaction order, none skipped


def test_pruning_records_how_far_so_a_follower_behind_it_rebuilds(database_url, engine, make) -> None:  # noqa: ANN001
    settings = fast(database_url)
    inhope = make.organisation("inhope")
    make.initiative(inhope, "Logged")
    end = log_end(engine)

    async def prune_everything(sessions):  # noqa: ANN001, ANN202
        async with sessions() as session:
            removed = await changes.prune(session, older_than_seconds=-60)  # every row is older than "a minute ahead"
            await session.commit()
            return removed, await changes.pruned_through(session)

    removed, pruned = with_sessions(settings, prune_everything)
    assert removed >= 1 and pruned == end
    assert Position() < pruned  # a follower still at the start would rebuild
    make.initiative(inhope, "Logged after pruning")
    assert log_end(engine) > end  # ids go on increasing after the newest rows were pruned


def test_one_holder_of_the_lease_at_a_time_and_another_takes_over_when_it_lapses(database_url, engine) -> None:  # noqa: ANN001
    settings = fast(database_url)

    async def scenario(sessions):  # noqa: ANN001, ANN202
        async with sessions() as session:
            first = await changes.take_lease(session, holder="a", seconds=30)
            second = await changes.take_lease(session, holder="b", seconds=30)
            renewed = await changes.take_lease(session, holder="a", seconds=-1)  # renewed, and already lapsed
            taken_over = await changes.take_lease(session, holder="b", seconds=30)
            saved_by_old = await changes.save_indexed_position(session, Position(0, 7), holder="a")
            saved_by_new = await changes.save_indexed_position(session, Position(0, 7), holder="b")
            await changes.release_lease(session, holder="b")
            after_release = await changes.take_lease(session, holder="c", seconds=30)
            await session.commit()
            return first, second, renewed, taken_over, saved_by_old, saved_by_new, after_release, await changes.indexed_position(session)

    assert with_sessions(settings, scenario) == (True, False, True, True, False, True, True, Position(0, 7))


def test_a_servers_embedded_index_refuses_searches_until_it_is_built() -> None:
    """Before its first build it would answer from none of the registry as if that were all of it."""
    index = EmbeddedBackend(built=False)
    with pytest.raises(SearchUnavailable, match="being built"):
        index.search(SearchRequest(query="hotline"))
    assert index.stats().is_indexing
    index.rebuild([{"id": "1", "title": "Hotline", "visibility": "PUBLIC"}])
    assert [hit.id for hit in index.search(SearchRequest(query="hotline")).hits] == ["1"]
    assert not index.stats().is_indexing


def test_backoff_doubles_up_to_its_maximum_and_starts_again_after_a_success() -> None:
    backoff = Backoff(initial=0.2, maximum=1.0)
    assert [backoff.failed() for _ in range(5)] == [0.2, 0.4, 0.8, 1.0, 1.0]
    backoff.succeeded()
    assert backoff.failed() == 0.2


def test_logged_errors_carry_no_credentials() -> None:
    error = SearchUnavailable("GET http://search.example/indexes?token=s3cr3t failed")
    assert "s3cr3t" not in describe(error)
    assert describe(error).startswith("SearchUnavailable: ")


def test_settings_disable_the_in_process_indexer(monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("COPLAB_SEARCH_INDEXER_IN_PROCESS", "false")
    assert Settings(environment="test").search_indexer_in_process is False
