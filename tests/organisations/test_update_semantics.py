"""updateOrganisation: an omitted field stays, an explicit null clears it, name and type refuse null."""

import pytest

from api.organisations.models import Organisation
from tests.factories import gid, mutate, set_columns, stored, user_errors

READ_BACK = "organisation { name acronym aliases stakeholderType { code } country { code } website description }"
FULL = {
    "name": "Internet Watch Foundation",
    "acronym": "IWF",
    "aliases": ["The IWF"],
    "stakeholderType": {"code": "HOTLINE"},
    "country": {"code": "GB"},
    "website": "https://www.iwf.org.uk/",
    "description": "The UK hotline for child sexual abuse material.",
}
CLEARABLE = {"acronym": None, "aliases": [], "country": None, "website": None, "description": None}


@pytest.fixture
def iwf(make, db) -> Organisation:  # noqa: ANN001
    organisation = make.organisation("iwf", stakeholder_type="HOTLINE", country="GB")
    return set_columns(
        db,
        organisation,
        name=FULL["name"],
        acronym=FULL["acronym"],
        aliases=FULL["aliases"],
        website=FULL["website"],
        description=FULL["description"],
    )


@pytest.fixture
def token(make, iwf) -> str:  # noqa: ANN001
    return make.token(iwf)


def _update(client, token, organisation: Organisation, fields: dict) -> dict:  # noqa: ANN001
    return mutate(client, "updateOrganisation", {"id": gid("Organisation", organisation.id), **fields}, token, READ_BACK)


def test_omitted_fields_stay_as_they_are(client, token, iwf) -> None:  # noqa: ANN001
    payload = _update(client, token, iwf, {"acronym": "I.W.F."})
    assert user_errors(payload) == []
    assert payload["organisation"] == {**FULL, "acronym": "I.W.F."}


def test_explicit_null_clears_optional_fields(client, db, token, iwf) -> None:  # noqa: ANN001
    payload = _update(client, token, iwf, dict.fromkeys(CLEARABLE))
    assert user_errors(payload) == []
    assert payload["organisation"] == {**FULL, **CLEARABLE}
    row = next(r for r in stored(db)["organisation"] if r["id"] == iwf.id)
    assert (row["acronym"], row["aliases"], row["country"], row["website"], row["description"]) == (
        None,
        [],
        None,
        None,
        None,
    )


@pytest.mark.parametrize("field", ["name", "stakeholderType"])
def test_required_fields_refuse_null(client, db, token, iwf, field) -> None:  # noqa: ANN001
    before = stored(db)
    payload = _update(client, token, iwf, {field: None})
    assert user_errors(payload) == [(["input", field], "REQUIRED")]
    assert payload["organisation"] is None
    assert stored(db) == before


def test_null_required_fields_are_reported_together_and_block_the_clears(client, db, token, iwf) -> None:  # noqa: ANN001
    before = stored(db)
    payload = _update(client, token, iwf, {"name": None, "stakeholderType": None, "website": None, "country": "XX"})
    assert sorted(user_errors(payload)) == [
        (["input", "country"], "INVALID_COUNTRY"),
        (["input", "name"], "REQUIRED"),
        (["input", "stakeholderType"], "REQUIRED"),
    ]
    assert stored(db) == before
