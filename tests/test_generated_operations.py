"""Generated GraphQL operations against a live `coplab serve` process (tests/fuzzing.py): queries
and mutations from the schema, valid and invalid, arguments inline and as variables, and valid
operations with values of their variables replaced, removed or poisoned; sent without a
token and with an admin's token holding every scope but `lab:admin`. No answer is a 5xx, every
answer is a GraphQL response whose errors all carry a stable code, every `userErrors` entry has a
code and a field path, and the server logs no unexpected exception.

A bounded run with a fixed seed (the same operations every time); tests/perf/fuzz_graphql.py runs
many more (docs/api.md, Fuzzing). Each failure it found is pinned as a plain operation below."""

import pytest

from tests.factories import ALL_SCOPES, error_extensions, graphql
from tests.fuzzing import LOG_FAILURE, SUITE_SEED, Fuzzer, arrange, coplab_server, cursor_of, operations, run

EXAMPLES = 200


@pytest.mark.http
@pytest.mark.parametrize("profile", ["anonymous", "writer"])
def test_generated_operations_keep_the_error_contract(make, database_url, tmp_path, profile: str) -> None:  # noqa: ANN001
    registry = arrange(make)
    print(f"fuzzing seed {SUITE_SEED}, {EXAMPLES} operations as {profile}")
    with coplab_server(database_url, make.settings.issuer, tmp_path) as (base_url, output):
        fuzzer = Fuzzer(base_url, output)
        run(fuzzer, registry.profiles[profile], operations(registry), examples=EXAMPLES, seed=SUITE_SEED)
        assert fuzzer.sent >= EXAMPLES
        leftover = output.everything()
    # Also what the server wrote between answers (the search indexer runs beside the requests).
    assert not LOG_FAILURE.search(leftover), leftover[-3000:]


# --- what fuzzing found, pinned as plain operations ------------------------------------------------
# Each was an INTERNAL_SERVER_ERROR: the value reached the database, which refused it (PostgreSQL a
# NUL or text longer than its column, both databases an unpaired surrogate), instead of naming
# nothing or being refused as input.


def test_a_vocabulary_code_holding_a_nul_names_nothing(client) -> None:  # noqa: ANN001
    assert graphql(client, '{ vocabularies(codes: ["a\\u0000"]) { code } }') == {"data": {"vocabularies": []}}
    body = graphql(client, '{ vocabularies(codes: ["harm", "harm\\u0000"]) { code } }')
    assert body == {"data": {"vocabularies": [{"code": "harm"}]}}


@pytest.mark.parametrize("mutation", ["revokeOAuthClient", "rotateOAuthClientSecret"])
def test_a_client_id_holding_a_nul_is_an_unknown_client(client, make, mutation: str) -> None:  # noqa: ANN001
    lab = make.organisation("fuzz-lab")
    token = make.token(lab, ALL_SCOPES, user=make.member(lab, "admin@fuzz-lab.example"))
    body = graphql(client, f'mutation {{ {mutation}(input: {{clientId: "a\\u0000"}}) {{ userErrors {{ field code }} }} }}', token=token)
    assert body == {"data": {mutation: {"userErrors": [{"field": ["input", "clientId"], "code": "NOT_FOUND"}]}}}


UNSTORABLE_CURSORS = {
    "a NUL": ("initiatives(orderBy: TITLE_ASC", cursor_of('["title:asc","a\\u0000",1]')),
    "an unpaired surrogate": ("initiatives(orderBy: TITLE_ASC", cursor_of('["title:asc","a\\ud800",1]')),
    "a NUL in a name": ("organisations(orderBy: NAME_ASC", cursor_of('["name:asc","\\u0000",1]')),
    "an unpaired low surrogate in a name": ("organisations(orderBy: NAME_ASC", cursor_of('["name:asc","\\udfff",1]')),
}


@pytest.mark.parametrize(("field", "cursor"), UNSTORABLE_CURSORS.values(), ids=UNSTORABLE_CURSORS.keys())
def test_a_cursor_holding_text_no_database_holds_is_invalid(client, make, field: str, cursor: str) -> None:  # noqa: ANN001
    make.initiative(make.organisation("fuzz-lab"), "Hotline network")
    body = graphql(client, f'{{ {field}, after: "{cursor}") {{ totalCount }} }}')
    assert error_extensions(body) == [{"code": "INVALID_CURSOR", "field": ["after"]}], body


CLIENT_NAMES = {
    "a NUL": ("Ca\x00se system", "CONTROL_CHARACTERS"),
    "past the column": ("x" * 201, "TOO_LONG"),
    "blank": ("  ", "BLANK"),
}


@pytest.mark.parametrize(("name", "code"), CLIENT_NAMES.values(), ids=CLIENT_NAMES.keys())
def test_a_client_name_is_checked_like_any_other_name(client, make, name: str, code: str) -> None:  # noqa: ANN001
    lab = make.organisation("fuzz-lab")
    token = make.token(lab, ALL_SCOPES, user=make.member(lab, "admin@fuzz-lab.example"))
    body = graphql(
        client,
        "mutation($input: CreateOAuthClientInput!) { createOAuthClient(input: $input) { client { clientId } userErrors { field code } } }",
        {"input": {"name": name, "scopes": ["initiatives:read"], "kind": "WEB_PUBLIC",
                   "redirectUris": ["https://app.example/callback"]}},
        token,
    )
    assert body == {"data": {"createOAuthClient": {"client": None, "userErrors": [{"field": ["input", "name"], "code": code}]}}}
    # Only the client the test's token names is registered.
    assert graphql(client, "{ oauthClients { totalCount } }", token=token)["data"]["oauthClients"]["totalCount"] == 1
