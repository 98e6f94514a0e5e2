"""GraphQL types for searching evidence assessments and best practices, shaped like those of
`searchInitiatives` (api/search/types.py), whose highlights, facet values and orderings they share."""

from enum import Enum

import strawberry

from api.evidence.types import EvidenceAssessment
from api.practices.types import BestPractice
from api.search.record_schemas import BEST_PRACTICES_SCHEMA, EVIDENCE_SCHEMA
from api.search.types import FacetValue, Highlight


@strawberry.enum(description="Fields of evidence assessments that a search can count hits by.")
class EvidenceSearchFacet(Enum):
    STUDY_DESIGN = "study_design"
    OUTCOME = "outcome"
    INDEPENDENCE = "independence"
    RATING = "rating"
    COUNTRIES = "countries"


@strawberry.enum(description="Fields of best practices that a search can count hits by.")
class BestPracticeSearchFacet(Enum):
    HARMS = "harms"
    INTERVENTION_TYPES = "intervention_types"
    EVIDENCE_BASIS = "evidence_basis"


# Each enum is its index schema's facet list, named for GraphQL.
assert {f.value for f in EvidenceSearchFacet} == set(EVIDENCE_SCHEMA.facets), "EvidenceSearchFacet differs"
assert {f.value for f in BestPracticeSearchFacet} == set(BEST_PRACTICES_SCHEMA.facets), "BestPracticeSearchFacet differs"

# The vocabulary behind each facet's values (countries are ISO 3166-1 codes).
EVIDENCE_FACET_VOCABULARIES = {
    EvidenceSearchFacet.STUDY_DESIGN: "study-design",
    EvidenceSearchFacet.OUTCOME: "outcome",
    EvidenceSearchFacet.INDEPENDENCE: "independence",
    EvidenceSearchFacet.RATING: "evidence-rating",
}
PRACTICE_FACET_VOCABULARIES = {
    BestPracticeSearchFacet.HARMS: "harm",
    BestPracticeSearchFacet.INTERVENTION_TYPES: "intervention-type",
    BestPracticeSearchFacet.EVIDENCE_BASIS: "evidence-basis",
}


@strawberry.input(description="Narrows an evidence search; values within one list are alternatives, lists combine.")
class EvidenceSearchFilter:
    study_designs: list[str] | None = strawberry.field(default=None, description="`study-design` codes of the study.")
    outcomes: list[str] | None = strawberry.field(default=None, description="`outcome` codes of at least one finding.")
    independence: list[str] | None = strawberry.field(default=None, description="`independence` codes.")
    ratings: list[str] | None = strawberry.field(
        default=None, description="`evidence-rating` codes computed (from public evidence) for one of its outcomes."
    )
    countries: list[str] | None = strawberry.field(default=None, description="ISO 3166-1 alpha-2 codes the study covers.")


@strawberry.input(description="Narrows a best-practice search; values within one list are alternatives, lists combine.")
class BestPracticeSearchFilter:
    harms: list[str] | None = strawberry.field(default=None, description="`harm` codes.")
    intervention_types: list[str] | None = strawberry.field(default=None, description="`intervention-type` codes.")
    evidence_basis: list[str] | None = strawberry.field(default=None, description="`evidence-basis` codes.")


@strawberry.type(description="One evidence assessment found by a search, with its highlighted fields.")
class EvidenceSearchHit:
    evidence_assessment: EvidenceAssessment = strawberry.field(description="The assessment.")
    highlights: list[Highlight] = strawberry.field(
        description="`studyTitle`, `initiativeTitle`, `outcomes`, `organisations`, `design` and `effectDirections` "
        "(lists joined by `; `), those the assessment has, in that order."
    )


@strawberry.type(description="One best practice found by a search, with its highlighted fields.")
class BestPracticeSearchHit:
    best_practice: BestPractice = strawberry.field(description="The practice.")
    highlights: list[Highlight] = strawberry.field(
        description="`title`, `harmLabels`, `interventionTypeLabels`, `evidenceBasisLabel`, then `statement` and "
        "`rationale` cropped around the first match; those the practice has, in that order."
    )


@strawberry.type(description="Hit counts for one facet of an evidence search.")
class EvidenceFacetDistribution:
    facet: EvidenceSearchFacet = strawberry.field(description="The facet.")
    values: list[FacetValue] = strawberry.field(description="Values found among the hits, ordered by value.")


@strawberry.type(description="Hit counts for one facet of a best-practice search.")
class BestPracticeFacetDistribution:
    facet: BestPracticeSearchFacet = strawberry.field(description="The facet.")
    values: list[FacetValue] = strawberry.field(description="Values found among the hits, ordered by value.")


@strawberry.type(description="One page of evidence search hits, with totals and facet counts over every page.")
class SearchEvidenceResult:
    hits: list[EvidenceSearchHit] = strawberry.field(description="This page's hits, best first.")
    total_hits: int = strawberry.field(description="Every assessment you may read that matches, across all pages.")
    total_pages: int = strawberry.field(description="How many pages of `hitsPerPage` the hits fill.")
    page: int = strawberry.field(description="This page's number, from 1.")
    hits_per_page: int = strawberry.field(description="The page size asked for.")
    facet_distribution: list[EvidenceFacetDistribution] = strawberry.field(
        description="One entry per requested facet, in the order requested, counted over every match you may read."
    )
    processing_time_ms: int = strawberry.field(description="How long the search engine took, in milliseconds.")


@strawberry.type(description="One page of best-practice search hits, with totals and facet counts over every page.")
class SearchBestPracticesResult:
    hits: list[BestPracticeSearchHit] = strawberry.field(description="This page's hits, best first.")
    total_hits: int = strawberry.field(description="Every practice you may read that matches, across all pages.")
    total_pages: int = strawberry.field(description="How many pages of `hitsPerPage` the hits fill.")
    page: int = strawberry.field(description="This page's number, from 1.")
    hits_per_page: int = strawberry.field(description="The page size asked for.")
    facet_distribution: list[BestPracticeFacetDistribution] = strawberry.field(
        description="One entry per requested facet, in the order requested, counted over every match you may read."
    )
    processing_time_ms: int = strawberry.field(description="How long the search engine took, in milliseconds.")
