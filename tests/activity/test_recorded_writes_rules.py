"""The rating computation and an accepted invitation, called directly: the computation records every rating
change of one recompute with a single INSERT, and a person accepting an invitation is recorded on the
organisation without naming them. (test_recorded_writes.py pins the other writes through GraphQL.)"""

import asyncio

from sqlalchemy import delete, event
from sqlmodel import select

from api.activity.models import Activity
from api.core.db import create_engine, session_factory, transaction
from api.organisations import password_setup
from api.organisations.models import Membership
from api.ratings import service as ratings
from api.ratings.models import OutcomeRating, OutcomeRatingChange
from tests.factories import membership_of, set_columns


def _recompute(database_url: str, initiative_ids: list[int]) -> list[str]:
    """Recompute the initiatives' ratings in one transaction; the statements writing activity entries."""

    async def run() -> list[str]:
        engine = create_engine(database_url)
        statements: list[str] = []

        def record(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
            if "activity" in statement.lower() and statement.lstrip().upper().startswith("INSERT"):
                statements.append(statement)

        event.listen(engine.sync_engine, "before_cursor_execute", record)
        try:
            async with transaction(session_factory(engine)) as session:
                await ratings.recompute(
                    session=session, initiative_ids=initiative_ids, reason=ratings.Reason.RULESET, actor="cli"
                )
        finally:
            await engine.dispose()
        return statements

    return asyncio.run(run())


def test_one_recompute_records_its_rating_changes_in_one_insert(make, db, database_url) -> None:
    assessor = make.organisation("assessor")
    initiatives = [make.initiative(make.organisation(f"lead-{i}")) for i in range(3)]
    for initiative in initiatives:
        make.assessment(initiative, assessor, ratings=["PROMISING", "EMERGING", "EFFECTIVE"])
    # Start the ratings afresh, so that the recompute below writes every one of them anew.
    db.exec(delete(OutcomeRatingChange))
    db.exec(delete(OutcomeRating))
    db.exec(delete(Activity))
    db.commit()
    inserts = _recompute(database_url, [i.id for i in initiatives])
    assert len(inserts) == 1, inserts
    changes = db.exec(select(OutcomeRatingChange)).all()
    entries = db.exec(select(Activity)).all()
    assert len(changes) == 9
    assert sorted((e.kind, e.subject_type, e.subject_id) for e in entries) == sorted(
        ("RATING_CHANGED", "OutcomeRating", c.rating_id) for c in changes
    )
    assert {(e.actor, e.organisation_id, e.detail["reason"]) for e in entries} == {("cli", None, "RULESET")}


def test_a_recompute_that_changes_nothing_records_nothing(make, db, database_url) -> None:
    initiative = make.initiative(make.organisation("lead"))
    make.assessment(initiative, make.organisation("assessor"), ratings=["PROMISING"])
    recorded = len(db.exec(select(Activity)).all())
    assert recorded == 1
    assert _recompute(database_url, [initiative.id]) == []
    assert len(db.exec(select(Activity)).all()) == recorded


def test_accepting_an_invitation_is_recorded_without_naming_the_person(make, db, database_url) -> None:
    organisation = make.organisation("helpline")
    person = make.member(organisation, "ada@example.org")
    membership = set_columns(db, membership_of(db, organisation, person), accepted_at=None)

    async def run() -> None:
        engine = create_engine(database_url)
        try:
            async with transaction(session_factory(engine)) as session:
                row = await session.get(Membership, membership.id)
                await password_setup.accept(session=session, membership=row, remote_address=None)
                await password_setup.accept(session=session, membership=row, remote_address=None)  # once only
        finally:
            await engine.dispose()

    asyncio.run(run())
    entries = db.exec(select(Activity)).all()
    assert [(e.kind, e.subject_type, e.subject_id, e.organisation_id, e.detail) for e in entries] == [
        ("MEMBERSHIP_CHANGED", "Organisation", organisation.id, organisation.id, {"change": "PERSON_JOINED", "role": "ADMIN"})
    ]
    assert entries[0].actor == f"user:{person.id}"
