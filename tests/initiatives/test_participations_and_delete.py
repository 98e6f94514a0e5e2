"""addParticipation, removeParticipation and deleteInitiative refuse bad input and write nothing."""

import pytest
from sqlmodel import select

from api.initiatives.models import Initiative, Participation
from api.organisations.models import OrganisationStatus
from tests.factories import gid, mutate, set_columns, stored, user_errors

PARTICIPATION = "participation { id role { code } }"


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
def initiative(make, inhope, iwf) -> Initiative:  # noqa: ANN001
    return make.initiative(inhope, "Notice and take-down", partners=[(iwf, "IMPLEMENTING")])


@pytest.fixture
def foreign(make, inhope, iwf) -> Initiative:  # noqa: ANN001
    """An initiative led by IWF in which INHOPE takes part: readable, but not INHOPE's to change."""
    return make.initiative(iwf, "IWF's own", partners=[(inhope, "FUNDING")])


def _participation(db, initiative: Initiative) -> Participation:  # noqa: ANN001
    return db.exec(select(Participation).where(Participation.initiative_id == initiative.id)).one()


def _add(client, token, initiative_id: str, organisation_id: str, role: str) -> dict:  # noqa: ANN001
    values = {"initiative": initiative_id, "organisation": organisation_id, "role": role}
    return mutate(client, "addParticipation", values, token, PARTICIPATION)


# --- addParticipation --------------------------------------------------------------------------


def test_add_participation_stores_a_new_role(client, db, token, initiative, iwf) -> None:  # noqa: ANN001
    before = len(stored(db)["participation"])
    payload = _add(client, token, gid("Initiative", initiative.id), gid("Organisation", iwf.id), "FUNDING")
    assert user_errors(payload) == []
    assert payload["participation"]["role"] == {"code": "FUNDING"}
    assert len(stored(db)["participation"]) == before + 1


@pytest.mark.parametrize(
    ("initiative_id", "organisation_id", "role", "expected"),
    [
        pytest.param(
            lambda i, o: gid("Initiative", 999_999), lambda i, o: gid("Organisation", o.id), "FUNDING",
            [(["input", "initiative"], "NOT_FOUND")], id="missing initiative",
        ),
        pytest.param(
            lambda i, o: gid("Organisation", o.id), lambda i, o: gid("Organisation", o.id), "FUNDING",
            [(["input", "initiative"], "NOT_FOUND")], id="initiative id of another type",
        ),
        pytest.param(
            lambda i, o: gid("Initiative", i.id), lambda i, o: gid("Organisation", 999_999), "FUNDING",
            [(["input", "organisation"], "NOT_FOUND")], id="missing organisation",
        ),
        pytest.param(
            lambda i, o: gid("Initiative", i.id), lambda i, o: gid("Initiative", i.id), "FUNDING",
            [(["input", "organisation"], "NOT_FOUND")], id="organisation id of another type",
        ),
        pytest.param(
            lambda i, o: gid("Initiative", i.id), lambda i, o: gid("Organisation", o.id), "SPONSOR",
            [(["input", "role"], "INVALID_CODE")], id="unknown role",
        ),
        pytest.param(
            lambda i, o: gid("Initiative", i.id), lambda i, o: gid("Organisation", o.id), "",
            [(["input", "role"], "INVALID_CODE")], id="empty role",
        ),
        pytest.param(
            lambda i, o: gid("Initiative", i.id), lambda i, o: gid("Organisation", o.id), "FUNDING\x00",
            [(["input", "role"], "INVALID_CODE")], id="NUL in the role",
        ),
        pytest.param(
            lambda i, o: gid("Initiative", i.id), lambda i, o: gid("Organisation", 999_999), "SPONSOR",
            [(["input", "organisation"], "NOT_FOUND"), (["input", "role"], "INVALID_CODE")],
            id="missing organisation and unknown role at once",
        ),
        pytest.param(
            lambda i, o: gid("Initiative", i.id), lambda i, o: gid("Organisation", o.id), "IMPLEMENTING",
            [(["input", "role"], "DUPLICATE")], id="duplicate participation",
        ),
    ],
)
def test_add_participation_refuses_bad_input(
    client, db, token, initiative, iwf, initiative_id, organisation_id, role, expected  # noqa: ANN001
) -> None:
    before = stored(db)
    payload = _add(client, token, initiative_id(initiative, iwf), organisation_id(initiative, iwf), role)
    assert user_errors(payload) == expected
    assert payload["participation"] is None
    assert stored(db) == before


def test_add_participation_to_another_organisations_initiative_is_forbidden(
    client, db, token, foreign, inhope  # noqa: ANN001
) -> None:
    before = stored(db)
    payload = _add(client, token, gid("Initiative", foreign.id), gid("Organisation", inhope.id), "ENDORSER")
    assert user_errors(payload) == [(["input", "initiative"], "FORBIDDEN")]
    assert stored(db) == before


def test_a_pending_organisation_cannot_be_added(client, db, make, token, initiative) -> None:  # noqa: ANN001
    pending = make.organisation("pending-ngo", status=OrganisationStatus.PENDING)
    before = stored(db)
    payload = _add(client, token, gid("Initiative", initiative.id), gid("Organisation", pending.id), "FUNDING")
    assert user_errors(payload) == [(["input", "organisation"], "NOT_FOUND")]
    assert stored(db) == before


# --- removeParticipation -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        pytest.param(lambda own, foreign: gid("Participation", 999_999), id="missing participation"),
        pytest.param(lambda own, foreign: gid("Initiative", own.initiative_id), id="id of another type"),
    ],
)
def test_remove_participation_of_an_unknown_id_is_not_found(
    client, db, token, initiative, foreign, target  # noqa: ANN001
) -> None:
    own, theirs = _participation(db, initiative), _participation(db, foreign)
    before = stored(db)
    payload = mutate(client, "removeParticipation", {"id": target(own, theirs)}, token, PARTICIPATION)
    assert user_errors(payload) == [(["input", "id"], "NOT_FOUND")]
    assert stored(db) == before


def test_remove_participation_in_another_organisations_initiative_is_forbidden(
    client, db, token, foreign  # noqa: ANN001
) -> None:
    theirs = _participation(db, foreign)
    before = stored(db)
    payload = mutate(client, "removeParticipation", {"id": gid("Participation", theirs.id)}, token, PARTICIPATION)
    assert user_errors(payload) == [(["input", "id"], "FORBIDDEN")]
    assert stored(db) == before


def test_remove_participation_deletes_only_that_row(client, db, token, initiative, foreign) -> None:  # noqa: ANN001
    own, theirs = _participation(db, initiative), _participation(db, foreign)
    payload = mutate(client, "removeParticipation", {"id": gid("Participation", own.id)}, token, PARTICIPATION)
    assert user_errors(payload) == []
    assert [row["id"] for row in stored(db)["participation"]] == [theirs.id]


# --- deleteInitiative --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        pytest.param(lambda own, foreign: gid("Initiative", 999_999), id="missing initiative"),
        pytest.param(lambda own, foreign: gid("Organisation", own.lead_organisation_id), id="id of another type"),
    ],
)
def test_delete_of_an_unknown_id_is_not_found(client, db, token, initiative, foreign, target) -> None:  # noqa: ANN001
    before = stored(db)
    payload = mutate(client, "deleteInitiative", {"id": target(initiative, foreign)}, token, "deletedId")
    assert user_errors(payload) == [(["input", "id"], "NOT_FOUND")]
    assert payload["deletedId"] is None
    assert stored(db) == before


def test_delete_twice_is_not_found_the_second_time(client, db, token, initiative) -> None:  # noqa: ANN001
    target = {"id": gid("Initiative", initiative.id)}
    first = mutate(client, "deleteInitiative", target, token, "deletedId")
    assert (user_errors(first), first["deletedId"]) == ([], target["id"])
    after_first = stored(db)
    second = mutate(client, "deleteInitiative", target, token, "deletedId")
    assert user_errors(second) == [(["input", "id"], "NOT_FOUND")]
    assert stored(db) == after_first


def test_delete_is_soft(client, db, token, initiative) -> None:  # noqa: ANN001
    mutate(client, "deleteInitiative", {"id": gid("Initiative", initiative.id)}, token, "deletedId")
    db.expire_all()
    assert db.get(Initiative, initiative.id).deleted_at is not None


def test_a_deleted_initiative_takes_no_participations(client, db, token, initiative, iwf) -> None:  # noqa: ANN001
    set_columns(db, initiative, deleted_at=initiative.created_at)
    before = stored(db)
    payload = _add(client, token, gid("Initiative", initiative.id), gid("Organisation", iwf.id), "FUNDING")
    assert user_errors(payload) == [(["input", "initiative"], "NOT_FOUND")]
    assert stored(db) == before
