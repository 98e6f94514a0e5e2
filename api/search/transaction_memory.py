"""What the current transaction has already logged to the search outboxes, shared by the initiatives'
flush listener (api/search/outbox.py) and the evidence and best-practice one
(api/search/record_outbox.py), and the attribute helpers both use to tell what a flush changed.

One row per record per transaction is enough: a follower builds the document from the database as
it is when it reads the row, after the commit. A write that flushes several times logs the record
once: the session remembers which keys this transaction logged (`session.info`), and forgets them
when the transaction ends or any part of it (a savepoint) rolls back, so a row rolled back is
written again.
"""

from collections.abc import Hashable, Iterable
from itertools import chain

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session, SessionTransaction

# session.info: initiative ids, and (record type, id) pairs for the evidence and best-practice indexes.
LOGGED = "coplab.search_logged"


def not_yet_logged(session: Session, keys: Iterable[Hashable]) -> list:
    """Those of these keys this transaction has not logged yet (in order, once each); they count as logged now."""
    logged: set = session.info.setdefault(LOGGED, set())
    fresh = [k for k in dict.fromkeys(keys) if k not in logged]
    logged.update(fresh)
    return fresh


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back(session: Session, _previous: object) -> None:
    """A rollback, of the transaction or of a savepoint in it, may have taken rows with it."""
    session.info.pop(LOGGED, None)


@event.listens_for(Session, "after_transaction_end")
def _forget_ended(session: Session, transaction: SessionTransaction) -> None:
    """The next transaction logs afresh (a savepoint released keeps its rows in the transaction)."""
    if transaction.parent is None:
        session.info.pop(LOGGED, None)


def attribute_values(row: object, name: str) -> list[int]:
    """The attribute's current and previous values, read without loading anything."""
    history = inspect(row).attrs[name].history
    return [v for v in chain(history.added, history.unchanged, history.deleted) if v is not None]


def changed(row: object, names: Iterable[str]) -> bool:
    attrs = inspect(row).attrs
    return any(attrs[name].history.has_changes() for name in names)
