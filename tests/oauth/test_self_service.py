"""Organisation administrators manage their OAuth clients through GraphQL (SECURITY.md 14): the secret
is shown once, rotation and revocation take effect at once, and another organisation's clients
behave exactly like missing ones, with nothing changed."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from api.auth.principal import Role
from api.main import create_app
from api.oauth.models import OAuthClient
from api.core.settings import Settings
from tests.factories import graphql

CREATE = """
mutation($input: CreateOAuthClientInput!) {
  createOAuthClient(input: $input) { client { clientId name scopes grantTypes } clientSecret userErrors { field code } }
}
"""
ROTATE = """
mutation($id: String!) {
  rotateOAuthClientSecret(input: {clientId: $id}) { client { clientId } clientSecret userErrors { field code } }
}
"""
REVOKE = """
mutation($id: String!) { revokeOAuthClient(input: {clientId: $id}) { client { revokedAt } userErrors { field code } } }
"""
LIST = "{ oauthClients { totalCount edges { node { clientId name revokedAt } } } }"


@pytest.fixture
def https(settings: Settings) -> Iterator[TestClient]:
    """The app reached over https, as the token endpoint requires for a host that is not loopback."""
    with TestClient(create_app(settings), base_url="https://coplab.example") as client:
        yield client


def _token_status(https: TestClient, client_id: str, secret: str) -> int:
    return https.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret)).status_code


def _admin(make, organisation, email: str, role: Role = Role.ADMIN, scopes=("org:admin", "initiatives:read")) -> str:  # noqa: ANN001
    return make.token(organisation, list(scopes), user=make.member(organisation, email, role))


def test_an_administrator_registers_rotates_and_revokes_a_client(https, make) -> None:  # noqa: ANN001
    organisation = make.organisation("hotline")
    admin = _admin(make, organisation, "admin@hotline.example")
    created = graphql(https, CREATE, {"input": {"name": "Case system", "scopes": ["initiatives:read"]}}, admin)
    payload = created["data"]["createOAuthClient"]
    assert payload["userErrors"] == []
    client_id, secret = payload["client"]["clientId"], payload["clientSecret"]
    assert payload["client"] == {
        "clientId": client_id, "name": "Case system", "scopes": ["initiatives:read"], "grantTypes": ["client_credentials"],
    }
    assert _token_status(https, client_id, secret) == 200

    listed = graphql(https, LIST, token=admin)["data"]["oauthClients"]
    assert {"clientId": client_id, "name": "Case system", "revokedAt": None} in [e["node"] for e in listed["edges"]]
    assert secret not in str(listed)

    rotated = graphql(https, ROTATE, {"id": client_id}, admin)["data"]["rotateOAuthClientSecret"]
    assert rotated["userErrors"] == [] and rotated["clientSecret"] != secret
    assert _token_status(https, client_id, secret) == 401
    assert _token_status(https, client_id, rotated["clientSecret"]) == 200

    revoked = graphql(https, REVOKE, {"id": client_id}, admin)["data"]["revokeOAuthClient"]
    assert revoked["userErrors"] == [] and revoked["client"]["revokedAt"]
    assert _token_status(https, client_id, rotated["clientSecret"]) == 401


def test_another_organisations_clients_behave_as_missing_and_stay_unchanged(https, make, db) -> None:  # noqa: ANN001
    theirs_org, mine = make.organisation("theirs"), make.organisation("mine")
    theirs, secret = make.oauth_client(theirs_org, ["initiatives:read"])
    intruder = _admin(make, mine, "admin@mine.example")

    for query in (ROTATE, REVOKE):
        body = graphql(https, query, {"id": theirs.client_id}, intruder)
        [payload] = body["data"].values()
        assert payload["client"] is None
        assert payload["userErrors"] == [{"field": ["input", "clientId"], "code": "NOT_FOUND"}]
    missing = graphql(https, REVOKE, {"id": "cpl_nobody"}, intruder)["data"]["revokeOAuthClient"]
    assert missing["userErrors"] == [{"field": ["input", "clientId"], "code": "NOT_FOUND"}]
    visible = graphql(https, LIST, token=intruder)["data"]["oauthClients"]["edges"]
    assert visible and theirs.client_id not in {e["node"]["clientId"] for e in visible}  # only its own

    db.expire_all()
    stored = db.exec(select(OAuthClient).where(OAuthClient.client_id == theirs.client_id)).one()
    assert stored.revoked_at is None and stored.secret_hash == theirs.secret_hash
    assert _token_status(https, theirs.client_id, secret) == 200


def test_clients_get_no_scope_beyond_the_administrators_own_and_members_below_admin_cannot_register(https, make, db) -> None:  # noqa: ANN001
    organisation = make.organisation("ngo")
    admin = _admin(make, organisation, "admin@ngo.example")
    wider = graphql(https, CREATE, {"input": {"name": "Sync", "scopes": ["initiatives:write", "lab:admin", "nope"]}}, admin)
    assert wider["data"]["createOAuthClient"]["userErrors"] == [
        {"field": ["input", "scopes", "2"], "code": "INVALID_CODE"},
        {"field": ["input", "scopes", "0"], "code": "FORBIDDEN"},
        {"field": ["input", "scopes"], "code": "FORBIDDEN"},
    ]
    editor = _admin(make, organisation, "editor@ngo.example", Role.EDITOR)
    refused = graphql(https, CREATE, {"input": {"name": "Sync", "scopes": ["initiatives:read"]}}, editor)
    assert refused["data"]["createOAuthClient"]["userErrors"] == [{"field": ["input"], "code": "FORBIDDEN"}]
    no_scope = graphql(https, CREATE, {"input": {"name": "Sync", "scopes": []}}, _admin(make, organisation, "a2@ngo.example", scopes=("initiatives:read",)))
    assert no_scope["errors"][0]["extensions"]["code"] == "FORBIDDEN" and no_scope["data"] is None
    assert db.exec(select(OAuthClient).where(OAuthClient.name == "Sync")).all() == []
