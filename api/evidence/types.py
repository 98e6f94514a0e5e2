"""GraphQL types for evidence assessments and findings."""

from datetime import date, datetime

import strawberry
from strawberry import relay

from api.versions.types import Versioned
from api.activity.types import trail
from api.graphql.context import Info
from api.evidence import loaders, service, studies
from api.evidence.models import EvidenceAssessment as AssessmentRow
from api.evidence.models import Finding as FindingRow
from api.evidence.models import Study as StudyRow
from api.graphql.records import from_row
from api.graphql.loaders import load_nodes, load_one
from api.initiatives.types import Initiative
from api.graphql.provenance import Provenance, provenance_list
from api.organisations.types import Organisation
from api.core.dates import DatePrecision
from api.core.visibility import Visibility
from api.vocabularies.cache import TermCache
from api.vocabularies.types import Country, Term, term

EvidenceAssessmentOrder = strawberry.enum(
    service.AssessmentOrder,
    name="EvidenceAssessmentOrder",
    description="Orderings for evidence assessments, newest first; undated ones last by publication date.",
)


StudyOrder = strawberry.enum(
    studies.StudyOrder,
    name="StudyOrder",
    description="Orderings for studies, newest first; undated ones last by publication date.",
)


@strawberry.type(description="What one assessment found for one outcome, coded for the rating rules.")
class Finding:
    outcome: Term = strawberry.field(description="The outcome (vocabulary `outcome`).")
    effect_direction: Term = strawberry.field(
        description="Direction of the effect relative to benefit (vocabulary `effect-direction`)."
    )
    comparison: Term = strawberry.field(description="What the effect is compared with (vocabulary `comparison`).")
    significance: Term = strawberry.field(description="Whether the effect is significant (vocabulary `significance`).")
    risk_of_bias: Term | None = strawberry.field(description="Risk of bias (vocabulary `risk-of-bias`), where coded.")
    proposed_rating: Term | None = strawberry.field(
        description="The rating the contributor proposed (vocabulary `evidence-rating`): a claim, not coplab's "
        "rating, which is computed per outcome (`Initiative.outcomeRatings`)."
    )
    proposed_certainty: Term | None = strawberry.field(
        description="The certainty the contributor proposed (vocabulary `certainty`): a claim, not a computed value."
    )
    source_scheme: Term | None = strawberry.field(
        description="The scheme the source rating comes from (vocabulary `rating-scheme`)."
    )
    effect_size: float | None = strawberry.field(description="Effect size, where known.")
    effect_size_metric: str | None = strawberry.field(description="What the effect size measures, e.g. Cohen's d.")
    ci_low: float | None = strawberry.field(description="Lower bound of the effect size's confidence interval.")
    ci_high: float | None = strawberry.field(description="Upper bound of the effect size's confidence interval.")
    p_value: float | None = strawberry.field(description="p-value of the effect, where reported.")
    follow_up_months: int | None = strawberry.field(description="Months of follow-up after the intervention.")
    source_rating: str | None = strawberry.field(description="The source scheme's own rating, kept verbatim.")
    notes: str | None = strawberry.field(description="Notes on the finding.")
    _row: strawberry.Private[FindingRow]

    @classmethod
    def from_model(cls, row: FindingRow, term_cache: TermCache) -> "Finding":
        def optional(vocabulary: str, code: str | None) -> Term | None:
            return term(term_cache, vocabulary, code) if code else None

        return from_row(
            cls,
            row,
            outcome=term(term_cache, "outcome", row.outcome),
            effect_direction=term(term_cache, "effect-direction", row.effect_direction),
            comparison=term(term_cache, "comparison", row.comparison),
            significance=term(term_cache, "significance", row.significance),
            risk_of_bias=optional("risk-of-bias", row.risk_of_bias),
            proposed_rating=optional("evidence-rating", row.proposed_rating),
            proposed_certainty=optional("certainty", row.proposed_certainty),
            source_scheme=optional("rating-scheme", row.source_scheme),
        )

    @strawberry.field(description="The finding's id, as outcome ratings name the findings they weigh.")
    def finding_id(self) -> int:
        return self._row.id


@strawberry.type(description="A report of research, which organisations' evidence assessments code.")
class Study(relay.Node):
    id: relay.NodeID[int]
    title: str = strawberry.field(description="Title of the study or report.")
    study_design: Term = strawberry.field(description="Study design (vocabulary `study-design`).")
    reference_doi: str | None = strawberry.field(description="DOI of the study.")
    reference_url: str | None = strawberry.field(description="URL of the study or report.")
    population: str | None = strawberry.field(description="Who was studied.")
    sample_size: int | None = strawberry.field(description="Sample size, where applicable.")
    setting: str | None = strawberry.field(description="Where the study took place.")
    published_on: date | None = strawberry.field(
        description="Publication date; the first day of the year or month when only that is known."
    )
    published_precision: DatePrecision | None = strawberry.field(
        description="YEAR or MONTH when the source gives only that much of the publication date; null for a whole date."
    )
    period: str | None = strawberry.field(description="The period the study's data cover, as the source gives it.")
    peer_reviewed: bool | None = strawberry.field(description="Whether the study was peer reviewed (null: not known).")
    funder: str | None = strawberry.field(description="Who funded the study.")
    sample_key: str | None = strawberry.field(
        description="Studies sharing a sample key report one sample, which every rating rule counts once."
    )
    visibility: Visibility = strawberry.field(description="Who may read this record.")
    provenance: list[Provenance] = strawberry.field(description="Where the record's facts came from.")
    created_at: datetime = strawberry.field(description="When the record was created.")
    updated_at: datetime = strawberry.field(description="When the record last changed.")
    _row: strawberry.Private[StudyRow]

    @classmethod
    def from_model(cls, row: StudyRow, term_cache: TermCache) -> "Study":
        return from_row(
            cls,
            row,
            visibility=Visibility(row.visibility),
            study_design=term(term_cache, "study-design", row.study_design),
            published_precision=DatePrecision(row.published_precision) if row.published_precision else None,
            provenance=provenance_list(row.provenance),
        )

    activity = trail("Study")

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids, required: bool = False):  # noqa: ANN001, ANN206
        return await load_nodes(info, node_ids, loaders.study_by_id, cls.from_model)

    @classmethod
    def loaded(cls, info: Info, row_id: int | None):  # noqa: ANN206
        return load_one(info, loaders.study_by_id, row_id, cls.from_model)

    @strawberry.field(description="Countries the study covers.")
    def countries(self) -> list[Country]:
        return [Country(code=code) for code in self._row.countries]

    @strawberry.field(description="The organisation that registered the study.")
    def organisation(self, info: Info) -> Organisation:
        return Organisation.loaded(info, self._row.organisation_id)


@strawberry.type(description="One organisation's coding of one study, as evidence that an initiative works.")
class EvidenceAssessment(relay.Node, Versioned):
    id: relay.NodeID[int]
    follow_up: str | None = strawberry.field(description="Length of follow-up, as the assessment gives it.")
    limitations: str | None = strawberry.field(description="Limitations the assessors note.")
    conflicts_of_interest: str | None = strawberry.field(description="Declared conflicts of interest.")
    visibility: Visibility = strawberry.field(description="Who may read this record.")
    independence: Term = strawberry.field(
        description="The assessor's relation to the initiative (vocabulary `independence`): SELF, PARTICIPANT or INDEPENDENT."
    )
    provenance: list[Provenance] = strawberry.field(description="Where the record's facts came from.")
    created_at: datetime = strawberry.field(description="When the record was created.")
    updated_at: datetime = strawberry.field(description="When the record last changed.")
    withdrawn_at: datetime | None = strawberry.field(
        description="When its organisation withdrew it: a withdrawn assessment is in no list, search or rating, "
        "and stays readable here, by its id, with its reason and its versions."
    )
    withdrawn_reason: str | None = strawberry.field(description="Why it was withdrawn.")
    _row: strawberry.Private[AssessmentRow]

    @classmethod
    def from_model(cls, row: AssessmentRow, term_cache: TermCache) -> "EvidenceAssessment":
        return from_row(
            cls,
            row,
            withdrawn_at=row.deleted_at,
            visibility=Visibility(row.visibility),
            independence=term(term_cache, "independence", row.independence),
            provenance=provenance_list(row.provenance),
        )

    activity = trail("EvidenceAssessment")

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids, required: bool = False):  # noqa: ANN001, ANN206
        return await load_nodes(info, node_ids, loaders.assessment_by_id, cls.from_model)

    @strawberry.field(description="The study the assessment codes.")
    def study(self, info: Info) -> Study:
        return Study.loaded(info, self._row.study_id)

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
