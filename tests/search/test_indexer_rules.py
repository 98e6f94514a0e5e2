"""The indexer's own rules, called directly: a batch takes outbox rows in order, sends each initiative once
and deletes only the rows it took; the retry backoff; credentials kept out of what it logs; the setting that
leaves indexing to `coplab search worker`."""

import pytest
import sqlalchemy as sa

from api.search.backend import SearchUnavailable
from api.core.settings import Settings
from api.search.indexer import Backoff, describe, drain_batch
from tests.search.indexing import OUTBOX, FlakyEngine, fast, outbox_rows, with_sessions


def test_a_batch_takes_rows_in_order_collapses_repeats_and_deletes_only_what_it_took(database_url, engine, make) -> None:  # noqa: ANN001
    settings = fast(database_url)
    inhope = make.organisation("inhope")
    first, second, third = (make.initiative(inhope, t) for t in ("First", "Second", "Third"))
    with engine.begin() as connection:
        connection.execute(OUTBOX.delete())
        for initiative_id in (second.id, first.id, second.id, second.id, third.id):
            connection.execute(OUTBOX.insert().values(initiative_id=initiative_id, enqueued_at=first.created_at))
    index = FlakyEngine()
    batch = with_sessions(settings, lambda sessions: drain_batch(sessions=sessions, backend=index, size=4))
    assert (batch.rows, batch.upserted, batch.deleted) == (4, 2, 0)
    assert sorted(index.upserted) == sorted([str(first.id), str(second.id)])  # the first four rows, each initiative once
    with engine.connect() as connection:
        assert list(connection.execute(sa.select(OUTBOX.c.initiative_id)).scalars()) == [third.id]

    index.down = True
    with pytest.raises(SearchUnavailable):
        with_sessions(settings, lambda sessions: drain_batch(sessions=sessions, backend=index, size=4))
    assert outbox_rows(engine) == 1  # kept for the next attempt


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
