"""The one search interface every engine implements, and the shapes of its requests and answers.

Meilisearch is the production engine; the embedded engine is the default. Both are held to the same
contract (tests/search/contract), so what a caller gets does not depend on the engine.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from api.search.filters import EVERYTHING, Filter

# How a list field (the organisations' names) reads as one text in snippets, on every engine.
LIST_SEPARATOR = "; "

Document = Mapping[str, Any]  # an `id` (string) and the fields of `schema.INITIATIVES`


class MatchingStrategy(StrEnum):
    LAST = "last"  # as many query words as possible, dropping from the end (Meilisearch's default)
    ALL = "all"  # every query word


@dataclass(frozen=True)
class SortField:
    field: str
    descending: bool = False


@dataclass(frozen=True)
class SearchRequest:
    query: str = ""
    filter: Filter = EVERYTHING  # the caller's filter and access filter, already combined
    facets: tuple[str, ...] = ()
    sort: tuple[SortField, ...] = ()  # empty: by relevance
    page: int = 1
    hits_per_page: int = 20
    matching_strategy: MatchingStrategy = MatchingStrategy.LAST
    highlight: tuple[str, ...] = ()  # fields to highlight (the whole field)
    crop: tuple[str, ...] = ()  # fields to crop around the matches
    crop_length: int = 20  # words


@dataclass(frozen=True)
class MatchRange:
    """Where a query word matched in a field's text: `start` and `length` in characters."""

    start: int
    length: int


@dataclass(frozen=True)
class Snippet:
    """A field's text (plain, not HTML) and the ranges that matched; `text` is cropped for cropped fields."""

    text: str
    matches: tuple[MatchRange, ...]


@dataclass(frozen=True)
class Hit:
    id: str
    snippets: Mapping[str, Snippet] = field(default_factory=dict)


@dataclass(frozen=True)
class SearchResult:
    hits: Sequence[Hit]
    total_hits: int  # exact: every document that matches, not an estimate
    total_pages: int
    page: int
    hits_per_page: int
    facet_distribution: Mapping[str, Mapping[str, int]]  # counted over every match, not just the page
    processing_time_ms: int


@dataclass(frozen=True)
class IndexStats:
    documents: int
    is_indexing: bool
    # The embedded engine's digest of every document it holds (16 hexadecimal digits); None elsewhere.
    digest: str | None = None


class SearchUnavailable(Exception):
    """The engine cannot be reached or refused the request; writes go on, the outbox catches up."""

    # Whether a failed rebuild left the live index as it was (false when its swap may still happen).
    live_index_unchanged = True


class SearchBackend(Protocol):
    """What coplab needs of a search engine. Writes replace whole documents (never merge)."""

    name: str

    def ensure_index(self) -> None:
        """Create the index if missing, and apply the settings of `schema.INITIATIVES`."""

    def upsert(self, documents: Iterable[Document]) -> None:
        """Add or replace documents by `id`."""

    def delete(self, ids: Iterable[str]) -> None:
        """Remove documents; unknown ids are ignored."""

    def wait(self) -> None:
        """Return once every write sent so far is searchable."""

    def search(self, request: SearchRequest) -> SearchResult:
        ...

    def rebuild(self, documents: Iterable[Document]) -> None:
        """Build a fresh index from `documents` beside the live one, then swap them: searches never
        see a partial index."""

    def document_ids(self) -> set[str]:
        """Every document id in the index (for `coplab search check`)."""
        ...

    def get_documents(self, ids: Iterable[str]) -> list[Document]:
        """The stored documents with these ids (for `coplab search check`)."""
        ...

    def stats(self) -> IndexStats:
        ...

    def health(self) -> bool:
        """Whether the engine answers."""
        ...
