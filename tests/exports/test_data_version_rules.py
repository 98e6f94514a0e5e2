"""The data version the served export follows (exports/writer.data_version), read directly: the same
for the same data, and moved by an insert, an update and a delete. Through HTTP, two processes:
test_exports_across_processes.py and test_http.py."""

from datetime import timedelta

from sqlmodel import select

from api.exports.entities import Scope
from api.exports.writer import data_version
from api.initiatives.models import InitiativeClassification
from api.core.db import utcnow
from tests.factories import classify


def _version(engine) -> str:  # noqa: ANN001
    with engine.connect() as connection:
        return data_version(connection, Scope.PUBLIC)


def test_the_same_data_has_the_same_version_and_every_kind_of_change_moves_it(engine, make, db) -> None:  # noqa: ANN001
    lead = make.organisation("hotline")
    initiative = make.initiative(lead, "First")
    classify(db, initiative, "country", "FR", "DE")
    seen = [_version(engine)]
    assert _version(engine) == seen[0]

    make.initiative(lead, "Second")  # an insert
    seen.append(_version(engine))

    initiative.title, initiative.updated_at = "First, renamed", utcnow() + timedelta(seconds=1)  # an update
    db.add(initiative)
    db.commit()
    seen.append(_version(engine))

    db.delete(db.exec(select(InitiativeClassification).where(InitiativeClassification.code == "DE")).one())  # a delete, in a table without timestamps
    db.commit()
    seen.append(_version(engine))
    assert len(set(seen)) == len(seen), seen
