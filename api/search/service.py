"""Searching initiatives, and tenant tokens for searching Meilisearch directly: the caller's access
filter is always inside the engine query (or the token's search rules), so hits, totals and facet
counts only ever cover what the caller may see."""

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.concurrency import run_in_threadpool

from api.auth.principal import Principal
from api.core import validation
from api.core.errors import DomainError, ErrorCode, Problem
from api.core.settings import Settings
from api.graphql.errors import ApiError, bad_user_input, unauthenticated
from api.graphql.filter_codes import MAX_FILTER_VALUES, FilterCodes
from api.graphql.ids import decode
from api.search.access import access_filter
from api.search.backend import MatchingStrategy, SearchBackend, SearchRequest, SearchResult, SortField
from api.search.filters import AnyOf, Filter, all_of, to_meilisearch
from api.search.schema import INITIATIVES

if TYPE_CHECKING:
    from api.search.types import SearchFilter

HIGHLIGHTED = ("title", "summary", "organisations")
CROPPED = ("description",)
MAX_QUERY_LENGTH = 500

# Filter input field → (search document field, vocabulary); countries and organisations are checked apart.
VOCABULARY_FILTERS = {
    "statuses": ("status", "initiative-status"),
    "harms": ("harms", "harm"),
    "intervention_types": ("intervention_types", "intervention-type"),
    "stakeholder_types": ("stakeholder_types", "stakeholder-type"),
    "ratings": ("ratings", "evidence-rating"),
}


@dataclass(frozen=True)
class Search:
    """What was asked of the engine (the access filter inside, facets without repeats) and its answer."""

    request: SearchRequest
    result: SearchResult


@dataclass(frozen=True)
class TenantToken:
    """A Meilisearch tenant token whose search rules are the caller's access filter."""

    token: str
    url: str
    index_uid: str
    expires_at: datetime


def check_paging(*, page: int, hits_per_page: int, max_page_size: int, query: str) -> None:
    """Page and page size within bounds (SECURITY.md 3), and query text of a sane length; otherwise one
    BAD_USER_INPUT error listing every problem with its argument path."""
    problems: list[Problem] = []
    if page < 1:
        problems.append(Problem(("page",), ErrorCode.INVALID_VALUE, "Must be at least 1."))
    if not 1 <= hits_per_page <= max_page_size:
        problems.append(Problem(("hitsPerPage",), ErrorCode.INVALID_VALUE, f"Must be between 1 and {max_page_size}."))
    elif page >= 1 and page * hits_per_page > INITIATIVES.max_total_hits:
        problems.append(
            Problem(
                ("page",),
                ErrorCode.INVALID_VALUE,
                f"Searches reach the first {INITIATIVES.max_total_hits} hits only; narrow the search instead.",
            )
        )
    if len(query) > MAX_QUERY_LENGTH:
        problems.append(Problem(("query",), ErrorCode.TOO_LONG, f"At most {MAX_QUERY_LENGTH} characters."))
    if problems:
        raise bad_user_input(problems)


async def caller_filter(*, session: AsyncSession, lock: asyncio.Lock, given: "SearchFilter | None") -> Filter | None:
    """The caller's filter as a typed tree; every unknown code or bad id raises one BAD_USER_INPUT."""
    if given is None:
        return None
    check = FilterCodes(session=session, lock=lock)
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
    facets: Sequence[str],
    sort: Sequence[SortField],
    page: int,
    hits_per_page: int,
    matching_strategy: MatchingStrategy,
) -> SearchRequest:
    """The engine request: the access filter is always part of it, so hits, totals and facet
    counts only ever cover what `principal` may see."""
    return SearchRequest(
        query=query,
        filter=all_of(given, access_filter(principal)),
        facets=tuple(dict.fromkeys(facets)),
        sort=tuple(dict.fromkeys(sort)),
        page=page,
        hits_per_page=hits_per_page,
        matching_strategy=matching_strategy,
        highlight=HIGHLIGHTED,
        crop=CROPPED,
    )


async def search(
    *,
    session: AsyncSession,
    lock: asyncio.Lock,
    backend: SearchBackend,
    principal: Principal,
    settings: Settings,
    query: str,
    given: "SearchFilter | None",
    facets: Sequence[str],
    sort: Sequence[SortField],
    page: int,
    hits_per_page: int,
    matching_strategy: MatchingStrategy,
) -> Search:
    """One page of the initiatives `principal` may see that match, with totals and facet counts.

    Raises BAD_USER_INPUT for out-of-range paging or an unknown filter value, and `SearchUnavailable`
    when the engine fails."""
    check_paging(page=page, hits_per_page=hits_per_page, max_page_size=settings.max_page_size, query=query)
    request = search_request(
        principal=principal,
        query=query,
        given=await caller_filter(session=session, lock=lock, given=given),
        facets=facets,
        sort=sort,
        page=page,
        hits_per_page=hits_per_page,
        matching_strategy=matching_strategy,
    )
    # Engines are synchronous (in-process work or HTTP): keep the event loop free meanwhile.
    return Search(request=request, result=await run_in_threadpool(backend.search, request))


def tenant_token(*, principal: Principal, settings: Settings) -> TenantToken:
    """A short-lived tenant token for an authenticated caller, when the Lab runs Meilisearch with a
    search key configured."""
    from api.search.meilisearch_backend import tenant_token as sign

    if not principal.is_authenticated:
        raise unauthenticated()
    if not (settings.meilisearch_url and settings.meilisearch_search_key and settings.meilisearch_search_key_uid):
        raise ApiError("SEARCH_TOKEN_UNAVAILABLE", "This registry does not offer direct search; use searchInitiatives.")
    lifetime = settings.search_token_seconds
    return TenantToken(
        token=sign(
            search_rules_filter=to_meilisearch(access_filter(principal)),
            expires_in_seconds=lifetime,
            api_key=settings.meilisearch_search_key,
            api_key_uid=settings.meilisearch_search_key_uid,
            index_uid=settings.search_index_uid,
        ),
        url=settings.meilisearch_url,
        index_uid=settings.search_index_uid,
        expires_at=datetime.now(UTC) + timedelta(seconds=lifetime),
    )
