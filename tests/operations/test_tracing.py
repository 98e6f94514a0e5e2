"""OpenTelemetry tracing in a real server process (uvicorn, COPLAB_TRACING=file): one GraphQL
request is one trace holding the request's span, the operation's span under its name, and the SQL
statements' spans; work outside requests (the indexer polling the outbox) starts no trace; resolver
arguments and credentials stay out of spans (docs/operations.md, "Tracing")."""

import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.factories import ALL_SCOPES
from tests.server import free_port, server_process
from tests.server import HTTP_TIMEOUT

pytestmark = pytest.mark.http

QUERY = "query ListOrganisations { organisations(first: 5) { edges { node { name } } } }"


@pytest.fixture
def traced(database_url: str, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    spans = tmp_path / "spans.jsonl"
    port = free_port()
    environment = {
        **os.environ,
        "COPLAB_ENVIRONMENT": "test",
        "COPLAB_DATABASE_URL": database_url,
        "COPLAB_TRACING": "file",
        "COPLAB_TRACING_FILE": str(spans),
    }
    command = [sys.executable, "-m", "uvicorn", "--factory", "api.main:create_app",
               "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    with server_process(command, environment, port=port) as (base, _):
        yield base, spans


def _spans(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def _operation_span(path: Path) -> tuple[dict, list[dict]]:
    """The operation's span and every span written, once the request's own span is written too."""
    deadline = time.monotonic() + 30
    while True:
        spans = _spans(path)
        operation = [s for s in spans if s["name"] == "GraphQL Query: ListOrganisations"]
        if operation:
            trace = operation[0]["context"]["trace_id"]
            if any(s["context"]["trace_id"] == trace and s["parent_id"] is None for s in spans):
                return operation[0], spans
        assert time.monotonic() < deadline, f"no complete trace in {len(spans)} spans"
        time.sleep(0.1)


def test_one_request_is_one_trace_of_request_operation_and_sql(traced: tuple[str, Path], make) -> None:  # noqa: ANN001
    base, path = traced
    owner = make.organisation("owner")
    token = make.token(owner, ALL_SCOPES)
    response = httpx.post(f"{base}/graphql", json={"query": QUERY, "operationName": "ListOrganisations"},
                          headers={"Authorization": f"Bearer {token}"}, timeout=HTTP_TIMEOUT)
    assert response.status_code == 200 and "errors" not in response.json()
    operation, spans = _operation_span(path)
    trace = [s for s in spans if s["context"]["trace_id"] == operation["context"]["trace_id"]]
    by_id = {s["context"]["span_id"]: s for s in trace}
    [root] = [s for s in trace if s["parent_id"] is None]
    assert root["kind"] == "SpanKind.SERVER" and root["name"] == "POST /graphql"
    assert root["attributes"]["http.route"] == "/graphql"

    def ancestors(span: dict) -> list[str]:
        names = []
        while span["parent_id"] is not None:
            span = by_id[span["parent_id"]]
            names.append(span["name"])
        return names

    assert ancestors(operation)[-1] == "POST /graphql"
    sql = [s for s in trace if "db.statement" in s["attributes"]]
    assert any(s["attributes"]["db.statement"].lstrip().upper().startswith("SELECT") for s in sql)
    # The token's own checks (before the operation) and the resolver's reads are both in the trace.
    below_operation = [s for s in sql if operation["name"] in ancestors(s)]
    assert below_operation, "the resolver's SQL hangs below the operation"
    assert len(sql) > len(below_operation), "the bearer token's SQL hangs below the request"
    # Resolver arguments (`first: 5`) and the bearer token are not recorded.
    for span in trace:
        assert not [key for key in span["attributes"] if key.startswith("graphql.param")], span
    assert token not in path.read_text()


def test_background_work_starts_no_trace(traced: tuple[str, Path]) -> None:
    base, path = traced
    # The indexer polls the outbox every 0.2 s; a request marks when it has been doing so for a while.
    time.sleep(2)
    assert httpx.get(f"{base}/jwks-missing", timeout=HTTP_TIMEOUT).status_code == 404
    deadline = time.monotonic() + 30
    while not (spans := _spans(path)):
        assert time.monotonic() < deadline, "the request was not traced"
        time.sleep(0.1)
    roots = [s for s in spans if s["parent_id"] is None]
    assert roots and all(s["kind"] == "SpanKind.SERVER" for s in roots), [s["name"] for s in roots]
    assert {s["context"]["trace_id"] for s in spans} == {s["context"]["trace_id"] for s in roots}
