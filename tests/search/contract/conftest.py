"""The `engine` fixture: every contract test runs once per search engine."""

import os
import uuid
from collections.abc import Iterator

import pytest

from api.search.backend import SearchBackend

MEILISEARCH_URL = "COPLAB_TEST_MEILISEARCH_URL"
MEILISEARCH_KEY = "COPLAB_TEST_MEILISEARCH_KEY"
NO_MEILISEARCH = f"{MEILISEARCH_URL} not set: no Meilisearch server to run the contract against"


@pytest.fixture(params=["embedded", "meilisearch"])
def engine(request: pytest.FixtureRequest) -> Iterator[SearchBackend]:
    """A fresh, empty engine of each kind."""
    if request.param == "embedded":
        from api.search.embedded import EmbeddedBackend

        yield EmbeddedBackend()
        return

    url = os.environ.get(MEILISEARCH_URL)
    if not url:
        pytest.skip(NO_MEILISEARCH)
    key = os.environ.get(MEILISEARCH_KEY)
    from api.search.meilisearch_backend import MeilisearchBackend

    uid = f"coplab_contract_{uuid.uuid4().hex[:12]}"
    try:
        yield MeilisearchBackend(url, key, index_uid=uid)
    finally:
        _delete_indexes(url, key, prefix=uid)


def _delete_indexes(url: str, key: str | None, *, prefix: str) -> None:
    """Best-effort clean-up of the test's index and its rebuild's shadow index on the live server."""
    import meilisearch

    client = meilisearch.Client(url, key)
    try:
        indexes = client.get_indexes({"limit": 1000})["results"]
        for index in indexes:
            if index.uid.startswith(prefix):
                client.wait_for_task(client.delete_index(index.uid).task_uid)
    except Exception:  # noqa: BLE001  (clean-up must never hide the test's own outcome)
        pass


@pytest.fixture(autouse=True)
def _clean_tables() -> None:
    """The contract touches no database. This overrides tests/conftest.py's clean-up, which would
    otherwise take `engine` (a search engine here) for the SQLAlchemy engine of the same name."""
