"""The `coplab` command, run as a user would: migrate, bootstrap an organisation, mint a token, use it."""

import os
import subprocess
import sys

from fastapi.testclient import TestClient

from api.main import create_app
from api.core.settings import Settings
from tests.factories import graphql

COPLAB = [sys.executable, "-m", "api.cli"]


def _coplab(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([*COPLAB, *args], env=env, capture_output=True, text=True, timeout=120, check=False)


def test_bootstrap_an_organisation_and_act_with_a_minted_token(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    env = {**os.environ, "COPLAB_DATABASE_URL": url}
    for args in (
        ("db", "upgrade"),
        ("vocabularies", "load"),
        ("org", "create", "inhope", "--name", "INHOPE", "--type", "INGO", "--country", "NL"),
        ("user", "create", "ana@inhope.example", "--org", "inhope", "--role", "editor"),
    ):
        result = _coplab(*args, env=env)
        assert result.returncode == 0, result.stderr

    again = _coplab("vocabularies", "load", env=env)
    assert "0 rows changed" in again.stderr

    bad = _coplab("org", "create", "x", "--name", "X", "--type", "NOPE", env=env)
    assert bad.returncode == 1 and "INVALID_CODE" in bad.stderr

    client_token = _coplab("token", "mint", "--org", "inhope", "--scopes", "initiatives:read initiatives:write", env=env)
    user_token = _coplab("token", "mint", "--org", "inhope", "--scopes", "initiatives:read", "--user", "ana@inhope.example", env=env)
    assert client_token.returncode == 0 and user_token.returncode == 0

    settings = Settings(environment="test", database_url=url)
    with TestClient(create_app(settings)) as client:
        created = graphql(
            client,
            'mutation { createInitiative(input: {title: "Hotline network", status: "IMPLEMENTATION"}) '
            "{ initiative { title leadOrganisation { slug } } userErrors { code } } }",
            token=client_token.stdout.strip(),
        )
        assert created["data"]["createInitiative"] == {
            "initiative": {"title": "Hotline network", "leadOrganisation": {"slug": "inhope"}},
            "userErrors": [],
        }
        viewer = graphql(client, "{ viewer { kind role organisation { slug } } }", token=user_token.stdout.strip())
        assert viewer["data"]["viewer"] == {"kind": "user", "role": "EDITOR", "organisation": {"slug": "inhope"}}


def test_schema_export_writes_the_sdl(tmp_path) -> None:
    output = tmp_path / "schema.graphql"
    result = _coplab("schema", "export", "--output", str(output), env=dict(os.environ))
    assert result.returncode == 0, result.stderr
    assert "type Query" in output.read_text()


def test_a_client_registered_from_the_cli_gets_tokens_with_curl_like_requests(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    env = {**os.environ, "COPLAB_DATABASE_URL": url}
    for args in (
        ("db", "upgrade"),
        ("vocabularies", "load"),
        ("org", "create", "iwf", "--name", "Internet Watch Foundation", "--type", "HOTLINE", "--country", "GB"),
    ):
        assert _coplab(*args, env=env).returncode == 0
    refused = _coplab("client", "create", "--org", "iwf", "--name", "Case system", "--scopes", "lab:admin nope", env=env)
    assert refused.returncode == 1
    assert "scopes.1: INVALID_CODE" in refused.stderr and "scopes: FORBIDDEN" in refused.stderr

    created = _coplab(
        "client", "create", "--org", "iwf", "--name", "Case system", "--scopes", "initiatives:read", env=env
    )
    assert created.returncode == 0, created.stderr
    credentials = dict(line.split("=", 1) for line in created.stdout.split())
    assert credentials["client_id"].startswith("cpl_") and len(credentials["client_secret"]) >= 40

    settings = Settings(environment="test", database_url=url)
    with TestClient(create_app(settings), base_url="https://coplab.example") as client:
        plain = client.post("http://coplab.example/oauth/token", data={"grant_type": "client_credentials"})
        assert plain.status_code == 400 and plain.json()["error"] == "insecure_transport"
        issued = client.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(credentials["client_id"], credentials["client_secret"]),
        )
        assert issued.status_code == 200, issued.text
        assert issued.json()["scope"] == "initiatives:read"
        viewer = graphql(client, "{ viewer { kind organisation { slug } } }", token=issued.json()["access_token"])
        assert viewer["data"]["viewer"] == {"kind": "client", "organisation": {"slug": "iwf"}}

        assert _coplab("client", "revoke", credentials["client_id"], env=env).returncode == 0
        refused = client.post(
            "/graphql", json={"query": "{ viewer { kind } }"}, headers={"Authorization": f"Bearer {issued.json()['access_token']}"}
        )
        assert refused.status_code == 401
        again = client.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(credentials["client_id"], credentials["client_secret"]),
        )
        assert again.status_code == 401 and again.json()["error"] == "invalid_client"
    unknown = _coplab("client", "revoke", "cpl_nobody", env=env)
    assert unknown.returncode == 1 and "clientId: NOT_FOUND" in unknown.stderr
