"""The outbox row is written in the write's own transaction: flushed and rolled back, it goes with the
initiative; committed, both stay (test_outbox.py checks which writes through GraphQL queue what)."""

import pytest
from sqlmodel import Session, func, select

from api.initiatives.models import Initiative
from api.search.models import SearchOutbox
from api.search.outbox import enqueue
from tests.search.indexing import queued


@pytest.fixture
def inhope(make):  # noqa: ANN001, ANN201
    return make.organisation("inhope", stakeholder_type="HOTLINE")


def test_rows_are_written_in_the_writes_transaction(engine, inhope) -> None:  # noqa: ANN001
    """Flushed and rolled back: the outbox row goes with the initiative; committed: both stay."""
    with Session(engine) as session:
        session.add(Initiative(title="Rolled back", lead_organisation_id=inhope.id, status="PIPELINE", created_by="t", updated_by="t"))
        session.flush()
        in_transaction = session.exec(select(func.count()).select_from(SearchOutbox)).one()
        session.rollback()
    assert in_transaction == 1
    assert queued(engine) == []

    with Session(engine) as session:
        kept = Initiative(title="Kept", lead_organisation_id=inhope.id, status="PIPELINE", created_by="t", updated_by="t")
        session.add(kept)
        session.commit()
        assert queued(engine) == [kept.id]


def _initiative(inhope, title: str) -> Initiative:  # noqa: ANN001
    return Initiative(title=title, lead_organisation_id=inhope.id, status="PIPELINE", created_by="t", updated_by="t")


def test_one_row_per_initiative_per_transaction(engine, inhope) -> None:  # noqa: ANN001
    """Flushed three times in one transaction: one row; the session's next transaction logs it again."""
    with Session(engine, expire_on_commit=False) as session:
        initiative = _initiative(inhope, "Flushed often")
        session.add(initiative)
        session.flush()
        initiative.summary = "Changed after the first flush."
        session.flush()
        enqueue(session, [initiative.id])
        initiative.title = "Flushed often, renamed"
        session.commit()
        assert queued(engine) == [initiative.id]

        initiative.summary = "Changed in the next transaction."
        session.commit()
    assert queued(engine) == [initiative.id, initiative.id]


def test_a_rolled_back_savepoint_forgets_what_it_logged(engine, inhope) -> None:  # noqa: ANN001
    """The row a savepoint wrote goes with it; the next flush of the transaction writes it again."""
    with Session(engine, expire_on_commit=False) as session:
        initiative = _initiative(inhope, "Saved")
        session.add(initiative)
        session.commit()
    clear = SearchOutbox.__table__.delete()
    with engine.begin() as connection:
        connection.execute(clear)

    with Session(engine, expire_on_commit=False) as session:
        stored = session.get(Initiative, initiative.id)
        savepoint = session.begin_nested()
        stored.summary = "Changed, then rolled back."
        session.flush()
        savepoint.rollback()
        stored.title = "Saved, renamed"
        session.commit()
    assert queued(engine) == [initiative.id]
