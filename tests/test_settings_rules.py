"""The settings' rules, on Settings itself: the forms each variable accepts and what it is read as
(tests/cli/test_invalid_settings.py runs the entry points with wrong values; tests/docs/test_operations_settings.py
keeps docs/operations.md listing every setting)."""

from pathlib import Path

import pytest
from pydantic import ValidationError

from api.core.settings import Settings, problems


def _refusal(**values: object) -> list[str]:
    with pytest.raises(ValidationError) as refused:
        Settings(environment="test", **values)
    return problems(refused.value)


@pytest.mark.parametrize(
    ("given", "read_as"),
    [
        ("postgres://coplab:pw@db.example:5432/coplab", "postgresql://coplab:pw@db.example:5432/coplab"),
        ("postgres+psycopg://coplab@db.example/coplab", "postgresql+psycopg://coplab@db.example/coplab"),
        ("postgresql://coplab@db.example/coplab?sslmode=require", "postgresql://coplab@db.example/coplab?sslmode=require"),
        ("sqlite://", "sqlite://"),
        ("sqlite:///:memory:", "sqlite:///:memory:"),
    ],
)
def test_the_database_url_forms_hosts_hand_out_are_accepted(given: str, read_as: str) -> None:
    assert Settings(environment="test", database_url=given).database_url == read_as


def test_the_default_database_may_be_in_a_data_directory_yet_to_be_made(tmp_path: Path) -> None:
    """coplab makes its own data directory; only a SQLite file named explicitly needs its directory."""
    settings = Settings(environment="test", data_dir=tmp_path / "var")
    assert settings.database_url == f"sqlite:///{tmp_path / 'var' / 'coplab.db'}"
    assert _refusal(database_url=f"sqlite:///{tmp_path / 'var' / 'coplab.db'}")[0].startswith("COPLAB_DATABASE_URL: ")


@pytest.mark.parametrize(
    "written",
    [
        "https://a.example, https://b.example:8443",
        "https://a.example https://b.example:8443",
        "https://a.example,https://b.example:8443,",
        ' ["https://a.example", "https://b.example:8443"] ',
    ],
)
def test_cors_origins_are_read_however_they_are_listed(written: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COPLAB_CORS_ORIGINS", written)
    assert Settings(environment="test").cors_origins == ["https://a.example", "https://b.example:8443"]


def test_a_list_given_in_python_is_taken_as_it_is() -> None:
    assert Settings(environment="test", cors_origins=["http://localhost:5173"]).cors_origins == ["http://localhost:5173"]
    assert _refusal(cors_origins=["http://localhost:5173/"])[0].startswith(
        "COPLAB_CORS_ORIGINS: 'http://localhost:5173/' is not an origin (did you mean 'http://localhost:5173'?)"
    )


def test_several_wrong_settings_give_one_line_each(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COPLAB_MAX_ALIASES", "0")
    monkeypatch.setenv("COPLAB_MEILISEARCH_API_KEY", "master-key-secret")
    monkeypatch.setenv("COPLAB_TUNE_GC", "perhaps")
    lines = _refusal()
    assert lines == [
        "COPLAB_MAX_ALIASES: '0' is not valid; expected a whole number of at least 1",
        "COPLAB_TUNE_GC: 'perhaps' is not valid; expected true or false",
    ]


@pytest.mark.parametrize(
    ("written", "meant"),
    [
        ("https://a.example/", "https://a.example"),
        ("HTTPS://A.example:8443", "https://a.example:8443"),
        ("http://[::1]:5173/app", "http://[::1]:5173"),
        ("https://ana:s3cret@a.example", "https://a.example"),
    ],
)
def test_a_near_origin_is_refused_with_the_origin_meant_and_no_password(written: str, meant: str) -> None:
    [line] = _refusal(cors_origins=[written])
    assert f"is not an origin (did you mean {meant!r}?)" in line
    assert "s3cret" not in line


def test_an_issuer_with_a_password_is_refused_without_echoing_it() -> None:
    [line] = _refusal(issuer="ftp://ana:s3cret@registry.example.org")
    assert line == "COPLAB_ISSUER: 'ftp://ana:[redacted]@registry.example.org' is not a base URL; " \
        "give scheme://host[:port][/path], e.g. https://registry.example.org"
