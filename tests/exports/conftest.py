"""A second, empty registry to import into: on the other backend when PostgreSQL is configured."""

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from api import migrations
from api.core.db import create_sync_engine
from api.core.settings import PROJECT_ROOT
from tests.conftest import POSTGRES_URL, _private_postgres_schema
from tests.factories import load_vocabularies


def prepared_database(url: str, *, vocabularies: bool = True) -> None:
    """What `coplab db upgrade` and `coplab vocabularies load` do to a fresh database."""
    migrations.upgrade(url)
    if vocabularies:
        engine = create_sync_engine(url)
        load_vocabularies(engine, PROJECT_ROOT / "seed" / "vocabularies")
        engine.dispose()


@pytest.fixture
def target_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A migrated database with vocabularies and nothing else. SQLite → PostgreSQL and PostgreSQL →
    SQLite when PostgreSQL is configured; SQLite → SQLite otherwise."""
    drop: Callable[[], None] = lambda: None  # noqa: E731
    if POSTGRES_URL and database_url.startswith("sqlite"):
        url, drop = _private_postgres_schema(POSTGRES_URL)
    else:
        url = f"sqlite:///{tmp_path / 'target.db'}"
    prepared_database(url)
    yield url
    drop()


@pytest.fixture
def target(target_url: str) -> Iterator[sa.Engine]:
    engine = create_sync_engine(target_url)
    yield engine
    engine.dispose()
