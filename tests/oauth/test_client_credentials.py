"""Client credentials through a real OAuth client library (Authlib's httpx client) against a real
uvicorn server, then the token used on /graphql."""

from collections.abc import Iterator

import httpx
import pytest
from authlib.integrations.httpx_client import OAuth2Client
from authlib.integrations.base_client.errors import OAuthError
from joserfc import jwt
from sqlmodel import select

from api.auth import tokens
from api.auth.keys import ALGORITHM
from api.core.db import utcnow
from api.initiatives.models import Initiative
from api.organisations.models import OrganisationStatus
from api.core.settings import Settings
from tests.security.conftest import invalid_token_reason
from tests.server import running_server
from tests.server import HTTP_TIMEOUT

CREATE = """
mutation($input: CreateInitiativeInput!) {
  createInitiative(input: $input) { initiative { title visibility } userErrors { field code } }
}
"""
VIEWER = "{ viewer { kind organisation { slug } scopes } }"


@pytest.fixture
def base_url(settings: Settings) -> Iterator[str]:
    with running_server(settings) as url:
        yield url


def _client(client_id: str, secret: str, **kwargs) -> OAuth2Client:  # noqa: ANN003
    return OAuth2Client(client_id=client_id, client_secret=secret, **{"timeout": HTTP_TIMEOUT, **kwargs})


def _graphql(base_url: str, access_token: str, query: str, variables: dict | None = None) -> dict:
    response = httpx.post(
        f"{base_url}/graphql",
        json={"query": query, "variables": variables or {}},
        headers={"Authorization": f"Bearer {access_token}"}, timeout=HTTP_TIMEOUT
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_a_machine_client_gets_a_token_for_its_organisation_and_writes_with_it(base_url, make, db, settings) -> None:  # noqa: ANN001
    organisation = make.organisation("hotline")
    client, secret = make.oauth_client(organisation, ["initiatives:read", "initiatives:write"])
    with _client(client.client_id, secret, scope="initiatives:read initiatives:write") as oauth:
        token = oauth.fetch_token(f"{base_url}/oauth/token", grant_type="client_credentials")
    assert token["token_type"].lower() == "bearer"
    assert token["scope"] == "initiatives:read initiatives:write"
    assert "refresh_token" not in token  # RFC 6749 4.4.3: none for client credentials

    header = jwt.decode(token["access_token"], make._key(), algorithms=[ALGORITHM]).header
    claims = jwt.decode(token["access_token"], make._key(), algorithms=[ALGORITHM]).claims
    assert header["typ"] == "at+jwt" and header["kid"]
    assert claims["org"] == organisation.id
    assert claims["client_id"] == client.client_id
    assert claims["sub"] == f"client:{client.client_id}"
    assert claims["iss"] == settings.issuer and claims["aud"] == settings.audience
    assert claims["exp"] - claims["iat"] == settings.access_token_lifetime_seconds

    viewer = _graphql(base_url, token["access_token"], VIEWER)["data"]["viewer"]
    assert viewer["organisation"]["slug"] == "hotline"
    assert sorted(viewer["scopes"]) == ["initiatives:read", "initiatives:write"]
    created = _graphql(
        base_url,
        token["access_token"],
        CREATE,
        {"input": {"title": "Notice and take-down", "status": "IMPLEMENTATION", "visibility": "ORGANISATION"}},
    )["data"]["createInitiative"]
    assert created["userErrors"] == []
    stored = db.exec(select(Initiative)).all()
    assert [(i.title, i.lead_organisation_id) for i in stored] == [("Notice and take-down", organisation.id)]


def test_the_token_holds_only_the_requested_scopes_the_client_may_hold(base_url, make) -> None:  # noqa: ANN001
    client, secret = make.oauth_client(make.organisation("ngo"), ["initiatives:read"])
    with _client(client.client_id, secret, scope="initiatives:read initiatives:write") as oauth:
        token = oauth.fetch_token(f"{base_url}/oauth/token", grant_type="client_credentials")
    assert token["scope"] == "initiatives:read"
    with _client(client.client_id, secret) as oauth:  # no scope asked: all the client's own
        assert oauth.fetch_token(f"{base_url}/oauth/token", grant_type="client_credentials")["scope"] == "initiatives:read"


def _refused(base_url: str, client_id: str, secret: str, scope: str | None = None) -> OAuthError:
    with _client(client_id, secret, scope=scope) as oauth, pytest.raises(OAuthError) as refused:
        oauth.fetch_token(f"{base_url}/oauth/token", grant_type="client_credentials")
    return refused.value


def test_a_wrong_secret_a_revoked_client_and_a_suspended_organisation_get_no_token(base_url, make, db) -> None:  # noqa: ANN001
    organisation = make.organisation("industry")
    client, secret = make.oauth_client(organisation, ["initiatives:read"])
    assert _refused(base_url, client.client_id, secret + "x").error == "invalid_client"
    assert _refused(base_url, "cpl_unknown", secret).error == "invalid_client"
    revoked, revoked_secret = make.oauth_client(organisation, ["initiatives:read"], revoked=True)
    assert _refused(base_url, revoked.client_id, revoked_secret).error == "invalid_client"
    organisation.status = OrganisationStatus.SUSPENDED
    db.add(organisation)
    db.commit()
    assert _refused(base_url, client.client_id, secret).error == "invalid_client"


def test_scopes_nobody_defined_or_the_client_may_not_hold_are_refused(base_url, make) -> None:  # noqa: ANN001
    client, secret = make.oauth_client(make.organisation("gov"), ["initiatives:read"])
    assert _refused(base_url, client.client_id, secret, scope="initiatives:everything").error == "invalid_scope"
    assert _refused(base_url, client.client_id, secret, scope="org:admin").error == "invalid_scope"


def test_other_grant_types_are_refused(base_url, make) -> None:  # noqa: ANN001
    client, secret = make.oauth_client(make.organisation("gov"), ["initiatives:read"])
    response = httpx.post(
        f"{base_url}/oauth/token",
        data={"grant_type": "password", "username": "a", "password": "b"},
        auth=(client.client_id, secret), timeout=HTTP_TIMEOUT
    )
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"
    assert "access_token" not in response.json()


def test_server_metadata_describes_every_endpoint_and_grant(client, settings) -> None:  # noqa: ANN001
    metadata = client.get("/.well-known/oauth-authorization-server").json()
    assert metadata["issuer"] == settings.issuer
    assert metadata["token_endpoint"] == settings.issuer + "/oauth/token"
    assert metadata["jwks_uri"] == settings.issuer + "/.well-known/jwks.json"
    assert metadata["introspection_endpoint"] == settings.issuer + "/oauth/introspect"
    assert metadata["authorization_endpoint"] == settings.issuer + "/oauth/authorize"
    assert metadata["grant_types_supported"] == ["client_credentials", "authorization_code", "refresh_token"]
    assert metadata["response_types_supported"] == ["code"]
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert metadata["authorization_response_iss_parameter_supported"] is True
    assert "lab:admin" in metadata["scopes_supported"]


def test_revoking_a_client_stops_the_access_tokens_it_holds_at_once(base_url, make, db) -> None:  # noqa: ANN001
    organisation = make.organisation("hotline")
    client, secret = make.oauth_client(organisation, ["initiatives:read", "initiatives:write"])
    with _client(client.client_id, secret) as oauth:
        access_token = oauth.fetch_token(f"{base_url}/oauth/token", grant_type="client_credentials")["access_token"]
    assert _graphql(base_url, access_token, VIEWER)["data"]["viewer"]["kind"] == "client"

    client.revoked_at = utcnow()
    db.add(client)
    db.commit()
    refused = httpx.post(
        f"{base_url}/graphql",
        json={"query": CREATE, "variables": {"input": {"title": "After revocation", "status": "IMPLEMENTATION"}}},
        headers={"Authorization": f"Bearer {access_token}"}, timeout=HTTP_TIMEOUT
    )
    assert invalid_token_reason(refused) == "REVOKED"
    assert db.exec(select(Initiative)).all() == []


def test_a_token_naming_another_organisations_client_is_refused(client, make, settings) -> None:  # noqa: ANN001
    mine, other = make.organisation("mine"), make.organisation("other")
    theirs, _ = make.oauth_client(other, ["initiatives:read"])
    forged = tokens.mint(
        key=make._key(),
        issuer=settings.issuer,
        audience=settings.audience,
        subject=f"client:{theirs.client_id}",
        client_id=theirs.client_id,
        organisation_id=mine.id,
        scope="initiatives:read",
        lifetime_seconds=600,
    )
    response = client.post("/graphql", json={"query": VIEWER}, headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401
    control = make.token(mine)  # the same organisation, with a client registered for it
    assert client.post("/graphql", json={"query": VIEWER}, headers={"Authorization": f"Bearer {control}"}).status_code == 200
