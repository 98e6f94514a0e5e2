"""Token issuance and failed client authentication are audited; repeated failures get 429
(SECURITY.md 38). The audit log is readable only by the organisation's own administrators."""

from collections.abc import Iterator

import httpx
import pytest
from authlib.integrations.httpx_client import OAuth2Client

from api.auth.principal import Role
from api.oauth.limits import FailureLimiter
from api.core.settings import Settings
from tests.factories import graphql
from tests.server import running_server
from tests.server import HTTP_TIMEOUT

EVENTS = "{ auditEvents(first: 50) { totalCount edges { node { kind clientId subject scope remoteAddress } } } }"


@pytest.fixture
def base_url(settings: Settings) -> Iterator[str]:
    with running_server(settings) as url:
        yield url


def _events(client, token: str) -> list[dict]:  # noqa: ANN001
    body = graphql(client, EVENTS, token=token)
    assert "errors" not in body, body
    return [edge["node"] for edge in body["data"]["auditEvents"]["edges"]]


def _token_request(base_url: str, client_id: str, secret: str) -> httpx.Response:
    return httpx.post(f"{base_url}/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret), timeout=HTTP_TIMEOUT)


def test_an_issued_token_is_audited_for_the_organisations_administrators_only(base_url, client, make) -> None:  # noqa: ANN001
    organisation = make.organisation("hotline")
    oauth_client, secret = make.oauth_client(organisation, ["initiatives:read"])
    with OAuth2Client(client_id=oauth_client.client_id, client_secret=secret, timeout=HTTP_TIMEOUT) as oauth:
        issued = oauth.fetch_token(f"{base_url}/oauth/token", grant_type="client_credentials")

    admin = make.token(organisation, ["audit:read"], user=make.member(organisation, "admin@hotline.example"))
    [event] = _events(client, admin)
    assert event == {
        "kind": "TOKEN_ISSUED",
        "clientId": oauth_client.client_id,
        "subject": f"client:{oauth_client.client_id}",
        "scope": "initiatives:read",
        "remoteAddress": "127.0.0.1",
    }
    assert issued["access_token"] not in str(event)

    other = make.organisation("other")
    other_admin = make.token(other, ["audit:read"], user=make.member(other, "admin@other.example"))
    assert _events(client, other_admin) == []  # another organisation's events do not exist for it
    viewer = make.token(organisation, ["audit:read"], user=make.member(organisation, "v@hotline.example", Role.VIEWER))
    assert _events(client, viewer) == []
    no_scope = graphql(client, EVENTS, token=make.token(organisation, ["org:admin"], user=make.member(organisation, "a2@hotline.example")))
    assert no_scope["errors"][0]["extensions"]["code"] == "FORBIDDEN" and no_scope["data"] is None


def test_guessing_a_secret_is_audited_then_refused_with_429(base_url, client, make, settings) -> None:  # noqa: ANN001
    organisation = make.organisation("ngo")
    oauth_client, secret = make.oauth_client(organisation, ["initiatives:read"])
    for _ in range(settings.token_failure_limit):
        assert _token_request(base_url, oauth_client.client_id, "guess").status_code == 401
    limited = _token_request(base_url, oauth_client.client_id, secret)  # even the right secret, for now
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["Retry-After"]) <= settings.token_failure_window_seconds + 1
    assert "access_token" not in limited.json()

    admin = make.token(organisation, ["audit:read"], user=make.member(organisation, "admin@ngo.example"))
    kinds = [event["kind"] for event in _events(client, admin)]
    assert kinds == ["RATE_LIMITED"] + ["CLIENT_AUTHENTICATION_FAILED"] * settings.token_failure_limit
    assert "TOKEN_ISSUED" not in kinds


def test_the_limiter_forgets_failures_once_the_window_has_passed(engine) -> None:  # noqa: ANN001
    now = [1000.0]
    limiter = FailureLimiter(kind="token", limit=2, window_seconds=60, clock=lambda: now[0])
    with engine.begin() as connection:
        limiter.failed(connection, "client:a", "address:x")
        assert limiter.retry_after(connection, "client:a") is None
        now[0] += 10
        limiter.failed(connection, "client:a", "address:x")
        assert limiter.retry_after(connection, "client:a") == 51  # the first failure leaves the window at 1060
        assert limiter.retry_after(connection, "address:x") == 51
        assert limiter.retry_after(connection, "client:b") is None
        now[0] += 51
        assert limiter.retry_after(connection, "client:a") is None
