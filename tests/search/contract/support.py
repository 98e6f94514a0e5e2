"""Small helpers for the contract tests: search documents with defaults, indexing, reading results."""

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from api.search.backend import Document, SearchBackend, SearchRequest, SearchResult

# Default field values. The texts use no word any test searches for, nor one within a typo or a
# prefix of one, so that only the fields a test sets can match its query.
DEFAULTS: dict[str, Any] = {
    "title": "Community programme",
    "summary": "A registry entry.",
    "organisations": ["Example Foundation"],
    "description": "Details follow later.",
    "status": "IMPLEMENTATION",
    "harms": ["SOLICITATION"],
    "intervention_types": ["AWR"],
    "countries": ["GB"],
    "stakeholder_types": ["NGO"],
    "ratings": ["PROMISING"],
    "lead_organisation": 3,
    "visibility": "PUBLIC",
    "owners": [3],
    "lead_listed": True,
    "updated_at": 1_700_000_000,
}


def initiative(id: int | str, *, omit: Iterable[str] = (), **fields: Any) -> dict[str, Any]:
    """A search document following `schema.INITIATIVES`: the defaults, overridden by `fields`,
    without the fields named in `omit`. `title_sort` follows the title unless given."""
    document: dict[str, Any] = {"id": str(id), **DEFAULTS, **fields}
    document.setdefault("title_sort", document["title"].casefold())
    for name in omit:
        document.pop(name, None)
    return document


def index(engine: SearchBackend, documents: Iterable[Document]) -> None:
    """Create the index, write `documents` and wait until they are searchable."""
    engine.ensure_index()
    engine.upsert(list(documents))
    engine.wait()


def search(engine: SearchBackend, query: str = "", **request: Any) -> SearchResult:
    return engine.search(SearchRequest(query=query, **request))


def ids(result: SearchResult) -> list[str]:
    """The hit ids, in order."""
    return [hit.id for hit in result.hits]


def all_pages(engine: SearchBackend, request: SearchRequest) -> list[SearchResult]:
    """Every page of `request`, from the first to `total_pages`."""
    first = engine.search(request)
    pages = [first]
    for page in range(2, first.total_pages + 1):
        pages.append(engine.search(replace(request, page=page)))
    return pages
