"""One request followed by its id (docs/operations.md, "Following one request"): the JSON log lines it
made, and the latency buckets it fell in on /metrics (OpenMetrics exemplars), from a real
`coplab serve` process."""

import re

import httpx
import pytest

from tests.operations.serving import client_token, coplab_serve
from tests.server import HTTP_TIMEOUT

pytestmark = pytest.mark.http

REQUEST_ID = "follow-me-7"
EXEMPLAR = f'# {{request_id="{REQUEST_ID}"}}'


def _exemplar_lines(exposition: str, metric: str) -> list[str]:
    return [line for line in exposition.splitlines() if line.startswith(f"{metric}_bucket{{") and EXEMPLAR in line]


def test_a_request_is_followed_by_its_id_through_the_logs_and_the_metrics(make, database_url: str, tmp_path) -> None:  # noqa: ANN001
    organisation = make.organisation("hotline")
    client, secret = make.oauth_client(organisation, ["initiatives:read"])
    with coplab_serve(database_url, tmp_path, COPLAB_LOG_FORMAT="json") as served:
        token = client_token(served.base_url, client.client_id, secret)
        answer = httpx.post(
            f"{served.base_url}/graphql",
            json={"query": "query FollowMe { viewer { kind } }", "operationName": "FollowMe"},
            headers={"Authorization": f"Bearer {token}", "X-Request-ID": REQUEST_ID}, timeout=HTTP_TIMEOUT
        )
        assert answer.status_code == 200 and answer.headers["x-request-id"] == REQUEST_ID
        refused = httpx.post(f"{served.base_url}/graphql", json={"query": "query Broken { nothingHere }"},
                             headers={"X-Request-ID": "follow-me-8"}, timeout=HTTP_TIMEOUT)
        assert refused.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        open_metrics = httpx.get(f"{served.base_url}/metrics", headers={"Accept": "application/openmetrics-text; version=1.0.0"}, timeout=HTTP_TIMEOUT)
        plain = httpx.get(f"{served.base_url}/metrics", timeout=HTTP_TIMEOUT)
        served.stop()
        lines = served.json_lines()

    # /metrics in OpenMetrics: the buckets the request fell in name it, once per histogram.
    assert open_metrics.headers["content-type"].startswith("application/openmetrics-text")
    assert open_metrics.text.endswith("# EOF\n") and open_metrics.text.count("# EOF") == 1
    [operation] = _exemplar_lines(open_metrics.text, "coplab_graphql_operation_duration_seconds")
    assert 'operation="FollowMe"' in operation and 'type="query"' in operation
    [http] = _exemplar_lines(open_metrics.text, "coplab_http_request_duration_seconds")
    assert 'route="/graphql"' in http and 'method="POST"' in http and 'status_class="2xx"' in http
    # The classic text format has no exemplars.
    assert plain.headers["content-type"].startswith("text/plain") and "# {" not in plain.text
    assert re.search(r'coplab_graphql_operation_duration_seconds_count\{operation="FollowMe",type="query"\} 1\.0', plain.text)

    # The log: every line the request made carries its id and organisation.
    mine = [line for line in lines if line["request_id"] == REQUEST_ID]
    assert {line["logger"] for line in mine} == {"coplab.graphql", "uvicorn.access"}, mine
    assert all(line["organisation"] == organisation.id for line in mine), mine
    [graphql] = [line for line in mine if line["logger"] == "coplab.graphql"]
    assert re.fullmatch(r"graphql query FollowMe in \d+\.\d ms: no errors", graphql["message"]), graphql
    [access] = [line for line in mine if line["logger"] == "uvicorn.access"]
    assert '"POST /graphql HTTP/1.1" 200' in access["message"], access
    # An operation that failed names its errors' codes; an anonymous caller has no organisation.
    broken = [line for line in lines if line["request_id"] == "follow-me-8"]
    [error] = [line for line in broken if line["message"].startswith("request error")]
    assert "GRAPHQL_VALIDATION_FAILED" in error["message"] and "nothingHere" in error["message"], error
    [operation_line] = [line for line in broken if line["message"].startswith("graphql ")]
    assert re.fullmatch(r"graphql query Broken in \d+\.\d ms: GRAPHQL_VALIDATION_FAILED", operation_line["message"])
    assert all(line["organisation"] is None for line in broken), broken
