"""Malformed input of every kind (SECURITY.md 49): request bodies that are not UTF-8 JSON or nest
too deeply, ids and cursors no server could have issued, page sizes out of range on any
connection. Each is a clear 4xx or a coded GraphQL error, is logged as one line without a
traceback, and leaves the server's database connections working."""

import base64
import json
import logging

import pytest
from sqlalchemy import event

from api.core.middleware import MAX_JSON_DEPTH
from tests.factories import gid, graphql
from tests.security.conftest import codes
from tests.server import HTTP_TIMEOUT

GRAPHQL_JSON = {"content-type": "application/json"}


def _no_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR], [
        r.getMessage()[:200] for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR
    ]


# --- request bodies --------------------------------------------------------------------------------

BODIES = {
    "deeply nested variables": (
        b'{"query": "query($v: String) { viewer { kind } }", "variables": {"v": '
        + b"[" * 100_000 + b"]" * 100_000 + b"}}",
        "JSON_TOO_DEEP",
    ),
    "nested one level too deep": (
        b'{"query": "{ viewer { kind } }", "extensions": ' + b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH + b"}",
        "JSON_TOO_DEEP",
    ),
    "invalid UTF-8 inside a string": (b'{"query": "{ viewer { kind } }\xff"}', "INVALID_JSON"),
    "a UTF-16 byte order mark": (b'\xff\xfe{"query": "{ viewer { kind } }"}', "INVALID_JSON"),
    "truncated JSON": (b'{"query": "{ viewer { kind } }"', "INVALID_JSON"),
    "not JSON": (b"query { viewer { kind } }", "INVALID_JSON"),
    "a JSON number": (b"42", "BAD_REQUEST"),
}


@pytest.mark.parametrize(("body", "code"), BODIES.values(), ids=BODIES.keys())
def test_an_unreadable_body_is_a_coded_400(client, caplog, body: bytes, code: str) -> None:
    caplog.set_level(logging.INFO)
    response = client.post("/graphql", content=body, headers=GRAPHQL_JSON)
    assert response.status_code == 400, response.text
    assert codes(response.json()) == [code]
    assert response.json()["errors"][0]["message"]
    _no_tracebacks(caplog)


def test_nesting_within_the_limit_is_read(client) -> None:
    body = b'{"query": "{ viewer { kind } }", "extensions": {"x": ' + b"[" * 10 + b"]" * 10 + b"}}"
    response = client.post("/graphql", content=body, headers=GRAPHQL_JSON)
    assert response.status_code == 200 and response.json()["data"]["viewer"]["kind"] == "anonymous"


def test_a_body_over_the_size_limit_has_a_code(client, settings) -> None:
    response = client.post("/graphql", content=b"x" * (settings.max_body_bytes + 1), headers=GRAPHQL_JSON)
    assert response.status_code == 413 and codes(response.json()) == ["BODY_TOO_LARGE"]


# --- global ids ------------------------------------------------------------------------------------

def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


MALFORMED_IDS = {
    "not base64": "!!!",
    "empty": "",
    "no padding": gid("Organisation", 1).rstrip("="),
    "not a record type": _b64("Nope:1"),
    "no row id": _b64("Organisation:"),
    "not an integer": _b64("Organisation:x"),
    "negative": _b64("Organisation:-1"),
    "signed": _b64("Organisation:+1"),
    "past 2^31-1": _b64(f"Organisation:{2**31}"),
    "past 2^63-1": _b64(f"Organisation:{2**63}"),
    "past 2^64": _b64(f"Organisation:{2**64}"),
    "non-ASCII digits": _b64("Organisation:١٢"),
}

ID_QUERIES = {
    "node": "query($id: ID!) { node(id: $id) { id } }",
    "nodes": "query($id: ID!) { nodes(ids: [$id]) { id } }",
    "initiatives filter": "query($id: ID!) { initiatives(filter: {organisations: [$id]}) { totalCount } }",
    "bestPractices filter": "query($id: ID!) { bestPractices(filter: {organisations: [$id]}) { totalCount } }",
    "evidence filter": "query($id: ID!) { evidenceAssessments(filter: {assessingOrganisations: [$id]}) { totalCount } }",
    "organisation.initiatives filter": (
        'query($id: ID!) { organisation(slug: "lead") { initiatives(filter: {organisations: [$id]}) { totalCount } } }'
    ),
}


@pytest.mark.parametrize("query", ID_QUERIES.values(), ids=ID_QUERIES.keys())
@pytest.mark.parametrize("bad_id", MALFORMED_IDS.values(), ids=MALFORMED_IDS.keys())
def test_a_malformed_id_is_invalid_id_everywhere(client, make, caplog, query: str, bad_id: str) -> None:
    make.organisation("lead")
    caplog.set_level(logging.INFO)
    body = graphql(client, query, {"id": bad_id})
    assert codes(body) == ["INVALID_ID"], body
    _no_tracebacks(caplog)


def test_a_valid_id_of_a_missing_record_is_still_null_or_nothing(client) -> None:
    missing = gid("Organisation", 2**31 - 1)
    assert graphql(client, "query($id: ID!) { node(id: $id) { id } }", {"id": missing}) == {"data": {"node": None}}
    body = graphql(client, "query($id: ID!) { initiatives(filter: {organisations: [$id]}) { totalCount } }", {"id": missing})
    assert body == {"data": {"initiatives": {"totalCount": 0}}}


def test_an_id_of_another_record_type_names_nothing_and_a_malformed_one_is_invalid(client, make) -> None:
    lead = make.organisation("lead")
    make.initiative(lead, "Led")
    query = "query($id: ID!) { initiative(id: $id) { title } }"
    assert graphql(client, query, {"id": gid("Organisation", lead.id)}) == {"data": {"initiative": None}}
    body = graphql(client, query, {"id": gid("Initiative", "1.0")})
    assert codes(body) == ["INVALID_ID"] and body["errors"][0]["extensions"]["field"] == ["id"]
    query = "query($ids: [ID!]!) { initiatives(filter: {organisations: $ids}) { totalCount } }"
    # Values of a filter are alternatives: an id of another type matches nothing, the others still match.
    ids = [gid("Initiative", 1), gid("Organisation", lead.id)]
    assert graphql(client, query, {"ids": ids}) == {"data": {"initiatives": {"totalCount": 1}}}
    body = graphql(client, query, {"ids": [gid("Organisation", lead.id), _b64("Organisation:1e3")]})
    assert codes(body) == ["INVALID_ID"]
    assert body["errors"][0]["extensions"]["field"] == ["filter", "organisations", "1"]


@pytest.mark.parametrize("bad_id", [_b64(f"Initiative:{2**63}"), _b64("Nope:1"), _b64("Initiative:-5"), _b64("Initiative:")])
def test_a_malformed_id_in_a_mutation_is_a_user_error_and_nothing_changes(client, make, db, bad_id: str) -> None:
    lead = make.organisation("lead")
    initiative = make.initiative(lead, "Kept as it is")
    token = make.token(lead)
    body = graphql(
        client,
        "mutation($i: UpdateInitiativeInput!) { updateInitiative(input: $i) { initiative { id } userErrors { field code } } }",
        {"i": {"id": bad_id, "title": "Changed"}},
        token=token,
    )
    assert body["data"]["updateInitiative"] == {"initiative": None, "userErrors": [{"field": ["input", "id"], "code": "INVALID_ID"}]}
    db.refresh(initiative)
    assert initiative.title == "Kept as it is"


# --- cursors -----------------------------------------------------------------------------------------

def _cursor(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


FORGED_CURSORS = {
    "not base64": "!!!",
    "empty": "",
    "base64 of text": _cursor("x")[:-2] + "@@",
    "a JSON string": _cursor("x"),
    "an object": _cursor({"a": 1}),
    "two items (old shape)": _cursor(["2024-01-01T00:00:00+00:00", 1]),
    "another order": _cursor(["title:asc", "A", 1]),
    "another order, same kind": _cursor(["created_at:desc", "2024-01-01T00:00:00+00:00", 1]),
    "a huge row id": _cursor(["updated_at:desc", "2024-01-01T00:00:00+00:00", 2**64]),
    "a negative row id": _cursor(["updated_at:desc", "2024-01-01T00:00:00+00:00", -1]),
    "a boolean row id": _cursor(["updated_at:desc", "2024-01-01T00:00:00+00:00", True]),
    "a number for a time": _cursor(["updated_at:desc", 12, 1]),
    "a time without offset": _cursor(["updated_at:desc", "2024-01-01T00:00:00", 1]),
    "not a time": _cursor(["updated_at:desc", "yesterday", 1]),
    "nested deeply": base64.urlsafe_b64encode(b"[" * 5000 + b"]" * 5000).decode(),
    "too long": "A" * 5000,
}


@pytest.mark.parametrize("cursor", FORGED_CURSORS.values(), ids=FORGED_CURSORS.keys())
def test_a_forged_cursor_is_invalid_cursor(client, make, caplog, cursor: str) -> None:
    make.organisation("lead")
    caplog.set_level(logging.INFO)
    body = graphql(client, "query($c: String) { initiatives(after: $c) { totalCount } }", {"c": cursor})
    assert codes(body) == ["INVALID_CURSOR"], body
    assert body["data"] is None
    _no_tracebacks(caplog)


def test_a_cursor_of_the_same_list_and_order_still_pages(client, make) -> None:
    lead = make.organisation("lead")
    for title in ("A", "B", "C"):
        make.initiative(lead, title)
    query = "query($c: String) { initiatives(first: 2, after: $c, orderBy: TITLE_ASC) { edges { node { title } } pageInfo { endCursor } } }"
    first = graphql(client, query, {"c": None})["data"]["initiatives"]
    second = graphql(client, query, {"c": first["pageInfo"]["endCursor"]})["data"]["initiatives"]
    assert [e["node"]["title"] for e in second["edges"]] == ["C"]
    # The same cursor in another order is refused rather than misread.
    other = graphql(
        client,
        "query($c: String) { initiatives(after: $c, orderBy: CREATED_AT_DESC) { totalCount } }",
        {"c": first["pageInfo"]["endCursor"]},
    )
    assert codes(other) == ["INVALID_CURSOR"]


# --- page sizes on every connection, and the connection pool ---------------------------------------

NESTED = '{ organisation(slug: "iwf") { name initiatives(first: -1) { totalCount } members { createdAt } } }'


@pytest.mark.parametrize("first", ["-1", "0", "101"])
def test_a_nested_page_size_out_of_range_refuses_the_request_before_any_sql(client, make, statements, first: str) -> None:
    organisation = make.organisation("iwf")
    make.member(organisation, "someone@iwf.example")
    statements.count = 0
    body = graphql(client, NESTED.replace("-1", first))
    assert codes(body) == ["BAD_USER_INPUT"] and body["data"] is None
    assert "Organisation.initiatives" in body["errors"][0]["message"]
    assert statements.count == 0


def test_a_failing_field_beside_a_loading_one_leaves_the_connections_working(client, app, make) -> None:
    """A sibling field failing cancels the others; a statement cancelled halfway used to leave its
    pooled connection closed under the request's session."""
    organisation = make.organisation("iwf")
    make.member(organisation, "someone@iwf.example")
    invalidated: list[object] = []
    engine = app.state.engine.sync_engine
    listener = lambda *args: invalidated.append(args)  # noqa: E731
    event.listen(engine, "invalidate", listener)
    try:
        # `first` as a variable the check cannot see cannot be checked before execution: the
        # connection's own check fails while the members are loading.
        query = (
            'query($after: String) { organisation(slug: "iwf") { name initiatives(after: $after) { totalCount } '
            "members { createdAt } } }"
        )
        for _ in range(10):
            body = graphql(client, query, {"after": "forged"})
            assert codes(body) == ["INVALID_CURSOR"]
        for _ in range(5):
            assert graphql(client, '{ organisation(slug: "iwf") { name } }') == {"data": {"organisation": {"name": "Iwf"}}}
    finally:
        event.remove(engine, "invalidate", listener)
    assert invalidated == []


def test_the_reported_request_against_a_live_server(settings, make) -> None:
    """The request as it was reported, over real HTTP: a coded error, and the server keeps answering."""
    import httpx

    from tests.server import running_server

    organisation = make.organisation("iwf")
    make.member(organisation, "someone@iwf.example")
    with running_server(settings) as base, httpx.Client(base_url=base, timeout=HTTP_TIMEOUT) as http:
        for _ in range(5):
            response = http.post("/graphql", json={"query": NESTED})
            assert response.status_code == 200 and codes(response.json()) == ["BAD_USER_INPUT"]
        for _ in range(5):
            response = http.post("/graphql", json={"query": '{ organisation(slug: "iwf") { name members { createdAt } } }'})
            assert response.json() == {"data": {"organisation": {"name": "Iwf", "members": []}}}


# --- logging -----------------------------------------------------------------------------------------

def test_input_errors_are_one_line_and_unexpected_ones_keep_their_traceback(client, caplog) -> None:
    caplog.set_level(logging.INFO)
    response = client.post("/graphql", json={"query": "query($id: ID!) { node(id: $id) { id } }", "variables": {"id": "!!!"}})
    request_id = response.headers["x-request-id"]
    logged = [r for r in caplog.records if request_id in r.getMessage()]
    assert len(logged) == 1 and "INVALID_ID" in logged[0].getMessage()
    assert logged[0].levelno == logging.INFO and logged[0].exc_info is None and "\n" not in logged[0].getMessage()
    _no_tracebacks(caplog)


def test_an_id_that_is_not_base64_in_a_mutation_is_refused_and_nothing_changes(client, make, db) -> None:
    lead = make.organisation("lead")
    initiative = make.initiative(lead, "Kept as it is")
    body = graphql(
        client,
        "mutation($i: UpdateInitiativeInput!) { updateInitiative(input: $i) { initiative { id } userErrors { field code } } }",
        {"i": {"id": "not an id", "title": "Changed"}},
        token=make.token(lead),
    )
    assert codes(body) == ["INVALID_ID"] and body["data"] is None
    db.refresh(initiative)
    assert initiative.title == "Kept as it is"
