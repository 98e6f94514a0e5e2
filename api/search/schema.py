"""What a search document of an initiative holds, and how each engine is told to treat it."""

from collections.abc import Iterable
from dataclasses import dataclass

from api.search.stop_words import STOP_WORDS


@dataclass(frozen=True)
class IndexSchema:
    uid: str
    # Searched fields, most important first: a match in an earlier one ranks higher.
    searchable: tuple[str, ...]
    filterable: tuple[str, ...]
    sortable: tuple[str, ...]
    facets: tuple[str, ...]  # the filterable fields that searches may count
    max_total_hits: int  # how far a search may page (Meilisearch's pagination.maxTotalHits)
    # Searched fields no snippet may show: an engine refuses to highlight or crop them.
    unshown: tuple[str, ...] = ()
    # Words a query ignores (api/search/stop_words.py), on every engine.
    stop_words: tuple[str, ...] = ()

    def refuse_unshown(self, fields: Iterable[str]) -> None:
        shown = set(fields) & set(self.unshown)
        if shown:
            raise ValueError(f"searched but never shown: {sorted(shown)}")


INITIATIVES = IndexSchema(
    uid="initiatives",
    # `classifications` (the labels and synonyms of the initiative's codes, api/search/classifications.py)
    # ranks just after the title: what an initiative is classified as says more than its prose.
    # `misspellings` (damaged spellings of the organisations' names) ranks with the names it stands for.
    searchable=("title", "classifications", "summary", "organisations", "misspellings", "description"),
    filterable=(
        # what the caller asks for
        "status",
        "harms",
        "intervention_types",
        "countries",
        "stakeholder_types",
        "ratings",
        "has_evidence",
        "lead_organisation",
        # the access filter (never offered to callers)
        "visibility",
        "owners",
        "lead_listed",
    ),
    sortable=("title_sort", "updated_at"),
    facets=("status", "harms", "intervention_types", "countries", "stakeholder_types", "ratings", "has_evidence"),
    max_total_hits=10_000,
    # `classifications` is shown, but only its matched items (api/search/service.py, `matched_items`).
    unshown=("misspellings",),
    stop_words=STOP_WORDS,
)
