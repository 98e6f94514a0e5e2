"""Bad input (SECURITY.md 1-5, 7): malformed bodies, oversized bodies, page sizes, LIKE
metacharacters, suggestions in production, and masked unexpected errors."""

import json
import logging

import pytest
from fastapi.testclient import TestClient

import api.graphql.context
from api.initiatives import filters as initiative_filters
from api.initiatives import service as initiative_service
from api.initiatives.models import Initiative, InitiativeClassification
from api.organisations.models import Organisation
from api.core.settings import Settings
from tests.factories import graphql
from tests.security.conftest import codes, count, stored

# --- 1. malformed and non-GraphQL bodies ---------------------------------------------------------

BAD_BODIES = {
    "truncated JSON": b'{"query": "{ viewer { kind } }"',
    "not JSON at all": b"query { viewer { kind } }",
    "empty body": b"",
    "JSON without a query": b'{"foo": 1}',
    "a JSON string": b'"{ viewer { kind } }"',
    "a JSON number": b"42",
    "JSON null": b"null",
    "a list of numbers": b"[1, 2]",
    "a list of strings": b'["{ viewer { kind } }"]',
    "query is a number": b'{"query": 123}',
    "query is an object": b'{"query": {"kind": "Document"}}',
    "variables is a string": b'{"query": "{ viewer { kind } }", "variables": "x"}',
    "variables is a list": b'{"query": "{ viewer { kind } }", "variables": [1]}',
    "extensions is a number": b'{"query": "{ viewer { kind } }", "extensions": 5}',
    "operationName is a number": b'{"query": "{ viewer { kind } }", "operationName": 5}',
    "batch item query is a number": b'[{"query": 5}]',
    "batch item is null": b"[null]",
}


@pytest.mark.parametrize("body", BAD_BODIES.values(), ids=BAD_BODIES.keys())
def test_malformed_or_non_graphql_body_is_a_clear_400(client, body: bytes) -> None:
    response = client.post("/graphql", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 400, response.text
    text = response.text
    assert text.strip(), "a 400 must say what is wrong"
    assert "Traceback" not in text and "File \"" not in text and "Error:" not in text
    assert "data" not in text
    # The server keeps answering.
    assert graphql(client, "{ viewer { kind } }")["data"]["viewer"]["kind"] == "anonymous"


def test_a_body_that_is_not_json_typed_is_refused(client) -> None:
    response = client.post("/graphql", content=b"{ viewer { kind } }", headers={"content-type": "text/plain"})
    assert response.status_code == 400
    assert "content type" in response.text.lower()


def test_a_body_over_the_limit_with_content_length_is_413_before_parsing(client, settings: Settings) -> None:
    body = b"x" * (settings.max_body_bytes + 1)  # not even JSON: the limit comes before parsing
    response = client.post("/graphql", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert f"{settings.max_body_bytes} bytes" in response.json()["errors"][0]["message"]
    # Just under the limit, the same kind of body reaches the parser (and is refused as bad JSON).
    response = client.post(
        "/graphql", content=b"x" * (settings.max_body_bytes - 10), headers={"content-type": "application/json"}
    )
    assert response.status_code == 400


# --- 3. page sizes ---------------------------------------------------------------------------------

PAGED_FIELDS = {
    "initiatives": "query($n: Int) { initiatives(first: $n) { totalCount } }",
    "organisations": "query($n: Int) { organisations(first: $n) { totalCount } }",
    "organisation.initiatives": 'query($n: Int) { organisation(slug: "lead") { initiatives(first: $n) { totalCount } } }',
    "evidenceAssessments": "query($n: Int) { evidenceAssessments(first: $n) { totalCount } }",
    "bestPractices": "query($n: Int) { bestPractices(first: $n) { totalCount } }",
}


@pytest.mark.parametrize("query", PAGED_FIELDS.values(), ids=PAGED_FIELDS.keys())
@pytest.mark.parametrize(("first", "code"), [(0, "BAD_USER_INPUT"), (-1, "BAD_USER_INPUT"), (101, "BAD_USER_INPUT"),
                                             (10**9, "QUERY_TOO_COSTLY")])
def test_first_out_of_range_is_an_error(client, make, query: str, first: int, code: str) -> None:
    make.organisation("lead")
    body = graphql(client, query, {"n": first})
    assert codes(body) == [code], body
    assert body["data"] in (None, {"organisation": None})
    # The same query within the range answers.
    assert "errors" not in graphql(client, query, {"n": 100})


@pytest.mark.parametrize("first", ["0", "-1", "101"])
def test_first_out_of_range_as_a_literal_is_an_error(client, first: str) -> None:
    body = graphql(client, f"{{ initiatives(first: {first}) {{ totalCount }} }}")
    assert codes(body) == ["BAD_USER_INPUT"]
    assert body["data"] is None


def test_first_beyond_32_bits_and_last_are_refused(client) -> None:
    too_big = graphql(client, "{ initiatives(first: 10000000000) { totalCount } }")
    assert too_big["data"] is None and "32-bit" in too_big["errors"][0]["message"]
    # There is no backwards paging to abuse.
    last = graphql(client, "{ initiatives(last: 5) { totalCount } }")
    assert last["data"] is None and "Unknown argument 'last'" in last["errors"][0]["message"]


# --- 4. LIKE metacharacters and quotes are literal -----------------------------------------------

NAMES = ["100% Safe", "Safe_Net", "Back\\Slash", "O'Brien Trust", 'The "Quoted" Lab', "Plain Safety"]
SEARCHES = {
    "%": ["100% Safe"],
    "_": ["Safe_Net"],
    "\\": ["Back\\Slash"],
    "'": ["O'Brien Trust"],
    '"': ['The "Quoted" Lab'],
    "e_n": ["Safe_Net"],
    "s_f": [],  # as a LIKE pattern it would match every "Saf…"
    "e%n": [],  # as a LIKE pattern it would match "Safe_Net"
    "%%": [],
    "\\s": ["Back\\Slash"],
    "\\%": [],
    "' OR '1'='1": [],
    "'; DROP TABLE initiative; --": [],
    "[a-z]*": [],
    "SAFE": ["100% Safe", "Plain Safety", "Safe_Net"],
}


@pytest.mark.parametrize(("text", "expected"), SEARCHES.items(), ids=[repr(k) for k in SEARCHES])
def test_organisation_query_filter_is_literal_text(client, make, db, text: str, expected: list[str]) -> None:
    for i, name in enumerate(NAMES):
        organisation = make.organisation(f"org-{i}")
        organisation.name = name
        db.add(organisation)
    db.commit()
    body = graphql(
        client,
        "query($q: String) { organisations(first: 100, filter: {query: $q}) { totalCount edges { node { name } } } }",
        {"q": text},
    )
    assert "errors" not in body, body
    names = sorted(e["node"]["name"] for e in body["data"]["organisations"]["edges"])
    assert names == sorted(expected)
    assert body["data"]["organisations"]["totalCount"] == len(expected)
    assert [r["name"] for r in stored(db, Organisation.__table__)] == NAMES  # nothing changed, nothing dropped


@pytest.mark.parametrize(("text", "expected"), SEARCHES.items(), ids=[repr(k) for k in SEARCHES])
def test_initiative_query_filter_is_literal_text(client, make, db, text: str, expected: list[str]) -> None:
    lead = make.organisation("lead")
    for name in NAMES:
        make.initiative(lead, name)
    body = graphql(
        client,
        "query($q: String) { initiatives(first: 100, filter: {query: $q}) { totalCount edges { node { title } } } }",
        {"q": text},
    )
    assert "errors" not in body, body
    assert sorted(e["node"]["title"] for e in body["data"]["initiatives"]["edges"]) == sorted(expected)
    assert body["data"]["initiatives"]["totalCount"] == len(expected)
    assert count(db, Initiative.__table__) == len(NAMES)


NUL_QUERIES = {
    "organisations filter": "query($q: String) { organisations(filter: {query: $q}) { totalCount } }",
    "initiatives filter": "query($q: String) { initiatives(filter: {query: $q}) { totalCount } }",
    "organisation slug": "query($q: String!) { organisation(slug: $q) { name } }",
    "harms filter": "query($q: String!) { initiatives(filter: {harms: [$q]}) { totalCount } }",
}


@pytest.mark.parametrize("text", ["\x00", "lead\x00"], ids=["nul", "trailing nul"])
@pytest.mark.parametrize("query", NUL_QUERIES.values(), ids=NUL_QUERIES.keys())
def test_nul_in_search_text_is_refused_or_literal(client, make, query: str, text: str) -> None:
    """PostgreSQL cannot take a NUL in text, and SQLite's LIKE stops at one (so "\x00" matched
    every organisation): either a clear input error, or literal text that matches nothing."""
    lead = make.organisation("lead")
    make.initiative(lead, "Lead initiative", harms=["CSAM-KNOWN"])
    body = graphql(client, query, {"q": text})
    if "errors" in body:
        assert "INTERNAL_SERVER_ERROR" not in codes(body), body
        assert all(code is not None for code in codes(body)), body
    else:
        assert [v for v in body["data"].values()] in ([None], [{"totalCount": 0}]), body


def test_code_filters_compare_whole_codes(client, make) -> None:
    lead = make.organisation("lead")
    make.initiative(lead, "Known material", harms=["CSAM-KNOWN"])
    query = "query($f: InitiativeFilter) { initiatives(filter: $f) { totalCount } }"
    for attack in ("%", "CSAM%", "CSAM-_NOWN", "' OR 1=1 --"):
        for name in ("harms", "statuses", "countries", "stakeholderTypes", "interventionTypes"):
            # A pattern is no code: refused as an unknown one, as search refuses it, never a wildcard.
            body = graphql(client, query, {"f": {name: [attack]}})
            assert body["data"] is None, (name, attack, body)
            assert codes(body) == ["BAD_USER_INPUT"], body
            assert [p["field"] for p in body["errors"][0]["extensions"]["problems"]] == [["filter", name, "0"]]
    assert graphql(client, query, {"f": {"harms": ["CSAM-KNOWN"]}})["data"]["initiatives"]["totalCount"] == 1


# --- 5 and 36. production hides the schema --------------------------------------------------------


MISSPELT = {
    "field": ("{ organisatons { totalCount } }", "organisatons"),
    "nested field": ("{ organisations { totalCont } }", "totalCont"),
    "argument": ("{ organisations(frist: 1) { totalCount } }", "frist"),
    "input field": ('{ initiatives(filter: {qurey: "x"}) { totalCount } }', "qurey"),
    "enum value": ("{ initiatives(orderBy: TITLE_AS) { totalCount } }", "TITLE_AS"),
    "type condition": ('{ node(id: "x") { ... on Organisaton { name } } }', "Organisaton"),
    "variable type": ("query($f: InitiativeFiltr) { initiatives(filter: $f) { totalCount } }", "InitiativeFiltr"),
}


@pytest.mark.parametrize(("query", "misspelt"), MISSPELT.values(), ids=MISSPELT.keys())
def test_production_gives_no_suggestions(production, query: str, misspelt: str) -> None:  # noqa: ANN001
    body = graphql(production, query)
    assert body["data"] is None and body["errors"]
    assert any(misspelt in e["message"] for e in body["errors"]), body  # the error is about the misspelling
    assert all("did you mean" not in e["message"].lower() for e in body["errors"]), body


@pytest.mark.parametrize("name", ["field", "argument", "enum value", "type condition"])
def test_development_does_suggest(client, name: str) -> None:  # noqa: ANN001
    """So the production checks above are not vacuous."""
    body = graphql(client, MISSPELT[name][0])
    assert any("Did you mean" in e["message"] for e in body["errors"]), body


def test_production_suggests_nothing_for_misspelt_enum_variables(production) -> None:
    body = graphql(
        production, "query($o: InitiativeOrder!) { initiatives(orderBy: $o) { totalCount } }", {"o": "TITLE_AS"}
    )
    assert body["errors"] and all("did you mean" not in e["message"].lower() for e in body["errors"]), body


# --- 7. unexpected exceptions are masked ------------------------------------------------------------

SECRET = "secret-detail: password=hunter2 at db.internal:5432"


def _boom(*_args, **_kwargs):  # noqa: ANN002, ANN003, ANN202
    raise RuntimeError(SECRET)


def test_an_unexpected_error_is_masked_with_a_request_id(client, make, monkeypatch, caplog) -> None:
    make.organisation("lead")
    monkeypatch.setattr(initiative_filters, "filtered", _boom)
    caplog.set_level(logging.ERROR)
    response = client.post("/graphql", json={"query": "{ initiatives { totalCount } }"})
    assert response.status_code == 200
    request_id = response.headers["x-request-id"]
    assert len(request_id) >= 16
    body = response.json()
    assert body["data"] is None
    [error] = body["errors"]
    assert error["message"] == f"Internal server error. Request id: {request_id}"
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert error["extensions"]["requestId"] == request_id
    assert "hunter2" not in response.text and "RuntimeError" not in response.text and "Traceback" not in response.text
    # The details are in the log, under the same id.
    logged = [r for r in caplog.records if request_id in r.getMessage()]
    assert logged and any(r.exc_info and SECRET in str(r.exc_info[1]) for r in logged)


def test_request_ids_differ_between_requests(client) -> None:
    first = client.post("/graphql", json={"query": "{ viewer { kind } }"}).headers["x-request-id"]
    second = client.post("/graphql", json={"query": "{ viewer { kind } }"}).headers["x-request-id"]
    assert first != second


def test_an_unexpected_error_in_a_write_is_masked_and_nothing_is_stored(client, make, db, monkeypatch, caplog) -> None:
    lead = make.organisation("lead")
    token = make.token(lead)
    # Fails after the initiative row was flushed: the boundary must roll it back.
    monkeypatch.setattr(initiative_service, "_replace_classifications", _boom)
    caplog.set_level(logging.ERROR)
    response = client.post(
        "/graphql",
        json={
            "query": "mutation($i: CreateInitiativeInput!) { createInitiative(input: $i) { initiative { id } } }",
            "variables": {"i": {"title": "Half-written", "status": "IMPLEMENTATION", "harms": ["CSAM-KNOWN"]}},
        },
        headers={"Authorization": f"Bearer {token}"},
    )
    body = response.json()
    assert codes(body) == ["INTERNAL_SERVER_ERROR"]
    assert response.headers["x-request-id"] in body["errors"][0]["message"]
    assert "hunter2" not in response.text
    assert stored(db, Initiative.__table__) == []
    assert stored(db, InitiativeClassification.__table__) == []


def test_an_unexpected_error_outside_graphql_is_masked_too(app, monkeypatch, caplog) -> None:
    """A failure while building the request context (say, the database is down) is not a GraphQL
    error: the HTTP layer masks it the same way."""
    monkeypatch.setattr(api.graphql.context, "principal_from_token", _boom)
    caplog.set_level(logging.ERROR)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.post("/graphql", json={"query": "{ viewer { kind } }"})
    assert response.status_code == 500
    request_id = response.headers["x-request-id"]
    body = response.json()
    assert body["errors"][0]["message"] == f"Internal server error. Request id: {request_id}"
    assert body["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert "hunter2" not in response.text and "Traceback" not in response.text
    logged = [r for r in caplog.records if request_id in r.getMessage()]
    assert logged and any(r.exc_info and SECRET in str(r.exc_info[1]) for r in logged)


def test_an_error_body_is_json_with_no_server_internals(client) -> None:
    response = client.post("/graphql", json={"query": "{ viewer { "})
    body = response.json()
    assert body["data"] is None and "Syntax Error" in body["errors"][0]["message"]
    assert "Traceback" not in json.dumps(body) and "site-packages" not in json.dumps(body)
