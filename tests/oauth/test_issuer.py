"""The issuer follows the server: `coplab serve --port N` on a fresh database, then Authlib's client
configured only by discovery (client credentials, and authorization code with PKCE) as an integrator
would use it; tokens minted by the CLI for another address are refused with both issuers named."""

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from authlib.common.security import generate_token
from authlib.integrations.httpx_client import OAuth2Client
from joserfc import jwt
from joserfc.jwk import KeySet

from api.core.settings import DEFAULT_ISSUER
from tests.conftest import POSTGRES_URL, _private_postgres_schema
from tests.oauth.sign_in import Browser, query
from tests.security.conftest import invalid_token_reason
from tests.server import COPLAB, coplab_environment, coplab_serve, free_port
from tests.server import HTTP_TIMEOUT

CALLBACK = "http://127.0.0.1:5173/callback"
PASSWORD = "hotline editor passphrase 2026"
VIEWER = "{ viewer { kind role organisation { slug } } }"


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database nothing has touched: no tables, no signing key."""
    if request.param == "postgresql":
        if not POSTGRES_URL:
            pytest.skip("PostgreSQL not configured: set COPLAB_TEST_DATABASE_URL to run these")
        url, drop = _private_postgres_schema(POSTGRES_URL)
        yield url
        drop()
    else:
        yield f"sqlite:///{tmp_path / 'fresh.db'}"


def _coplab(*args: str, env: dict[str, str], stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([COPLAB, *args], env=env, input=stdin, capture_output=True, text=True, timeout=120, check=False)


def _client(env: dict[str, str], *args: str) -> dict[str, str]:
    """`coplab client create --org hotline ARGS`: the client id, and the secret of a confidential client."""
    created = _coplab("client", "create", "--org", "hotline", *args, env=env)
    assert created.returncode == 0, created.stderr
    return dict(line.split("=", 1) for line in created.stdout.split())


def _claims(token: str, jwks_uri: str) -> dict:
    """The token's claims, verified with the key set the metadata points to."""
    keys = KeySet.import_key_set(httpx.get(jwks_uri, timeout=HTTP_TIMEOUT).json())
    return jwt.decode(token, keys, algorithms=["ES256"]).claims


def _viewer(base: str, token: str) -> httpx.Response:
    return httpx.post(f"{base}/graphql", json={"query": VIEWER}, headers={"Authorization": f"Bearer {token}"}, timeout=HTTP_TIMEOUT)


def test_discovery_and_both_flows_work_on_a_non_default_port(fresh_database: str) -> None:
    env = coplab_environment(fresh_database)
    with coplab_serve(env) as base:
        # Before any token: the key set already holds the key the first token will be signed with.
        first_keys = httpx.get(f"{base}/.well-known/jwks.json", timeout=HTTP_TIMEOUT).json()["keys"]
        assert len(first_keys) == 1 and first_keys[0]["kty"] == "EC"

        metadata = httpx.get(f"{base}/.well-known/oauth-authorization-server", timeout=HTTP_TIMEOUT).json()
        assert metadata["issuer"] == base
        for endpoint in ("authorization_endpoint", "token_endpoint", "introspection_endpoint", "revocation_endpoint", "jwks_uri"):
            assert metadata[endpoint].startswith(base + "/"), (endpoint, metadata[endpoint])

        created = _coplab("org", "create", "hotline", "--name", "A Hotline", "--type", "HOTLINE", "--country", "NL", env=env)
        assert created.returncode == 0, created.stderr
        machine = _client(env, "--name", "Case system", "--scopes", "initiatives:read")
        web = _client(env, "--name", "Portal", "--kind", "WEB_PUBLIC", "--redirect-uri", CALLBACK,
                      "--scopes", "initiatives:read initiatives:write")
        made = _coplab("user", "create", "ana@hotline.example", "--org", "hotline", "--role", "editor", "--password",
                       env=env, stdin=PASSWORD + "\n")
        assert made.returncode == 0, made.stderr

        # Client credentials, with nothing configured but what discovery gave.
        with OAuth2Client(machine["client_id"], machine["client_secret"], timeout=HTTP_TIMEOUT) as oauth:
            issued = oauth.fetch_token(metadata["token_endpoint"], grant_type="client_credentials")
        assert _claims(issued["access_token"], metadata["jwks_uri"])["iss"] == metadata["issuer"]
        assert _viewer(base, issued["access_token"]).json()["data"]["viewer"]["kind"] == "client"

        # Authorization code with PKCE: the sign-in and consent pages, then back to the app with `iss`.
        browser = Browser(base)
        with OAuth2Client(
            web["client_id"], token_endpoint_auth_method="none", redirect_uri=CALLBACK,
            scope="initiatives:read initiatives:write", code_challenge_method="S256", timeout=HTTP_TIMEOUT
        ) as oauth:
            verifier = generate_token(48)
            url, state = oauth.create_authorization_url(metadata["authorization_endpoint"], code_verifier=verifier)
            callback = browser.authorize(url, "ana@hotline.example", PASSWORD)
            assert callback.startswith(CALLBACK + "?")
            assert query(callback)["state"] == state and query(callback)["iss"] == metadata["issuer"]  # RFC 9207
            signed_in = oauth.fetch_token(metadata["token_endpoint"], authorization_response=callback, code_verifier=verifier)
        browser.close()
        assert _claims(signed_in["access_token"], metadata["jwks_uri"])["iss"] == metadata["issuer"]
        assert _viewer(base, signed_in["access_token"]).json()["data"]["viewer"] == {
            "kind": "user", "role": "EDITOR", "organisation": {"slug": "hotline"}
        }

        # A token minted without saying for which server names the default address: refused with
        # both issuers named. Minted for this server, it works.
        minted = _coplab("token", "mint", "--org", "hotline", "--scopes", "initiatives:read", env=env)
        assert minted.returncode == 0, minted.stderr
        assert f"issuer {DEFAULT_ISSUER}" in minted.stderr
        refused = _viewer(base, minted.stdout.strip())
        assert invalid_token_reason(refused) == "WRONG_ISSUER"
        assert f"issued by {DEFAULT_ISSUER}, not by this server ({base})" in refused.headers["www-authenticate"]
        minted = _coplab("token", "mint", "--org", "hotline", "--scopes", "initiatives:read", "--issuer", base, env=env)
        assert minted.returncode == 0 and f"issuer {base}" in minted.stderr
        assert _viewer(base, minted.stdout.strip()).json()["data"]["viewer"]["kind"] == "client"


def test_coplab_issuer_wins_over_the_listening_address(tmp_path: Path) -> None:
    """Behind a proxy the public address is set; the listening one is then named nowhere."""
    env = coplab_environment(f"sqlite:///{tmp_path / 'proxied.db'}", COPLAB_ISSUER="https://registry.example.org/")
    with coplab_serve(env) as base:
        metadata = httpx.get(f"{base}/.well-known/oauth-authorization-server", timeout=HTTP_TIMEOUT).json()
    assert metadata["issuer"] == "https://registry.example.org"
    assert metadata["token_endpoint"] == "https://registry.example.org/oauth/token"
    assert base not in json.dumps(metadata)


def test_production_does_not_start_without_an_issuer(tmp_path: Path) -> None:
    env = coplab_environment(f"sqlite:///{tmp_path / 'production.db'}", COPLAB_ENVIRONMENT="production")
    refused = _coplab("serve", "--port", str(free_port()), env=env)
    assert refused.returncode == 1
    assert "COPLAB_ISSUER is not set" in refused.stderr and "Traceback" not in refused.stderr
    assert not (tmp_path / "production.db").exists()  # refused before touching the database


@pytest.mark.parametrize("lifetime", ["0", "-60"])
def test_token_mint_refuses_a_lifetime_of_zero_or_less(tmp_path: Path, lifetime: str) -> None:
    env = coplab_environment(f"sqlite:///{tmp_path / 'cli.db'}", COLUMNS="300")  # the message on one line
    refused = _coplab("token", "mint", "--org", "anyone", "--scopes", "initiatives:read", "--lifetime", lifetime, env=env)
    assert refused.returncode != 0 and refused.stdout == ""
    assert "Invalid value for '--lifetime': Input should be greater than or equal to 1" in refused.stderr, refused.stderr


def test_token_mint_refuses_an_issuer_that_is_not_a_base_url(tmp_path: Path) -> None:
    env = coplab_environment(f"sqlite:///{tmp_path / 'cli.db'}")
    refused = _coplab("token", "mint", "--org", "anyone", "--scopes", "initiatives:read", "--issuer", "127.0.0.1:8123", env=env)
    assert refused.returncode == 1 and refused.stdout == ""
    assert "is not a base URL" in refused.stderr
