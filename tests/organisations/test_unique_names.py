"""No organisation takes another's name, up to case and spacing: on createOrganisation, on a
rename, and from `coplab org create`; the refusal is DUPLICATE at `input.name` and nothing is stored."""

import os

import pytest

from api.auth.principal import Role
from api.organisations.models import OrganisationStatus
from tests.cli.test_cli import _coplab
from tests.factories import gid, lab_admin_token, mutate, stored, user_errors

SELECTION = "organisation { id name }"


@pytest.fixture
def iwf(make):  # noqa: ANN001, ANN201
    return make.organisation("internet-watch-foundation")  # named "Internet Watch Foundation"


@pytest.mark.parametrize(
    "name", ["Internet Watch Foundation", "internet watch FOUNDATION", "  Internet   Watch  Foundation "]
)
def test_create_refuses_a_name_in_use_and_stores_nothing(client, db, make, iwf, name: str) -> None:  # noqa: ANN001
    token = lab_admin_token(make)
    before = stored(db)
    payload = mutate(client, "createOrganisation",
                     {"slug": "iwf-2", "name": name, "stakeholderType": "HOTLINE"}, token, SELECTION)
    assert payload["organisation"] is None
    assert payload["userErrors"] == [{
        "field": ["input", "name"], "code": "DUPLICATE",
        "message": f"An organisation already uses the name {' '.join(name.split())!r}."}]
    assert stored(db) == before


def test_a_rename_to_another_organisations_name_is_refused(client, db, make, iwf) -> None:  # noqa: ANN001
    thorn = make.organisation("thorn")
    admin = make.member(thorn, "admin@thorn.example", Role.ADMIN)
    before = stored(db)
    payload = mutate(client, "updateOrganisation", {"id": gid("Organisation", thorn.id), "name": "INTERNET WATCH foundation"},
                     make.token(thorn, user=admin), SELECTION)
    assert user_errors(payload) == [(["input", "name"], "DUPLICATE")]
    assert stored(db) == before


def test_a_hidden_organisations_name_is_taken_too(client, db, make) -> None:  # noqa: ANN001
    make.organisation("waiting-room", status=OrganisationStatus.PENDING)
    thorn = make.organisation("thorn")
    admin = make.member(thorn, "admin@thorn.example", Role.ADMIN)
    before = stored(db)
    payload = mutate(client, "updateOrganisation", {"id": gid("Organisation", thorn.id), "name": "waiting room"},
                     make.token(thorn, user=admin), SELECTION)
    assert user_errors(payload) == [(["input", "name"], "DUPLICATE")]
    assert stored(db) == before


def test_an_organisation_may_recase_its_own_name_and_spacing_is_tidied(client, db, make, iwf) -> None:  # noqa: ANN001
    admin = make.member(iwf, "admin@iwf.example", Role.ADMIN)
    payload = mutate(client, "updateOrganisation", {"id": gid("Organisation", iwf.id), "name": " INTERNET  Watch Foundation"},
                     make.token(iwf, user=admin), SELECTION)
    assert user_errors(payload) == []
    assert payload["organisation"]["name"] == "INTERNET Watch Foundation"
    assert [row["name"] for row in stored(db)["organisation"]] == ["INTERNET Watch Foundation"]


def test_the_command_line_refuses_a_name_in_use(tmp_path) -> None:  # noqa: ANN001
    env = {**os.environ, "COPLAB_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}
    for args in (("db", "upgrade"), ("vocabularies", "load"),
                 ("org", "create", "inhope", "--name", "INHOPE", "--type", "INGO")):
        assert _coplab(*args, env=env).returncode == 0
    taken = _coplab("org", "create", "inhope-2", "--name", " Inhope ", "--type", "INGO", env=env)
    assert taken.returncode == 1 and "DUPLICATE" in taken.stderr, taken.stderr
    assert _coplab("org", "create", "inhope-2", "--name", "INHOPE Two", "--type", "INGO", env=env).returncode == 0
