"""`searchEvidence` and `searchBestPractices`: the evidence and best-practice indexes searched as
`searchInitiatives` searches initiatives, with the caller's access filter always inside the engine
query (api/search/record_access.py), so hits, totals and facet counts cover only what it may read."""

from collections.abc import Callable, Sequence
from typing import Any

import strawberry
from starlette.concurrency import run_in_threadpool

from api.core import validation
from api.evidence import loaders as evidence_loaders
from api.evidence.types import EvidenceAssessment
from api.graphql.context import Info
from api.graphql.errors import ApiError
from api.graphql.filter_codes import FilterCodes, camel
from api.practices import loaders as practice_loaders
from api.practices.types import BestPractice
from api.search import arguments
from api.search.backend import Hit, MatchingStrategy as EngineMatchingStrategy, SearchBackend, SearchRequest
from api.search.backend import SearchResult, SearchUnavailable
from api.search.filters import AnyOf, Filter, all_of
from api.search.models import BEST_PRACTICE, EVIDENCE
from api.search.queries import MAX_MATCHES_PER_HIGHLIGHT
from api.search.record_access import evidence_access_filter, practice_access_filter
from api.search.record_types import (
    EVIDENCE_FACET_VOCABULARIES,
    PRACTICE_FACET_VOCABULARIES,
    BestPracticeFacetDistribution,
    BestPracticeSearchFacet,
    BestPracticeSearchFilter,
    BestPracticeSearchHit,
    EvidenceFacetDistribution,
    EvidenceSearchFacet,
    EvidenceSearchFilter,
    EvidenceSearchHit,
    SearchBestPracticesResult,
    SearchEvidenceResult,
)
from api.search.types import SORT_FIELDS, FacetValue, Highlight, MatchingStrategy, MatchRangeType, SearchSort
from api.vocabularies.types import term

EVIDENCE_HIGHLIGHTED = ("study_title", "initiative_title", "outcomes", "organisations", "design", "effect_directions")
PRACTICE_HIGHLIGHTED = ("title", "harm_labels", "intervention_type_labels", "evidence_basis_label")
PRACTICE_CROPPED = ("statement", "rationale")

# Filter input field → (document field, vocabulary); `countries` is checked apart.
EVIDENCE_FILTERS = {
    "study_designs": ("study_design", "study-design"),
    "outcomes": ("outcome", "outcome"),
    "independence": ("independence", "independence"),
    "ratings": ("rating", "evidence-rating"),
}
PRACTICE_FILTERS = {
    "harms": ("harms", "harm"),
    "intervention_types": ("intervention_types", "intervention-type"),
    "evidence_basis": ("evidence_basis", "evidence-basis"),
}


async def _caller_filter(info: Info, given: Any, vocabularies: dict[str, tuple[str, str]]) -> Filter | None:  # noqa: ANN401
    """The caller's filter as a typed tree; every unknown code raises one BAD_USER_INPUT."""
    if given is None:
        return None
    check = FilterCodes(session=info.context.session, lock=info.context.loaders.lock)
    parts: list[Filter] = []
    for name, (field, vocabulary) in vocabularies.items():
        codes = await check.vocabulary(name, vocabulary, getattr(given, name))
        if codes is not None:
            parts.append(AnyOf(field, tuple(codes)))
    countries = check.countries("countries", getattr(given, "countries", None))
    if countries is not None:
        parts.append(AnyOf("countries", tuple(countries)))
    check.raise_if_any()
    return all_of(*parts)  # an empty list matches nothing, as `AnyOf` with no values does


async def _search(
    info: Info,
    *,
    record_type: str,
    access: Filter,
    given: Filter | None,
    facets: Sequence[str],
    sort: Sequence[SearchSort] | None,
    query: str,
    page: int,
    hits_per_page: int,
    matching_strategy: EngineMatchingStrategy,
    highlight: tuple[str, ...],
    crop: tuple[str, ...] = (),
) -> SearchResult:
    backend: SearchBackend | None = info.context.record_search.get(record_type)
    if backend is None:
        raise ApiError("SEARCH_UNAVAILABLE", "Search is unavailable at the moment; try again shortly.")
    # The access filter is always part of the engine request.
    request = SearchRequest(
        query=query,
        filter=all_of(given, access),
        facets=tuple(dict.fromkeys(facets)),
        sort=tuple(dict.fromkeys(SORT_FIELDS[order] for order in sort or [])),
        page=page,
        hits_per_page=hits_per_page,
        matching_strategy=matching_strategy,
        highlight=highlight,
        crop=crop,
    )
    try:
        return await run_in_threadpool(backend.search, request)
    except SearchUnavailable as error:
        raise ApiError("SEARCH_UNAVAILABLE", "Search is unavailable at the moment; try again shortly.") from error


def _highlights(hit: Hit, fields: Sequence[str]) -> list[Highlight]:
    return [
        Highlight(
            field=camel(name),
            text=snippet.text,
            matches=[
                MatchRangeType(start=m.start, length=m.length)
                for m in sorted(snippet.matches, key=lambda m: m.start)[:MAX_MATCHES_PER_HIGHLIGHT]
            ],
        )
        for name in fields
        if (snippet := hit.snippets.get(name)) is not None
    ]


def _values(info: Info, result: SearchResult, name: str, vocabulary: str | None) -> list[FacetValue]:
    values = []
    for value, count in sorted(result.facet_distribution.get(name, {}).items()):
        if vocabulary:
            found = term(info.context.terms, vocabulary, value)
            values.append(FacetValue(value=value, english=found.english, french=found.french, count=count))
        else:
            values.append(FacetValue(value=value, english=validation.country_label(value), count=count))
    return values


async def _rows(info: Info, result: SearchResult, loader: Callable) -> list[tuple[Any, Hit]]:
    """The hits' records, loaded in one batch through the domain's readable statement. A hit the caller
    may no longer read, or withdrawn meanwhile (the index not yet caught up), is dropped."""
    keyed = [(int(hit.id), hit) for hit in result.hits if hit.id.isdigit()]
    rows = await info.context.loaders(loader).load_many([key for key, _ in keyed])
    return [(row, hit) for row, (_, hit) in zip(rows, keyed, strict=True) if row is not None and row.deleted_at is None]


DESCRIPTION = (
    "{what} you may read that match words (typos and a half-typed last word allowed) and filters, with highlights, "
    "totals and facet counts over what you may read. No words lists everything the filter lets through."
)


@strawberry.type
class Query:
    @strawberry.field(description=DESCRIPTION.format(what="Published evidence assessments"))
    async def search_evidence(
        self,
        info: Info,
        query: str = "",
        filter: EvidenceSearchFilter | None = None,  # noqa: A002
        facets: list[EvidenceSearchFacet] | None = None,
        sort: list[SearchSort] | None = None,
        page: int = 1,
        hits_per_page: int = 20,
        matching_strategy: MatchingStrategy = EngineMatchingStrategy.LAST,
    ) -> SearchEvidenceResult:
        context = info.context
        arguments.check_paging(page=page, hits_per_page=hits_per_page, max_page_size=context.settings.max_page_size, query=query)
        given = await _caller_filter(info, filter, EVIDENCE_FILTERS)
        asked = [facet.value for facet in dict.fromkeys(facets or [])]
        result = await _search(
            info, record_type=EVIDENCE, access=evidence_access_filter(context.principal), given=given, facets=asked,
            sort=sort, query=query, page=page, hits_per_page=hits_per_page, matching_strategy=matching_strategy,
            highlight=EVIDENCE_HIGHLIGHTED,
        )
        rows = await _rows(info, result, evidence_loaders.assessment_by_id)
        return SearchEvidenceResult(
            hits=[
                EvidenceSearchHit(
                    evidence_assessment=EvidenceAssessment.from_model(row, context.terms),
                    highlights=_highlights(hit, EVIDENCE_HIGHLIGHTED),
                )
                for row, hit in rows
            ],
            total_hits=result.total_hits,
            total_pages=result.total_pages,
            page=result.page,
            hits_per_page=result.hits_per_page,
            facet_distribution=[
                EvidenceFacetDistribution(
                    facet=EvidenceSearchFacet(name),
                    values=_values(info, result, name, EVIDENCE_FACET_VOCABULARIES.get(EvidenceSearchFacet(name))),
                )
                for name in asked
            ],
            processing_time_ms=result.processing_time_ms,
        )

    @strawberry.field(description=DESCRIPTION.format(what="Published best practices"))
    async def search_best_practices(
        self,
        info: Info,
        query: str = "",
        filter: BestPracticeSearchFilter | None = None,  # noqa: A002
        facets: list[BestPracticeSearchFacet] | None = None,
        sort: list[SearchSort] | None = None,
        page: int = 1,
        hits_per_page: int = 20,
        matching_strategy: MatchingStrategy = EngineMatchingStrategy.LAST,
    ) -> SearchBestPracticesResult:
        context = info.context
        arguments.check_paging(page=page, hits_per_page=hits_per_page, max_page_size=context.settings.max_page_size, query=query)
        given = await _caller_filter(info, filter, PRACTICE_FILTERS)
        asked = [facet.value for facet in dict.fromkeys(facets or [])]
        result = await _search(
            info, record_type=BEST_PRACTICE, access=practice_access_filter(context.principal), given=given,
            facets=asked, sort=sort, query=query, page=page, hits_per_page=hits_per_page,
            matching_strategy=matching_strategy, highlight=PRACTICE_HIGHLIGHTED, crop=PRACTICE_CROPPED,
        )
        rows = await _rows(info, result, practice_loaders.practice_by_id)
        return SearchBestPracticesResult(
            hits=[
                BestPracticeSearchHit(
                    best_practice=BestPractice.from_model(row, context.terms),
                    highlights=_highlights(hit, (*PRACTICE_HIGHLIGHTED, *PRACTICE_CROPPED)),
                )
                for row, hit in rows
            ],
            total_hits=result.total_hits,
            total_pages=result.total_pages,
            page=result.page,
            hits_per_page=result.hits_per_page,
            facet_distribution=[
                BestPracticeFacetDistribution(
                    facet=BestPracticeSearchFacet(name),
                    values=_values(info, result, name, PRACTICE_FACET_VOCABULARIES.get(BestPracticeSearchFacet(name))),
                )
                for name in asked
            ],
            processing_time_ms=result.processing_time_ms,
        )
