"""updateInitiative: an omitted field stays, an explicit null clears it, required fields refuse null."""

from datetime import date

import pytest

from api.initiatives.models import Initiative
from tests.factories import classify, gid, mutate, set_columns, stored, user_errors

READ_BACK = """
initiative {
  title summary description visibility status { code }
  plannedStart plannedEnd actualStart actualEnd
  links { url label }
  harms { code } interventionTypes { code } mnrCapabilities { code } targetGroups { code } regions { code }
  countries { code } languages { code }
}
"""
FULL = {
    "title": "Project Arachnid",
    "summary": "Crawls for known material.",
    "description": "A web crawler that detects child sexual abuse material.",
    "visibility": "PUBLIC",
    "status": {"code": "IMPLEMENTATION"},
    "plannedStart": "2017-01-01",
    "plannedEnd": "2027-12-31",
    "actualStart": "2017-01-15",
    "actualEnd": None,
    "links": [{"url": "https://projectarachnid.ca/", "label": "Home"}],
    "harms": [{"code": "CSAM-KNOWN"}],
    "interventionTypes": [{"code": "DET-HASH"}],
    "mnrCapabilities": [{"code": "MNR-16"}],
    "targetGroups": [{"code": "INDUSTRY"}],
    "regions": [{"code": "GLOBAL"}],
    "countries": [{"code": "CA"}],
    "languages": [{"code": "en"}],
}
CLEARED = {
    "summary": None,
    "description": None,
    "plannedStart": None,
    "plannedEnd": None,
    "actualStart": None,
    "actualEnd": None,
    "links": [],
    "harms": [],
    "interventionTypes": [],
    "mnrCapabilities": [],
    "targetGroups": [],
    "regions": [],
    "countries": [],
    "languages": [],
}


@pytest.fixture
def c3p(make):  # noqa: ANN001, ANN201
    return make.organisation("c3p", stakeholder_type="NGO", country="CA")


@pytest.fixture
def token(make, c3p) -> str:  # noqa: ANN001
    return make.token(c3p)


@pytest.fixture
def arachnid(make, db, c3p) -> Initiative:  # noqa: ANN001
    initiative = make.initiative(c3p, "Project Arachnid", harms=["CSAM-KNOWN"])
    for scheme, code in (
        ("intervention-type", "DET-HASH"),
        ("mnr-capability", "MNR-16"),
        ("target-group", "INDUSTRY"),
        ("region", "GLOBAL"),
        ("country", "CA"),
        ("language", "en"),
    ):
        classify(db, initiative, scheme, code)
    return set_columns(
        db,
        initiative,
        summary=FULL["summary"],
        description=FULL["description"],
        planned_start=date(2017, 1, 1),
        planned_end=date(2027, 12, 31),
        actual_start=date(2017, 1, 15),
        links=FULL["links"],
    )


def _update(client, token, initiative: Initiative, fields: dict) -> dict:  # noqa: ANN001
    return mutate(client, "updateInitiative", {"id": gid("Initiative", initiative.id), **fields}, token, READ_BACK)


def test_omitted_fields_stay_as_they_are(client, token, arachnid) -> None:  # noqa: ANN001
    payload = _update(client, token, arachnid, {"title": "Project Arachnid 2"})
    assert user_errors(payload) == []
    assert payload["initiative"] == {**FULL, "title": "Project Arachnid 2"}


def test_explicit_null_clears_optional_fields(client, db, token, arachnid) -> None:  # noqa: ANN001
    payload = _update(client, token, arachnid, dict.fromkeys(CLEARED))
    assert user_errors(payload) == []
    assert payload["initiative"] == {**FULL, **CLEARED}
    rows = stored(db)
    assert [r for r in rows["initiative_classification"] if r["initiative_id"] == arachnid.id] == []
    db.expire_all()
    row = db.get(Initiative, arachnid.id)
    assert (row.summary, row.description, row.planned_start, row.actual_end, row.links) == (None, None, None, None, [])


def test_empty_lists_clear_lists_too(client, token, arachnid) -> None:  # noqa: ANN001
    payload = _update(client, token, arachnid, {"harms": [], "links": [], "countries": []})
    assert user_errors(payload) == []
    assert payload["initiative"] == {**FULL, "harms": [], "links": [], "countries": []}


def test_clearing_a_start_keeps_the_end_valid(client, token, arachnid) -> None:  # noqa: ANN001
    payload = _update(client, token, arachnid, {"plannedStart": None, "actualStart": None, "actualEnd": "2000-01-01"})
    assert user_errors(payload) == []
    assert payload["initiative"]["plannedStart"] is None
    assert payload["initiative"]["actualEnd"] == "2000-01-01"


@pytest.mark.parametrize("field", ["title", "status", "visibility"])
def test_required_fields_refuse_null(client, db, token, arachnid, field) -> None:  # noqa: ANN001
    before = stored(db)
    payload = _update(client, token, arachnid, {field: None})
    assert user_errors(payload) == [(["input", field], "REQUIRED")]
    assert payload["initiative"] is None
    assert stored(db) == before


def test_null_required_fields_are_reported_with_other_problems(client, db, token, arachnid) -> None:  # noqa: ANN001
    before = stored(db)
    payload = _update(client, token, arachnid, {"title": None, "status": None, "visibility": None, "harms": ["NOPE"]})
    assert sorted(user_errors(payload)) == [
        (["input", "harms", "0"], "INVALID_CODE"),
        (["input", "status"], "REQUIRED"),
        (["input", "title"], "REQUIRED"),
        (["input", "visibility"], "REQUIRED"),
    ]
    assert stored(db) == before


def test_a_rejected_clear_changes_nothing_else(client, db, token, arachnid) -> None:  # noqa: ANN001
    before = stored(db)
    payload = _update(client, token, arachnid, {"summary": None, "harms": [], "title": None})
    assert user_errors(payload) == [(["input", "title"], "REQUIRED")]
    assert stored(db) == before
