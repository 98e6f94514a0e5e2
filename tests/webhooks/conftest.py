"""What the webhook tests share: an organisation's administrator and their token, and quick retries."""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from sqlmodel import Session

from api.core.settings import Settings
from api.organisations.models import Organisation
from tests.factories import TEST_KEY_ENCRYPTION_KEY, Factory
from tests.server import HTTP_TIMEOUT, running_server

# Retries within a fraction of a second, so a test sees several attempts; the failing period short.
QUICK = {
    "webhook_poll_seconds": 0.05,
    "webhook_retry_initial_seconds": 0.1,
    "webhook_retry_max_seconds": 0.4,
    "webhook_timeout_seconds": 5.0,
}
ENDPOINT = "endpoint { id url eventTypes enabled disabledReason }"


def production_settings(database_url: str, **values: object) -> Settings:
    """Settings as production has them, on the test database."""
    return Settings(
        environment="production",
        issuer="https://coplab.example",
        key_encryption_keys=[TEST_KEY_ENCRYPTION_KEY],
        database_url=database_url,
        data_dir=Path("/nonexistent"),
        tune_gc=False,  # this is the test process, not a serving one
        **values,
    )


WEBHOOK_TABLES = ("webhook_endpoint", "webhook_secret", "webhook_delivery", "webhook_attempt")


def webhook_rows(db: Session) -> dict[str, list[dict]]:
    """Every row of the webhook tables, read on a fresh connection (equal before and after: nothing changed)."""
    with db.get_bind().connect() as connection:
        return {
            table: [dict(r._mapping) for r in connection.execute(sa.text(f"SELECT * FROM {table} ORDER BY id"))]
            for table in WEBHOOK_TABLES
        }


@dataclass(frozen=True)
class Admin:
    organisation: Organisation
    token: str


def admin_of(make: Factory, slug: str, **organisation: object) -> Admin:
    org = make.organisation(slug, **organisation)
    user = make.member(org, f"admin@{slug}.example")
    return Admin(org, make.token(org, user=user))


@pytest.fixture
def quick_settings(settings: Settings) -> Settings:
    return settings.model_copy(update=QUICK)


@pytest.fixture
def api(quick_settings: Settings) -> Iterator[httpx.Client]:
    """A real server (its delivery worker included) and a client of it."""
    with running_server(quick_settings) as url, httpx.Client(base_url=url, timeout=HTTP_TIMEOUT) as client:
        yield client
