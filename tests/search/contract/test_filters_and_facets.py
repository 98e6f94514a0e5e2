"""Filters from the typed tree (api/search/filters.py) and facet counts: over every match, not
just the page; restricted by the filter; only for the facets asked for."""

import pytest

from api.search.backend import SearchRequest
from api.search.filters import EVERYTHING, NOTHING, All, AnyOf, Either, Equals, Filter, Not, matches
from tests.search.contract.support import all_pages, ids, index, initiative, search

# id: (title, status, harms, countries, lead_organisation, lead_listed)
REGISTRY = {
    "1": ("Hotline north", "IMPLEMENTATION", ["SOLICITATION", "EXTORTION"], ["GB"], 3, True),
    "2": ("Hotline south", "IMPLEMENTATION", ["SOLICITATION"], ["KE"], 3, True),
    "3": ("Hotline east", "PIPELINE", ["CSAM-KNOWN"], ["GB", "KE"], 3, True),
    "4": ("Hotline west", "PIPELINE", ["SOLICITATION", "CSAM-KNOWN"], ["BR"], 3, True),
    "5": ("Helpline central", "CLOSED", ["EXTORTION"], ["BR"], 4, False),
    "6": ("Hotline island", "CLOSED", ["SOLICITATION"], ["GB"], 3, True),
}
EVERY_ID = set(REGISTRY)


def documents() -> list[dict]:
    return [
        initiative(id, title=title, status=status, harms=harms, countries=countries, lead_organisation=lead, lead_listed=listed)
        for id, (title, status, harms, countries, lead, listed) in REGISTRY.items()
    ]


@pytest.fixture
def registry(engine):  # noqa: ANN001, ANN201
    index(engine, documents())
    return engine


FILTERS: list[tuple[str, Filter, set[str]]] = [
    ("scalar equals", Equals("status", "PIPELINE"), {"3", "4"}),
    ("list contains", Equals("harms", "SOLICITATION"), {"1", "2", "4", "6"}),
    ("any of, list", AnyOf("countries", ("KE", "BR")), {"2", "3", "4", "5"}),
    ("any of, scalar", AnyOf("status", ("CLOSED", "PIPELINE")), {"3", "4", "5", "6"}),
    ("any of nothing", AnyOf("harms", ()), set()),
    ("integer", Equals("lead_organisation", 4), {"5"}),
    ("boolean", Equals("lead_listed", False), {"5"}),
    ("all", All((Equals("harms", "SOLICITATION"), Equals("countries", "GB"))), {"1", "6"}),
    ("either", Either((Equals("status", "CLOSED"), Equals("countries", "KE"))), {"2", "3", "5", "6"}),
    ("not, list", Not(Equals("harms", "SOLICITATION")), {"3", "5"}),
    ("not any of", Not(AnyOf("status", ("IMPLEMENTATION", "PIPELINE"))), {"5", "6"}),
    (
        "nested",
        All((Either((Equals("status", "PIPELINE"), Equals("status", "CLOSED"))), Not(Equals("countries", "BR")))),
        {"3", "6"},
    ),
    ("everything", EVERYTHING, EVERY_ID),
    ("nothing", NOTHING, set()),
    ("nothing inside all", All((Equals("status", "PIPELINE"), NOTHING)), set()),
    ("everything inside either", Either((Equals("status", "PIPELINE"), EVERYTHING)), EVERY_ID),
    ("not everything", Not(EVERYTHING), set()),
    ("not nothing", Not(NOTHING), EVERY_ID),
]


def test_the_expected_sets_agree_with_the_filter_semantics() -> None:
    """The table below is what `filters.matches` says, so engines are held to the tree's meaning."""
    for name, tree, expected in FILTERS:
        assert {d["id"] for d in documents() if matches(tree, d)} == expected, name


@pytest.mark.parametrize(("tree", "expected"), [(t, e) for _, t, e in FILTERS], ids=[n for n, _, _ in FILTERS])
def test_filter_with_empty_query(registry, tree: Filter, expected: set[str]) -> None:  # noqa: ANN001
    result = search(registry, filter=tree)

    assert set(ids(result)) == expected
    assert result.total_hits == len(expected)


def test_filter_narrows_a_text_query(registry) -> None:  # noqa: ANN001
    result = search(registry, "hotline", filter=Equals("countries", "GB"))

    assert set(ids(result)) == {"1", "3", "6"}
    assert result.total_hits == 3


def test_nothing_gives_no_hits_and_zero_totals(registry) -> None:  # noqa: ANN001
    result = search(registry, "hotline", filter=NOTHING, facets=("status", "harms"))

    assert ids(result) == []
    assert (result.total_hits, result.total_pages) == (0, 0)
    assert all(not result.facet_distribution.get(facet) for facet in ("status", "harms"))


def test_filter_values_with_quotes_and_backslashes_are_literal(engine) -> None:  # noqa: ANN001
    tricky = 'Parents "and" carers \\ guardians'
    index(engine, [initiative("1", stakeholder_types=[tricky, "NGO"]), initiative("2", stakeholder_types=["NGO"])])

    assert ids(search(engine, filter=Equals("stakeholder_types", tricky))) == ["1"]
    assert ids(search(engine, filter=Equals("stakeholder_types", 'NGO" OR stakeholder_types = "NGO'))) == []
    assert ids(search(engine, filter=AnyOf("countries", ('GB") OR (countries EXISTS',)))) == []


# --- facets --------------------------------------------------------------------------------------


def test_facets_count_every_match_not_just_the_page(registry) -> None:  # noqa: ANN001
    result = search(registry, "hotline", facets=("status", "harms"), hits_per_page=2)

    assert len(result.hits) == 2
    assert result.total_hits == 5  # "Helpline central" does not match
    assert result.facet_distribution == {
        "status": {"IMPLEMENTATION": 2, "PIPELINE": 2, "CLOSED": 1},
        "harms": {"SOLICITATION": 4, "EXTORTION": 1, "CSAM-KNOWN": 2},
    }


def test_facets_are_restricted_by_the_filter(registry) -> None:  # noqa: ANN001
    result = search(registry, "hotline", filter=Equals("countries", "GB"), facets=("status", "harms", "countries"))

    assert result.facet_distribution == {
        "status": {"IMPLEMENTATION": 1, "PIPELINE": 1, "CLOSED": 1},
        "harms": {"SOLICITATION": 2, "EXTORTION": 1, "CSAM-KNOWN": 1},
        # A faceted field that is also filtered on counts the filtered documents' other values too.
        "countries": {"GB": 3, "KE": 1},
    }


def test_facets_not_requested_are_absent(registry) -> None:  # noqa: ANN001
    assert set(search(registry, "hotline", facets=("harms",)).facet_distribution) == {"harms"}
    assert not search(registry, "hotline").facet_distribution


def test_empty_query_with_a_filter_lists_and_facets_everything_that_passes(registry) -> None:  # noqa: ANN001
    tree = AnyOf("status", ("PIPELINE", "CLOSED"))
    request = SearchRequest(filter=tree, facets=("status", "countries"), hits_per_page=3)

    pages = all_pages(registry, request)

    assert pages[0].total_hits == 4
    assert pages[0].total_pages == 2
    assert sorted(id for page in pages for id in ids(page)) == ["3", "4", "5", "6"]
    assert pages[0].facet_distribution == {
        "status": {"PIPELINE": 2, "CLOSED": 2},
        "countries": {"GB": 2, "KE": 1, "BR": 2},
    }
