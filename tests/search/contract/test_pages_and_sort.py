"""Pagination (page / hits_per_page with exact totals) and sorting by the sortable fields."""

import math

import pytest

from api.search.backend import SearchRequest, SortField
from api.search.filters import Equals
from tests.search.contract.support import all_pages, ids, index, initiative, search

NAMES = ["delta", "alpha", "golf", "charlie", "echo", "bravo", "foxtrot"]


@pytest.fixture
def seven(engine):  # noqa: ANN001, ANN201
    """Seven hotlines whose title_sort and updated_at orders differ from the insertion order."""
    index(
        engine,
        [
            initiative(name, title=f"Hotline {name}", updated_at=1_700_000_000 + (position * 37) % 7 * 1000)
            for position, name in enumerate(NAMES)
        ],
    )
    return engine


@pytest.mark.parametrize("hits_per_page", [1, 2, 3, 7, 20])
def test_pages_are_disjoint_and_together_complete(seven, hits_per_page: int) -> None:  # noqa: ANN001
    request = SearchRequest(query="hotline", hits_per_page=hits_per_page)

    pages = all_pages(seven, request)
    seen = [id for page in pages for id in ids(page)]

    assert sorted(seen) == sorted(NAMES)  # no document twice, none missing
    assert all(page.total_hits == 7 for page in pages)
    assert all(page.total_pages == math.ceil(7 / hits_per_page) for page in pages)
    assert [len(page.hits) for page in pages[:-1]] == [hits_per_page] * (len(pages) - 1)


def test_pages_follow_the_ranking(seven) -> None:  # noqa: ANN001
    whole = ids(search(seven, "hotline", hits_per_page=7))
    paged = [id for page in all_pages(seven, SearchRequest(query="hotline", hits_per_page=2)) for id in ids(page)]

    assert paged == whole


def test_result_echoes_the_page_asked_for(seven) -> None:  # noqa: ANN001
    result = search(seven, "hotline", page=2, hits_per_page=3)

    assert (result.page, result.hits_per_page, result.total_hits, result.total_pages) == (2, 3, 7, 3)
    assert len(result.hits) == 3
    assert isinstance(result.processing_time_ms, int) and result.processing_time_ms >= 0


def test_a_page_past_the_last_is_empty_but_keeps_the_totals(seven) -> None:  # noqa: ANN001
    result = search(seven, "hotline", page=4, hits_per_page=3)

    assert ids(result) == []
    assert (result.total_hits, result.total_pages) == (7, 3)


def test_sort_by_title_sort(seven) -> None:  # noqa: ANN001
    result = search(seven, sort=(SortField("title_sort"),))

    assert ids(result) == sorted(NAMES)


def test_sort_by_title_sort_descending(seven) -> None:  # noqa: ANN001
    result = search(seven, sort=(SortField("title_sort", descending=True),))

    assert ids(result) == sorted(NAMES, reverse=True)


def test_sort_by_updated_at_descending(engine) -> None:  # noqa: ANN001
    index(
        engine,
        [
            initiative("old", updated_at=1_600_000_000),
            initiative("new", updated_at=1_800_000_000),
            initiative("mid", updated_at=1_700_000_000),
        ],
    )

    assert ids(search(engine, sort=(SortField("updated_at", descending=True),))) == ["new", "mid", "old"]
    assert ids(search(engine, sort=(SortField("updated_at"),))) == ["old", "mid", "new"]


def test_second_sort_field_breaks_ties(engine) -> None:  # noqa: ANN001
    index(
        engine,
        [
            initiative("b-new", title="Bravo", updated_at=1_800_000_000),
            initiative("a-old", title="Alpha", updated_at=1_600_000_000),
            initiative("c-new", title="Charlie", updated_at=1_800_000_000),
            initiative("a-new", title="Alpha two", updated_at=1_800_000_000),
        ],
    )

    result = search(engine, sort=(SortField("updated_at", descending=True), SortField("title_sort")))

    assert ids(result) == ["a-new", "b-new", "c-new", "a-old"]


def test_sorted_pages_with_a_filter(seven) -> None:  # noqa: ANN001
    # Every document but "echo" and "golf" passes; the sorted order runs across the pages.
    seven.upsert([initiative(name, title=f"Hotline {name}", status="CLOSED") for name in ("echo", "golf")])
    seven.wait()
    request = SearchRequest(
        filter=Equals("status", "IMPLEMENTATION"), sort=(SortField("title_sort"),), hits_per_page=2
    )

    pages = all_pages(seven, request)

    assert [ids(page) for page in pages] == [["alpha", "bravo"], ["charlie", "delta"], ["foxtrot"]]
    assert pages[0].total_hits == 5
