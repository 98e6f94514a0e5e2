"""A wrong setting stops every entry point with one line: `coplab serve`, other `coplab` commands and
`uvicorn api.main:create_app --factory` exit non-zero, print one line on standard error naming the
variable and what is expected, never a traceback and never a secret (tests/test_settings_rules.py
pins the rules themselves)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from api.core.db import create_sync_engine
from tests.conftest import POSTGRES_URL, _private_postgres_schema
from tests.server import free_port

BIN = Path(sys.executable).parent
COPLAB = shutil.which("coplab", path=str(BIN))
UVICORN = shutil.which("uvicorn", path=str(BIN))
SECRET = "hunter2-not-for-logs"

# (variable, value, what the line must say)
WRONG = [
    ("COPLAB_DATABASE_URL", f"mysql://coplab:{SECRET}@db.example/coplab", "expected postgresql://user:password@host"),
    ("COPLAB_DATABASE_URL", "/var/lib/coplab.db", "expected postgresql://user:password@host"),
    ("COPLAB_DATABASE_URL", "sqlite:////no-such-directory/coplab.db", "'/no-such-directory', which is not an existing directory"),
    ("COPLAB_CORS_ORIGINS", "https://a.example, https://b.example/", "'https://b.example/' is not an origin (did you mean 'https://b.example'?)"),
    ("COPLAB_CORS_ORIGINS", "https://a.example/portal", "scheme://host[:port] in lowercase"),
    ("COPLAB_CORS_ORIGINS", '["https://a.example"', "expected values separated by commas or spaces, or a JSON list"),
    ("COPLAB_MAX_PAGE_SIZE", "lots", "'lots' is not valid; expected a whole number of at least 1"),
    ("COPLAB_ACCESS_TOKEN_LIFETIME_SECONDS", "-60", "'-60' is not valid; expected a whole number of at least 1"),
    ("COPLAB_SEARCH_POLL_SECONDS", "0", "expected a number greater than 0"),
    ("COPLAB_ENVIRONMENT", "prod", "'prod' is not valid; expected one of development, test, production"),
    ("COPLAB_SEARCH_INDEXER_IN_PROCESS", "sometimes", "expected true or false"),
    ("COPLAB_KEY_ENCRYPTION_KEYS", SECRET, "is not 32 random bytes in base64"),
]


def _environment(tmp_path: Path, **values: str) -> dict[str, str]:
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("COPLAB_")}
    return {**inherited, "COPLAB_DATABASE_URL": f"sqlite:///{tmp_path / 'coplab.db'}", "COLUMNS": "80", **values}


def _run(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)


def _refused_in_one_line(result: subprocess.CompletedProcess, variable: str, expected: str) -> str:
    assert result.returncode != 0, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr  # one line, however narrow the terminal
    assert lines[0].startswith(variable), lines[0]
    assert expected in lines[0], lines[0]
    assert "Traceback" not in result.stderr + result.stdout
    assert SECRET not in result.stderr + result.stdout
    return lines[0]


@pytest.mark.parametrize(("variable", "value", "expected"), WRONG, ids=[f"{v}={x}" for v, x, _ in WRONG])
def test_coplab_serve_refuses_a_wrong_setting_in_one_line(tmp_path: Path, variable: str, value: str, expected: str) -> None:
    env = _environment(tmp_path, **{variable: value})
    refused = _run([COPLAB, "serve", "--port", str(free_port())], env)
    _refused_in_one_line(refused, variable, expected)
    assert not (tmp_path / "coplab.db").exists()  # refused before touching the database


@pytest.mark.parametrize(
    "command",
    [["db", "upgrade"], ["keys", "list"], ["token", "mint", "--org", "any", "--scopes", "initiatives:read"], ["seed"]],
    ids=" ".join,
)
@pytest.mark.parametrize(("variable", "value", "expected"), [WRONG[0], WRONG[3], WRONG[7]], ids=["url", "cors", "number"])
def test_every_command_refuses_a_wrong_setting_in_one_line(
    tmp_path: Path, command: list[str], variable: str, value: str, expected: str
) -> None:
    refused = _run([COPLAB, *command], _environment(tmp_path, **{variable: value}))
    _refused_in_one_line(refused, variable, expected)


@pytest.mark.parametrize(("variable", "value", "expected"), [WRONG[0], WRONG[4], WRONG[9]], ids=["url", "cors", "environment"])
def test_uvicorn_with_the_factory_refuses_a_wrong_setting_in_one_line(
    tmp_path: Path, variable: str, value: str, expected: str
) -> None:
    env = _environment(tmp_path, **{variable: value})
    refused = _run([UVICORN, "api.main:create_app", "--factory", "--port", str(free_port())], env)
    _refused_in_one_line(refused, variable, expected)


def test_production_without_an_encryption_key_does_not_start(tmp_path: Path) -> None:
    env = _environment(tmp_path, COPLAB_ENVIRONMENT="production", COPLAB_ISSUER="https://registry.example.org")
    for command in ([COPLAB, "serve", "--port", str(free_port())], [UVICORN, "api.main:create_app", "--factory"]):
        line = _refused_in_one_line(_run(command, env), "COPLAB_KEY_ENCRYPTION_KEYS", "is not set")
        assert "coplab keys encryption-key" in line
    assert not (tmp_path / "coplab.db").exists()


def test_a_password_in_a_database_url_is_never_echoed(tmp_path: Path) -> None:
    """The password of a refused URL is redacted, and so is one in its query string."""
    value = f"oracle://coplab:{SECRET}@db.example/coplab?password={SECRET}"
    line = _refused_in_one_line(_run([COPLAB, "db", "upgrade"], _environment(tmp_path, COPLAB_DATABASE_URL=value)),
                                "COPLAB_DATABASE_URL", "is not a database URL coplab can use")
    assert "'oracle://coplab:[redacted]@db.example/coplab?password=[redacted]'" in line


def test_a_new_encryption_key_is_accepted_as_printed(tmp_path: Path) -> None:
    made = _run([COPLAB, "keys", "encryption-key"], _environment(tmp_path))
    assert made.returncode == 0, made.stderr
    key = made.stdout.strip()
    env = _environment(tmp_path, COPLAB_KEY_ENCRYPTION_KEYS=key)
    listed = _run([COPLAB, "db", "upgrade"], env)
    assert listed.returncode == 0, listed.stderr


def test_a_postgres_url_as_hosts_give_it_is_used_as_postgresql(tmp_path: Path) -> None:
    """`postgres://` (Heroku and others) is read as `postgresql://`: the command migrates the database."""
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL not configured: set COPLAB_TEST_DATABASE_URL to run these")
    url, drop = _private_postgres_schema(POSTGRES_URL)
    try:
        upgraded = _run([COPLAB, "db", "upgrade"], _environment(tmp_path, COPLAB_DATABASE_URL=url.replace("postgresql://", "postgres://", 1)))
        assert upgraded.returncode == 0, upgraded.stderr
        engine = create_sync_engine(url)
        with engine.connect() as connection:
            assert connection.execute(sa.text("SELECT count(*) FROM vocabulary")).scalar() == 0  # the tables exist
        engine.dispose()
    finally:
        drop()
