"""GraphQL types for searching initiatives: the filter, facets and orderings a caller may ask for,
and hits with their highlights as plain text plus match ranges (never HTML)."""

from enum import Enum

import strawberry
from strawberry import relay

from api.initiatives.types import Initiative
from api.search.backend import MatchingStrategy as EngineMatchingStrategy
from api.search.backend import LIST_SEPARATOR, SortField
from api.search.schema import INITIATIVES
from api.vocabularies.types import LabelLanguage, label_in

MatchingStrategy = strawberry.enum(
    EngineMatchingStrategy,
    name="MatchingStrategy",
    description="Which query words a hit must contain: LAST drops words from the end until something "
    "matches (the default); ALL requires every word.",
)


@strawberry.enum(description="Fields of initiatives that a search can count hits by.")
class SearchFacet(Enum):
    STATUS = "status"
    HARMS = "harms"
    INTERVENTION_TYPES = "intervention_types"
    COUNTRIES = "countries"
    STAKEHOLDER_TYPES = "stakeholder_types"
    RATINGS = "ratings"
    HAS_EVIDENCE = "has_evidence"


# The enum is the index schema's facet list, named for GraphQL; a facet added there must be added here.
assert {f.value for f in SearchFacet} == set(INITIATIVES.facets), "SearchFacet and INITIATIVES.facets differ"

# The vocabulary behind each facet's values (countries are ISO 3166-1 codes).
FACET_VOCABULARIES = {
    SearchFacet.STATUS: "initiative-status",
    SearchFacet.HARMS: "harm",
    SearchFacet.INTERVENTION_TYPES: "intervention-type",
    SearchFacet.STAKEHOLDER_TYPES: "stakeholder-type",
    SearchFacet.RATINGS: "evidence-rating",
}

# `HAS_EVIDENCE` counts documents by whether an anonymous reader sees evidence on them.
EVIDENCE_VALUES = {"true": "Public evidence", "false": "No public evidence"}


@strawberry.enum(description="Orderings for search hits. With words, they break ties between equally relevant hits.")
class SearchSort(Enum):
    TITLE_ASC = "TITLE_ASC"
    TITLE_DESC = "TITLE_DESC"
    UPDATED_AT_DESC = "UPDATED_AT_DESC"
    UPDATED_AT_ASC = "UPDATED_AT_ASC"


SORT_FIELDS = {
    SearchSort.TITLE_ASC: SortField("title_sort"),
    SearchSort.TITLE_DESC: SortField("title_sort", descending=True),
    SearchSort.UPDATED_AT_DESC: SortField("updated_at", descending=True),
    SearchSort.UPDATED_AT_ASC: SortField("updated_at"),
}


@strawberry.input(description="Narrows a search; values within one list are alternatives, lists combine.")
class SearchFilter:
    statuses: list[str] | None = strawberry.field(default=None, description="Initiative status codes.")
    harms: list[str] | None = strawberry.field(default=None, description="Harm codes.")
    intervention_types: list[str] | None = strawberry.field(default=None, description="Intervention type codes.")
    countries: list[str] | None = strawberry.field(default=None, description="ISO 3166-1 alpha-2 codes covered.")
    stakeholder_types: list[str] | None = strawberry.field(
        default=None, description="Stakeholder type codes of the lead organisation or a partner."
    )
    ratings: list[str] | None = strawberry.field(
        default=None, description="Evidence rating codes of at least one finding of a public assessment."
    )
    lead_organisation: list[relay.GlobalID] | None = strawberry.field(
        default=None, description="Led by one of these organisations (global ids)."
    )
    has_evidence: bool | None = strawberry.field(
        default=None,
        description="True: with at least one evidence assessment anyone may read; false: with none.",
    )


@strawberry.type(name="MatchRange", description="Where a query word matched in a highlight's text.")
class MatchRangeType:
    start: int = strawberry.field(description="Offset of the match in `text`, in Unicode characters (code points).")
    length: int = strawberry.field(description="Length of the match, in Unicode characters (code points).")


@strawberry.type(description="A field of a hit as plain text (escape it when rendering) with the ranges that matched.")
class Highlight:
    field: str = strawberry.field(
        description=f"`title`, `summary`, `organisations` (names joined by `{LIST_SEPARATOR}`), `description` "
        "(cropped around the first match, `…` where text was cut) or `classifications`: only the codes a query word "
        f"matched, each as its label, a colon and its synonyms, joined by `{LIST_SEPARATOR}` (how a hit found "
        "through a synonym, e.g. grooming, was found)."
    )
    text: str = strawberry.field(description="The field's text: plain text, never HTML.")
    matches: list[MatchRangeType] = strawberry.field(
        description="Where query words matched in `text`, in order: the first 20."
    )


@strawberry.type(description="One initiative found by a search, with its highlighted fields.")
class SearchHit:
    initiative: Initiative = strawberry.field(description="The initiative.")
    highlights: list[Highlight] = strawberry.field(
        description="Title, summary, organisations and description (those the initiative has), in that order, "
        "then classifications when a query word matched a code's label or synonym."
    )


@strawberry.type(description="How many hits have one value of a facet.")
class FacetValue:
    value: str = strawberry.field(description="The stored code (a vocabulary code or an ISO country code).")
    count: int = strawberry.field(description="Hits with this value, over every page.")
    english: strawberry.Private[str]
    french: strawberry.Private[str | None] = None  # a vocabulary term's; countries are named in English

    @strawberry.field(description="Human-readable label of the code, in English unless `language` asks for "
                      "French (a vocabulary term's; a country keeps its English name).")
    def label(self, language: LabelLanguage = LabelLanguage.EN) -> str:
        return label_in(language, self.english, self.french)


@strawberry.type(description="Hit counts for one facet.")
class FacetDistribution:
    facet: SearchFacet = strawberry.field(description="The facet.")
    values: list[FacetValue] = strawberry.field(
        description="Values found among the hits, ordered by value (at most 100); empty when no hit has one. "
        "With `allFacetValues`, every value of the facet's vocabulary, with 0 for those no hit has "
        "(countries: only those found)."
    )


@strawberry.type(description="One page of search hits, with totals and facet counts over every page.")
class SearchInitiativesResult:
    hits: list[SearchHit] = strawberry.field(description="This page's hits, best first.")
    total_hits: int = strawberry.field(description="Every initiative you may see that matches, across all pages.")
    total_pages: int = strawberry.field(description="How many pages of `hitsPerPage` the hits fill.")
    page: int = strawberry.field(description="This page's number, from 1.")
    hits_per_page: int = strawberry.field(description="The page size asked for.")
    facet_distribution: list[FacetDistribution] = strawberry.field(
        description="One entry per requested facet, in the order requested, counted over every match you may see."
    )
    processing_time_ms: int = strawberry.field(description="How long the search engine took, in milliseconds.")
