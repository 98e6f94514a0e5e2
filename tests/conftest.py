"""Test fixtures: real SQLite always, real PostgreSQL when COPLAB_TEST_DATABASE_URL is set."""

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from fastapi.testclient import TestClient
from sqlmodel import Session, SQLModel

import api.models  # noqa: F401  (registers every table)
from api import migrations
from api.core.db import create_sync_engine
from api.main import create_app
from api.core.settings import PROJECT_ROOT, Settings
from tests.factories import TEST_KEY_ENCRYPTION_KEY, Factory, load_vocabularies, signing_key
from tests.meilisearch_server import MeilisearchServer, find_or_start_meilisearch, no_server_reason
from tests.skip_summary import report_skips

POSTGRES_URL = os.environ.get("COPLAB_TEST_DATABASE_URL")
BACKENDS = ["sqlite", "postgresql"]
# Rows of these tables are reference data, loaded once per test session.
KEPT_TABLES = {"vocabulary", "vocabulary_term", "signing_key"}


def _private_postgres_schema(url: str) -> tuple[str, Callable[[], None]]:
    """A fresh schema of our own in the test database, so concurrent test runs never collide;
    returns the URL that uses it and a function that drops it."""
    schema = f"coplab_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_sync_engine(url)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))

    def drop() -> None:
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()

    scoped = make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
    return scoped.render_as_string(hide_password=False), drop


_meilisearch_used: list[str] = []  # "version at URL" of the server this session used, for the summary


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    report_skips(terminalreporter)
    for line in _meilisearch_used:
        terminalreporter.write_line(f"Meilisearch used by the search tests: {line}")


@pytest.fixture(scope="session")
def meilisearch_server() -> Iterator[MeilisearchServer]:
    """A live Meilisearch (tests/meilisearch_server.py says where from), or the test skips."""
    with find_or_start_meilisearch() as server:
        if server is None:
            pytest.skip(no_server_reason())
        started = "started from a binary" if server.process else "given"
        _meilisearch_used.append(f"{server.version} at {server.url} ({started})")
        yield server


@contextmanager
def empty_database(backend: str, directory: Path) -> Iterator[str]:
    """The URL of a database of our own on `backend` (an SQLite file in `directory`), nothing
    migrated; a PostgreSQL one is dropped afterwards."""
    drop: Callable[[], None] = lambda: None  # noqa: E731
    if backend == "postgresql":
        if not POSTGRES_URL:
            pytest.skip("PostgreSQL not configured: set COPLAB_TEST_DATABASE_URL to run these")
        url, drop = _private_postgres_schema(POSTGRES_URL)
    else:
        url = f"sqlite:///{directory / 'coplab-test.db'}"
    try:
        yield url
    finally:
        drop()


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database with the vocabularies loaded, one per backend."""
    with empty_database(request.param, tmp_path_factory.mktemp("db")) as url:
        migrations.upgrade(url)
        engine = create_sync_engine(url)
        load_vocabularies(engine, PROJECT_ROOT / "seed" / "vocabularies")
        with Session(engine) as session:
            signing_key(session)  # plain, as the test environment stores it, before any production-mode app starts
        engine.dispose()
        yield url


@pytest.fixture(params=BACKENDS)
def fresh_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of the test's own: nothing migrated, nothing loaded."""
    with empty_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[sa.Engine]:
    engine = create_sync_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture(autouse=True)
def _clean_tables(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every test starts from an empty registry (vocabularies and signing keys kept)."""
    yield
    if "engine" not in request.fixturenames:
        return
    engine: sa.Engine = request.getfixturevalue("engine")
    tables = [t for t in reversed(SQLModel.metadata.sorted_tables) if t.name not in KEPT_TABLES]
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            connection.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(table.delete())


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(environment="test", database_url=database_url, data_dir=Path("/nonexistent"))


@pytest.fixture
def app(settings: Settings):  # noqa: ANN201
    return create_app(settings)


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # noqa: ANN001
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def production(settings: Settings) -> Iterator[TestClient]:
    """A client of the app as production configures it, on the test database."""
    app = create_app(
        Settings(
            environment="production",
            issuer="https://coplab.example",
            key_encryption_keys=[TEST_KEY_ENCRYPTION_KEY],
            database_url=settings.database_url,
            data_dir=Path("/nonexistent"),
            tune_gc=False,  # this is the test process, not a serving one
        )
    )
    with TestClient(app) as client:
        yield client


@pytest.fixture
def db(engine: sa.Engine) -> Iterator[Session]:
    """A plain synchronous session for arranging data and checking what was stored."""
    with Session(engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture
def make(db: Session, settings: Settings) -> Factory:
    return Factory(db, settings)
