"""The portal's 500 page, reached through a real server whose database loses a table a page needs
(a registry of its own, so the other portal tests' server never sees it): the visitor gets the
request id to quote and nothing of what went wrong inside, with the portal's headers; a search htmx
asks for gets the same, as the fragment htmx swaps in place of the results."""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from sqlmodel import Session

from api import migrations
from api.core.db import create_sync_engine
from api.core.settings import PROJECT_ROOT, Settings
from api.initiatives.models import Initiative
from api.organisations.models import Organisation, OrganisationStatus
from tests.conftest import BACKENDS, empty_database
from tests.factories import ACTOR, gid, load_vocabularies, signing_key
from tests.portal.test_page_headers import POLICY
from tests.server import HTTP_TIMEOUT, running_server

pytestmark = pytest.mark.http

TITLE = "Hotline for reports of online grooming"


@pytest.fixture(params=BACKENDS)
def registry(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A database of its own holding one public initiative: its URL and the initiative's global id."""
    with empty_database(request.param, tmp_path) as url:
        migrations.upgrade(url)
        engine = create_sync_engine(url)
        load_vocabularies(engine, PROJECT_ROOT / "seed" / "vocabularies")
        with Session(engine, expire_on_commit=False) as session:
            signing_key(session)
            lead = Organisation(slug="helpline", name="Helpline", stakeholder_type="NGO", status=OrganisationStatus.MEMBER,
                                created_by=ACTOR, updated_by=ACTOR)
            session.add(lead)
            session.flush()
            initiative = Initiative(title=TITLE, lead_organisation_id=lead.id, status="IMPLEMENTATION", created_by=ACTOR, updated_by=ACTOR)
            session.add(initiative)
            session.commit()
        engine.dispose()
        yield url, gid("Initiative", initiative.id)


def drop(url: str, table: str) -> None:
    """What an operator's mistake might do: a table the pages read goes away while the server runs.
    (SQLite checks no foreign key on this connection, so the drop cannot be refused.)"""
    engine = create_sync_engine(url)
    with engine.begin() as connection:
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.execute(sa.text(f"DROP TABLE {table}"))
        else:
            connection.execute(sa.text(f"DROP TABLE {table} CASCADE"))
    engine.dispose()


def assert_nothing_internal(text: str) -> None:
    for internal in ("participation", "organisation", "Traceback", "sqlalchemy", "sqlite", "psycopg", "OperationalError",
                     "ProgrammingError", "no such table", "does not exist", "SELECT"):
        assert internal.lower() not in text.lower(), internal


def test_a_page_whose_operation_fails_unexpectedly_shows_the_request_id_and_nothing_internal(registry: tuple[str, str]) -> None:
    url, initiative_id = registry
    settings = Settings(environment="test", database_url=url, data_dir=Path("/nonexistent"), search_build_before_serving=True)
    with running_server(settings) as base_url:
        address = f"{base_url}/initiatives/{initiative_id}"
        assert TITLE in httpx.get(address, timeout=HTTP_TIMEOUT).text  # the page works before

        drop(url, "participation")  # the table of an initiative's partners
        response = httpx.get(address, timeout=HTTP_TIMEOUT)

    assert response.status_code == 500
    request_id = response.headers["x-request-id"]
    assert f"<code>{request_id}</code>" in response.text
    assert "Something went wrong" in response.text
    assert_nothing_internal(response.text)
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["content-security-policy"] == POLICY
    assert response.headers["cache-control"] == "private, no-store"
    assert response.headers["x-content-type-options"] == "nosniff"


def test_a_search_htmx_asks_that_fails_unexpectedly_answers_the_explanation_for_the_results(registry: tuple[str, str]) -> None:
    url, _ = registry
    settings = Settings(environment="test", database_url=url, data_dir=Path("/nonexistent"), search_build_before_serving=True)
    with running_server(settings) as base_url:
        address = f"{base_url}/search?q=hotline"
        before = httpx.get(address, headers={"HX-Request": "true"}, timeout=HTTP_TIMEOUT)
        assert "1 initiative found" in before.text  # the search works before

        drop(url, "organisation")  # every hit names its lead organisation
        response = httpx.get(address, headers={"HX-Request": "true"}, timeout=HTTP_TIMEOUT)

    assert response.status_code == 500
    assert response.text.lstrip().startswith("<p id=\"result-count\"")  # the fragment htmx swaps, not a whole page
    assert "<html" not in response.text
    assert '<div id="results"' in response.text
    assert f"<code>{response.headers['x-request-id']}</code>" in response.text
    assert_nothing_internal(response.text.replace('id="result-count"', ""))
    assert response.headers["content-security-policy"] == POLICY
    assert response.headers["cache-control"] == "private, no-store"
