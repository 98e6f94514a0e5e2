"""The `engine` fixture: every contract test runs once per search engine."""

from collections.abc import Iterator

import pytest

from api.search.backend import SearchBackend

@pytest.fixture(params=["embedded", "meilisearch"])
def engine(request: pytest.FixtureRequest) -> Iterator[SearchBackend]:
    """A fresh, empty engine of each kind: Meilisearch gets an index of its own on the live server."""
    if request.param == "embedded":
        from api.search.embedded import EmbeddedBackend

        yield EmbeddedBackend()
        return

    from api.search.meilisearch_backend import MeilisearchBackend

    server = request.getfixturevalue("meilisearch_server")
    uid = server.index_uid("contract")
    try:
        yield MeilisearchBackend(server.url, server.master_key, index_uid=uid)
    finally:
        server.delete_indexes(prefix=uid)


@pytest.fixture(autouse=True)
def _clean_tables() -> None:
    """The contract touches no database. This overrides tests/conftest.py's clean-up, which would
    otherwise take `engine` (a search engine here) for the SQLAlchemy engine of the same name."""
