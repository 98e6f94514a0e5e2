"""Every write to what an initiative's search document holds queues that initiative in the search
outbox, in the write's own transaction: through GraphQL for each kind of write, and never for a
mutation that ends in userErrors."""

from pathlib import Path

import pytest
import sqlalchemy as sa

from api.initiatives.models import Initiative
from api.core.settings import Settings
from tests.evidence.operations import CREATE, DELETE, create_input, finding
from tests.factories.reviews import ReviewPanel
from tests.factories import gid, graphql, lab_admin_token, mutate, set_columns, user_errors
from tests.search.indexing import OUTBOX, queued


@pytest.fixture
def settings(database_url: str) -> Settings:
    """No indexer in the app: these tests read the outbox before anything drains it."""
    return Settings(
        environment="test", database_url=database_url, data_dir=Path("/nonexistent"), search_indexer_in_process=False
    )


def clear(engine: sa.Engine) -> None:
    with engine.begin() as connection:
        connection.execute(OUTBOX.delete())


@pytest.fixture
def inhope(make):  # noqa: ANN001, ANN201
    return make.organisation("inhope", stakeholder_type="HOTLINE")


@pytest.fixture
def iwf(make):  # noqa: ANN001, ANN201
    return make.organisation("iwf", stakeholder_type="HOTLINE", country="GB")


@pytest.fixture
def token(make, inhope) -> str:  # noqa: ANN001
    return make.token(inhope)


@pytest.fixture
def initiative(make, engine, inhope, iwf) -> Initiative:  # noqa: ANN001
    """INHOPE's initiative with IWF taking part; the outbox is emptied once it is arranged."""
    made = make.initiative(inhope, "Notice and take-down", harms=["CSAM-KNOWN"], partners=[(iwf, "IMPLEMENTING")])
    clear(engine)
    return made


@pytest.fixture
def other(make, engine, iwf) -> Initiative:  # noqa: ANN001
    """IWF's own initiative, which INHOPE's writes never touch."""
    made = make.initiative(iwf, "IWF reporting portal")
    clear(engine)
    return made


# --- initiatives -------------------------------------------------------------------------------


def test_creating_an_initiative_queues_it(client, engine, token, other) -> None:  # noqa: ANN001
    payload = mutate(
        client, "createInitiative", {"title": "Hotline network", "status": "IMPLEMENTATION", "harms": ["CSAM-KNOWN"]},
        token, "initiative { id }",
    )
    assert user_errors(payload) == []
    with engine.connect() as connection:
        new_id = connection.execute(sa.select(sa.func.max(Initiative.id))).scalar_one()
    assert new_id != other.id
    assert set(queued(engine)) == {new_id}


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"title": "Notice and take-down, revised"}, id="a column"),
        pytest.param({"harms": []}, id="classifications cleared (bulk delete only)"),
        pytest.param({"harms": ["CSAM-KNOWN", "CSAM-NEW"], "countries": ["FR"]}, id="classifications replaced"),
    ],
)
def test_updating_an_initiative_queues_it(client, engine, token, initiative, other, change) -> None:  # noqa: ANN001
    payload = mutate(client, "updateInitiative", {"id": gid("Initiative", initiative.id), **change}, token)
    assert user_errors(payload) == []
    assert set(queued(engine)) == {initiative.id}


def test_deleting_an_initiative_queues_it(client, engine, token, initiative, other) -> None:  # noqa: ANN001
    payload = mutate(client, "deleteInitiative", {"id": gid("Initiative", initiative.id)}, token)
    assert user_errors(payload) == []
    assert set(queued(engine)) == {initiative.id}


def test_adding_and_removing_a_participation_queue_the_initiative(client, engine, make, token, initiative, other) -> None:  # noqa: ANN001
    ecpat = make.organisation("ecpat")
    clear(engine)
    added = mutate(
        client, "addParticipation",
        {"initiative": gid("Initiative", initiative.id), "organisation": gid("Organisation", ecpat.id), "role": "FUNDING"},
        token, "participation { id }",
    )
    assert user_errors(added) == []
    assert set(queued(engine)) == {initiative.id}

    clear(engine)
    removed = mutate(client, "removeParticipation", {"id": added["participation"]["id"]}, token)
    assert user_errors(removed) == []
    assert set(queued(engine)) == {initiative.id}


# --- evidence ----------------------------------------------------------------------------------


def _assessment_call(client, document: str, values: dict, token: str) -> dict:  # noqa: ANN001
    body = graphql(client, document, {"input": values}, token)
    assert "errors" not in body, body
    return next(iter(body["data"].values()))


def test_a_draft_queues_nothing_and_each_publication_or_withdrawal_queues_the_initiative(client, db, engine, make, initiative, other) -> None:  # noqa: ANN001, ARG001
    assessor = make.organisation("university")
    token = make.token(assessor)
    panel = ReviewPanel(client, make, db)
    clear(engine)

    drafted = _assessment_call(client, CREATE, create_input(initiative, findings=[finding()]), token)
    assert drafted["userErrors"] == [] and drafted["evidenceAssessment"] is None
    assert queued(engine) == []  # a draft is in no search document

    published = panel.publish(token, create_input(initiative, findings=[finding()]))
    assert set(queued(engine)) == {initiative.id}

    for change in ({"findings": [finding(proposedRating="EFFECTIVE")]}, {"visibility": "ORGANISATION"}, {"findings": []}):
        clear(engine)
        panel.publish(token, change, revision_of=published["id"])
        assert set(queued(engine)) == {initiative.id}, change

    clear(engine)
    deleted = _assessment_call(client, DELETE, {"id": published["id"]}, token)
    assert deleted["userErrors"] == []
    assert set(queued(engine)) == {initiative.id}


# --- organisations -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"name": "Internet Watch Foundation"}, id="name"),
        pytest.param({"acronym": "IWF"}, id="acronym"),
        pytest.param({"aliases": ["The IWF"]}, id="aliases"),
        pytest.param({"stakeholderType": "NGO"}, id="stakeholder type"),
    ],
)
def test_renaming_an_organisation_queues_every_initiative_it_leads_or_takes_part_in(
    client, engine, make, iwf, initiative, other, change  # noqa: ANN001
) -> None:
    unrelated = make.initiative(make.organisation("ecpat"), "Unrelated")
    clear(engine)
    payload = mutate(client, "updateOrganisation", {"id": gid("Organisation", iwf.id), **change}, make.token(iwf))
    assert user_errors(payload) == []
    ids = queued(engine)
    assert set(ids) == {initiative.id, other.id}  # takes part in one, leads the other
    assert unrelated.id not in ids
    assert len(ids) == len(set(ids))  # one statement, one row per initiative


def test_profile_fields_outside_the_document_queue_nothing(client, engine, make, iwf, initiative, other) -> None:  # noqa: ANN001
    payload = mutate(
        client, "updateOrganisation", {"id": gid("Organisation", iwf.id), "website": "https://www.iwf.org.uk/"},
        make.token(iwf),
    )
    assert user_errors(payload) == []
    assert queued(engine) == []


def test_an_organisations_status_queues_its_initiatives(client, engine, make, iwf, initiative, other) -> None:  # noqa: ANN001
    admin_token = lab_admin_token(make)
    clear(engine)
    payload = mutate(client, "setOrganisationStatus", {"id": gid("Organisation", iwf.id), "status": "OBSERVER"}, admin_token)
    assert user_errors(payload) == []
    assert set(queued(engine)) == {initiative.id, other.id}


def test_an_organisations_status_queues_the_initiatives_it_assessed(client, engine, make, iwf, initiative, other) -> None:  # noqa: ANN001
    """Its assessments count as public evidence only while it is listed (the has-evidence facet, ratings)."""
    assessor = make.organisation("assessor")
    assessed = make.initiative(make.organisation("ecpat"), "Assessed elsewhere")
    make.assessment(assessed, assessor, ratings=["PROMISING"])
    admin_token = lab_admin_token(make)
    clear(engine)
    payload = mutate(client, "setOrganisationStatus", {"id": gid("Organisation", assessor.id), "status": "SUSPENDED"}, admin_token)
    assert user_errors(payload) == []
    assert set(queued(engine)) == {assessed.id}


def test_deleted_initiatives_are_not_queued_by_organisation_changes(client, engine, db, make, iwf, initiative, other) -> None:  # noqa: ANN001
    set_columns(db, other, deleted_at=other.created_at)
    clear(engine)
    payload = mutate(client, "updateOrganisation", {"id": gid("Organisation", iwf.id), "name": "IWF"}, make.token(iwf))
    assert user_errors(payload) == []
    assert set(queued(engine)) == {initiative.id}


# --- nothing for what is not written -----------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "values"),
    [
        pytest.param("createInitiative", {"title": "T", "status": "NO-SUCH-STATUS"}, id="create"),
        pytest.param("updateInitiative", {"title": "T", "harms": ["NO-SUCH-HARM"]}, id="update"),
        pytest.param("updateOrganisation", {"name": "   "}, id="organisation"),
    ],
)
def test_a_mutation_with_user_errors_queues_nothing(client, engine, make, token, inhope, initiative, name, values) -> None:  # noqa: ANN001
    if name == "updateInitiative":
        values = {"id": gid("Initiative", initiative.id), **values}
    if name == "updateOrganisation":
        values = {"id": gid("Organisation", inhope.id), **values}
    payload = mutate(client, name, values, token)
    assert user_errors(payload) != []
    assert queued(engine) == []


# --- vocabularies --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("vocabulary", "code", "change"),
    [
        pytest.param("harm", "CSAM-KNOWN", {"label": "Known CSAM"}, id="label of a harm"),
        pytest.param("harm", "CSAM-KNOWN", {"synonyms": ["CSAM", "abuse imagery"]}, id="synonyms of a harm"),
        pytest.param("initiative-status", "IMPLEMENTATION", {"label": "Running"}, id="label of a status"),
    ],
)
def test_relabelling_a_term_queues_every_initiative_holding_it(
    engine, db, make, inhope, initiative, other, vocabulary, code, change  # noqa: ANN001
) -> None:
    from sqlmodel import select

    from api.vocabularies.models import VocabularyTerm

    # INHOPE's initiative is classified CSAM-KNOWN; a status names every initiative that has it.
    if vocabulary == "initiative-status":
        holding = {i.id for i in (initiative, other) if i.status == code}
    else:
        holding = {initiative.id}
    deleted = make.initiative(inhope, "Gone", harms=["CSAM-KNOWN"])
    set_columns(db, deleted, deleted_at=deleted.created_at)
    clear(engine)
    term = db.exec(select(VocabularyTerm).where(VocabularyTerm.vocabulary == vocabulary, VocabularyTerm.code == code)).one()
    for name, value in change.items():
        setattr(term, name, value)
    db.add(term)
    db.commit()
    assert holding
    assert set(queued(engine)) == holding  # never the deleted one


def test_a_term_description_queues_nothing(engine, db, initiative, other) -> None:  # noqa: ANN001
    from sqlmodel import select

    from api.vocabularies.models import VocabularyTerm

    term = db.exec(select(VocabularyTerm).where(VocabularyTerm.vocabulary == "harm", VocabularyTerm.code == "CSAM-KNOWN")).one()
    term.description = "Reworded."
    db.add(term)
    db.commit()
    assert queued(engine) == []
