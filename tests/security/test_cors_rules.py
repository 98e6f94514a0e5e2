"""`COPLAB_CORS_ORIGINS`: only exact origins (scheme://host[:port]) are accepted, from arguments or the
environment (test_cors.py checks what a served request gets)."""

import pytest
from pydantic import ValidationError

from api.core.settings import Settings

ALLOWED = "https://portal.coplab.example"
ALSO_ALLOWED = "http://localhost:3000"


@pytest.mark.parametrize(
    "origin",
    [
        "*",
        "https://*.coplab.example",
        "https://portal.coplab.example/",
        "https://portal.coplab.example/graphql",
        "https://portal.coplab.example?x=1",
        "portal.coplab.example",
        "https://user@portal.coplab.example",
        "https://Portal.Coplab.example",
        "ftp://portal.coplab.example",
        "https://portal.coplab.example:0",
        "https://portal.coplab.example:99999",
        "",
    ],
)
def test_a_wildcard_or_anything_but_an_exact_origin_is_refused(origin, monkeypatch) -> None:  # noqa: ANN001
    with pytest.raises(ValidationError, match="scheme://host\\[:port\\]"):
        Settings(environment="test", cors_origins=[ALLOWED, origin])
    monkeypatch.setenv("COPLAB_CORS_ORIGINS", f'["{origin}"]')
    with pytest.raises(ValidationError, match="COPLAB_CORS_ORIGINS"):
        Settings(environment="test")


def test_exact_origins_are_accepted() -> None:
    origins = [ALLOWED, ALSO_ALLOWED, "http://127.0.0.1:8080", "http://[::1]:8080"]
    assert Settings(environment="test", cors_origins=origins).cors_origins == origins
