"""Token introspection (RFC 7662) and revocation (RFC 7009) with Authlib's httpx client against a real server: a client learns
about its own organisation's tokens only (SECURITY.md 17)."""

from collections.abc import Iterator

import httpx
import pytest
from authlib.integrations.httpx_client import OAuth2Client
from sqlmodel import select

from api.core.db import utcnow
from api.oauth.models import RevokedAccessToken
from api.core.settings import Settings
from tests.server import running_server
from tests.server import HTTP_TIMEOUT


@pytest.fixture
def base_url(settings: Settings) -> Iterator[str]:
    with running_server(settings) as url:
        yield url


def _token(base_url: str, client_id: str, secret: str) -> str:
    with OAuth2Client(client_id=client_id, client_secret=secret, timeout=HTTP_TIMEOUT) as oauth:
        return oauth.fetch_token(f"{base_url}/oauth/token", grant_type="client_credentials")["access_token"]


def _introspect(base_url: str, client_id: str, secret: str, token: str):  # noqa: ANN202
    with OAuth2Client(client_id=client_id, client_secret=secret, timeout=HTTP_TIMEOUT) as oauth:
        return oauth.introspect_token(f"{base_url}/oauth/introspect", token=token)


def test_a_client_introspects_its_organisations_tokens_and_nobody_elses(base_url, make, db, settings) -> None:  # noqa: ANN001
    hotline, other = make.organisation("hotline"), make.organisation("other")
    system, system_secret = make.oauth_client(hotline, ["initiatives:read", "initiatives:write"])
    gateway, gateway_secret = make.oauth_client(hotline, ["initiatives:read"])
    outsider, outsider_secret = make.oauth_client(other, ["initiatives:read"])
    token = _token(base_url, system.client_id, system_secret)

    answer = _introspect(base_url, gateway.client_id, gateway_secret, token)
    assert answer.status_code == 200
    body = answer.json()
    assert body["active"] is True
    assert body["client_id"] == system.client_id
    assert body["scope"] == "initiatives:read initiatives:write"
    assert body["org"] == hotline.id and body["sub"] == f"client:{system.client_id}"
    assert body["iss"] == settings.issuer and body["aud"] == settings.audience and body["exp"] > 0

    foreign = _introspect(base_url, outsider.client_id, outsider_secret, token)
    assert foreign.status_code == 200 and foreign.json() == {"active": False}  # as if it did not exist
    assert _introspect(base_url, gateway.client_id, gateway_secret, "not-a-token").json() == {"active": False}
    assert _introspect(base_url, gateway.client_id, "wrong", token).json()["error"] == "invalid_client"

    system.revoked_at = utcnow()
    db.add(system)
    db.commit()
    assert _introspect(base_url, gateway.client_id, gateway_secret, token).json() == {"active": False}


def test_a_client_revokes_its_organisations_tokens_and_cannot_touch_others(base_url, make, db) -> None:  # noqa: ANN001
    hotline, other = make.organisation("hotline"), make.organisation("other")
    system, system_secret = make.oauth_client(hotline, ["initiatives:read"])
    outsider, outsider_secret = make.oauth_client(other, ["initiatives:read"])
    mine = _token(base_url, system.client_id, system_secret)
    theirs = _token(base_url, outsider.client_id, outsider_secret)

    with OAuth2Client(client_id=system.client_id, client_secret=system_secret, timeout=HTTP_TIMEOUT) as oauth:
        foreign = oauth.revoke_token(f"{base_url}/oauth/revoke", token=theirs)
        assert foreign.status_code == 200  # answered like an unknown token
        assert oauth.revoke_token(f"{base_url}/oauth/revoke", token="not-a-token").status_code == 200
        assert db.exec(select(RevokedAccessToken)).all() == []
        assert _introspect(base_url, outsider.client_id, outsider_secret, theirs).json()["active"] is True

        assert oauth.revoke_token(f"{base_url}/oauth/revoke", token=mine).status_code == 200
    assert _introspect(base_url, system.client_id, system_secret, mine).json() == {"active": False}
    refused = httpx.post(
        f"{base_url}/graphql", json={"query": "{ viewer { kind } }"}, headers={"Authorization": f"Bearer {mine}"}, timeout=HTTP_TIMEOUT
    )
    assert refused.status_code == 401
    still = httpx.post(
        f"{base_url}/graphql", json={"query": "{ viewer { kind } }"}, headers={"Authorization": f"Bearer {theirs}"}, timeout=HTTP_TIMEOUT
    )
    assert still.status_code == 200 and still.json()["data"]["viewer"]["kind"] == "client"
