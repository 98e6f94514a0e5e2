"""Evidence mutations: create, update and soft delete assessments with their findings."""

from datetime import date

import strawberry
from strawberry import relay

from api.auth.scopes import Scope
from api.graphql import ids, inputs
from api.graphql.context import Info
from api.graphql.errors import UserError, user_errors_field
from api.graphql.mutations import mutation
from api.evidence import service
from api.evidence.models import EvidenceAssessment as AssessmentRow
from api.evidence.types import EvidenceAssessment
from api.core.visibility import Visibility


@strawberry.input(description="What one assessment found for one outcome.")
class FindingInput:
    outcome: str = strawberry.field(description="`outcome` code.")
    effect_direction: str = strawberry.field(description="`effect-direction` code.")
    rating: str = strawberry.field(description="`evidence-rating` code.")
    certainty: str = strawberry.field(description="`certainty` code (GRADE).")
    effect_size: float | None = strawberry.field(default=None, description="Effect size, where known (finite).")
    effect_size_metric: str | None = strawberry.field(
        default=None, description="What the effect size measures, e.g. Cohen's d (at most 100 characters)."
    )
    source_scheme: str | None = strawberry.field(
        default=None, description="`rating-scheme` code of the scheme the source rating comes from."
    )
    source_rating: str | None = strawberry.field(
        default=None, description="The source scheme's own rating, verbatim (at most 100 characters)."
    )
    notes: str | None = strawberry.field(default=None, description="Notes on the finding (at most 2000 characters).")


@strawberry.input(description="A new evidence assessment of an initiative, made by your organisation.")
class CreateEvidenceAssessmentInput:
    initiative: relay.GlobalID = strawberry.field(description="The initiative assessed (one you may read).")
    title: str = strawberry.field(description="Title of the study or report (at most 300 characters).")
    independence: str = strawberry.field(
        description="`independence` code; SELF when your organisation leads or takes part in the initiative."
    )
    study_design: str = strawberry.field(description="`study-design` code.")
    sample_size: int | None = strawberry.field(default=None, description="Sample size (zero or more).")
    setting: str | None = strawberry.field(
        default=None, description="Where and with whom the study took place (at most 2000 characters)."
    )
    follow_up: str | None = strawberry.field(default=None, description="Length of follow-up (at most 500 characters).")
    reference_doi: str | None = strawberry.field(default=None, description="DOI of the study, e.g. 10.1000/xyz123.")
    reference_url: str | None = strawberry.field(default=None, description="Absolute http(s) URL of the study.")
    published_on: date | None = strawberry.field(default=None, description="Publication date (not in the future).")
    limitations: str | None = strawberry.field(default=None, description="Limitations the assessors note.")
    conflicts_of_interest: str | None = strawberry.field(default=None, description="Declared conflicts of interest.")
    visibility: Visibility = strawberry.field(default=Visibility.PUBLIC, description="Who may read it.")
    findings: list[FindingInput] = strawberry.field(
        default_factory=list, description=f"Findings, one per outcome (at most {service.MAX_FINDINGS})."
    )


@strawberry.input(description="Changes to an assessment; omitted fields stay as they are, findings are replaced.")
class UpdateEvidenceAssessmentInput:
    id: relay.GlobalID = strawberry.field(description="The assessment (made by your organisation).")
    title: str | None = strawberry.field(default=None, description="Title of the study or report.")
    independence: str | None = strawberry.field(default=None, description="`independence` code.")
    study_design: str | None = strawberry.field(default=None, description="`study-design` code.")
    sample_size: int | None = strawberry.field(default=None, description="Sample size (zero or more).")
    setting: str | None = strawberry.field(default=None, description="Where and with whom the study took place.")
    follow_up: str | None = strawberry.field(default=None, description="Length of follow-up.")
    reference_doi: str | None = strawberry.field(default=None, description="DOI of the study.")
    reference_url: str | None = strawberry.field(default=None, description="Absolute http(s) URL of the study.")
    published_on: date | None = strawberry.field(default=None, description="Publication date (not in the future).")
    limitations: str | None = strawberry.field(default=None, description="Limitations the assessors note.")
    conflicts_of_interest: str | None = strawberry.field(default=None, description="Declared conflicts of interest.")
    visibility: Visibility | None = strawberry.field(default=None, description="Who may read it.")
    findings: list[FindingInput] | None = strawberry.field(
        default=None, description="Findings (replace the stored list when given)."
    )


@strawberry.input(description="The assessment to delete.")
class DeleteEvidenceAssessmentInput:
    id: relay.GlobalID = strawberry.field(description="The assessment.")


@strawberry.type(description="The assessment after the change, or why nothing changed.")
class EvidenceAssessmentPayload:
    evidence_assessment: EvidenceAssessment | None = strawberry.field(
        description="The assessment, when the change was made."
    )
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="The id of the deleted assessment, or why nothing changed.")
class DeleteEvidenceAssessmentPayload:
    deleted_id: relay.GlobalID | None = strawberry.field(description="Global id of the deleted assessment.")
    user_errors: list[UserError] = user_errors_field()


def _data(source: CreateEvidenceAssessmentInput | UpdateEvidenceAssessmentInput) -> service.AssessmentData:
    return inputs.to_data(
        service.AssessmentData,
        source,
        findings=lambda findings: [inputs.to_data(service.FindingData, finding) for finding in findings],
    )


def _payload(info: Info, row: AssessmentRow) -> EvidenceAssessmentPayload:
    return EvidenceAssessmentPayload(evidence_assessment=EvidenceAssessment.from_model(row, info.context.terms))


def _assessment_id(input: UpdateEvidenceAssessmentInput | DeleteEvidenceAssessmentInput) -> int:  # noqa: A002
    return ids.decode(input.id, "EvidenceAssessment", ["id"])


@strawberry.type
class Mutation:
    @mutation(
        scope=Scope.ASSESSMENTS_WRITE,
        description="Record your organisation's assessment of an initiative (`assessments:write`).",
    )
    async def create_evidence_assessment(
        self, info: Info, input: CreateEvidenceAssessmentInput  # noqa: A002
    ) -> EvidenceAssessmentPayload:
        row = await service.create(
            **info.context.acting,
            initiative_id=ids.decode(input.initiative, "Initiative", ["initiative"]),
            data=_data(input),
        )
        return _payload(info, row)

    @mutation(
        scope=Scope.ASSESSMENTS_WRITE,
        description="Change an assessment your organisation made (`assessments:write`).",
    )
    async def update_evidence_assessment(
        self, info: Info, input: UpdateEvidenceAssessmentInput  # noqa: A002
    ) -> EvidenceAssessmentPayload:
        row = await service.update(**info.context.acting, assessment_id=_assessment_id(input), data=_data(input))
        return _payload(info, row)

    @mutation(
        scope=Scope.ASSESSMENTS_WRITE,
        description="Delete an assessment your organisation made (soft delete; editors).",
    )
    async def delete_evidence_assessment(
        self, info: Info, input: DeleteEvidenceAssessmentInput  # noqa: A002
    ) -> DeleteEvidenceAssessmentPayload:
        await service.delete_(**info.context.acting, assessment_id=_assessment_id(input))
        return DeleteEvidenceAssessmentPayload(deleted_id=input.id)
