"""The access filter inside the engine query: hits, totals, pages and facet counts never include
an initiative the caller may not see, whatever the caller's own filter."""

from collections import Counter

import pytest

from api.auth.principal import ANONYMOUS, Principal, PrincipalKind
from api.auth.scopes import Scope
from api.search.access import access_filter
from api.search.backend import SearchRequest
from api.search.filters import Equals, Filter, all_of, matches
from tests.search.contract.support import all_pages, ids, index, initiative, search

READ = frozenset({Scope.INITIATIVES_READ})


def user(organisation_id: int, *, member: bool = True, scopes: frozenset[Scope] = READ, **extra: bool) -> Principal:
    return Principal(
        kind=PrincipalKind.USER,
        subject=f"user-of-{organisation_id}",
        organisation_id=organisation_id,
        organisation_is_member=member,
        scopes=scopes,
        **extra,
    )


PRINCIPALS = {
    "anonymous": ANONYMOUS,
    "member org 3": user(3),
    "non-member partner org 5": user(5, member=False),
    "member org 4 without read scope": user(4, scopes=frozenset()),
    "member org 6, lead not listed": user(6),
    "lab admin": user(1, organisation_is_secretariat=True, scopes=READ | {Scope.LAB_ADMIN}),
}

# id: (visibility, owners, lead_organisation, lead_listed, harms). Every one is a "hotline" and the
# hidden ones rank best (their word is in the title), so a leak would show at the top of page one.
REGISTRY = {
    "public": ("PUBLIC", [3], 3, True, ["SOLICITATION"]),
    "members": ("MEMBERS", [3], 3, True, ["EXTORTION"]),
    "org-3-and-5": ("ORGANISATION", [3, 5], 3, True, ["CSAM-KNOWN"]),
    "org-4": ("ORGANISATION", [4], 4, True, ["CSAM-NEW"]),
    "unlisted-public": ("PUBLIC", [6], 6, False, ["SOLICITATION", "EXTORTION"]),
    "unlisted-members": ("MEMBERS", [6], 6, False, ["CSAM-SG"]),
    "public-2": ("PUBLIC", [4], 4, True, ["EXTORTION"]),
}


def documents() -> list[dict]:
    return [
        initiative(
            id,
            **({"description": "A national hotline."} if visibility == "PUBLIC" else {"title": "Hotline"}),
            visibility=visibility,
            owners=owners,
            lead_organisation=lead,
            lead_listed=listed,
            harms=harms,
            status="PIPELINE" if id in {"members", "org-4", "public-2"} else "IMPLEMENTATION",
        )
        for id, (visibility, owners, lead, listed, harms) in REGISTRY.items()
    ]


def visible(principal: Principal, caller: Filter | None = None) -> list[dict]:
    """What the principal may see (and the caller's filter keeps), by the filter tree's own meaning."""
    tree = all_of(caller, access_filter(principal))
    return [d for d in documents() if matches(tree, d)]


@pytest.fixture
def registry(engine):  # noqa: ANN001, ANN201
    index(engine, documents())
    return engine


principals = pytest.mark.parametrize("principal", PRINCIPALS.values(), ids=list(PRINCIPALS))


def test_the_scenario_hides_something_from_everyone() -> None:
    """Each principal is kept from at least one initiative, so every test below can catch a leak."""
    for name, principal in PRINCIPALS.items():
        assert 0 < len(visible(principal)) < len(REGISTRY), name
    assert {d["id"] for d in visible(ANONYMOUS)} == {"public", "public-2"}


@principals
def test_hits_and_totals_hold_only_what_the_caller_may_see(registry, principal: Principal) -> None:  # noqa: ANN001
    expected = {d["id"] for d in visible(principal)}

    result = search(registry, "hotline", filter=access_filter(principal))

    assert set(ids(result)) == expected
    assert result.total_hits == len(expected)


@principals
def test_facet_counts_hold_only_what_the_caller_may_see(registry, principal: Principal) -> None:  # noqa: ANN001
    shown = visible(principal)

    result = search(registry, filter=access_filter(principal), facets=("harms", "status"))

    assert result.facet_distribution == {
        "harms": dict(Counter(harm for d in shown for harm in d["harms"])),
        "status": dict(Counter(d["status"] for d in shown)),
    }


@principals
def test_the_callers_filter_cannot_widen_access(registry, principal: Principal) -> None:  # noqa: ANN001
    caller = Equals("status", "PIPELINE")
    expected = visible(principal, caller)

    result = search(registry, "hotline", filter=all_of(caller, access_filter(principal)), facets=("harms",))

    assert set(ids(result)) == {d["id"] for d in expected}
    assert result.total_hits == len(expected)
    assert result.facet_distribution.get("harms", {}) == dict(Counter(h for d in expected for h in d["harms"]))


@principals
def test_no_page_shows_a_hidden_initiative(registry, principal: Principal) -> None:  # noqa: ANN001
    expected = {d["id"] for d in visible(principal)}
    request = SearchRequest(query="hotline", filter=access_filter(principal), hits_per_page=1)

    pages = all_pages(registry, request)

    seen = [id for page in pages for id in ids(page)]
    assert sorted(seen) == sorted(expected)
    assert pages[0].total_pages == len(expected)
