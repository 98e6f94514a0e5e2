"""CORS (SECURITY.md 29): only origins on the allow-list (`COPLAB_CORS_ORIGINS`) get
`Access-Control-Allow-Origin`, never with credentials; a wildcard is refused at startup (test_cors_rules.py)."""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from api.core.settings import Settings
from tests.server import running_server
from tests.server import HTTP_TIMEOUT

ALLOWED = "https://portal.coplab.example"
ALSO_ALLOWED = "http://localhost:3000"
VIEWER = {"query": "{ viewer { kind } }"}
PREFLIGHT = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization, content-type"}


def _settings(settings: Settings, origins: list[str]) -> Settings:
    return Settings(
        environment="test", database_url=settings.database_url, data_dir=Path("/nonexistent"), cors_origins=origins
    )


@pytest.fixture
def base_url(settings: Settings) -> Iterator[str]:
    with running_server(_settings(settings, [ALLOWED, ALSO_ALLOWED])) as url:
        yield url


def _preflight(base_url: str, origin: str) -> httpx.Response:
    return httpx.options(f"{base_url}/graphql", headers={"Origin": origin, **PREFLIGHT}, timeout=HTTP_TIMEOUT)


def _post(base_url: str, origin: str, token: str | None = None) -> httpx.Response:
    headers = {"Origin": origin, **({"Authorization": f"Bearer {token}"} if token else {})}
    return httpx.post(f"{base_url}/graphql", json=VIEWER, headers=headers, timeout=HTTP_TIMEOUT)


@pytest.mark.parametrize("origin", [ALLOWED, ALSO_ALLOWED])
def test_an_allowed_origin_gets_its_own_origin_back_and_no_credentials(base_url, make, origin) -> None:  # noqa: ANN001
    preflight = _preflight(base_url, origin)
    assert preflight.status_code == 200, preflight.text
    assert preflight.headers["Access-Control-Allow-Origin"] == origin
    assert {h.strip().lower() for h in preflight.headers["Access-Control-Allow-Headers"].split(",")} >= {
        "authorization",
        "content-type",
    }
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert "Access-Control-Allow-Credentials" not in preflight.headers

    # The token travels in the Authorization header, never in a cookie.
    token = make.token(make.organisation("hotline"), "initiatives:read")
    for response in (_post(base_url, origin), _post(base_url, origin, token)):
        assert response.status_code == 200, response.text
        assert response.headers["Access-Control-Allow-Origin"] == origin
        assert "Access-Control-Allow-Credentials" not in response.headers
        assert "origin" in response.headers["Vary"].lower()  # caches keep one answer per origin
    assert _post(base_url, origin, token).json()["data"]["viewer"]["kind"] == "client"


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example",
        "https://portal.coplab.example.evil.example",
        "http://portal.coplab.example",  # the scheme is part of the origin
        "https://portal.coplab.example:8443",
        "null",
    ],
)
def test_another_origin_gets_no_allow_origin(base_url, origin) -> None:  # noqa: ANN001
    preflight = _preflight(base_url, origin)
    assert preflight.status_code == 400
    assert "Access-Control-Allow-Origin" not in preflight.headers
    response = _post(base_url, origin)
    assert response.status_code == 200  # answered, but the browser keeps it from the page
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Access-Control-Allow-Credentials" not in response.headers


def test_without_an_allow_list_no_origin_gets_allow_origin(settings) -> None:  # noqa: ANN001
    with running_server(_settings(settings, [])) as base_url:
        for origin in (ALLOWED, "https://evil.example"):
            for response in (_preflight(base_url, origin), _post(base_url, origin)):
                assert "Access-Control-Allow-Origin" not in response.headers
                assert "Access-Control-Allow-Credentials" not in response.headers
        assert _post(base_url, ALLOWED).json()["data"]["viewer"]["kind"] == "anonymous"
