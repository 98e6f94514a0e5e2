"""A PostgreSQL outage while serving (docs/operations.md, "A database outage"): GraphQL requests
fail cleanly with DATABASE_UNAVAILABLE, never a 500, /readyz says not ready, and the same server
answers again once the database is back, without a restart. The outage is a forwarder in front of
the real PostgreSQL dropping every connection (tests/outage_proxy.py)."""

import httpx
import psycopg
import pytest
import sqlalchemy as sa
from starlette.routing import Route, Router
from starlette.testclient import TestClient

from api.core.middleware import RequestId
from api.core.settings import Settings
from tests.factories import Factory
from tests.outage_proxy import outage_proxy
from tests.server import running_server

pytestmark = pytest.mark.http

PAGE = {"query": "{ initiatives(first: 5) { edges { node { id title } } } }"}
CREATE = {
    "query": "mutation($input: CreateInitiativeInput!) { createInitiative(input: $input) { initiative { id } userErrors { code } } }",
    "variables": {"input": {"title": "Written after the outage", "status": "IMPLEMENTATION"}},
}


def _codes(answer: httpx.Response) -> list[str]:
    return [error["extensions"]["code"] for error in answer.json().get("errors", [])]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_requests_fail_cleanly_during_an_outage_and_the_server_recovers(settings: Settings, make: Factory) -> None:
    organisation = make.organisation("hotline")
    make.initiative(organisation, title="Before the outage")
    make.db.commit()
    token = make.token(organisation, "initiatives:read initiatives:write")
    with outage_proxy(settings.database_url) as proxy:
        served = settings.model_copy(update={"database_url": proxy.url_for(settings.database_url)})
        with running_server(served) as base, httpx.Client(base_url=base, timeout=30) as http:
            signed_in = {"Authorization": f"Bearer {token}"}
            before = http.post("/graphql", json=PAGE, headers=signed_in)
            assert before.status_code == 200 and before.json()["data"]["initiatives"]["edges"], before.text

            proxy.take_down()
            # Anonymous, the query fails in its resolver; signed in, already the token's lookup does.
            for headers, body in (({}, PAGE), (signed_in, PAGE), (signed_in, CREATE)):
                during = http.post("/graphql", json=body, headers=headers)
                assert during.status_code == 200, during.text
                assert _codes(during) == ["DATABASE_UNAVAILABLE"], during.text
                assert "try again" in during.json()["errors"][0]["message"]
            readiness = http.get("/readyz")
            assert readiness.status_code == 503 and readiness.json()["checks"]["database"]["ok"] is False

            proxy.bring_back()
            after = http.post("/graphql", json=CREATE, headers=signed_in)
            assert after.status_code == 200 and after.json()["data"]["createInitiative"]["initiative"], after.text
            assert http.get("/readyz").json()["checks"]["database"]["ok"] is True


def test_an_outage_outside_graphql_answers_503_with_retry_after() -> None:
    """Any other path (a page, an export, OAuth) that meets the outage: 503 and Retry-After, the same
    code; a bug stays a masked 500."""
    async def outage(request):  # noqa: ANN001, ANN202
        raise sa.exc.OperationalError("SELECT 1", {}, psycopg.OperationalError("connection refused"))

    async def bug(request):  # noqa: ANN001, ANN202
        raise RuntimeError("a bug")

    app = RequestId(Router(routes=[Route("/graphql", outage, methods=["POST"]), Route("/page", outage), Route("/bug", bug)]))
    with TestClient(app, raise_server_exceptions=False) as http:
        page = http.get("/page")
        assert page.status_code == 503 and page.headers["retry-after"] == "5", page.text
        assert _codes(page) == ["DATABASE_UNAVAILABLE"]
        graphql = http.post("/graphql", json=PAGE)
        assert graphql.status_code == 200 and _codes(graphql) == ["DATABASE_UNAVAILABLE"]
        broken = http.get("/bug")
        assert broken.status_code == 500 and _codes(broken) == ["INTERNAL_SERVER_ERROR"]
