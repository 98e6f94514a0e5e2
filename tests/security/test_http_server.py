"""Against a real uvicorn server on 127.0.0.1: the published keys, a token's whole path, the body
limit on streamed bodies, and the `coplab serve` command in production mode."""

import json
import os
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet
from sqlmodel import select

from api.auth.models import SigningKey
from api.initiatives.models import Initiative
from api.main import create_app
from api.organisations.models import OrganisationStatus
from api.core.settings import Settings
from tests.factories import ALL_SCOPES, TEST_KEY_ENCRYPTION_KEY, gid
from tests.security.conftest import invalid_token_reason, live_server, stored
from tests.server import free_port, server_process

pytestmark = pytest.mark.http

CREATE = """mutation($i: CreateInitiativeInput!) { createInitiative(input: $i) {
              initiative { id visibility leadOrganisation { slug } } userErrors { code } } }"""
READ = "query($id: ID!) { initiative(id: $id) { title } }"


def _post(base: str, query: str, variables: dict | None = None, token: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.post(f"{base}/graphql", json={"query": query, "variables": variables or {}}, headers=headers,
                      timeout=30)


@pytest.fixture
def server(app) -> Iterator[str]:  # noqa: ANN001
    with live_server(app) as base:
        yield base


def test_jwks_publishes_the_public_signing_key_only(server: str, make, db) -> None:  # noqa: ANN001
    lead = make.organisation("lead")
    token = make.token(lead)
    db.rollback()
    active = db.exec(select(SigningKey).where(SigningKey.retired_at.is_(None))).first()
    response = httpx.get(f"{server}/.well-known/jwks.json", timeout=30)
    assert response.status_code == 200
    keys = response.json()["keys"]
    assert keys, "the key set is empty"
    for key in keys:
        assert key["kty"] == "EC" and key["crv"] == "P-256"
        assert key.get("kid")
        assert "d" not in key, "a private key component is published"
        assert set(key) <= {"kty", "crv", "x", "y", "kid", "alg", "use"}
    assert active.kid in {k["kid"] for k in keys}
    # A resource server can verify our tokens with what is published, and only with that.
    decoded = jwt.decode(token, KeySet.import_key_set(response.json()), algorithms=["ES256"])
    assert decoded.header["kid"] == active.kid and decoded.header["typ"] == "at+jwt"
    assert decoded.claims["org"] == lead.id


def test_a_token_creates_a_record_another_organisation_cannot_read(server: str, make, db) -> None:  # noqa: ANN001
    owner = make.organisation("owner")
    other = make.organisation("other")
    author = make.member(owner, "author@owner.example")
    token = make.token(owner, ALL_SCOPES, user=author)
    created = _post(server, CREATE, {"i": {"title": "Hotline referrals", "status": "IMPLEMENTATION",
                                           "visibility": "ORGANISATION"}}, token)
    assert created.status_code == 200
    assert created.headers["x-request-id"]
    payload = created.json()["data"]["createInitiative"]
    assert payload["userErrors"] == []
    assert payload["initiative"]["leadOrganisation"] == {"slug": "owner"}
    initiative_id = payload["initiative"]["id"]
    [row] = stored(db, Initiative.__table__)
    assert row["title"] == "Hotline referrals" and row["lead_organisation_id"] == owner.id
    assert row["created_by"] == f"user:{author.id}"
    # The owner reads it back; another organisation and an anonymous caller get the missing-record answer.
    assert _post(server, READ, {"id": initiative_id}, token).json() == {"data": {"initiative": {
        "title": "Hotline referrals"}}}
    missing = _post(server, READ, {"id": gid("Initiative", 999_999)}, make.token(other)).json()
    assert missing == {"data": {"initiative": None}}
    assert _post(server, READ, {"id": initiative_id}, make.token(other)).json() == missing
    assert _post(server, READ, {"id": initiative_id}).json() == missing
    listed = _post(server, "{ initiatives { totalCount } }", token=make.token(other)).json()
    assert listed == {"data": {"initiatives": {"totalCount": 0}}}


def test_bad_tokens_over_http(server: str, make, db) -> None:  # noqa: ANN001
    lead = make.organisation("lead")
    expired = make.token(lead, lifetime=60, now=int(time.time()) - 600)
    for token, reason in ((expired, "EXPIRED"), ("garbage", "MALFORMED_TOKEN")):
        response = _post(server, "{ viewer { kind } }", token=token)
        assert invalid_token_reason(response) == reason
    suspended = make.token(lead)
    lead.status = OrganisationStatus.SUSPENDED
    db.add(lead)
    db.commit()
    assert invalid_token_reason(_post(server, "{ viewer { kind } }", token=suspended)) == "ORGANISATION_INACTIVE"


def test_malformed_json_over_http_is_a_clear_400(server: str) -> None:
    for body in (b'{"query": ', b"[1, 2]", b'"text"'):
        response = httpx.post(f"{server}/graphql", content=body, headers={"content-type": "application/json"},
                              timeout=30)
        assert response.status_code == 400
        assert "Traceback" not in response.text and response.text.strip()


# --- 2. the body limit, with and without Content-Length ------------------------------------------------

LIMIT = 4096


@pytest.fixture
def small_server(settings: Settings) -> Iterator[str]:
    app = create_app(settings.model_copy(update={"max_body_bytes": LIMIT}))
    with live_server(app) as base:
        yield base


def _chunks(total: int, size: int = 1024) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        chunk = b"x" * min(size, total - sent)
        sent += len(chunk)
        yield chunk


def test_a_streamed_body_over_the_limit_is_413(small_server: str) -> None:
    """Chunked transfer encoding: no Content-Length to check, so the limit applies while it streams."""
    request = httpx.Request("POST", f"{small_server}/graphql", content=_chunks(16 * LIMIT),
                            headers={"content-type": "application/json"})
    assert "content-length" not in request.headers and request.headers["transfer-encoding"] == "chunked"
    with httpx.Client(timeout=30) as http:
        response = http.send(request)
    assert response.status_code == 413
    assert f"{LIMIT} bytes" in response.json()["errors"][0]["message"]
    assert response.headers["x-request-id"]


def test_a_declared_body_over_the_limit_is_413(small_server: str) -> None:
    response = httpx.post(f"{small_server}/graphql", content=b"x" * (LIMIT + 1),
                          headers={"content-type": "application/json"}, timeout=30)
    assert response.status_code == 413


def test_a_streamed_body_within_the_limit_is_served(small_server: str) -> None:
    body = json.dumps({"query": "{ viewer { kind } }", "variables": {"pad": "x" * (LIMIT // 2)}}).encode()

    def stream() -> Iterator[bytes]:
        for i in range(0, len(body), 256):
            yield body[i:i + 256]

    response = httpx.post(f"{small_server}/graphql", content=stream(), headers={"content-type": "application/json"},
                          timeout=30)
    assert response.status_code == 200
    assert response.json() == {"data": {"viewer": {"kind": "anonymous"}}}


def test_the_server_keeps_answering_after_abuse(server: str) -> None:
    abuse = [
        "{ viewer { " + "kind " * 3000 + "} }",
        "{ viewer { ...A } } fragment A on Viewer { kind ...A }",
        "{ ...F20 } fragment F0 on Query { viewer { kind } } " + " ".join(
            f"fragment F{i} on Query {{ ...F{i - 1} ...F{i - 1} }}" for i in range(1, 21)
        ),
    ]
    for query in abuse:
        response = _post(server, query)
        assert response.status_code in (200, 400)
    assert _post(server, "{ viewer { kind } }").json() == {"data": {"viewer": {"kind": "anonymous"}}}


# --- the `coplab serve` command, configured by the environment, in production mode ----------------------


@pytest.fixture
def production_server(database_url: str) -> Iterator[str]:
    command = shutil.which("coplab", path=str(Path(sys.executable).parent))
    assert command, "the coplab command is installed in the virtual environment"
    port = free_port()
    environment = {
        **os.environ,
        "COPLAB_ENVIRONMENT": "production",
        "COPLAB_ISSUER": "https://coplab.example",
        "COPLAB_KEY_ENCRYPTION_KEYS": TEST_KEY_ENCRYPTION_KEY,
        "COPLAB_DATABASE_URL": database_url,
    }
    command_line = [command, "serve", "--no-prepare", "--host", "127.0.0.1", "--port", str(port)]
    with server_process(command_line, environment, port=port) as (base, _):
        yield base


def test_coplab_serve_in_production_hides_the_schema_and_checks_tokens(production_server: str, make) -> None:  # noqa: ANN001
    base = production_server
    assert httpx.get(f"{base}/graphql", headers={"accept": "text/html"}, timeout=30).status_code == 404
    assert httpx.get(f"{base}/docs", timeout=30).status_code == 404
    introspection = _post(base, "{ __schema { types { name } } }").json()
    assert introspection["data"] is None and "introspection" in introspection["errors"][0]["message"].lower()
    misspelt = _post(base, "{ organisatons { totalCount } }").json()
    assert "did you mean" not in json.dumps(misspelt).lower()
    # Tokens for the production issuer work; ones minted for the development issuer do not.
    lead = make.organisation("lead")
    production_settings = make.settings.model_copy(update={"issuer": "https://coplab.example"})
    good = type(make)(make.db, production_settings).token(lead)
    assert _post(base, "{ viewer { kind } }", token=good).json() == {"data": {"viewer": {"kind": "client"}}}
    wrong_issuer = make.token(lead)
    response = _post(base, "{ viewer { kind } }", token=wrong_issuer)
    assert invalid_token_reason(response) == "WRONG_ISSUER"
    assert f"issued by {make.settings.issuer}, not by this server (https://coplab.example)" in response.text
