"""Review before publication: drafting, submitting, reviewing, reconciling and publishing (docs/reviews.md)."""

import strawberry
from strawberry import relay

from api.auth.scopes import Scope
from api.core.errors import DomainError, ErrorCode
from api.evidence import service as evidence
from api.practices import service as practices
from api.evidence.mutations import CreateEvidenceAssessmentInput, UpdateEvidenceAssessmentInput, assessment_data
from api.evidence.models import EvidenceAssessment as AssessmentRow
from api.evidence.types import EvidenceAssessment
from api.graphql import ids
from api.graphql.context import Info
from api.graphql.errors import UserError, user_errors_field
from api.graphql.mutations import mutation
from api.inquiries import service as inquiries
from api.inquiries.models import RatingInquiry as InquiryRow
from api.inquiries.types import RatingInquiry, Ruling
from api.practices.mutations import CreateBestPracticeInput, UpdateBestPracticeInput, practice_data
from api.practices.types import BestPractice
from api.reviews import coding, reviewers, service
from api.reviews.models import ReviewedType
from api.reviews.inquiries import InquiryCoding
from api.reviews.practices import PracticeCoding
from api.reviews.types import Revision


@strawberry.input(description="A draft of a new evidence assessment: nothing is published until it is reviewed.")
class DraftEvidenceAssessmentInput(CreateEvidenceAssessmentInput):
    revision: relay.GlobalID | None = strawberry.field(
        default=None, description="Your organisation's open draft to replace (DRAFT or CHANGES_REQUESTED); omit to start one."
    )
    change_note: str | None = strawberry.field(default=None, description="What this proposal is (at most 2000 characters).")


@strawberry.input(
    description="A draft of the next version of a published assessment: what you give changes what is published; "
    "the published version stays what everyone reads until this one is reviewed and published."
)
class DraftEvidenceAssessmentRevisionInput(UpdateEvidenceAssessmentInput):
    revision: relay.GlobalID | None = strawberry.field(default=None, description="Your open draft of it to change.")
    change_note: str | None = strawberry.field(default=None, description="What changes, and why.")


@strawberry.input(description="A draft of a new best practice: nothing is published until it is reviewed.")
class DraftBestPracticeInput(CreateBestPracticeInput):
    revision: relay.GlobalID | None = strawberry.field(
        default=None, description="Your organisation's open draft to replace (DRAFT or CHANGES_REQUESTED); omit to start one."
    )
    change_note: str | None = strawberry.field(default=None, description="What this proposal is (at most 2000 characters).")


@strawberry.input(
    description="A draft of the next version of a published best practice: what you give changes what is published; "
    "the published version stays what everyone reads until this one is reviewed and published."
)
class DraftBestPracticeRevisionInput(UpdateBestPracticeInput):
    revision: relay.GlobalID | None = strawberry.field(default=None, description="Your open draft of it to change.")
    change_note: str | None = strawberry.field(default=None, description="What changes, and why.")


@strawberry.input(
    description="A draft of an inquiry on a rating, by your organisation, which must have a stake in it: the lead, a "
    "confirmed participant or an assessor of the evidence it weighed (for a best practice: its proposer or an "
    "assessor of the evidence it cites). Nothing is published until two reviewers with no stake have ruled on it."
)
class DraftRatingInquiryInput:
    rating: relay.GlobalID = strawberry.field(description="The outcome rating questioned.")
    grounds: str = strawberry.field(
        description="`inquiry-grounds` code: MISREAD-EVIDENCE, MISSING-STUDY, RULE-MISAPPLIED, NEW-EVIDENCE."
    )
    text: str = strawberry.field(description=f"The question (at most {inquiries.TEXT_LENGTH} characters).")
    revision: relay.GlobalID | None = strawberry.field(
        default=None, description="Your organisation's open draft to replace (DRAFT or CHANGES_REQUESTED); omit to start one."
    )
    change_note: str | None = strawberry.field(default=None, description="A note for the secretariat (at most 2000 characters).")


@strawberry.input(
    description="A draft of your organisation's appeal against the ruling on its published inquiry (one appeal per "
    "inquiry): reviewed like the inquiry, and published as its version 2."
)
class DraftRatingAppealInput:
    inquiry: relay.GlobalID = strawberry.field(description="The published inquiry.")
    text: str = strawberry.field(description=f"Why the ruling is wrong (at most {inquiries.TEXT_LENGTH} characters).")
    revision: relay.GlobalID | None = strawberry.field(default=None, description="Your open draft of it to change.")
    change_note: str | None = strawberry.field(default=None, description="A note for the secretariat.")


@strawberry.input(description="Your draft to send for review.")
class SubmitRevisionInput:
    id: relay.GlobalID = strawberry.field(description="The revision.")


@strawberry.input(description="A revision to withdraw, and why.")
class WithdrawRevisionInput:
    id: relay.GlobalID = strawberry.field(description="The revision.")
    reason: str = strawberry.field(description="Why (published with the tombstone; at most 2000 characters).")


@strawberry.input(description="A person to make one of the Lab's reviewers.")
class GrantReviewerRoleInput:
    membership: relay.GlobalID = strawberry.field(description="One of the person's memberships.")


@strawberry.input(description="A reviewer who is to stop reviewing.")
class RevokeReviewerRoleInput(GrantReviewerRoleInput):
    pass


@strawberry.input(description="An organisation whose records you must not review.")
class DeclareReviewConflictInput:
    organisation: relay.GlobalID = strawberry.field(description="The organisation.")
    reason: str = strawberry.field(description="Why (at most 2000 characters).")


@strawberry.input(description="Reviewers for a submitted revision (two), or a third for one in reconciliation.")
class AssignReviewersInput:
    revision: relay.GlobalID = strawberry.field(description="The revision.")
    reviewers: list[relay.GlobalID] | None = strawberry.field(
        default=None, description="Memberships of the people to assign; omit to draw them among those with no stake."
    )


@strawberry.input(description="Your coding of one finding, in the record's order.")
class FindingCodingInput:
    outcome: str = strawberry.field(description="`outcome` code.")
    comparison: str = strawberry.field(description="`comparison` code.")
    significance: str = strawberry.field(description="`significance` code.")
    risk_of_bias: str | None = strawberry.field(default=None, description="`risk-of-bias` code.")
    proposed_rating: str | None = strawberry.field(default=None, description="`evidence-rating` code.")
    proposed_certainty: str | None = strawberry.field(default=None, description="`certainty` code.")


@strawberry.input(description="Concerns that lower certainty, GRADE's five domains: NOT-SERIOUS, SERIOUS or VERY-SERIOUS.")
class CertaintyCodingInput:
    risk_of_bias: str | None = strawberry.field(default=None, description="Risk of bias.")
    inconsistency: str | None = strawberry.field(default=None, description="Inconsistency.")
    indirectness: str | None = strawberry.field(default=None, description="Indirectness.")
    imprecision: str | None = strawberry.field(default=None, description="Imprecision.")
    publication_bias: str | None = strawberry.field(default=None, description="Publication bias.")


@strawberry.input(description="Your coding of a best practice.")
class PracticeCodingInput:
    evidence_basis: str = strawberry.field(description="`evidence-basis` code: what the practice rests on.")
    support: list[str] = strawberry.field(
        description="Whether each cited assessment supports the statement (YES, PARTLY or NO), one per citation "
        "in the draft's order (its content's `evidence`)."
    )


@strawberry.input(description="Your ruling on a rating inquiry or appeal.")
class InquiryCodingInput:
    ruling: Ruling = strawberry.field(description="UPHELD or DISMISSED.")
    reasons: str = strawberry.field(
        description=f"Your reasons, published with the ruling beside the other reviewer's (at most {inquiries.REASONS_LENGTH} characters)."
    )


@strawberry.input(
    description="Your review: your own coding of the record, blind to the other reviewer's. An evidence assessment "
    "is coded with `studyDesign`, `findings` and `certainty`; a best practice with `practice`; a rating inquiry or "
    "appeal with `inquiry`."
)
class SubmitReviewInput:
    revision: relay.GlobalID = strawberry.field(description="The revision you were assigned.")
    study_design: str | None = strawberry.field(default=None, description="`study-design` code (an evidence assessment).")
    findings: list[FindingCodingInput] | None = strawberry.field(
        default=None, description="One coding per finding, in the record's order (an evidence assessment)."
    )
    certainty: CertaintyCodingInput | None = strawberry.field(default=None, description="Certainty domains (an evidence assessment).")
    practice: PracticeCodingInput | None = strawberry.field(default=None, description="Your coding of a best practice.")
    inquiry: InquiryCodingInput | None = strawberry.field(default=None, description="Your ruling on a rating inquiry or appeal.")
    decision: str = strawberry.field(description="ACCEPT, REVISE or REJECT.")
    notes: str | None = strawberry.field(default=None, description="Notes for the secretariat and, later, the authors.")


@strawberry.input(description="The value one disagreement settles on: one of the two reviewers'.")
class ResolveDisagreementInput:
    revision: relay.GlobalID = strawberry.field(description="The revision.")
    field: str = strawberry.field(description="The disagreement's field, e.g. /findings/0/riskOfBias.")
    value: str | None = strawberry.field(description="The value settled on.")


@strawberry.input(description="What the authors are asked to change.")
class RequestChangesInput:
    revision: relay.GlobalID = strawberry.field(description="The revision.")
    message: str = strawberry.field(description="What to change (at most 4000 characters).")


@strawberry.input(description="A reconciled revision to publish.")
class PublishRevisionInput:
    revision: relay.GlobalID = strawberry.field(description="The revision.")
    change_note: str | None = strawberry.field(default=None, description="The version's change note (default: the authors').")


@strawberry.type(description="The revision after the change, or why nothing changed.")
class RevisionPayload:
    revision: Revision | None = strawberry.field(description="The revision, when the change was made.")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="The revision and the record it published, or why nothing changed.")
class PublishRevisionPayload:
    revision: Revision | None = strawberry.field(description="The revision, now PUBLISHED.")
    evidence_assessment: EvidenceAssessment | None = strawberry.field(
        description="The published record, when it is an evidence assessment (null if you may not read it, as "
        "for another organisation's non-public one)."
    )
    best_practice: BestPractice | None = strawberry.field(
        description="The published record, when it is a best practice (null if you may not read it)."
    )
    rating_inquiry: RatingInquiry | None = strawberry.field(
        description="The published record, when it is a rating inquiry (null if you may not read its rating)."
    )
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="Whether the change was made.")
class ReviewerPayload:
    done: bool | None = strawberry.field(description="True when the change was made.")
    user_errors: list[UserError] = user_errors_field()


def _revision(info: Info, row) -> RevisionPayload:  # noqa: ANN001
    return RevisionPayload(revision=Revision.from_model(row))


def _revision_id(input: DraftBestPracticeInput | DraftBestPracticeRevisionInput | DraftRatingInquiryInput | DraftRatingAppealInput) -> int | None:  # noqa: A002
    return ids.decode(input.revision, "Revision", ["revision"]) if input.revision else None


def _coding(input: SubmitReviewInput) -> coding.Coding | PracticeCoding | InquiryCoding | None:  # noqa: A002
    """The coding the input gives: a practice's, an inquiry's, an assessment's, or None (the service names
    what is missing)."""
    given = {
        "studyDesign": input.study_design is not None or input.findings is not None or input.certainty is not None,
        "practice": input.practice is not None,
        "inquiry": input.inquiry is not None,
    }
    if sum(given.values()) > 1:
        field = next(name for name in ("inquiry", "practice") if given[name])
        raise DomainError.one([field], ErrorCode.INVALID_VALUE, "Code one kind of record: an evidence assessment, a best practice or an inquiry.")
    if input.inquiry is not None:
        return InquiryCoding(ruling=input.inquiry.ruling.value, reasons=input.inquiry.reasons, decision=input.decision)
    if input.practice is not None:
        return PracticeCoding(evidence_basis=input.practice.evidence_basis, support=list(input.practice.support), decision=input.decision)
    if input.study_design is None or input.findings is None:
        return None
    certainty = {}
    if input.certainty is not None:
        names = {"risk_of_bias": "riskOfBias", "publication_bias": "publicationBias"}
        certainty = {names.get(k, k): v for k, v in vars(input.certainty).items() if v is not None}
    return coding.Coding(
        study_design=input.study_design,
        findings=[coding.FindingCoding(**vars(f)) for f in input.findings],
        decision=input.decision,
        certainty=certainty,
    )


async def _user_of(info: Info, membership: relay.GlobalID, field: list[str]) -> int:
    return await reviewers.user_of_membership(
        session=info.context.session, membership_id=ids.decode(membership, "Membership", field), field=field
    )


@strawberry.type
class Mutation:
    @mutation(scope=Scope.ASSESSMENTS_WRITE, description="Start or change a draft of a new evidence assessment (`assessments:write`).")
    async def draft_evidence_assessment(self, info: Info, input: DraftEvidenceAssessmentInput) -> RevisionPayload:  # noqa: A002
        data = assessment_data(input)
        if input.study is not None:
            data.study_id = ids.decode(input.study, "Study", ["study"])
        row = await service.draft(
            **info.context.acting,
            record_type=ReviewedType.EVIDENCE_ASSESSMENT,
            revision_id=ids.decode(input.revision, "Revision", ["revision"]) if input.revision else None,
            parent_id=ids.decode(input.initiative, "Initiative", ["initiative"]),
            record_id=None,
            data=data,
            change_note=input.change_note,
        )
        return _revision(info, row)

    @mutation(
        scope=Scope.ASSESSMENTS_WRITE,
        description="Start or change a draft of the next version of a published assessment (`assessments:write`).",
    )
    async def draft_evidence_assessment_revision(
        self, info: Info, input: DraftEvidenceAssessmentRevisionInput  # noqa: A002
    ) -> RevisionPayload:
        row = await service.draft(
            **info.context.acting,
            record_type=ReviewedType.EVIDENCE_ASSESSMENT,
            revision_id=ids.decode(input.revision, "Revision", ["revision"]) if input.revision else None,
            parent_id=None,
            record_id=ids.decode(input.id, "EvidenceAssessment", ["id"]),
            data=assessment_data(input),
            change_note=input.change_note,
        )
        return _revision(info, row)

    @mutation(scope=Scope.PRACTICES_WRITE, description="Start or change a draft of a new best practice (`practices:write`).")
    async def draft_best_practice(self, info: Info, input: DraftBestPracticeInput) -> RevisionPayload:  # noqa: A002
        row = await service.draft(
            **info.context.acting,
            record_type=ReviewedType.BEST_PRACTICE,
            revision_id=_revision_id(input),
            parent_id=None,
            record_id=None,
            data=practice_data(input),
            change_note=input.change_note,
        )
        return _revision(info, row)

    @mutation(
        scope=Scope.PRACTICES_WRITE,
        description="Start or change a draft of the next version of a published best practice (`practices:write`).",
    )
    async def draft_best_practice_revision(self, info: Info, input: DraftBestPracticeRevisionInput) -> RevisionPayload:  # noqa: A002
        row = await service.draft(
            **info.context.acting,
            record_type=ReviewedType.BEST_PRACTICE,
            revision_id=_revision_id(input),
            parent_id=None,
            record_id=ids.decode(input.id, "BestPractice", ["id"]),
            data=practice_data(input),
            change_note=input.change_note,
        )
        return _revision(info, row)

    @mutation(
        scope=Scope.ASSESSMENTS_WRITE,
        description="Start or change a draft of an inquiry on an outcome rating your organisation has a stake in "
        "(`assessments:write`); anyone else gets NO_STAKE.",
    )
    async def draft_rating_inquiry(self, info: Info, input: DraftRatingInquiryInput) -> RevisionPayload:  # noqa: A002
        row = await service.draft(
            **info.context.acting,
            record_type=ReviewedType.RATING_INQUIRY,
            revision_id=_revision_id(input),
            parent_id=None,
            record_id=None,
            data=inquiries.InquiryData(
                rating_id=ids.decode(input.rating, "OutcomeRating", ["rating"]), grounds=input.grounds, text=input.text
            ),
            change_note=input.change_note,
        )
        return _revision(info, row)

    @mutation(
        scope=Scope.ASSESSMENTS_WRITE,
        description="Start or change a draft of your organisation's appeal against the ruling on its published "
        "inquiry (`assessments:write`).",
    )
    async def draft_rating_appeal(self, info: Info, input: DraftRatingAppealInput) -> RevisionPayload:  # noqa: A002
        row = await service.draft(
            **info.context.acting,
            record_type=ReviewedType.RATING_INQUIRY,
            revision_id=_revision_id(input),
            parent_id=None,
            record_id=ids.decode(input.inquiry, "RatingInquiry", ["inquiry"]),
            data=inquiries.InquiryData(appeal=input.text),
            change_note=input.change_note,
        )
        return _revision(info, row)

    @mutation(scope=None, description="Send your draft for review; it is locked until it comes back (the scope that writes its kind of record).")
    async def submit_revision(self, info: Info, input: SubmitRevisionInput) -> RevisionPayload:  # noqa: A002
        row = await service.submit(**info.context.acting, revision_id=ids.decode(input.id, "Revision", ["id"]))
        return _revision(info, row)

    @mutation(scope=None, description="Withdraw a revision before publication, with a reason (the scope that writes its kind of record).")
    async def withdraw_revision(self, info: Info, input: WithdrawRevisionInput) -> RevisionPayload:  # noqa: A002
        row = await service.withdraw(
            **info.context.acting, revision_id=ids.decode(input.id, "Revision", ["id"]), reason=input.reason
        )
        return _revision(info, row)

    @mutation(scope=Scope.LAB_ADMIN, description="Make a person one of the Lab's reviewers (the secretariat, `lab:admin`).")
    async def grant_reviewer_role(self, info: Info, input: GrantReviewerRoleInput) -> ReviewerPayload:  # noqa: A002
        await reviewers.grant(**info.context.acting, user_id=await _user_of(info, input.membership, ["membership"]))
        return ReviewerPayload(done=True)

    @mutation(scope=Scope.LAB_ADMIN, description="End a person's reviewer role (the secretariat, `lab:admin`).")
    async def revoke_reviewer_role(self, info: Info, input: RevokeReviewerRoleInput) -> ReviewerPayload:  # noqa: A002
        await reviewers.revoke(**info.context.acting, user_id=await _user_of(info, input.membership, ["membership"]))
        return ReviewerPayload(done=True)

    @mutation(scope=Scope.ASSESSMENTS_WRITE, description="Declare that you must not review records concerning an organisation.")
    async def declare_review_conflict(self, info: Info, input: DeclareReviewConflictInput) -> ReviewerPayload:  # noqa: A002
        await reviewers.declare_conflict(
            **info.context.acting,
            organisation_id=ids.decode(input.organisation, "Organisation", ["organisation"]),
            reason=input.reason,
        )
        return ReviewerPayload(done=True)

    @mutation(scope=Scope.LAB_ADMIN, description="Assign a submitted revision its two reviewers, or a third in reconciliation.")
    async def assign_reviewers(self, info: Info, input: AssignReviewersInput) -> RevisionPayload:  # noqa: A002
        revision_id = ids.decode(input.revision, "Revision", ["revision"])
        users = [await _user_of(info, m, ["reviewers", str(i)]) for i, m in enumerate(input.reviewers or [])]
        await service.assign(**info.context.acting, revision_id=revision_id, user_ids=users)
        return _revision(info, await service.get(**info.context.acting, revision_id=revision_id))

    @mutation(scope=None, description="Submit your review of a revision you were assigned (the scope that writes its kind of record).")
    async def submit_review(self, info: Info, input: SubmitReviewInput) -> RevisionPayload:  # noqa: A002
        revision_id = ids.decode(input.revision, "Revision", ["revision"])
        await service.submit_review(**info.context.acting, revision_id=revision_id, review=_coding(input), notes=input.notes)
        return _revision(info, await service.get(**info.context.acting, revision_id=revision_id))

    @mutation(scope=None, description="Settle a disagreement (the secretariat, or the third reviewer with the scope that writes its kind of record).")
    async def resolve_disagreement(self, info: Info, input: ResolveDisagreementInput) -> RevisionPayload:  # noqa: A002
        revision_id = ids.decode(input.revision, "Revision", ["revision"])
        await service.resolve(**info.context.acting, revision_id=revision_id, field=input.field, value=input.value)
        return _revision(info, await service.get(**info.context.acting, revision_id=revision_id))

    @mutation(scope=Scope.LAB_ADMIN, description="Send a reconciled revision back to its authors (the secretariat).")
    async def request_changes(self, info: Info, input: RequestChangesInput) -> RevisionPayload:  # noqa: A002
        row = await service.request_changes(
            **info.context.acting, revision_id=ids.decode(input.revision, "Revision", ["revision"]), message=input.message
        )
        return _revision(info, row)

    @mutation(scope=Scope.LAB_ADMIN, description="Publish a reconciled, accepted revision as the record's next version.")
    async def publish_revision(self, info: Info, input: PublishRevisionInput) -> PublishRevisionPayload:  # noqa: A002
        revision, record = await service.publish(
            **info.context.acting,
            revision_id=ids.decode(input.revision, "Revision", ["revision"]),
            change_note=input.change_note,
        )
        # The secretariat publishes what it may not read (another organisation's non-public record): the
        # payload gives it the record only through the read rule every other path uses.
        terms = info.context.terms
        assessment = practice = inquiry = None
        if isinstance(record, AssessmentRow):
            assessment = await evidence.get(**info.context.acting, assessment_id=record.id)
        elif isinstance(record, InquiryRow):
            inquiry = await inquiries.get(**info.context.acting, inquiry_id=record.id)
        else:
            practice = await practices.get(**info.context.acting, practice_id=record.id)
        return PublishRevisionPayload(
            revision=Revision.from_model(revision),
            evidence_assessment=EvidenceAssessment.from_model(assessment, terms) if assessment else None,
            best_practice=BestPractice.from_model(practice, terms) if practice else None,
            rating_inquiry=RatingInquiry.from_model(inquiry, terms) if inquiry else None,
        )
