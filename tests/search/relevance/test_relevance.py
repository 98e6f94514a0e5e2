"""Researchers' queries (queries.yaml) over the seeded registry, on both engines: the mean precision@5
and recall@5 under the default matching strategy must not fall below the floors measured when the set
was written (docs/search.md, "Relevance"). Meilisearch runs when the tests find a server, as the
contract suite does."""

import pytest

from api.search.backend import MatchingStrategy, SearchBackend
from tests.search.relevance.measure import QUERIES, measure, summary
from tests.search.relevance.registry import seeded_documents
from tests.seed.test_seed_command import seeded

# (precision@5, recall@5) per engine, as first measured (docs/search.md), rounded down.
FLOORS = {"embedded": (0.85, 0.97), "meilisearch": (0.84, 0.96)}
DEFAULT = MatchingStrategy.LAST


@pytest.fixture(params=["embedded", "meilisearch"])
def search_engine(request: pytest.FixtureRequest):  # noqa: ANN201
    if request.param == "embedded":
        from api.search.embedded import EmbeddedBackend

        yield EmbeddedBackend()
        return
    from api.search.meilisearch_backend import MeilisearchBackend

    server = request.getfixturevalue("meilisearch_server")
    uid = server.index_uid("relevance")
    try:
        yield MeilisearchBackend(server.url, server.master_key, index_uid=uid)
    finally:
        server.delete_indexes(prefix=uid)


def test_the_set_is_honest() -> None:
    """At least 30 queries, each expecting initiatives the seed has (checked by key below)."""
    assert len(QUERIES) >= 30
    assert all(item["expect"] for item in QUERIES)
    assert len({item["query"] for item in QUERIES}) == len(QUERIES)


def test_researchers_find_what_they_mean(fresh_database: str, search_engine: SearchBackend) -> None:
    seeded(fresh_database)
    documents, keys = seeded_documents(fresh_database)
    assert {k for item in QUERIES for k in item["expect"]} <= set(keys.values())
    search_engine.ensure_index()
    search_engine.upsert(documents)
    search_engine.wait()

    measured = measure(search_engine, keys, DEFAULT)
    precision, recall = summary(measured)
    floor_precision, floor_recall = FLOORS[search_engine.name]
    misses = {m.query: m.found for m in measured if m.recall < 1}
    assert precision >= floor_precision, (precision, misses)
    assert recall >= floor_recall, (recall, misses)
    # What the search was made for, whatever the averages.
    by_query = {m.query: m for m in measured}
    for query in ("grooming", "takedown", "take-down", "take down", "CSAM", "solicitation", "online solicitation"):
        assert by_query[query].recall == 1, (query, by_query[query].found)
    for query in ("hotlines France", "hotlines in France"):
        # French hotlines first (INHOPE's network counts France's), not the EU regulation.
        first = by_query[query].found[:3]
        assert {"point-de-contact-hotline", "french-safer-internet-centre"} <= set(first), (query, first)
        assert "eu-csa-regulation" not in first, (query, first)
