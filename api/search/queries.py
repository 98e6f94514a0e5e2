"""`searchInitiatives`: the arguments decoded, the search service called, its answer shaped as the schema
says (highlights, facet labels, hits with their initiatives)."""

from collections.abc import Sequence
from typing import Annotated

import strawberry

from api.core import validation
from api.graphql.context import Info
from api.graphql.errors import ApiError
from api.graphql.selection import selected_paths
from api.initiatives import loaders
from api.initiatives.types import Initiative
from api.search import arguments, service
from api.search.backend import Hit, SearchResult, SearchUnavailable, Snippet
from api.search.backend import MatchingStrategy as EngineMatchingStrategy
from api.search.types import (
    EVIDENCE_VALUES,
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
from api.vocabularies.types import term

# A highlight lists at most this many match ranges (the first ones): enough to mark a field, and a
# bound the node budget can count (api/graphql/node_budget.py).
MAX_MATCHES_PER_HIGHLIGHT = 20


def _highlight(name: str, snippet: Snippet) -> Highlight:
    return Highlight(
        field=name,
        text=snippet.text,
        matches=[
            MatchRangeType(start=m.start, length=m.length)
            for m in sorted(snippet.matches, key=lambda m: m.start)[:MAX_MATCHES_PER_HIGHLIGHT]
        ],
    )


def _highlights(hit: Hit) -> list[Highlight]:
    shown = []
    for name in (*(f for f in service.HIGHLIGHTED if f not in service.MATCHED_ITEMS_ONLY), *service.CROPPED):
        if (snippet := hit.snippets.get(name)) is not None:
            shown.append(_highlight(name, snippet))
    # Last, so the fields before keep their places: the codes a query word matched (a hit found only
    # through a synonym shows it here, beside its label), or nothing.
    for name in service.MATCHED_ITEMS_ONLY:
        if (snippet := hit.snippets.get(name)) is not None and (matched := service.matched_items(snippet)) is not None:
            shown.append(_highlight(name, matched))
    return shown


def _facets(info: Info, result: SearchResult, facets: Sequence[str], *, every_value: bool) -> list[FacetDistribution]:
    distribution = []
    for name in facets:
        facet = SearchFacet(name)
        vocabulary = FACET_VOCABULARIES.get(facet)
        counted = dict(result.facet_distribution.get(name, {}))
        if every_value:
            # Vocabularies are public: listing their every term reveals nothing, and the counts stay
            # the engine's, over what the caller may see.
            if vocabulary:
                every = info.context.terms.codes(vocabulary)
            else:
                every = list(EVIDENCE_VALUES) if facet is SearchFacet.HAS_EVIDENCE else []
            for value in every:
                counted.setdefault(value, 0)
        values = []
        for value, count in sorted(counted.items()):
            french = None
            if facet is SearchFacet.HAS_EVIDENCE:
                label = EVIDENCE_VALUES.get(value, value)
            elif vocabulary:
                found = term(info.context.terms, vocabulary, value)
                label, french = found.english, found.french
            else:
                label = validation.country_label(value)
            values.append(FacetValue(value=value, english=label, french=french, count=count))
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
        all_facet_values: Annotated[
            bool,
            strawberry.argument(
                description="List every value of each requested facet's vocabulary, with 0 for those no hit "
                "has (so a facet can show every choice); countries list only those found."
            ),
        ] = False,
    ) -> SearchInitiativesResult:
        context = info.context
        arguments.check_paging(page=page, hits_per_page=hits_per_page, max_page_size=context.settings.max_page_size, query=query)
        given = await arguments.caller_filter(session=context.session, lock=context.loaders.lock, given=filter)
        try:
            found = await service.search(
                backend=context.search,
                principal=context.principal,
                query=query,
                given=given,
                facets=[facet.value for facet in facets or []],
                sort=[SORT_FIELDS[order] for order in sort or []],
                page=page,
                hits_per_page=hits_per_page,
                matching_strategy=matching_strategy,
            )
        except SearchUnavailable as error:
            raise ApiError("SEARCH_UNAVAILABLE", "Search is unavailable at the moment; try again shortly.") from error
        result = found.result
        return SearchInitiativesResult(
            hits=await _hits(info, result),
            total_hits=result.total_hits,
            total_pages=result.total_pages,
            page=result.page,
            hits_per_page=result.hits_per_page,
            facet_distribution=_facets(info, result, found.request.facets, every_value=all_facet_values),
            processing_time_ms=result.processing_time_ms,
        )
