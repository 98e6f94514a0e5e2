"""GraphQL types for evidence assessments and findings."""

from datetime import date, datetime

import strawberry
from strawberry import relay

from api.graphql.context import Info
from api.evidence import loaders, service
from api.evidence.models import EvidenceAssessment as AssessmentRow
from api.evidence.models import Finding as FindingRow
from api.graphql.records import from_row
from api.graphql.loaders import load_nodes
from api.initiatives.types import Initiative
from api.graphql.provenance import Provenance, provenance_list
from api.organisations.types import Organisation
from api.core.visibility import Visibility
from api.vocabularies.cache import TermCache
from api.vocabularies.types import Term, term

EvidenceAssessmentOrder = strawberry.enum(
    service.AssessmentOrder,
    name="EvidenceAssessmentOrder",
    description="Orderings for evidence assessments, newest first; undated ones last by publication date.",
)


@strawberry.type(description="What one assessment found for one outcome.")
class Finding:
    outcome: Term = strawberry.field(description="The outcome (vocabulary `outcome`).")
    effect_direction: Term = strawberry.field(description="Direction of the effect (vocabulary `effect-direction`).")
    rating: Term = strawberry.field(description="Evidence rating (vocabulary `evidence-rating`).")
    certainty: Term = strawberry.field(description="GRADE certainty (vocabulary `certainty`).")
    source_scheme: Term | None = strawberry.field(
        description="The scheme the source rating comes from (vocabulary `rating-scheme`)."
    )
    effect_size: float | None = strawberry.field(description="Effect size, where known.")
    effect_size_metric: str | None = strawberry.field(description="What the effect size measures, e.g. Cohen's d.")
    source_rating: str | None = strawberry.field(description="The source scheme's own rating, kept verbatim.")
    notes: str | None = strawberry.field(description="Notes on the finding.")
    _row: strawberry.Private[FindingRow]

    @classmethod
    def from_model(cls, row: FindingRow, term_cache: TermCache) -> "Finding":
        return from_row(
            cls,
            row,
            outcome=term(term_cache, "outcome", row.outcome),
            effect_direction=term(term_cache, "effect-direction", row.effect_direction),
            rating=term(term_cache, "evidence-rating", row.rating),
            certainty=term(term_cache, "certainty", row.certainty),
            source_scheme=term(term_cache, "rating-scheme", row.source_scheme) if row.source_scheme else None,
        )


@strawberry.type(description="An assessment of the evidence that an initiative works.")
class EvidenceAssessment(relay.Node):
    id: relay.NodeID[int]
    title: str = strawberry.field(description="Title of the study or report.")
    sample_size: int | None = strawberry.field(description="Sample size, where applicable.")
    setting: str | None = strawberry.field(description="Where and with whom the study took place.")
    follow_up: str | None = strawberry.field(description="Length of follow-up.")
    reference_doi: str | None = strawberry.field(description="DOI of the study.")
    reference_url: str | None = strawberry.field(description="URL of the study or report.")
    published_on: date | None = strawberry.field(description="Publication date.")
    period: str | None = strawberry.field(description="The period the figures cover, as the source gives it.")
    limitations: str | None = strawberry.field(description="Limitations the assessors note.")
    conflicts_of_interest: str | None = strawberry.field(description="Declared conflicts of interest.")
    visibility: Visibility = strawberry.field(description="Who may read this record.")
    independence: Term = strawberry.field(description="Independence of the assessor (vocabulary `independence`).")
    study_design: Term = strawberry.field(description="Study design (vocabulary `study-design`).")
    provenance: list[Provenance] = strawberry.field(description="Where the record's facts came from.")
    created_at: datetime = strawberry.field(description="When the record was created.")
    updated_at: datetime = strawberry.field(description="When the record last changed.")
    _row: strawberry.Private[AssessmentRow]

    @classmethod
    def from_model(cls, row: AssessmentRow, term_cache: TermCache) -> "EvidenceAssessment":
        return from_row(
            cls,
            row,
            visibility=Visibility(row.visibility),
            independence=term(term_cache, "independence", row.independence),
            study_design=term(term_cache, "study-design", row.study_design),
            provenance=provenance_list(row.provenance),
        )

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids, required: bool = False):  # noqa: ANN001, ANN206
        return await load_nodes(info, node_ids, loaders.assessment_by_id, cls.from_model)

    @strawberry.field(description="The initiative assessed.")
    def initiative(self, info: Info) -> Initiative:
        return Initiative.loaded(info, self._row.initiative_id)

    @strawberry.field(description="The organisation that made the assessment.")
    def assessing_organisation(self, info: Info) -> Organisation:
        return Organisation.loaded(info, self._row.assessing_organisation_id)

    @strawberry.field(description="Findings, one per outcome.")
    def findings(self, info: Info) -> list[Finding]:
        return info.context.loaders.resolve(
            loaders.findings_of, self.id, lambda rows: [Finding.from_model(r, info.context.terms) for r in rows]
        )
