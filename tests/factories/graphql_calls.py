"""Calling the API as a client does: GraphQL operations, mutation inputs inline or as variables,
global ids, userErrors, and walking a connection's pages."""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from strawberry.relay import from_base64, to_base64


@contextmanager
def sql_statements(app: Any) -> Iterator[list[str]]:
    """Every SQL statement the app's request engine sends while the block runs (an executemany is one)."""
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        statements.append(statement)

    engine = app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def gid(type_name: str, row_id: int) -> str:
    """The global id the API gives a record."""
    return to_base64(type_name, row_id)


def graphql(client: Any, query: str, variables: dict | None = None, token: str | None = None) -> dict:
    """POST a GraphQL operation; returns the JSON body (asserting HTTP 200)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def send_variables(client: Any, name: str, values: dict, token: str | None, selection: str = "userErrors { code }") -> dict:
    """The response to mutation `name(input: $input)` with `values` sent as variables."""
    input_type = f"{name[0].upper()}{name[1:]}Input"
    query = f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ {selection} }} }}"
    return graphql(client, query, {"input": values}, token)


def send_inline(client: Any, name: str, values: dict, token: str | None, selection: str = "userErrors { code }") -> dict:
    """The response to mutation `name(input: {…})` with `values` written inline as a literal."""
    return graphql(client, f"mutation {{ {name}(input: {graphql_literal(values)}) {{ {selection} }} }}", token=token)


def mutate(client: Any, name: str, values: dict, token: str | None, selection: str = "") -> dict:
    """Run `name(input: $input)` with `values` as variables; its payload, asserting no top-level errors."""
    body = send_variables(client, name, values, token, f"{selection} userErrors {{ field code message }}")
    assert "errors" not in body, body
    return body["data"][name]


def user_errors(payload: dict) -> list[tuple[list[str], str]]:
    """A payload's userErrors as (field path, code) pairs, in the order given."""
    return [(error["field"], error["code"]) for error in payload["userErrors"]]


def error_extensions(body: dict) -> list[dict]:
    """The `extensions` of a response's top-level errors."""
    return [error.get("extensions", {}) for error in body.get("errors", [])]


class EnumValue(str):
    """A string written bare in a GraphQL literal, as enum values are (and as a string in JSON)."""


def graphql_literal(value: Any) -> str:
    """`value` written as a GraphQL input literal (strings, enums, numbers, booleans, null, lists, objects)."""
    if isinstance(value, EnumValue):
        return str(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}: {graphql_literal(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(graphql_literal(item) for item in value) + "]"
    return json.dumps(value)


CONNECTION_TYPES = {"initiatives": "Initiative", "organisations": "Organisation", "figures": "Figure"}


def connection_pages(
    client: Any,
    field: str,
    *,
    token: str | None = None,
    filter: dict | None = None,  # noqa: A002
    order_by: str | None = None,
    first: int = 100,
    node: str = "id",
) -> list[dict]:
    """Every page of the top-level connection `field`, following `endCursor` until the last page."""
    type_name = CONNECTION_TYPES[field]
    ordering = (f", $orderBy: {type_name}Order!", ", orderBy: $orderBy") if order_by else ("", "")
    query = (
        f"query($first: Int, $after: String, $filter: {type_name}Filter{ordering[0]}) {{"
        f" {field}(first: $first, after: $after, filter: $filter{ordering[1]}) {{"
        f" totalCount pageInfo {{ hasNextPage hasPreviousPage endCursor }} edges {{ cursor node {{ {node} }} }} }} }}"
    )
    pages: list[dict] = []
    after = None
    while len(pages) < 1000:
        variables = {"first": first, "after": after, "filter": filter, **({"orderBy": order_by} if order_by else {})}
        body = graphql(client, query, variables, token)
        assert "errors" not in body, body
        pages.append(body["data"][field])
        if not pages[-1]["pageInfo"]["hasNextPage"]:
            return pages
        after = pages[-1]["pageInfo"]["endCursor"]
    raise AssertionError("the connection never reached its last page")


def node_ids(pages: list[dict]) -> list[int]:
    """The database ids of every node on `pages`, in order."""
    return [int(from_base64(edge["node"]["id"])[1]) for page in pages for edge in page["edges"]]
