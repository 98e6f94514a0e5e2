"""/metrics on a real uvicorn server (one process; tests/operations/test_metrics_workers.py has
several): what requests, GraphQL operations, refusals and rate limits count, the pools and search
readings taken at scrape time, a reading that fails, and who may read /metrics. The labels'
rules are pinned directly in test_metrics_rules.py.

This process's own registry serves every in-process server of the session, so counts are compared
before and after."""

import time

import httpx
import pytest

from api.core.settings import Settings
from api.main import create_app
from api.oauth.authorize import SIGN_IN_PATH
from tests.factories import ALL_SCOPES, TEST_KEY_ENCRYPTION_KEY
from tests.search.indexing import FlakyEngine, outbox_rows
from tests.operations.scraping import label_values, names, scrape, value
from tests.server import free_port, running_server
from tests.server import HTTP_TIMEOUT

pytestmark = pytest.mark.http

CREATE = """mutation Create($i: CreateInitiativeInput!) {
  createInitiative(input: $i) { initiative { id } userErrors { field code } } }"""
SEARCH = "query Find($q: String!) { searchInitiatives(query: $q) { totalHits } }"
HTTP_SECONDS = "coplab_http_request_duration_seconds_count"
GRAPHQL_SECONDS = "coplab_graphql_operation_duration_seconds_count"


def _post(base: str, body: dict, token: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.post(f"{base}/graphql", json=body, headers=headers, timeout=HTTP_TIMEOUT)


def _writer(make) -> str:  # noqa: ANN001
    owner = make.organisation("owner")
    return make.token(owner, ALL_SCOPES, user=make.member(owner, "author@owner.example"))


def test_requests_operations_errors_and_refusals_are_counted(settings: Settings, make) -> None:  # noqa: ANN001
    token = _writer(make)
    long_name = "A" * 70
    with running_server(settings) as base:
        before = scrape(base)
        listed = _post(base, {"query": "query ListOrganisations { organisations { totalCount } }",
                              "operationName": "ListOrganisations"}, token)
        assert listed.status_code == 200 and "errors" not in listed.json()
        found = _post(base, {"query": SEARCH, "variables": {"q": "hotline"}, "operationName": "Find"}, token)
        assert found.status_code == 200 and "errors" not in found.json()
        assert _post(base, {"query": "{ organisations { totalCount } }"}).status_code == 200
        assert _post(base, {"query": f"query {long_name} {{ organisations {{ totalCount }} }}"}).status_code == 200
        assert _post(base, {"query": "{ viewer { kind } }"}, "not-a-token").status_code == 401
        invalid = _post(base, {"query": "{ noSuchField }"}).json()
        assert invalid["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        refused = _post(base, {"query": CREATE, "variables": {"i": {"title": "", "status": "IMPLEMENTATION"}}}, token)
        [user_error] = refused.json()["data"]["createInitiative"]["userErrors"]
        after = scrape(base)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta(GRAPHQL_SECONDS, operation="ListOrganisations", type="query") == 1
    assert delta(GRAPHQL_SECONDS, operation="Find", type="query") == 1
    assert delta(GRAPHQL_SECONDS, operation="anonymous", type="query") >= 2  # the unnamed list and the invalid one
    assert delta(GRAPHQL_SECONDS, operation="invalid", type="query") == 1  # a name over 64 characters
    assert delta(GRAPHQL_SECONDS, operation="Create", type="mutation") == 1
    assert long_name not in label_values(after)
    assert delta("coplab_graphql_errors_total", code="GRAPHQL_VALIDATION_FAILED", kind="error") == 1
    assert delta("coplab_graphql_errors_total", code=user_error["code"], kind="user_error") == 1
    assert delta("coplab_http_refusals_total", status="401", route="/graphql") == 1
    assert delta(HTTP_SECONDS, method="POST", route="/graphql", status_class="4xx") == 1
    assert delta(HTTP_SECONDS, method="POST", route="/graphql", status_class="2xx") == 6
    assert delta(HTTP_SECONDS, method="GET", route="/metrics", status_class="2xx") == 1  # the first scrape


def test_labels_hold_route_templates_never_raw_paths(settings: Settings) -> None:
    with running_server(settings) as base:
        before = scrape(base)
        httpx.get(f"{base}/exports/initiatives-98765.csv", timeout=HTTP_TIMEOUT)
        httpx.get(f"{base}/no/such/page/45678", timeout=HTTP_TIMEOUT)
        httpx.request("PROPFIND", f"{base}/graphql", timeout=HTTP_TIMEOUT)
        after = scrape(base)
    labels = label_values(after)
    assert not any("98765" in label or "45678" in label for label in labels), sorted(labels)
    exports = [labels for (name, labels) in after if name == HTTP_SECONDS and ("route", "/exports/{name}") in labels]
    assert exports, "the export was counted under its route's template"
    assert value(after, HTTP_SECONDS, method="GET", route="unmatched", status_class="4xx") > value(
        before, HTTP_SECONDS, method="GET", route="unmatched", status_class="4xx"
    )
    assert value(after, HTTP_SECONDS, method="OTHER", route="/graphql", status_class="4xx") >= 1
    assert "PROPFIND" not in labels


def test_the_outbox_backlog_and_the_indexer_lag_are_read_at_scrape_time(settings: Settings, make, engine) -> None:  # noqa: ANN001
    token = _writer(make)
    app = create_app(settings)
    flaky = app.state.search = FlakyEngine()
    flaky.down = True  # the process's index cannot be built: every change in the log waits
    with running_server(settings, app=app) as base:
        created = _post(base, {"query": CREATE, "variables": {"i": {"title": "Hotline referrals",
                                                                    "status": "IMPLEMENTATION"}}}, token)
        assert created.json()["data"]["createInitiative"]["userErrors"] == []
        time.sleep(1.5)
        samples = scrape(base)
        assert outbox_rows(engine) >= 1
        assert value(samples, "coplab_search_outbox_backlog") == outbox_rows(engine)
        assert value(samples, "coplab_search_indexer_lag_seconds") >= 1
        assert value(samples, "coplab_search_documents") == 0
        assert value(samples, "coplab_metrics_reading_up", reading="search_outbox") == 1
        assert value(samples, "coplab_metrics_reading_up", reading="search_index") == 1
        # Once the engine answers, the index is built and follows the log: nothing waits.
        flaky.down = False
        deadline = time.monotonic() + 30
        while True:
            samples = scrape(base)
            drained = value(samples, "coplab_search_outbox_backlog") == 0
            if (drained and value(samples, "coplab_search_documents") == 1) or time.monotonic() > deadline:
                break
            time.sleep(0.1)
    assert value(samples, "coplab_search_documents") == 1
    assert value(samples, "coplab_search_outbox_backlog") == 0
    assert value(samples, "coplab_search_indexer_lag_seconds") == 0


def test_the_pools_are_reported_by_engine(settings: Settings, make) -> None:  # noqa: ANN001
    token = _writer(make)
    with running_server(settings) as base:
        for _ in range(5):
            assert _post(base, {"query": "{ organisations { totalCount } }"}, token).status_code == 200
        samples = scrape(base)
    for engine in ("api", "indexer", "sync"):
        assert value(samples, "coplab_db_pool_size", engine=engine) >= 1
    # Every connection the requests checked out was checked in again.
    assert value(samples, "coplab_db_pool_checked_out", engine="api") == 0


def test_a_failing_reading_is_reported_down_and_the_rest_still_served(settings: Settings) -> None:
    # A Meilisearch that is not there: nothing listens on the port.
    unreachable = settings.model_copy(
        update={"meilisearch_url": f"http://127.0.0.1:{free_port()}", "search_indexer_in_process": False}
    )
    with running_server(unreachable) as base:
        samples = scrape(base)
    assert value(samples, "coplab_metrics_reading_up", reading="search_index") == 0
    assert "coplab_search_documents" not in names(samples)
    assert value(samples, "coplab_metrics_reading_up", reading="search_outbox") == 1
    assert ("coplab_search_outbox_backlog", frozenset()) in samples
    assert "coplab_db_pool_size" in names(samples)


def test_refused_attempts_at_the_token_endpoint_are_counted(settings: Settings) -> None:
    strict = settings.model_copy(update={"token_failure_limit": 1, "token_source_failure_limit": 1})
    form = {"grant_type": "client_credentials", "client_id": "no-such-client", "client_secret": "guess"}
    with running_server(strict) as base:
        before = scrape(base)
        statuses = [httpx.post(f"{base}/oauth/token", data=form, timeout=HTTP_TIMEOUT).status_code for _ in range(3)]
        after = scrape(base)
    assert statuses == [401, 429, 429]
    assert value(after, "coplab_rate_limited_total", limiter="token") - value(
        before, "coplab_rate_limited_total", limiter="token"
    ) == 2
    assert value(after, "coplab_http_refusals_total", status="429", route="/oauth/token") - value(
        before, "coplab_http_refusals_total", status="429", route="/oauth/token"
    ) == 2


def test_a_forged_form_is_counted_as_a_403(settings: Settings) -> None:
    with running_server(settings) as base:
        before = scrape(base)
        forged = httpx.post(f"{base}{SIGN_IN_PATH}", data={"email": "someone@example.org"}, timeout=HTTP_TIMEOUT)
        after = scrape(base)
    assert forged.status_code == 403
    assert value(after, "coplab_http_refusals_total", status="403", route=SIGN_IN_PATH) - value(
        before, "coplab_http_refusals_total", status="403", route=SIGN_IN_PATH
    ) == 1


def test_metrics_need_the_token_when_one_is_set(settings: Settings) -> None:
    guarded = settings.model_copy(update={"metrics_token": "scrape-secret"})
    with running_server(guarded) as base:
        assert httpx.get(f"{base}/metrics", timeout=HTTP_TIMEOUT).status_code == 401
        wrong = httpx.get(f"{base}/metrics", headers={"Authorization": "Bearer other"}, timeout=HTTP_TIMEOUT)
        assert wrong.status_code == 401 and wrong.headers["www-authenticate"].startswith("Bearer")
        assert "coplab_http_request_duration_seconds" in {n.rsplit("_", 1)[0] for n in names(scrape(base, token="scrape-secret"))}


def test_metrics_can_be_turned_off(settings: Settings) -> None:
    with running_server(settings.model_copy(update={"metrics_enabled": False})) as base:
        assert httpx.get(f"{base}/metrics", timeout=HTTP_TIMEOUT).status_code == 404


def test_production_serves_metrics_only_with_a_token(database_url: str) -> None:
    production = {
        "environment": "production",
        "issuer": "https://coplab.example",
        "key_encryption_keys": [TEST_KEY_ENCRYPTION_KEY],
        "database_url": database_url,
        "tune_gc": False,  # served from this test process, which must stay untuned
    }
    with running_server(Settings(**production)) as base:
        assert httpx.get(f"{base}/metrics", timeout=HTTP_TIMEOUT).status_code == 404
    with running_server(Settings(**production, metrics_token="scrape-secret")) as base:
        assert httpx.get(f"{base}/metrics", timeout=HTTP_TIMEOUT).status_code == 401
        assert scrape(base, token="scrape-secret")
