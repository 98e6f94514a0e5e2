"""`searchInitiatives`: full-text search with the caller's access filter inside the engine query."""

from collections.abc import Sequence

import strawberry
from starlette.concurrency import run_in_threadpool

from api.core import validation
from api.auth.principal import Principal
from api.graphql.context import Info
from api.core.errors import DomainError, ErrorCode, Problem
from api.graphql.errors import ApiError, bad_user_input
from api.graphql.filter_codes import MAX_FILTER_VALUES, FilterCodes
from api.graphql.ids import decode
from api.initiatives import loaders
from api.initiatives.types import Initiative
from api.search.access import access_filter
from api.search.backend import Hit, SearchRequest, SearchResult, SearchUnavailable
from api.search.backend import MatchingStrategy as EngineMatchingStrategy
from api.search.filters import AnyOf, Filter, all_of
from api.search.schema import INITIATIVES
from api.search.types import (
    FACET_VOCABULARIES,
    SORT_FIELDS,
    FacetDistribution,
    FacetValue,
    Highlight,
    MatchingStrategy,
    MatchRangeType,
    SearchFacet,
    SearchFilter,
    SearchHit,
    SearchInitiativesResult,
    SearchSort,
)
from api.graphql.selection import selected_paths
from api.vocabularies.types import term

HIGHLIGHTED = ("title", "summary", "organisations")
CROPPED = ("description",)
MAX_QUERY_LENGTH = 500
# A highlight lists at most this many match ranges (the first ones): enough to mark a field, and a
# bound the node budget can count (api/graphql/node_budget.py).
MAX_MATCHES_PER_HIGHLIGHT = 20

# Filter input field → (search document field, vocabulary); countries and organisations are checked apart.
VOCABULARY_FILTERS = {
    "statuses": ("status", "initiative-status"),
    "harms": ("harms", "harm"),
    "intervention_types": ("intervention_types", "intervention-type"),
    "stakeholder_types": ("stakeholder_types", "stakeholder-type"),
    "ratings": ("ratings", "evidence-rating"),
}


def bad_input(problems: Sequence[tuple[Sequence[str], ErrorCode, str]]) -> ApiError:
    """One BAD_USER_INPUT error listing every problem with its argument path."""
    return bad_user_input([Problem(tuple(path), code, message) for path, code, message in problems])


def check_paging(*, page: int, hits_per_page: int, max_page_size: int, query: str) -> None:
    """Page and page size within bounds (SECURITY.md 3), and query text of a sane length."""
    problems: list[tuple[Sequence[str], ErrorCode, str]] = []
    if page < 1:
        problems.append((["page"], ErrorCode.INVALID_VALUE, "Must be at least 1."))
    if not 1 <= hits_per_page <= max_page_size:
        problems.append((["hitsPerPage"], ErrorCode.INVALID_VALUE, f"Must be between 1 and {max_page_size}."))
    elif page >= 1 and page * hits_per_page > INITIATIVES.max_total_hits:
        problems.append(
            (
                ["page"],
                ErrorCode.INVALID_VALUE,
                f"Searches reach the first {INITIATIVES.max_total_hits} hits only; narrow the search instead.",
            )
        )
    if len(query) > MAX_QUERY_LENGTH:
        problems.append((["query"], ErrorCode.TOO_LONG, f"At most {MAX_QUERY_LENGTH} characters."))
    if problems:
        raise bad_input(problems)


async def caller_filter(info: Info, given: SearchFilter | None) -> Filter | None:
    """The caller's filter as a typed tree; every unknown code or bad id raises one BAD_USER_INPUT."""
    if given is None:
        return None
    check = FilterCodes(session=info.context.session, lock=info.context.loaders.lock)
    problems = check.problems
    parts: list[Filter] = []
    for name, (field, vocabulary) in VOCABULARY_FILTERS.items():
        codes = await check.vocabulary(name, vocabulary, getattr(given, name))
        if codes is not None:
            parts.append(AnyOf(field, tuple(codes)))
    countries = check.countries("countries", given.countries)
    if countries is not None:
        parts.append(AnyOf("countries", tuple(countries)))
    if given.lead_organisation is not None:
        ids: list[int] = []
        leads = given.lead_organisation
        if validation.within_limit(problems, ["filter", "leadOrganisation"], leads, MAX_FILTER_VALUES):
            for index, global_id in enumerate(leads):
                try:
                    ids.append(decode(global_id, "Organisation", ["filter", "leadOrganisation", str(index)]))
                except DomainError:
                    problems.add(
                        ["filter", "leadOrganisation", str(index)], ErrorCode.INVALID_ID, "Not an organisation id."
                    )
        parts.append(AnyOf("lead_organisation", tuple(ids)))
    check.raise_if_any()
    # An empty list given for a filter matches nothing, as `AnyOf` with no values does.
    return all_of(*parts)


def search_request(
    *,
    principal: Principal,
    query: str,
    given: Filter | None,
    facets: Sequence[SearchFacet],
    sort: Sequence[SearchSort],
    page: int,
    hits_per_page: int,
    matching_strategy: EngineMatchingStrategy,
) -> SearchRequest:
    """The engine request: the access filter is always part of it, so hits, totals and facet
    counts only ever cover what `principal` may see."""
    return SearchRequest(
        query=query,
        filter=all_of(given, access_filter(principal)),
        facets=tuple(dict.fromkeys(f.value for f in facets)),
        sort=tuple(SORT_FIELDS[s] for s in dict.fromkeys(sort)),
        page=page,
        hits_per_page=hits_per_page,
        matching_strategy=matching_strategy,
        highlight=HIGHLIGHTED,
        crop=CROPPED,
    )


def _highlights(hit: Hit) -> list[Highlight]:
    return [
        Highlight(
            field=name,
            text=snippet.text,
            matches=[
                MatchRangeType(start=m.start, length=m.length)
                for m in sorted(snippet.matches, key=lambda m: m.start)[:MAX_MATCHES_PER_HIGHLIGHT]
            ],
        )
        for name in (*HIGHLIGHTED, *CROPPED)
        if (snippet := hit.snippets.get(name)) is not None
    ]


def _facets(info: Info, result: SearchResult, facets: Sequence[str]) -> list[FacetDistribution]:
    distribution = []
    for name in facets:
        facet = SearchFacet(name)
        vocabulary = FACET_VOCABULARIES.get(facet)
        values = []
        for value, count in sorted(result.facet_distribution.get(name, {}).items()):
            label = (
                term(info.context.terms, vocabulary, value).label if vocabulary else validation.country_label(value)
            )
            values.append(FacetValue(value=value, label=label, count=count))
        distribution.append(FacetDistribution(facet=facet, values=values))
    return distribution


async def _hits(info: Info, result: SearchResult) -> list[SearchHit]:
    """The hits with their initiatives, loaded in one batch through the readable statement.

    A hit whose initiative the caller may no longer read in the database (the index not yet caught up
    with a change of visibility or a deletion) is dropped; totals and facet counts come from the engine
    and may count it until the index catches up.
    """
    keyed = [(int(hit.id), hit) for hit in result.hits if hit.id.isdigit()]
    rows = await info.context.loaders(loaders.initiative_by_id).load_many([key for key, _ in keyed])
    readable = [(row, hit) for row, (_, hit) in zip(rows, keyed, strict=True) if row is not None]
    await loaders.prefetch_page(
        info.context.loaders, [row for row, _ in readable], selected=selected_paths(info), prefix="hits.initiative."
    )
    return [
        SearchHit(initiative=Initiative.from_model(row, info.context.terms), highlights=_highlights(hit))
        for row, hit in readable
    ]


@strawberry.type
class Query:
    @strawberry.field(
        description="Initiatives you may see that match words (typos and a half-typed last word allowed) and "
        "filters, with highlights, totals and facet counts over what you may see. No words lists everything "
        "the filter lets through."
    )
    async def search_initiatives(
        self,
        info: Info,
        query: str = "",
        filter: SearchFilter | None = None,  # noqa: A002
        facets: list[SearchFacet] | None = None,
        sort: list[SearchSort] | None = None,
        page: int = 1,
        hits_per_page: int = 20,
        matching_strategy: MatchingStrategy = EngineMatchingStrategy.LAST,
    ) -> SearchInitiativesResult:
        settings = info.context.settings
        check_paging(page=page, hits_per_page=hits_per_page, max_page_size=settings.max_page_size, query=query)
        request = search_request(
            principal=info.context.principal,
            query=query,
            given=await caller_filter(info, filter),
            facets=facets or [],
            sort=sort or [],
            page=page,
            hits_per_page=hits_per_page,
            matching_strategy=matching_strategy,
        )
        try:
            # Engines are synchronous (in-process work or HTTP): keep the event loop free meanwhile.
            result = await run_in_threadpool(info.context.search.search, request)
        except SearchUnavailable as error:
            raise ApiError("SEARCH_UNAVAILABLE", "Search is unavailable at the moment; try again shortly.") from error
        return SearchInitiativesResult(
            hits=await _hits(info, result),
            total_hits=result.total_hits,
            total_pages=result.total_pages,
            page=result.page,
            hits_per_page=result.hits_per_page,
            facet_distribution=_facets(info, result, request.facets),
            processing_time_ms=result.processing_time_ms,
        )
