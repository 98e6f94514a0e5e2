"""Questioning a rating: file an inquiry, answer it, escalate it to an appeal, name its reviewers, decide it."""

import strawberry
from strawberry import relay

from api.auth.scopes import Scope
from api.graphql import ids
from api.graphql.context import Info
from api.graphql.errors import UserError, user_errors_field
from api.graphql.mutations import mutation
from api.inquiries import service
from api.inquiries.types import AppealDecision, RatingAppeal, RatingInquiry


@strawberry.input(description="An inquiry on a rating, filed by your organisation, which must have a stake in it.")
class FileRatingInquiryInput:
    rating: relay.GlobalID = strawberry.field(description="The outcome rating questioned.")
    grounds: str = strawberry.field(
        description="`inquiry-grounds` code: MISREAD-EVIDENCE, MISSING-STUDY, RULE-MISAPPLIED, NEW-EVIDENCE."
    )
    text: str = strawberry.field(description=f"The question (at most {service.TEXT_LENGTH} characters).")


@strawberry.input(description="The secretariat's answer to an open inquiry.")
class AnswerRatingInquiryInput:
    inquiry: relay.GlobalID = strawberry.field(description="The inquiry.")
    answer: str = strawberry.field(description=f"The answer (at most {service.TEXT_LENGTH} characters).")


@strawberry.input(description="An appeal against the answer to your organisation's inquiry.")
class EscalateRatingInquiryInput:
    inquiry: relay.GlobalID = strawberry.field(description="The answered inquiry.")
    text: str = strawberry.field(description=f"Why the answer is disputed (at most {service.TEXT_LENGTH} characters).")


@strawberry.input(description="The two reviewer organisations of an appeal, with no stake in the rating.")
class AssignAppealReviewersInput:
    appeal: relay.GlobalID = strawberry.field(description="The appeal.")
    reviewers: list[relay.GlobalID] = strawberry.field(description="Exactly two organisations.")


@strawberry.input(description="Your reviewer organisation's decision on an appeal.")
class DecideRatingAppealInput:
    appeal: relay.GlobalID = strawberry.field(description="The appeal.")
    decision: AppealDecision = strawberry.field(description="UPHELD or DISMISSED.")
    reasons: str = strawberry.field(
        description=f"The reasons, published with the decision (at most {service.REASONS_LENGTH} characters)."
    )


@strawberry.type(description="The inquiry after the change, or why nothing changed.")
class RatingInquiryPayload:
    inquiry: RatingInquiry | None = strawberry.field(description="The inquiry, when the change was made.")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="The appeal after the change, or why nothing changed.")
class RatingAppealPayload:
    appeal: RatingAppeal | None = strawberry.field(description="The appeal, when the change was made.")
    user_errors: list[UserError] = user_errors_field()


def _inquiry(info: Info, row: object) -> RatingInquiryPayload:
    return RatingInquiryPayload(inquiry=RatingInquiry.from_model(row, info.context.terms))


def _appeal(row: object) -> RatingAppealPayload:
    return RatingAppealPayload(appeal=RatingAppeal.from_model(row))


@strawberry.type
class Mutation:
    @mutation(
        scope=Scope.ASSESSMENTS_WRITE,
        description="Question an outcome rating for your organisation (`assessments:write`): only the lead, a "
        "confirmed participant or an assessor of the evidence it weighed (for a best practice: its proposer or an "
        "assessor of the evidence it cites) may; anyone else gets NO_STAKE.",
    )
    async def file_rating_inquiry(self, info: Info, input: FileRatingInquiryInput) -> RatingInquiryPayload:  # noqa: A002
        row = await service.file(
            **info.context.acting,
            rating_id=ids.decode(input.rating, "OutcomeRating", ["rating"]),
            grounds=input.grounds,
            text=input.text,
        )
        return _inquiry(info, row)

    @mutation(scope=Scope.LAB_ADMIN, description="Answer an open inquiry (`lab:admin`, the secretariat).")
    async def answer_rating_inquiry(self, info: Info, input: AnswerRatingInquiryInput) -> RatingInquiryPayload:  # noqa: A002
        row = await service.answer(
            **info.context.acting, inquiry_id=ids.decode(input.inquiry, "RatingInquiry", ["inquiry"]), answer=input.answer
        )
        return _inquiry(info, row)

    @mutation(
        scope=Scope.ASSESSMENTS_WRITE,
        description="Escalate your organisation's answered inquiry to an appeal (`assessments:write`).",
    )
    async def escalate_rating_inquiry(self, info: Info, input: EscalateRatingInquiryInput) -> RatingAppealPayload:  # noqa: A002
        row = await service.escalate(
            **info.context.acting, inquiry_id=ids.decode(input.inquiry, "RatingInquiry", ["inquiry"]), text=input.text
        )
        return _appeal(row)

    @mutation(
        scope=Scope.LAB_ADMIN,
        description="Name the two reviewer organisations of an appeal (`lab:admin`, the secretariat): neither may "
        "have a stake in the rating (NO_STAKE), nor be the other (DUPLICATE).",
    )
    async def assign_appeal_reviewers(self, info: Info, input: AssignAppealReviewersInput) -> RatingAppealPayload:  # noqa: A002
        row = await service.assign_reviewers(
            **info.context.acting,
            appeal_id=ids.decode(input.appeal, "RatingAppeal", ["appeal"]),
            organisation_ids=ids.decode_many(input.reviewers, "Organisation", ["reviewers"]),
        )
        return _appeal(row)

    @mutation(
        scope=Scope.ASSESSMENTS_WRITE,
        description="Record your reviewer organisation's decision on an appeal (`assessments:write`). Once both "
        "reviewers decided, the outcome and their reasons are published in the rating's history (reason APPEAL).",
    )
    async def decide_rating_appeal(self, info: Info, input: DecideRatingAppealInput) -> RatingAppealPayload:  # noqa: A002
        row = await service.decide(
            **info.context.acting,
            appeal_id=ids.decode(input.appeal, "RatingAppeal", ["appeal"]),
            decision=service.AppealDecision(input.decision.value),
            reasons=input.reasons,
        )
        return _appeal(row)
