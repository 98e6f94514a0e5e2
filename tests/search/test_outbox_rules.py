"""The outbox row is written in the write's own transaction: flushed and rolled back, it goes with the
initiative; committed, both stay (test_outbox.py checks which writes through GraphQL queue what)."""

import pytest
from sqlmodel import Session, func, select

from api.initiatives.models import Initiative
from api.search.models import SearchOutbox
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
