"""Resource exhaustion (SECURITY.md 31-37): depth, aliases, tokens, circular fragments, batches,
production mode and the node budget, each rejected before any resolver runs."""

import time

import pytest
from graphql import get_introspection_query

from api.initiatives.models import Initiative
from tests.factories import gid, graphql
from tests.security.conftest import codes, count

ALIVE = "{ viewer { kind } }"


def _alive(client) -> None:  # noqa: ANN001
    """The server still answers a plain query."""
    assert graphql(client, ALIVE) == {"data": {"viewer": {"kind": "anonymous"}}}


def _nested(levels: int) -> str:
    """A valid query whose deepest field is `levels` fields down: organisations, their initiatives,
    those initiatives' lead organisations, their initiatives, and so on."""
    containers = ["organisations(first: 1)", "edges", "node"]
    cycle = ["initiatives(first: 1)", "edges", "node", "leadOrganisation"]
    while len(containers) < levels - 1:
        containers.append(cycle[(len(containers) - 3) % len(cycle)])
    containers = containers[: levels - 1]
    leaf = {"edges": "cursor", "node": "id", "leadOrganisation": "id"}.get(containers[-1], "totalCount")
    return "{ " + "".join(f"{c} {{ " for c in containers) + leaf + " }" * len(containers) + " }"


# --- 31. depth ------------------------------------------------------------------------------------


def test_a_query_deeper_than_the_limit_is_rejected_before_execution(client, statements, settings) -> None:  # noqa: ANN001
    body = graphql(client, _nested(settings.max_query_depth + 1))
    assert body["data"] is None
    assert codes(body) == ["QUERY_TOO_DEEP"], body
    assert statements.count == 0
    _alive(client)


def test_a_query_at_the_depth_limit_runs(client, statements, settings) -> None:  # noqa: ANN001
    body = graphql(client, _nested(settings.max_query_depth))
    assert "errors" not in body, body
    assert statements.count > 0  # the counter sees real work, so the zero above means something


def test_depth_counts_through_fragments(client, statements, settings) -> None:  # noqa: ANN001
    # Each fragment adds one level: 12 levels in all, none of them more than 2 deep on its own.
    chain = ["fragment A on Query { viewer { ...B } }",
             "fragment B on Viewer { organisation { ...C } }",
             "fragment C on Organisation { initiatives(first: 1) { ...D } }",
             "fragment D on InitiativeConnection { edges { ...E } }",
             "fragment E on InitiativeEdge { node { ...F } }",
             "fragment F on Initiative { leadOrganisation { ...G } }",
             "fragment G on Organisation { initiatives(first: 1) { ...H } }",
             "fragment H on InitiativeConnection { edges { ...I } }",
             "fragment I on InitiativeEdge { node { ...J } }",
             "fragment J on Initiative { leadOrganisation { ...K } }",
             "fragment K on Organisation { initiatives(first: 1) { totalCount } }"]
    body = graphql(client, "query { ...A } " + " ".join(chain))
    assert codes(body) == ["QUERY_TOO_DEEP"], body
    assert statements.count == 0
    assert settings.max_query_depth < 12


def test_an_absurdly_nested_document_is_refused_cleanly(client) -> None:
    body = graphql(client, "{" + "viewer {" * 300 + " kind" + "}" * 300 + "}")
    assert body["data"] is None and body["errors"]
    _alive(client)


# --- 32. aliases ------------------------------------------------------------------------------------


def test_hundreds_of_aliases_are_rejected(client, statements) -> None:  # noqa: ANN001
    query = "{ " + " ".join(f"a{i}: viewer {{ kind }}" for i in range(300)) + " }"
    body = graphql(client, query)
    assert body["data"] is None and codes(body) == ["TOO_MANY_ALIASES"], body
    assert statements.count == 0
    _alive(client)


def test_aliases_up_to_the_limit_are_fine(client, settings) -> None:  # noqa: ANN001
    query = "{ " + " ".join(f"a{i}: viewer {{ kind }}" for i in range(settings.max_aliases)) + " }"
    body = graphql(client, query)
    assert "errors" not in body and len(body["data"]) == settings.max_aliases


def test_aliases_multiplied_through_fragments_are_rejected(client, statements, settings) -> None:  # noqa: ANN001
    # 10 aliases written once, spread 4 times: 40 aliases once expanded.
    fragment = "fragment Kinds on Viewer { " + " ".join(f"k{i}: kind" for i in range(10)) + " }"
    query = "{ " + " ".join(f"v{i}: viewer {{ ...Kinds }}" for i in range(3)) + " viewer { ...Kinds } } " + fragment
    assert query.count(":") == 13 <= settings.max_aliases  # what a naive count would see
    body = graphql(client, query)
    assert codes(body) == ["TOO_MANY_ALIASES"], body
    assert statements.count == 0


def test_a_fragment_bomb_is_rejected_at_once(client) -> None:
    """Each fragment spreads the previous one twice: 2^20 aliases from a few hundred bytes. Counting
    them must not take 2^20 steps (strawberry's own limiters took about half a minute for this one,
    and doubled with every level: the token limit allows some 190)."""
    levels = 20
    fragments = ["fragment F0 on Viewer { k: kind }"]
    fragments += [f"fragment F{i} on Viewer {{ ...F{i - 1} ...F{i - 1} }}" for i in range(1, levels + 1)]
    query = f"{{ viewer {{ ...F{levels} }} }} " + " ".join(fragments)
    body = graphql(client, query)
    assert codes(body) == ["TOO_MANY_ALIASES"], body
    _alive(client)


def test_a_fragment_bomb_without_aliases_costs_nothing_either(client) -> None:
    """Without aliases it is a valid query (graphql-core merges the repeated spreads), and every
    limit must still be measured in linear time."""
    levels = 20
    fragments = ["fragment F0 on Query { viewer { kind } }"]
    fragments += [f"fragment F{i} on Query {{ ...F{i - 1} ...F{i - 1} }}" for i in range(1, levels + 1)]
    body = graphql(client, f"{{ ...F{levels} }} " + " ".join(fragments))
    assert body == {"data": {"viewer": {"kind": "anonymous"}}}


def test_a_connection_bomb_is_measured_in_linear_time(client) -> None:
    """The same doubling, with a connection inside: the node budget sees 2^22 spreads of it."""
    levels = 22
    fragments = ["fragment F0 on Query { organisations(first: 100) { totalCount } }"]
    fragments += [f"fragment F{i} on Query {{ ...F{i - 1} ...F{i - 1} }}" for i in range(1, levels + 1)]
    body = graphql(client, f"{{ ...F{levels} }} " + " ".join(fragments))
    assert codes(body) == ["QUERY_TOO_COSTLY"], body


# --- 33. tokens ---------------------------------------------------------------------------------------


def test_thousands_of_duplicated_fields_are_rejected(client, statements) -> None:  # noqa: ANN001
    body = graphql(client, "{ viewer { " + "kind " * 3000 + "} }")
    assert body["data"] is None
    assert "more than 2000 tokens" in body["errors"][0]["message"]
    assert statements.count == 0
    _alive(client)


def test_thousands_of_directives_are_rejected(client, statements) -> None:  # noqa: ANN001
    body = graphql(client, "{ viewer { kind " + "@include(if: true) " * 1000 + "} }")
    assert body["data"] is None
    assert "tokens" in body["errors"][0]["message"]
    assert statements.count == 0
    _alive(client)


REPEATS = {
    "one field": "{ viewer { " + "kind " * 1990 + "} }",
    "one field with a selection": "{ " + "viewer { kind } " * 490 + "}",
    "through inline fragments": "{ " + "... on Query { viewer { kind } } " * 215 + "}",
    "through fragments": "{ viewer { ...A ...B ...C } } " + " ".join(
        f"fragment {name} on Viewer {{ " + "kind " * 600 + "}" for name in "ABC"
    ),
}


@pytest.mark.parametrize("query", REPEATS.values(), ids=REPEATS.keys())
def test_hundreds_of_repeated_fields_under_the_token_limit_are_rejected_at_once(client, statements, query: str) -> None:  # noqa: ANN001
    """graphql-core checks repeated fields pair by pair: 490 repeats took it two seconds of CPU,
    with the event loop blocked. They are refused before it starts."""
    body = graphql(client, query)
    assert codes(body) == ["FIELD_REPEATED"], body
    assert statements.count == 0
    _alive(client)


def test_a_field_repeated_up_to_the_limit_is_fine(client, settings) -> None:  # noqa: ANN001
    body = graphql(client, "{ viewer { " + "kind " * settings.max_field_repeats + "} }")
    assert body == {"data": {"viewer": {"kind": "anonymous"}}}


# --- 34. circular fragments ----------------------------------------------------------------------------

CYCLES = {
    "self": "{ viewer { ...A } } fragment A on Viewer { kind ...A }",
    "two": "{ viewer { ...A } } fragment A on Viewer { kind ...B } fragment B on Viewer { subject ...A }",
    "through fields": ("{ organisations { edges { node { ...A } } } } "
                       "fragment A on Organisation { initiatives { edges { node { leadOrganisation { ...A } } } } }"),
    "through inline fragments": ("{ node(id: \"x\") { ...A } } fragment A on Node { ... on Organisation { "
                                 "initiatives { edges { node { ...B } } } } } fragment B on Node { ...A }"),
    "unused cycle": "{ viewer { kind } } fragment A on Viewer { ...B } fragment B on Viewer { ...A }",
}


@pytest.mark.parametrize("query", CYCLES.values(), ids=CYCLES.keys())
def test_circular_fragments_are_a_validation_error(client, statements, query: str) -> None:  # noqa: ANN001
    response = client.post("/graphql", json={"query": query})
    assert response.status_code in (200, 400)
    body = response.json()
    assert body["data"] is None
    assert any("Cannot spread fragment" in e["message"] for e in body["errors"]), body
    assert "INTERNAL_SERVER_ERROR" not in codes(body)
    assert statements.count == 0
    _alive(client)


# --- 35. batches ---------------------------------------------------------------------------------------


def test_a_batch_over_the_limit_is_rejected(client, statements, settings) -> None:  # noqa: ANN001
    batch = [{"query": ALIVE}] * (settings.max_batch_operations + 1)
    response = client.post("/graphql", json=batch)
    assert response.status_code == 400
    assert "Too many operations" in response.text
    assert statements.count == 0
    _alive(client)


def test_a_batch_within_the_limit_runs_each_operation(client, settings) -> None:  # noqa: ANN001
    batch = [{"query": ALIVE}] * settings.max_batch_operations
    response = client.post("/graphql", json=batch)
    assert response.status_code == 200
    assert response.json() == [{"data": {"viewer": {"kind": "anonymous"}}}] * settings.max_batch_operations


def test_a_batch_of_many_writes_writes_nothing(client, make, db, settings) -> None:  # noqa: ANN001
    lead = make.organisation("lead")
    token = make.token(lead)
    mutation = 'mutation { createInitiative(input: {title: "Batched", status: "IMPLEMENTATION"}) { userErrors { code } } }'
    response = client.post(
        "/graphql",
        json=[{"query": mutation}] * (settings.max_batch_operations * 20),
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 400
    assert count(db, Initiative.__table__) == 0


def test_each_operation_of_a_batch_has_the_limits(client, statements) -> None:  # noqa: ANN001
    costly = "{ organisations(first: 100) { edges { node { initiatives(first: 100) { edges { node { " \
             "leadOrganisation { initiatives(first: 100) { totalCount } } } } } } } } }"
    response = client.post("/graphql", json=[{"query": costly}, {"query": costly}])
    assert response.status_code == 200
    assert [codes(r) for r in response.json()] == [["QUERY_TOO_COSTLY"], ["QUERY_TOO_COSTLY"]]
    assert statements.count == 0


# --- 36. production mode --------------------------------------------------------------------------------


INTROSPECTION = {
    "__schema": "{ __schema { types { name } } }",
    "__type": '{ __type(name: "Organisation") { fields { name } } }',
    "nested __type": '{ viewer { kind } __type(name: "Mutation") { name } }',
    "aliased": "{ s: __schema { queryType { name } } }",
    "in a fragment": "{ ...F } fragment F on Query { __schema { types { name } } }",
}


@pytest.mark.parametrize("query", INTROSPECTION.values(), ids=INTROSPECTION.keys())
def test_production_refuses_introspection(production, client, query: str) -> None:  # noqa: ANN001
    body = graphql(production, query)
    assert body["data"] is None
    assert any("introspection" in e["message"].lower() for e in body["errors"]), body
    # Development answers the same query.
    assert "errors" not in graphql(client, query)


def test_production_still_answers_typename(production) -> None:  # noqa: ANN001
    assert graphql(production, "{ __typename }") == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize("accept", ["text/html", "text/html,application/xhtml+xml,*/*;q=0.8", "*/*"])
def test_production_serves_no_graphql_ide(production, accept: str) -> None:  # noqa: ANN001
    response = production.get("/graphql", headers={"accept": accept})
    assert response.status_code == 404
    assert "graphiql" not in response.text.lower()
    for path in ("/docs", "/openapi.json", "/redoc", "/static/graphiql/start.js", "/static/vendor/manifest.json"):
        assert production.get(path).status_code == 404


def test_development_serves_graphiql(client) -> None:  # noqa: ANN001
    response = client.get("/graphql", headers={"accept": "text/html"})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


def test_no_mode_runs_queries_from_a_get(production, client) -> None:  # noqa: ANN001
    for server in (production, client):
        response = server.get("/graphql", params={"query": ALIVE})
        assert response.status_code in (400, 404, 405)
        assert "anonymous" not in response.text


# --- 37. node budget --------------------------------------------------------------------------------------

COSTLY = """{ organisations(first:100){ edges { node { initiatives(first:100) { edges { node {
              leadOrganisation { initiatives(first:100) {totalCount}}}}}}}}}"""


def test_nested_connections_over_the_budget_are_rejected_before_execution(client, make, statements) -> None:  # noqa: ANN001
    lead = make.organisation("lead")
    make.initiative(lead)
    statements.count = 0
    body = graphql(client, COSTLY)
    assert body["data"] is None
    assert codes(body) == ["QUERY_TOO_COSTLY"], body
    assert body["errors"][0]["extensions"]["limit"] == 20_000
    assert statements.count == 0
    _alive(client)


def test_nested_connections_within_the_budget_run(client, make, statements) -> None:  # noqa: ANN001
    lead = make.organisation("lead")
    make.initiative(lead)
    body = graphql(client, "{ organisations(first: 100) { edges { node { initiatives(first: 100) { totalCount } } } } }")
    assert "errors" not in body, body
    assert body["data"]["organisations"]["edges"][0]["node"]["initiatives"]["totalCount"] == 1
    assert statements.count > 0


VARIABLE_COSTLY = """query($n: Int = 100) { organisations(first: $n) { edges { node { initiatives(first: $n) {
              edges { node { leadOrganisation { initiatives(first: $n) { totalCount } } } } } } } } }"""


def test_the_budget_counts_page_sizes_sent_as_variables(client, statements) -> None:  # noqa: ANN001
    body = graphql(client, VARIABLE_COSTLY, {"n": 100})
    assert codes(body) == ["QUERY_TOO_COSTLY"]
    assert statements.count == 0


def test_the_budget_counts_variable_defaults(client, statements) -> None:  # noqa: ANN001
    """A default on the operation is what the resolvers get when the variable is left out."""
    body = graphql(client, VARIABLE_COSTLY)
    assert codes(body) == ["QUERY_TOO_COSTLY"], body
    assert statements.count == 0


def test_the_budget_counts_every_id_of_nodes(client, make, statements) -> None:  # noqa: ANN001
    """`nodes(ids:)` takes 100 ids: a subtree costing 10,100 nodes, once per id, is 1,010,000."""
    lead = make.organisation("lead")
    ids = [gid("Organisation", lead.id)] * 100
    query = """query($ids: [ID!]!) { nodes(ids: $ids) { ... on Organisation { initiatives(first: 100) {
                 edges { node { leadOrganisation { initiatives(first: 100) { totalCount } } } } } } } }"""
    statements.count = 0
    body = graphql(client, query, {"ids": ids})
    assert codes(body) == ["QUERY_TOO_COSTLY"], body
    assert statements.count == 0
    # One id costs 10,100: within the budget.
    body = graphql(client, query, {"ids": ids[:1]})
    assert "errors" not in body, body


def test_the_budget_counts_connections_in_fragments_and_aliases(client, statements) -> None:  # noqa: ANN001
    query = """{ a: organisations(first: 100) { ...Deep } b: organisations(first: 100) { ...Deep } }
               fragment Deep on OrganisationConnection { edges { node { initiatives(first: 100) { totalCount } } } }"""
    body = graphql(client, query)  # 2 × (100 + 100 × 100) = 20,200
    assert codes(body) == ["QUERY_TOO_COSTLY"], body
    assert statements.count == 0


def test_the_budget_rejects_a_huge_first_at_once(client, statements) -> None:  # noqa: ANN001
    body = graphql(client, "{ organisations(first: 2147483647) { totalCount } }")
    assert codes(body) == ["QUERY_TOO_COSTLY"]
    assert statements.count == 0


# Search hits are a list: each one carries an initiative, its lists and its highlights.
HITS_COSTLY = """{ searchInitiatives(hitsPerPage: 100) { hits { initiative {
                   participations { organisation { initiatives(first: 100) { totalCount } } } } } } }"""


def test_the_budget_counts_every_search_hit_and_the_lists_inside_it(client, make, statements) -> None:  # noqa: ANN001
    """100 hits, each with up to 100 participations, each with a page of 100: a million nodes, not 100."""
    lead = make.organisation("lead")
    make.initiative(lead, partners=[(make.organisation("partner"), "IMPLEMENTING")])
    statements.count = 0
    body = graphql(client, HITS_COSTLY)
    assert body["data"] is None
    assert codes(body) == ["QUERY_TOO_COSTLY"], body
    assert body["errors"][0]["extensions"]["cost"] == 100 + 100 * 100 * 100
    assert statements.count == 0
    _alive(client)


def test_the_budget_counts_highlights_facets_and_fragments_of_hits(client, statements) -> None:  # noqa: ANN001
    """Shaped like a query that got 194,080 nodes past a budget of 20,000: aliased searches whose
    hits, spread from a fragment, select highlights with their matches and an initiative's lists."""
    searches = " ".join(
        f'a{i}: searchInitiatives(query: "hotline", hitsPerPage: 100) {{ hits {{ ...Hit }} '
        "facetDistribution { values { value } } }"
        for i in range(10)
    )
    query = f"""{{ {searches} }}
      fragment Hit on SearchHit {{
        highlights {{ text matches {{ start length }} }}
        initiative {{ harms {{ code }} participations {{ organisation {{ name aliases }} }} }}
      }}"""
    body = graphql(client, query)
    assert codes(body) == ["QUERY_TOO_COSTLY"], body
    # Per search: 100 hits × 5 highlights (title, summary, organisations, description, classifications) × (1 + 20 matches), plus 6 facets × (1 + 300 values).
    assert body["errors"][0]["extensions"]["cost"] == 10 * (100 + 100 * 5 * 21 + 6 * 301)
    assert statements.count == 0


def test_ordinary_search_pages_run_within_the_budget(client, make) -> None:  # noqa: ANN001
    lead = make.organisation("lead")
    make.initiative(lead, "Hotline cooperation")
    facets = "facetDistribution { facet values { value count } }"
    highlights = "highlights { field text matches { start length } }"
    for query in (
        # A page of 20 (the default) with each hit's lists: 20 × (1 + 84), plus 6 × 301 for facets.
        f"""{{ searchInitiatives(query: "hotline", facets: [STATUS, HARMS]) {{ totalHits {facets}
               hits {{ initiative {{ title harms {{ code }} participations {{ role {{ code }} }} }} {highlights} }} }} }}""",
        # The largest page with titles and highlights: 100 × 85, plus the facets.
        f"""{{ searchInitiatives(query: "hotline", hitsPerPage: 100, facets: [STATUS]) {{ {facets}
               hits {{ initiative {{ title }} {highlights} }} }} }}""",
    ):
        deadline = time.monotonic() + 15  # the app's indexer picks the initiative up within a second
        # Until the app's index is built, searches answer SEARCH_UNAVAILABLE, and data is null.
        while not ((body := graphql(client, query)).get("data") or {}).get("searchInitiatives", {}).get("hits"):
            assert body.get("errors") is None or body["errors"][0]["extensions"]["code"] == "SEARCH_UNAVAILABLE", body
            assert time.monotonic() < deadline, body
            time.sleep(0.05)
        assert body["data"]["searchInitiatives"]["hits"][0]["initiative"]["title"] == "Hotline cooperation"


def test_nodes_takes_at_most_100_ids(client, make) -> None:  # noqa: ANN001
    lead = make.organisation("lead")
    body = graphql(client, "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
                   {"ids": [gid("Organisation", lead.id)] * 101})
    assert codes(body) == ["BAD_USER_INPUT"]
    assert body["data"] is None


def test_development_still_answers_the_ides_introspection_query(client) -> None:  # noqa: ANN001
    """The limits leave GraphiQL working in development: its introspection query is deep, but
    introspection fields do not count towards depth."""
    body = graphql(client, get_introspection_query(descriptions=True))
    assert "errors" not in body, body
    assert any(t["name"] == "Initiative" for t in body["data"]["__schema"]["types"])
