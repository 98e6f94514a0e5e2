"""Searching initiatives, and tenant tokens for searching Meilisearch directly: the caller's access
filter is always inside the engine query (or the token's search rules), so hits, totals and facet
counts only ever cover what the caller may see."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from starlette.concurrency import run_in_threadpool

from api.auth.principal import Principal
from api.core.settings import Settings
from api.search.access import access_filter
from api.search.backend import (
    LIST_SEPARATOR,
    MatchingStrategy,
    MatchRange,
    SearchBackend,
    SearchRequest,
    SearchResult,
    Snippet,
    SortField,
)
from api.search.filters import Filter, all_of, to_meilisearch
from api.search.models import BEST_PRACTICE, EVIDENCE
from api.search.record_access import evidence_access_filter, practice_access_filter
from api.search.record_schemas import index_uid

HIGHLIGHTED = ("title", "summary", "organisations", "classifications")
CROPPED = ("description",)
# Shown only as the items a query word matched: the codes (label and synonyms) that made a hit.
MATCHED_ITEMS_ONLY = ("classifications",)


@dataclass(frozen=True)
class Search:
    """What was asked of the engine (the access filter inside, facets without repeats) and its answer."""

    request: SearchRequest
    result: SearchResult


@dataclass(frozen=True)
class TenantToken:
    """A Meilisearch tenant token whose search rules are the caller's access filter of each index."""

    token: str
    url: str
    index_uid: str  # initiatives
    evidence_index_uid: str
    best_practices_index_uid: str
    expires_at: datetime


async def search(
    *,
    backend: SearchBackend,
    principal: Principal,
    query: str,
    given: Filter | None,
    facets: Sequence[str],
    sort: Sequence[SortField],
    page: int,
    hits_per_page: int,
    matching_strategy: MatchingStrategy,
) -> Search:
    """One page of the initiatives `principal` may see that match `given` (arguments already checked
    at the edge: `api/search/arguments.py`), with totals and facet counts. Raises `SearchUnavailable`
    when the engine fails."""
    # The access filter is always part of the engine request, so hits, totals and facet counts
    # only ever cover what `principal` may see.
    request = SearchRequest(
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
    # Engines are synchronous (in-process work or HTTP): keep the event loop free meanwhile.
    return Search(request=request, result=await run_in_threadpool(backend.search, request))


def matched_items(snippet: Snippet) -> Snippet | None:
    """Of a list field's snippet (items joined by `LIST_SEPARATOR`), only the items a match is in,
    joined the same way with their ranges moved along; None when nothing matched. Engine-agnostic:
    both engines give a list field as one snippet of its joined items."""
    kept: list[str] = []
    ranges: list[MatchRange] = []
    start, length = 0, 0  # where the current item starts in the snippet; characters kept so far
    for item in snippet.text.split(LIST_SEPARATOR):
        end = start + len(item)
        inside = [m for m in snippet.matches if start <= m.start < end]
        if inside:
            offset = length + (len(LIST_SEPARATOR) if kept else 0)
            ranges += [MatchRange(offset + m.start - start, min(m.length, end - m.start)) for m in inside]
            kept.append(item)
            length = offset + len(item)
        start = end + len(LIST_SEPARATOR)
    return Snippet(LIST_SEPARATOR.join(kept), tuple(ranges)) if kept else None


def tenant_token(*, principal: Principal, settings: Settings) -> TenantToken | None:
    """A short-lived tenant token for the three indexes (initiatives, evidence assessments, best
    practices), each limited by its own access filter to what `principal` may see; None unless the
    Lab runs Meilisearch with a search key configured."""
    from api.search.meilisearch_backend import tenant_token as sign

    if not (settings.meilisearch_url and settings.meilisearch_search_key and settings.meilisearch_search_key_uid):
        return None
    lifetime = settings.search_token_seconds
    initiatives = settings.search_index_uid
    evidence, practices = index_uid(initiatives, EVIDENCE), index_uid(initiatives, BEST_PRACTICE)
    # Every index the token names carries its filter: an index left out cannot be searched with it.
    rules = {
        initiatives: to_meilisearch(access_filter(principal)),
        evidence: to_meilisearch(evidence_access_filter(principal)),
        practices: to_meilisearch(practice_access_filter(principal)),
    }
    return TenantToken(
        token=sign(
            search_rules=rules,
            expires_in_seconds=lifetime,
            api_key=settings.meilisearch_search_key,
            api_key_uid=settings.meilisearch_search_key_uid,
        ),
        url=settings.meilisearch_url,
        index_uid=initiatives,
        evidence_index_uid=evidence,
        best_practices_index_uid=practices,
        expires_at=datetime.now(UTC) + timedelta(seconds=lifetime),
    )
