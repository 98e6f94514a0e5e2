"""addMember, changeMemberRole and removeMember refuse bad input and write nothing."""

import pytest

from api.auth.principal import Role
from api.organisations.models import Organisation
from tests.factories import gid, graphql, membership_of, mutate, stored, user_errors

SELECTION = "membership { id role }"


@pytest.fixture
def iwf(make) -> Organisation:  # noqa: ANN001
    return make.organisation("iwf", stakeholder_type="HOTLINE", country="GB")


@pytest.fixture
def other(make) -> Organisation:  # noqa: ANN001
    return make.organisation("ncmec", stakeholder_type="NGO", country="US")


@pytest.fixture
def token(make, iwf) -> str:  # noqa: ANN001
    """A machine client of the IWF holding `org:admin`."""
    return make.token(iwf)


@pytest.fixture
def admin(make, db, iwf):  # noqa: ANN001, ANN201
    """The IWF's only admin."""
    return membership_of(db, iwf, make.member(iwf, "admin@iwf.example", Role.ADMIN))


@pytest.fixture
def analyst(make, db, iwf):  # noqa: ANN001, ANN201
    return membership_of(db, iwf, make.member(iwf, "analyst@iwf.example", Role.CONTRIBUTOR))


@pytest.fixture
def outsider(make, db, other):  # noqa: ANN001, ANN201
    return membership_of(db, other, make.member(other, "staff@ncmec.example", Role.VIEWER))


# --- addMember ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        pytest.param({"email": "not-an-e-mail"}, [(["input", "email"], "INVALID_VALUE")], id="not an address"),
        pytest.param({"email": "two@at@iwf.example"}, [(["input", "email"], "INVALID_VALUE")], id="two at signs"),
        pytest.param({"email": "a\nb@iwf.example"}, [(["input", "email"], "CONTROL_CHARACTERS")], id="line break"),
        pytest.param({"email": " "}, [(["input", "email"], "BLANK")], id="blank"),
        pytest.param({"email": "a\x00@iwf.example"}, [(["input", "email"], "CONTROL_CHARACTERS")], id="NUL"),
        pytest.param(
            {"email": "x" * 310 + "@iwf.example"}, [(["input", "email"], "TOO_LONG")], id="over-long address"
        ),
        pytest.param({"name": "n" * 201}, [(["input", "name"], "TOO_LONG")], id="over-long name"),
        pytest.param({"name": "Bell\x07"}, [(["input", "name"], "CONTROL_CHARACTERS")], id="control character"),
        pytest.param(
            {"email": "nope", "name": "\x1b" + "n" * 200},
            [(["input", "email"], "INVALID_VALUE"), (["input", "name"], "CONTROL_CHARACTERS"), (["input", "name"], "TOO_LONG")],
            id="every problem at once",
        ),
    ],
)
def test_add_member_refuses_bad_input(client, db, token, iwf, fields, expected) -> None:  # noqa: ANN001
    values = {"organisation": gid("Organisation", iwf.id), "email": "new@iwf.example", "role": "VIEWER", **fields}
    before = stored(db)
    payload = mutate(client, "addMember", values, token, SELECTION)
    assert user_errors(payload) == expected
    assert payload["membership"] is None
    assert stored(db) == before


@pytest.mark.parametrize(
    ("target", "code"),
    [
        pytest.param(lambda own, other: gid("Organisation", 999_999), "NOT_FOUND", id="missing"),
        pytest.param(lambda own, other: gid("Initiative", own.id), "NOT_FOUND", id="id of another type"),
        pytest.param(lambda own, other: gid("Organisation", other.id), "FORBIDDEN", id="another organisation"),
    ],
)
def test_add_member_to_an_organisation_not_yours(client, db, token, iwf, other, target, code) -> None:  # noqa: ANN001
    values = {"organisation": target(iwf, other), "email": "spy@iwf.example", "role": "ADMIN"}
    before = stored(db)
    payload = mutate(client, "addMember", values, token, SELECTION)
    assert user_errors(payload) == [(["input", "organisation"], code)]
    assert stored(db) == before


def test_add_member_twice_is_a_duplicate(client, db, token, iwf, analyst) -> None:  # noqa: ANN001
    values = {"organisation": gid("Organisation", iwf.id), "email": "Analyst@IWF.example", "role": "EDITOR"}
    before = stored(db)
    payload = mutate(client, "addMember", values, token, SELECTION)
    assert user_errors(payload) == [(["input", "email"], "DUPLICATE")]
    assert stored(db) == before


def test_add_member_stores_a_normalised_address(client, db, token, iwf) -> None:  # noqa: ANN001
    values = {"organisation": gid("Organisation", iwf.id), "email": "  New.Analyst@IWF.example ", "role": "VIEWER"}
    payload = mutate(client, "addMember", values, token, SELECTION)
    assert user_errors(payload) == []
    assert "new.analyst@iwf.example" in [row["email"] for row in stored(db)["user_account"]]


# --- changeMemberRole --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        pytest.param(lambda own, foreign: gid("Membership", 999_999), id="missing"),
        pytest.param(lambda own, foreign: gid("Organisation", own.organisation_id), id="id of another type"),
        pytest.param(lambda own, foreign: gid("Membership", foreign.id), id="another organisation's member"),
    ],
)
def test_change_role_of_an_unknown_membership_is_not_found(
    client, db, token, analyst, outsider, target  # noqa: ANN001
) -> None:
    before = stored(db)
    payload = mutate(client, "changeMemberRole", {"membership": target(analyst, outsider), "role": "ADMIN"}, token, SELECTION)
    assert user_errors(payload) == [(["input", "membership"], "NOT_FOUND")]
    assert stored(db) == before


def test_the_last_admin_cannot_be_demoted(client, db, token, admin) -> None:  # noqa: ANN001
    before = stored(db)
    payload = mutate(client, "changeMemberRole", {"membership": gid("Membership", admin.id), "role": "EDITOR"}, token)
    assert user_errors(payload) == [(["input", "role"], "LAST_ADMIN")]
    assert stored(db) == before


def test_an_unknown_role_is_a_validation_error(client, db, token, analyst) -> None:  # noqa: ANN001
    before = stored(db)
    query = "mutation($input: ChangeMemberRoleInput!) { changeMemberRole(input: $input) { userErrors { code } } }"
    body = graphql(client, query, {"input": {"membership": gid("Membership", analyst.id), "role": "OWNER"}}, token)
    assert body["data"] is None
    assert "OWNER" in body["errors"][0]["message"]
    assert stored(db) == before


# --- removeMember ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        pytest.param(lambda own, foreign: gid("Membership", 999_999), id="missing"),
        pytest.param(lambda own, foreign: gid("Organisation", own.organisation_id), id="id of another type"),
        pytest.param(lambda own, foreign: gid("Membership", foreign.id), id="another organisation's member"),
    ],
)
def test_remove_an_unknown_membership_is_not_found(client, db, token, analyst, outsider, target) -> None:  # noqa: ANN001
    before = stored(db)
    payload = mutate(client, "removeMember", {"membership": target(analyst, outsider)}, token, SELECTION)
    assert user_errors(payload) == [(["input", "membership"], "NOT_FOUND")]
    assert stored(db) == before


def test_the_last_admin_cannot_be_removed(client, db, token, admin) -> None:  # noqa: ANN001
    before = stored(db)
    payload = mutate(client, "removeMember", {"membership": gid("Membership", admin.id)}, token, SELECTION)
    assert user_errors(payload) == [(["input", "membership"], "LAST_ADMIN")]
    assert stored(db) == before


def test_remove_member_deletes_only_that_membership(client, db, token, analyst, admin) -> None:  # noqa: ANN001
    payload = mutate(client, "removeMember", {"membership": gid("Membership", analyst.id)}, token, SELECTION)
    assert user_errors(payload) == []
    assert [row["id"] for row in stored(db)["membership"]] == [admin.id]
