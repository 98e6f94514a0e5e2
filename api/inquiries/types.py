"""GraphQL types for questioning a rating: inquiries, the appeals they are escalated to, and the reviewers'
decisions. Readable by whoever may read the rating (docs/api.md, "Questioning a rating")."""

from datetime import datetime
from functools import partial

import strawberry
from strawberry import relay

from api.activity.types import trail
from api.graphql.context import Info
from api.graphql.ids import decode_arguments
from api.graphql.loaders import load_nodes, load_one
from api.graphql.pagination import Connection, paginate
from api.graphql.records import from_row
from api.core.ordering import SortKey
from api.inquiries import loaders, models, service
from api.inquiries.models import RatingAppeal as AppealRow
from api.inquiries.models import RatingAppealReviewer as ReviewerRow
from api.inquiries.models import RatingInquiry as InquiryRow
from api.organisations.types import Organisation
from api.ratings import loaders as rating_loaders
from api.ratings.types import OutcomeRating
from api.vocabularies.cache import TermCache
from api.vocabularies.types import Term, term

InquiryStatus = strawberry.enum(
    models.InquiryStatus,
    name="RatingInquiryStatus",
    description="OPEN until the secretariat answers; ANSWERED; ESCALATED to an appeal; DECIDED once the appeal is.",
)
AppealStatus = strawberry.enum(
    models.AppealStatus,
    name="RatingAppealStatus",
    description="AWAITING_REVIEWERS until the secretariat names two; UNDER_REVIEW; DECIDED once both decided.",
)
AppealDecision = strawberry.enum(
    models.AppealDecision,
    name="RatingAppealDecision",
    description="UPHELD: the rule set or the coding must be corrected; DISMISSED: the rating stands.",
)


@strawberry.type(description="A reviewer organisation of an appeal, and its decision once one of its members recorded it.")
class RatingAppealReviewer:
    position: int = strawberry.field(description="1 or 2, in the order the secretariat named them.")
    decision: AppealDecision | None = strawberry.field(description="Its decision; null until it decides.")
    reasons: str | None = strawberry.field(description="Its reasons, published with the decision.")
    decided_at: datetime | None = strawberry.field(description="When it decided.")
    _row: strawberry.Private[ReviewerRow]

    @classmethod
    def from_model(cls, row: ReviewerRow) -> "RatingAppealReviewer":
        return from_row(cls, row, decision=models.AppealDecision(row.decision) if row.decision else None)

    @strawberry.field(description="The reviewer organisation (null if you may not read it).")
    def organisation(self, info: Info) -> Organisation | None:
        return Organisation.loaded(info, self._row.organisation_id)


@strawberry.type(
    description="An answered inquiry escalated by its filing organisation, decided by two reviewer organisations "
    "with no stake in the rating. Its outcome is published in the rating's history (reason APPEAL)."
)
class RatingAppeal(relay.Node):
    id: relay.NodeID[int]
    text: str = strawberry.field(description="Why the filing organisation disputes the answer.")
    status: AppealStatus = strawberry.field(description="Where the appeal stands.")
    outcome: AppealDecision | None = strawberry.field(
        description="UPHELD when both reviewers uphold it, otherwise DISMISSED; null until both decided."
    )
    assigned_at: datetime | None = strawberry.field(description="When the secretariat named the reviewers.")
    decided_at: datetime | None = strawberry.field(description="When the second reviewer decided.")
    created_at: datetime = strawberry.field(description="When it was escalated.")
    _row: strawberry.Private[AppealRow]

    @classmethod
    def from_model(cls, row: AppealRow, term_cache: TermCache | None = None) -> "RatingAppeal":  # noqa: ARG003
        return from_row(
            cls,
            row,
            status=models.AppealStatus(row.status),
            outcome=models.AppealDecision(row.outcome) if row.outcome else None,
        )

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids, required: bool = False):  # noqa: ANN001, ANN206
        return await load_nodes(info, node_ids, loaders.appeal_by_id, cls.from_model)

    @strawberry.field(description="The two reviewer organisations and their decisions (none before they are named).")
    def reviewers(self, info: Info) -> list[RatingAppealReviewer]:
        return info.context.loaders.resolve(
            loaders.reviewers_of, self.id, lambda rows: [RatingAppealReviewer.from_model(r) for r in rows]
        )

    @strawberry.field(description="The inquiry escalated.")
    def inquiry(self, info: Info) -> "RatingInquiry | None":
        return load_one(info, loaders.inquiry_by_id, self._row.inquiry_id, RatingInquiry.from_model)


@strawberry.type(
    description="A question about an outcome rating, filed by an organisation with a stake in it, answered by the "
    "secretariat. Everyone who may read the rating may read its inquiries: the registry is open about how its "
    "ratings are questioned."
)
class RatingInquiry(relay.Node):
    id: relay.NodeID[int]
    grounds: Term = strawberry.field(description="Why the rating is questioned (vocabulary `inquiry-grounds`).")
    text: str = strawberry.field(description="The question, as filed.")
    status: InquiryStatus = strawberry.field(description="Where the inquiry stands.")
    answer: str | None = strawberry.field(description="The secretariat's answer; null until answered.")
    answered_at: datetime | None = strawberry.field(description="When the secretariat answered.")
    created_at: datetime = strawberry.field(description="When it was filed.")
    _row: strawberry.Private[InquiryRow]

    @classmethod
    def from_model(cls, row: InquiryRow, term_cache: TermCache) -> "RatingInquiry":
        return from_row(
            cls, row, grounds=term(term_cache, "inquiry-grounds", row.grounds), status=models.InquiryStatus(row.status)
        )

    activity = trail("RatingInquiry")

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids, required: bool = False):  # noqa: ANN001, ANN206
        return await load_nodes(info, node_ids, loaders.inquiry_by_id, cls.from_model)

    @strawberry.field(description="The organisation that filed it (null if you may not read it).")
    def organisation(self, info: Info) -> Organisation | None:
        return Organisation.loaded(info, self._row.organisation_id)

    @strawberry.field(description="The rating questioned.")
    def rating(self, info: Info) -> OutcomeRating | None:
        return load_one(info, rating_loaders.rating_by_id, self._row.rating_id, OutcomeRating.from_model)

    @strawberry.field(description="The appeal it was escalated to, if it was.")
    def appeal(self, info: Info) -> RatingAppeal | None:
        return info.context.loaders.resolve(
            loaders.appeal_of, self.id, lambda row: RatingAppeal.from_model(row) if row is not None else None
        )


@strawberry.input(description="Filters for rating inquiries; values within one filter are alternatives, filters combine.")
class RatingInquiryFilter:
    status: list[InquiryStatus] | None = strawberry.field(default=None, description="Inquiries in these states.")
    rating: list[relay.GlobalID] | None = strawberry.field(default=None, description="Inquiries on these ratings.")


NEWEST_FIRST = SortKey(InquiryRow.created_at, True, "datetime")


async def list_inquiries(
    info: Info, *, first: int | None, after: str | None, filter: RatingInquiryFilter | None  # noqa: A002
) -> Connection[RatingInquiry]:
    f = filter or RatingInquiryFilter()
    where = service.InquiryFilter(
        statuses=[s.value for s in f.status or []],
        rating_ids=decode_arguments(f.rating or [], "OutcomeRating", ["filter", "rating"]),
    )
    return await paginate(
        info,
        statement=service.filtered(info.context.principal, where),
        id_column=InquiryRow.id,
        key=NEWEST_FIRST,
        first=first,
        after=after,
        to_node=partial(RatingInquiry.from_model, term_cache=info.context.terms),
    )
