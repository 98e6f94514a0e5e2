"""Evidence mutations: create, update and soft delete assessments with their findings."""

from datetime import date

import strawberry
from strawberry import relay

from api.auth.scopes import Scope
from api.core.dates import DatePrecision
from api.graphql import ids, inputs
from api.graphql.context import Info
from api.graphql.errors import UserError, user_errors_field
from api.graphql.mutations import mutation
from api.evidence import service, studies
from api.ratings import service as ratings
from api.evidence.models import EvidenceAssessment as AssessmentRow
from api.evidence.types import EvidenceAssessment, Study
from api.core.visibility import Visibility
from api.reviews import service as reviews
from api.reviews.models import ReviewedType
from api.reviews.types import Revision


@strawberry.input(description="What one assessment found for one outcome.")
class FindingInput:
    outcome: str = strawberry.field(description="`outcome` code.")
    effect_direction: str = strawberry.field(
        description="`effect-direction` code, relative to benefit; NOT-APPLICABLE for a context-only outcome."
    )
    significance: str = strawberry.field(
        default="NOT-TESTED", description="`significance` code: YES, NO or NOT-TESTED."
    )
    comparison: str | None = strawberry.field(
        default=None,
        description="`comparison` code; omitted: the strongest the study's design gives (never stronger).",
    )
    effect_size: float | None = strawberry.field(default=None, description="Effect size, where known (finite).")
    effect_size_metric: str | None = strawberry.field(
        default=None, description="What the effect size measures, e.g. Cohen's d (at most 100 characters)."
    )
    ci_low: float | None = strawberry.field(default=None, description="Lower bound of the confidence interval.")
    ci_high: float | None = strawberry.field(default=None, description="Upper bound of the confidence interval.")
    p_value: float | None = strawberry.field(default=None, description="p-value (0 to 1); needs a tested effect.")
    risk_of_bias: str | None = strawberry.field(default=None, description="`risk-of-bias` code.")
    follow_up_months: int | None = strawberry.field(default=None, description="Months of follow-up (zero or more).")
    proposed_rating: str | None = strawberry.field(
        default=None, description="`evidence-rating` code you propose; kept as a claim, the rating is computed."
    )
    proposed_certainty: str | None = strawberry.field(default=None, description="`certainty` code you propose.")
    source_scheme: str | None = strawberry.field(
        default=None, description="`rating-scheme` code of the scheme the source rating comes from."
    )
    source_rating: str | None = strawberry.field(
        default=None, description="The source scheme's own rating, verbatim (at most 100 characters)."
    )
    notes: str | None = strawberry.field(default=None, description="Notes on the finding (at most 2000 characters).")


@strawberry.input(description="A study: a report of research.")
class StudyInput:
    title: str | None = strawberry.field(default=None, description="Title (at most 300 characters); required on create.")
    study_design: str | None = strawberry.field(default=None, description="`study-design` code; required on create.")
    reference_doi: str | None = strawberry.field(default=None, description="DOI, e.g. 10.1000/xyz123.")
    reference_url: str | None = strawberry.field(default=None, description="Absolute http(s) URL of the study.")
    countries: list[str] | None = strawberry.field(default=None, description="ISO 3166-1 alpha-2 codes of countries studied.")
    population: str | None = strawberry.field(default=None, description="Who was studied (at most 2000 characters).")
    sample_size: int | None = strawberry.field(default=None, description="Sample size (zero or more).")
    setting: str | None = strawberry.field(default=None, description="Where the study took place.")
    published_on: date | None = strawberry.field(default=None, description="Publication date (not in the future).")
    published_precision: DatePrecision | None = strawberry.field(
        default=None, description="YEAR or MONTH when only that much of the date is known (default: DAY)."
    )
    period: str | None = strawberry.field(default=None, description="The period the data cover, e.g. 2021-2022.")
    peer_reviewed: bool | None = strawberry.field(default=None, description="Whether the study was peer reviewed.")
    funder: str | None = strawberry.field(default=None, description="Who funded the study (at most 300 characters).")
    sample_key: str | None = strawberry.field(
        default=None, description="A key shared by every report of the same sample, so it is counted once."
    )
    visibility: Visibility | None = strawberry.field(default=None, description="Who may read it (default PUBLIC).")


@strawberry.input(description="A new evidence assessment of an initiative, made by your organisation.")
class CreateEvidenceAssessmentInput:
    initiative: relay.GlobalID = strawberry.field(description="The initiative assessed (one you may read).")
    study: relay.GlobalID | None = strawberry.field(
        default=None, description="The study coded, already registered (one you may read); or give newStudy."
    )
    new_study: StudyInput | None = strawberry.field(
        default=None, description="The study coded, registered with the assessment by your organisation."
    )
    independence: str = strawberry.field(
        description="`independence` code: SELF when your organisation leads the initiative, PARTICIPANT (or SELF) "
        "when it takes part, INDEPENDENT otherwise."
    )
    follow_up: str | None = strawberry.field(default=None, description="Length of follow-up (at most 500 characters).")
    limitations: str | None = strawberry.field(default=None, description="Limitations the assessors note.")
    conflicts_of_interest: str | None = strawberry.field(default=None, description="Declared conflicts of interest.")
    visibility: Visibility = strawberry.field(default=Visibility.PUBLIC, description="Who may read it.")
    findings: list[FindingInput] = strawberry.field(
        default_factory=list, description=f"Findings, one per outcome (at most {service.MAX_FINDINGS})."
    )


@strawberry.input(description="Changes to an assessment; omitted fields stay as they are, findings are replaced.")
class UpdateEvidenceAssessmentInput:
    id: relay.GlobalID = strawberry.field(description="The assessment (made by your organisation).")
    independence: str | None = strawberry.field(default=None, description="`independence` code.")
    follow_up: str | None = strawberry.field(default=None, description="Length of follow-up.")
    limitations: str | None = strawberry.field(default=None, description="Limitations the assessors note.")
    conflicts_of_interest: str | None = strawberry.field(default=None, description="Declared conflicts of interest.")
    visibility: Visibility | None = strawberry.field(default=None, description="Who may read it.")
    findings: list[FindingInput] | None = strawberry.field(
        default=None, description="Findings (replace the stored list when given)."
    )


@strawberry.input(description="Corrections to a study your organisation registered; omitted fields stay.")
class UpdateStudyInput(StudyInput):
    id: relay.GlobalID = strawberry.field(description="The study.")


@strawberry.type(description="The study after the change, or why nothing changed.")
class StudyPayload:
    study: Study | None = strawberry.field(description="The study, when the change was made.")
    user_errors: list[UserError] = user_errors_field()


@strawberry.input(description="The assessment to delete.")
class DeleteEvidenceAssessmentInput:
    id: relay.GlobalID = strawberry.field(description="The assessment.")


@strawberry.input(description="The assessment to withdraw, and why.")
class WithdrawEvidenceAssessmentInput:
    id: relay.GlobalID = strawberry.field(description="The assessment.")
    reason: str = strawberry.field(description="Why (shown with the tombstone; at most 2000 characters).")


@strawberry.type(description="The assessment after the change, or why nothing changed.")
class EvidenceAssessmentPayload:
    evidence_assessment: EvidenceAssessment | None = strawberry.field(
        description="The assessment, when the change was made (null when a draft was saved instead)."
    )
    revision: Revision | None = strawberry.field(
        default=None, description="The draft saved, when the change is one that is published after review."
    )
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="The id of the deleted assessment, or why nothing changed.")
class DeleteEvidenceAssessmentPayload:
    deleted_id: relay.GlobalID | None = strawberry.field(description="Global id of the deleted assessment.")
    user_errors: list[UserError] = user_errors_field()


def _study_data(source: StudyInput) -> studies.StudyData:
    return inputs.to_data(studies.StudyData, source)


def assessment_data(source: CreateEvidenceAssessmentInput | UpdateEvidenceAssessmentInput) -> service.AssessmentData:
    return inputs.to_data(
        service.AssessmentData,
        source,
        findings=lambda findings: [inputs.to_data(service.FindingData, finding) for finding in findings],
        new_study=_study_data,
    )


def _payload(info: Info, row: AssessmentRow) -> EvidenceAssessmentPayload:
    return EvidenceAssessmentPayload(evidence_assessment=EvidenceAssessment.from_model(row, info.context.terms))


def _assessment_id(input: UpdateEvidenceAssessmentInput | DeleteEvidenceAssessmentInput | WithdrawEvidenceAssessmentInput) -> int:  # noqa: A002
    return ids.decode(input.id, "EvidenceAssessment", ["id"])


@strawberry.type
class Mutation:
    @mutation(
        scope=Scope.ASSESSMENTS_WRITE,
        description="Save a draft of your organisation's assessment of an initiative (`assessments:write`); it is "
        "published only after review.",
        deprecation_reason="Assessments are published after review: use draftEvidenceAssessment, which this now "
        "does (the payload's revision; evidenceAssessment stays null).",
    )
    async def create_evidence_assessment(
        self, info: Info, input: CreateEvidenceAssessmentInput  # noqa: A002
    ) -> EvidenceAssessmentPayload:
        data = assessment_data(input)
        if input.study is not None:
            data.study_id = ids.decode(input.study, "Study", ["study"])
        row = await reviews.draft(
            **info.context.acting,
            record_type=ReviewedType.EVIDENCE_ASSESSMENT,
            revision_id=None,
            parent_id=ids.decode(input.initiative, "Initiative", ["initiative"]),
            record_id=None,
            data=data,
            change_note=None,
        )
        return EvidenceAssessmentPayload(evidence_assessment=None, revision=Revision.from_model(row))

    @mutation(
        scope=Scope.ASSESSMENTS_WRITE,
        description="Open a draft of the next version of an assessment your organisation made (`assessments:write`).",
        deprecation_reason="Assessments are published after review: use draftEvidenceAssessmentRevision, which "
        "this now does (the payload's revision; the published assessment is unchanged until it is published).",
    )
    async def update_evidence_assessment(
        self, info: Info, input: UpdateEvidenceAssessmentInput  # noqa: A002
    ) -> EvidenceAssessmentPayload:
        row = await reviews.draft(
            **info.context.acting,
            record_type=ReviewedType.EVIDENCE_ASSESSMENT,
            revision_id=None,
            parent_id=None,
            record_id=_assessment_id(input),
            data=assessment_data(input),
            change_note=None,
        )
        return EvidenceAssessmentPayload(evidence_assessment=None, revision=Revision.from_model(row))

    @mutation(
        scope=Scope.ASSESSMENTS_WRITE,
        description="Withdraw an assessment your organisation published, with a reason (editors): out of every "
        "list, search and rating at once, and kept, by its id, as a tombstone with its versions.",
    )
    async def withdraw_evidence_assessment(
        self, info: Info, input: WithdrawEvidenceAssessmentInput  # noqa: A002
    ) -> EvidenceAssessmentPayload:
        row = await service.withdraw(**info.context.acting, assessment_id=_assessment_id(input), reason=input.reason)
        return _payload(info, row)

    @mutation(
        scope=Scope.ASSESSMENTS_WRITE,
        description="Withdraw an assessment your organisation made (editors).",
        deprecation_reason="Use withdrawEvidenceAssessment, which says why; this withdraws with a generic reason.",
    )
    async def delete_evidence_assessment(
        self, info: Info, input: DeleteEvidenceAssessmentInput  # noqa: A002
    ) -> DeleteEvidenceAssessmentPayload:
        await service.withdraw(
            **info.context.acting, assessment_id=_assessment_id(input), reason="Withdrawn by its assessing organisation."
        )
        return DeleteEvidenceAssessmentPayload(deleted_id=input.id)

    @mutation(
        scope=Scope.ASSESSMENTS_WRITE,
        description="Register a study, for your organisation's assessments and others' to code (`assessments:write`).",
    )
    async def create_study(self, info: Info, input: StudyInput) -> StudyPayload:  # noqa: A002
        row = await studies.create(**info.context.acting, data=_study_data(input))
        return StudyPayload(study=Study.from_model(row, info.context.terms))

    @mutation(
        scope=Scope.ASSESSMENTS_WRITE,
        description="Correct a study your organisation registered; ratings resting on it are recomputed.",
    )
    async def update_study(self, info: Info, input: UpdateStudyInput) -> StudyPayload:  # noqa: A002
        study_id = ids.decode(input.id, "Study", ["id"])
        row = await studies.update(**info.context.acting, study_id=study_id, data=_study_data(input))
        await ratings.recompute_studies(session=info.context.session, study_ids=[row.id], actor=info.context.principal.subject)
        return StudyPayload(study=Study.from_model(row, info.context.terms))
