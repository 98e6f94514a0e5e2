"""The arguments of `searchInitiatives` checked and decoded at the edge: paging within bounds, query
text of a sane length, filter codes known and ids valid. Every problem is reported at once, as one
BAD_USER_INPUT error with the argument paths."""

import asyncio

from sqlmodel.ext.asyncio.session import AsyncSession

from api.core import validation
from api.core.errors import DomainError, ErrorCode, Problem
from api.graphql.errors import bad_user_input
from api.graphql.filter_codes import MAX_FILTER_VALUES, FilterCodes
from api.graphql.ids import decode
from api.search.filters import AnyOf, Equals, Filter, all_of
from api.search.schema import INITIATIVES
from api.search.types import SearchFilter

MAX_QUERY_LENGTH = 500

# Filter input field → (search document field, vocabulary); countries and organisations are checked apart.
VOCABULARY_FILTERS = {
    "statuses": ("status", "initiative-status"),
    "harms": ("harms", "harm"),
    "intervention_types": ("intervention_types", "intervention-type"),
    "stakeholder_types": ("stakeholder_types", "stakeholder-type"),
    "ratings": ("ratings", "evidence-rating"),
}


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


async def caller_filter(*, session: AsyncSession, lock: asyncio.Lock, given: SearchFilter | None) -> Filter | None:
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
    if given.has_evidence is not None:
        parts.append(Equals("has_evidence", given.has_evidence))
    check.raise_if_any()
    # An empty list given for a filter matches nothing, as `AnyOf` with no values does.
    return all_of(*parts)
