"""updateInitiative: an omitted field stays, an explicit null clears it, required fields refuse null; and
the inputs are made from the one declaration of an initiative's writable fields."""

from dataclasses import fields
from datetime import date

import pytest
from strawberry.types.base import get_object_definition

from api.core.writable import WRITABLE
from api.initiatives import service, types
from api.initiatives.models import Initiative
from api.initiatives.mutations import CreateInitiativeInput, UpdateInitiativeInput
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


WRITABLE_FIELDS = [f.name for f in fields(service.InitiativeData) if WRITABLE in f.metadata]
CLEARABLE = [f.name for f in fields(service.InitiativeData) if WRITABLE in f.metadata and f.metadata[WRITABLE].clearable]


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def test_the_inputs_and_the_service_data_hold_the_declared_fields_in_order() -> None:
    assert WRITABLE_FIELDS[:2] == ["title", "status"]
    assert [f.name for f in fields(CreateInitiativeInput)] == WRITABLE_FIELDS
    assert [f.name for f in fields(UpdateInitiativeInput)] == ["id", *WRITABLE_FIELDS]
    assert [f.name for f in fields(service.InitiativeData)] == [*WRITABLE_FIELDS, "provenance"]
    assert CLEARABLE == [name for name in WRITABLE_FIELDS if name not in ("title", "status", "visibility")]


def test_every_writable_field_is_read_back_and_stored() -> None:
    # The GraphQL type and the table are written apart (other names, types, and fields of their own):
    # a field added to the declaration must be added to both.
    read = {f.python_name for f in get_object_definition(types.Initiative, strict=True).fields}
    assert set(WRITABLE_FIELDS) <= read
    assert {_camel(name) for name in WRITABLE_FIELDS} == set(FULL)
    classified = set(service.VOCABULARY_SCHEMES) | set(service.ISO_SCHEMES)
    assert set(WRITABLE_FIELDS) - classified <= set(Initiative.__table__.columns.keys())


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


@pytest.mark.parametrize("name", CLEARABLE)
def test_null_clears_only_the_field_it_names(client, token, arachnid, name) -> None:  # noqa: ANN001
    field = _camel(name)
    payload = _update(client, token, arachnid, {field: None})
    assert user_errors(payload) == []
    assert payload["initiative"] == {**FULL, field: CLEARED[field]}


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
