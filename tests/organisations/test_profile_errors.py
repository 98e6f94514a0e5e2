"""createOrganisation, updateOrganisation and setOrganisationStatus refuse bad input and write nothing."""

import pytest
from sqlmodel import select

from api.auth.principal import Role
from api.organisations.models import Organisation, OrganisationStatus
from tests.factories import (
    LAB_ADMIN_SCOPES,
    error_extensions,
    gid,
    graphql,
    lab_admin_token,
    mutate,
    stored,
    user_errors,
)

SELECTION = "organisation { id }"
NEW = {"slug": "point-de-contact", "name": "Point de Contact", "stakeholderType": "HOTLINE"}

# (case id, input fields, expected userErrors) for the profile fields both mutations share.
BAD_PROFILE = [
    ("over-long name", {"name": "n" * 301}, [(["input", "name"], "TOO_LONG")]),
    ("blank name", {"name": "   "}, [(["input", "name"], "BLANK")]),
    ("line break in the name", {"name": "Point de\nContact"}, [(["input", "name"], "CONTROL_CHARACTERS")]),
    ("NUL in the name", {"name": "Point\x00de Contact"}, [(["input", "name"], "CONTROL_CHARACTERS")]),
    ("NUL in the stakeholder type", {"stakeholderType": "HOTLINE\x00"}, [(["input", "stakeholderType"], "INVALID_CODE")]),
    ("NUL in the country", {"country": "F\x00"}, [(["input", "country"], "INVALID_COUNTRY")]),
    ("over-long acronym", {"acronym": "A" * 41}, [(["input", "acronym"], "TOO_LONG")]),
    ("control character in an alias", {"aliases": ["PDC", "P\x1bDC"]}, [(["input", "aliases", "1"], "CONTROL_CHARACTERS")]),
    ("over-long alias", {"aliases": ["a" * 301]}, [(["input", "aliases", "0"], "TOO_LONG")]),
    ("too many aliases", {"aliases": [f"alias {i}" for i in range(51)]}, [(["input", "aliases"], "TOO_MANY")]),
    ("unknown stakeholder type", {"stakeholderType": "CHARITY"}, [(["input", "stakeholderType"], "INVALID_CODE")]),
    ("unknown country", {"country": "XX"}, [(["input", "country"], "INVALID_COUNTRY")]),
    ("alpha-3 country", {"country": "FRA"}, [(["input", "country"], "INVALID_COUNTRY")]),
    ("javascript: website", {"website": "javascript:alert(document.cookie)"}, [(["input", "website"], "INVALID_URL")]),
    ("ftp: website", {"website": "ftp://pointdecontact.net/"}, [(["input", "website"], "INVALID_URL")]),
    ("relative website", {"website": "pointdecontact.net"}, [(["input", "website"], "INVALID_URL")]),
    ("over-long website", {"website": "https://pointdecontact.net/" + "p" * 2000}, [(["input", "website"], "TOO_LONG")]),
    ("over-long description", {"description": "d" * 20_001}, [(["input", "description"], "TOO_LONG")]),
    ("escape in the description", {"description": "\x1b]8;;evil\x07"}, [(["input", "description"], "CONTROL_CHARACTERS")]),
]
CASES = [pytest.param(fields, expected, id=name) for name, fields, expected in BAD_PROFILE]
MANY_PROBLEMS = {"name": "", "stakeholderType": "CHARITY", "country": "XX", "website": "ftp://x.org/", "acronym": "A" * 41}
MANY_EXPECTED = [
    (["input", "acronym"], "TOO_LONG"),
    (["input", "country"], "INVALID_COUNTRY"),
    (["input", "name"], "BLANK"),
    (["input", "stakeholderType"], "INVALID_CODE"),
    (["input", "website"], "INVALID_URL"),
]


@pytest.fixture
def pdc(make) -> Organisation:  # noqa: ANN001
    return make.organisation("pdc", stakeholder_type="HOTLINE", country="FR")


@pytest.fixture
def token(make, pdc) -> str:  # noqa: ANN001
    """A machine client of Point de Contact holding `org:admin`."""
    return make.token(pdc)


@pytest.fixture
def admin_token(make) -> str:  # noqa: ANN001
    return lab_admin_token(make)


# --- updateOrganisation ------------------------------------------------------------------------


@pytest.mark.parametrize(("fields", "expected"), CASES)
def test_update_refuses_bad_input_and_changes_nothing(client, db, token, pdc, fields, expected) -> None:  # noqa: ANN001
    before = stored(db)
    payload = mutate(client, "updateOrganisation", {"id": gid("Organisation", pdc.id), **fields}, token, SELECTION)
    assert user_errors(payload) == expected
    assert payload["organisation"] is None
    assert stored(db) == before


def test_update_reports_every_problem_at_once(client, db, token, pdc) -> None:  # noqa: ANN001
    before = stored(db)
    payload = mutate(client, "updateOrganisation", {"id": gid("Organisation", pdc.id), **MANY_PROBLEMS}, token)
    assert sorted(user_errors(payload)) == MANY_EXPECTED
    assert stored(db) == before


@pytest.mark.parametrize(
    ("target", "code"),
    [
        pytest.param(lambda own, other, pending: gid("Organisation", 999_999), "NOT_FOUND", id="missing"),
        pytest.param(lambda own, other, pending: gid("Initiative", own.id), "NOT_FOUND", id="id of another type"),
        pytest.param(lambda own, other, pending: gid("Organisation", pending.id), "NOT_FOUND", id="hidden pending"),
        pytest.param(lambda own, other, pending: gid("Organisation", other.id), "FORBIDDEN", id="another member"),
    ],
)
def test_update_of_an_organisation_not_yours(client, db, make, token, pdc, target, code) -> None:  # noqa: ANN001
    other = make.organisation("iwf")
    pending = make.organisation("pending-ngo", status=OrganisationStatus.PENDING)
    before = stored(db)
    payload = mutate(client, "updateOrganisation", {"id": target(pdc, other, pending), "name": "Mine now"}, token, SELECTION)
    assert user_errors(payload) == [(["input", "id"], code)]
    assert stored(db) == before


def test_update_needs_the_admin_role(client, db, make, pdc) -> None:  # noqa: ANN001
    editor = make.member(pdc, "editor@pdc.example", role=Role.EDITOR)
    token = make.token(pdc, user=editor)
    before = stored(db)
    payload = mutate(client, "updateOrganisation", {"id": gid("Organisation", pdc.id), "name": "Renamed"}, token)
    assert user_errors(payload) == [(["input", "id"], "FORBIDDEN")]
    assert stored(db) == before


# --- createOrganisation ------------------------------------------------------------------------


@pytest.mark.parametrize(("fields", "expected"), CASES)
def test_create_refuses_bad_input_and_stores_nothing(client, db, admin_token, fields, expected) -> None:  # noqa: ANN001
    before = stored(db)
    payload = mutate(client, "createOrganisation", {**NEW, **fields}, admin_token, SELECTION)
    assert user_errors(payload) == expected
    assert stored(db) == before


@pytest.mark.parametrize(
    ("slug", "expected"),
    [
        pytest.param("Point De Contact", [(["input", "slug"], "INVALID_VALUE")], id="spaces and capitals"),
        pytest.param("point--de-contact", [(["input", "slug"], "INVALID_VALUE")], id="double hyphen"),
        pytest.param("-pdc", [(["input", "slug"], "INVALID_VALUE")], id="leading hyphen"),
        pytest.param("p" * 81, [(["input", "slug"], "TOO_LONG")], id="over-long"),
        pytest.param("", [(["input", "slug"], "BLANK")], id="blank"),
        pytest.param("pdc", [(["input", "slug"], "DUPLICATE")], id="taken"),
    ],
)
def test_create_refuses_bad_slugs(client, db, admin_token, pdc, slug, expected) -> None:  # noqa: ANN001
    before = stored(db)
    payload = mutate(client, "createOrganisation", {**NEW, "slug": slug}, admin_token, SELECTION)
    assert user_errors(payload) == expected
    assert stored(db) == before


def test_create_reports_every_problem_at_once(client, db, admin_token, pdc) -> None:  # noqa: ANN001
    before = stored(db)
    payload = mutate(client, "createOrganisation", {**NEW, **MANY_PROBLEMS, "slug": "pdc"}, admin_token)
    assert sorted(user_errors(payload)) == sorted([*MANY_EXPECTED, (["input", "slug"], "DUPLICATE")])
    assert stored(db) == before


def test_create_without_lab_admin_is_refused(client, db, token) -> None:  # noqa: ANN001
    before = stored(db)
    query = "mutation($input: CreateOrganisationInput!) { createOrganisation(input: $input) { userErrors { code } } }"
    body = graphql(client, query, {"input": NEW}, token)
    assert error_extensions(body) == [{"code": "FORBIDDEN"}]
    assert stored(db) == before


def test_lab_admin_scope_outside_the_secretariat_is_refused(client, db, make, pdc) -> None:  # noqa: ANN001
    before = stored(db)
    payload = mutate(client, "createOrganisation", NEW, make.token(pdc, LAB_ADMIN_SCOPES), SELECTION)
    assert user_errors(payload) == [(["input", "slug"], "FORBIDDEN")]
    assert stored(db) == before


# --- setOrganisationStatus ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        pytest.param(lambda own: gid("Organisation", 999_999), id="missing"),
        pytest.param(lambda own: gid("Membership", own.id), id="id of another type"),
    ],
)
def test_set_status_of_an_unknown_id_is_not_found(client, db, admin_token, pdc, target) -> None:  # noqa: ANN001
    before = stored(db)
    payload = mutate(client, "setOrganisationStatus", {"id": target(pdc), "status": "SUSPENDED"}, admin_token, SELECTION)
    assert user_errors(payload) == [(["input", "id"], "NOT_FOUND")]
    assert stored(db) == before


def test_the_secretariat_cannot_suspend_itself(client, db, make) -> None:  # noqa: ANN001
    admin_token = lab_admin_token(make)
    secretariat = db.exec(select(Organisation).where(Organisation.slug == "lab-secretariat")).one()
    before = stored(db)
    payload = mutate(
        client, "setOrganisationStatus", {"id": gid("Organisation", secretariat.id), "status": "SUSPENDED"}, admin_token
    )
    assert user_errors(payload) == [(["input", "status"], "INVALID_VALUE")]
    assert stored(db) == before


def test_set_status_outside_the_secretariat_is_refused(client, db, make, pdc) -> None:  # noqa: ANN001
    before = stored(db)
    payload = mutate(
        client, "setOrganisationStatus", {"id": gid("Organisation", pdc.id), "status": "MEMBER"}, make.token(pdc, LAB_ADMIN_SCOPES)
    )
    assert user_errors(payload) == [(["input", "status"], "FORBIDDEN")]
    assert stored(db) == before


def test_an_unknown_status_is_a_validation_error(client, db, admin_token, pdc) -> None:  # noqa: ANN001
    before = stored(db)
    query = "mutation($input: SetOrganisationStatusInput!) { setOrganisationStatus(input: $input) { userErrors { code } } }"
    body = graphql(client, query, {"input": {"id": gid("Organisation", pdc.id), "status": "BANNED"}}, admin_token)
    assert body["data"] is None
    assert "BANNED" in body["errors"][0]["message"]
    assert stored(db) == before
