"""Input fields the server owns, or no input type defines, are refused before anything runs, with
`extensions.code` and `extensions.field` — whether written inline or sent as variables."""


import pytest

from api.graphql.input_errors import INVALID_UNICODE, SERVER_OWNED_FIELD, UNKNOWN_INPUT_FIELD
from tests.factories import error_extensions, gid, graphql, send_inline, send_variables, stored

VALID = {"title": "Safer Internet Centre", "status": "IMPLEMENTATION"}


@pytest.fixture
def inhope(make):  # noqa: ANN001, ANN201
    return make.organisation("inhope", stakeholder_type="HOTLINE")


@pytest.fixture
def token(make, inhope) -> str:  # noqa: ANN001
    return make.token(inhope)


@pytest.fixture
def initiative(make, inhope):  # noqa: ANN001, ANN201
    return make.initiative(inhope, "Notice and take-down")


SENDERS = [pytest.param(send_inline, id="inline"), pytest.param(send_variables, id="variables")]


@pytest.mark.parametrize("send", SENDERS)
@pytest.mark.parametrize(
    ("extra", "code"),
    [
        ({"leadOrganisation": "T3JnYW5pc2F0aW9uOjE="}, SERVER_OWNED_FIELD),
        ({"leadOrganisationId": 1}, SERVER_OWNED_FIELD),
        ({"organisation": "T3JnYW5pc2F0aW9uOjE="}, SERVER_OWNED_FIELD),
        ({"id": "SW5pdGlhdGl2ZTox"}, SERVER_OWNED_FIELD),
        ({"createdBy": "user:1"}, SERVER_OWNED_FIELD),
        ({"updatedBy": "user:1"}, SERVER_OWNED_FIELD),
        ({"createdAt": "2020-01-01T00:00:00Z"}, SERVER_OWNED_FIELD),
        ({"updatedAt": "2020-01-01T00:00:00Z"}, SERVER_OWNED_FIELD),
        ({"deletedAt": None}, SERVER_OWNED_FIELD),
        ({"colour": "red"}, UNKNOWN_INPUT_FIELD),
    ],
)
def test_create_refuses_fields_it_does_not_define(client, db, token, send, extra, code) -> None:  # noqa: ANN001
    before = stored(db)
    body = send(client, "createInitiative", {**VALID, **extra}, token)
    assert body["data"] is None
    assert error_extensions(body) == [{"code": code, "field": ["input", *extra]}]
    assert stored(db) == before


@pytest.mark.parametrize("send", SENDERS)
@pytest.mark.parametrize(
    ("extra", "code"),
    [
        ({"leadOrganisation": "T3JnYW5pc2F0aW9uOjI="}, SERVER_OWNED_FIELD),
        ({"createdBy": "user:2"}, SERVER_OWNED_FIELD),
        ({"deletedAt": "2020-01-01T00:00:00Z"}, SERVER_OWNED_FIELD),
        ({"provenance": []}, UNKNOWN_INPUT_FIELD),
    ],
)
def test_update_refuses_fields_it_does_not_define(client, db, token, initiative, send, extra, code) -> None:  # noqa: ANN001
    before = stored(db)
    body = send(client, "updateInitiative", {"id": gid("Initiative", initiative.id), "title": "Changed", **extra}, token)
    assert body["data"] is None
    assert error_extensions(body) == [{"code": code, "field": ["input", *extra]}]
    assert stored(db) == before


@pytest.mark.parametrize("send", SENDERS)
def test_nested_and_several_unknown_fields_are_all_reported(client, db, token, send) -> None:  # noqa: ANN001
    values = {**VALID, "createdBy": "user:1", "links": [{"url": "https://example.org/", "target": "_blank"}], "x": 1}
    before = stored(db)
    body = send(client, "createInitiative", values, token)
    assert body["data"] is None
    assert sorted(error_extensions(body), key=lambda e: e["field"]) == [
        {"code": SERVER_OWNED_FIELD, "field": ["input", "createdBy"]},
        {"code": UNKNOWN_INPUT_FIELD, "field": ["input", "links", "0", "target"]},
        {"code": UNKNOWN_INPUT_FIELD, "field": ["input", "x"]},
    ]
    assert stored(db) == before


@pytest.mark.parametrize("send", SENDERS)
def test_participation_refuses_server_owned_fields(client, db, make, token, initiative, send) -> None:  # noqa: ANN001
    partner = make.organisation("iwf")
    values = {
        "initiative": gid("Initiative", initiative.id),
        "organisation": gid("Organisation", partner.id),
        "role": "FUNDING",
        "createdBy": "user:1",
    }
    before = stored(db)
    body = send(client, "addParticipation", values, token)
    assert error_extensions(body) == [{"code": SERVER_OWNED_FIELD, "field": ["input", "createdBy"]}]
    assert stored(db) == before


def test_other_variable_problems_are_reported_alongside(client, db, token) -> None:  # noqa: ANN001
    before = stored(db)
    body = send_variables(client, "createInitiative", {"title": 42, "status": "PIPELINE", "leadOrganisation": "x"}, token)
    assert body["data"] is None
    assert error_extensions(body)[0] == {"code": SERVER_OWNED_FIELD, "field": ["input", "leadOrganisation"]}
    assert len(body["errors"]) == 2
    assert "title" in body["errors"][1]["message"]
    assert stored(db) == before


def test_a_snake_case_server_owned_name_is_still_server_owned(client, db, token) -> None:  # noqa: ANN001
    body = send_variables(client, "createInitiative", {**VALID, "lead_organisation_id": 3}, token)
    assert error_extensions(body) == [{"code": SERVER_OWNED_FIELD, "field": ["input", "lead_organisation_id"]}]


# --- suggestions, and text that is not Unicode ------------------------------------------------


@pytest.mark.parametrize("send", SENDERS)
def test_development_suggests_and_production_does_not(client, production, db, send) -> None:  # noqa: ANN001
    # The input is refused before any resolver runs, so even an anonymous caller learns only this.
    values = {**VALID, "titel": "Misspelt"}
    developed = send(client, "createInitiative", values, None)
    produced = send(production, "createInitiative", values, None)
    assert [e["message"] for e in developed["errors"]] == [
        "CreateInitiativeInput has no input field titel. Did you mean 'title'?"
    ]
    assert [e["message"] for e in produced["errors"]] == ["CreateInitiativeInput has no input field titel."]
    assert error_extensions(produced) == error_extensions(developed) == [
        {"code": UNKNOWN_INPUT_FIELD, "field": ["input", "titel"]}
    ]
    assert stored(db)["initiative"] == []


def test_unpaired_surrogates_are_refused(client, db, token) -> None:  # noqa: ANN001
    # httpx cannot encode a lone surrogate, so the JSON escape is written by hand.
    body = (
        '{"query": "mutation($input: CreateInitiativeInput!) { createInitiative(input: $input) { userErrors { code } } }",'
        ' "variables": {"input": {"title": "broken \\ud800 text", "status": "PIPELINE", "harms": ["\\udfff"]}}}'
    )
    before = stored(db)
    response = client.post(
        "/graphql", content=body.encode(), headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    )
    assert response.status_code == 200
    assert error_extensions(response.json()) == [
        {"code": INVALID_UNICODE, "field": ["input", "title"]},
        {"code": INVALID_UNICODE, "field": ["input", "harms", "0"]},
    ]
    assert stored(db) == before


def test_a_variable_path_starts_at_the_variable(client, db, token) -> None:  # noqa: ANN001
    query = "mutation($data: CreateInitiativeInput!) { createInitiative(input: $data) { userErrors { code } } }"
    before = stored(db)
    body = graphql(client, query, {"data": {**VALID, "createdBy": "user:1"}}, token)
    assert error_extensions(body) == [{"code": SERVER_OWNED_FIELD, "field": ["data", "createdBy"]}]
    assert stored(db) == before
