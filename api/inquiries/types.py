"""GraphQL types for questioning a rating: published inquiries and appeals, with the reviewers' ruling.
Readable by whoever may read the rating (docs/evidence-design.md, "Questioning a rating"); drafts and
inquiries under review are revisions (api/reviews/types.py)."""

from datetime import datetime
from functools import partial

import strawberry
from strawberry import relay

from api.activity.types import trail
from api.core.ordering import SortKey
from api.graphql.context import Info
from api.graphql.ids import decode_arguments
from api.graphql.loaders import load_nodes, load_one
from api.graphql.pagination import Connection, paginate
from api.graphql.records import from_row
from api.inquiries import loaders, models, service
from api.inquiries.models import RatingInquiry as InquiryRow
from api.organisations.types import Organisation
from api.ratings import loaders as rating_loaders
from api.ratings.types import OutcomeRating
from api.versions.types import Versioned
from api.vocabularies.cache import TermCache
from api.vocabularies.types import Term, term

Ruling = strawberry.enum(
    models.Ruling,
    name="RatingInquiryRuling",
    description="UPHELD: the inquiry (or appeal) is right, and the rule set or the coding of the evidence must be "
    "corrected; DISMISSED: the rating stands.",
)


@strawberry.type(
    description="A question about an outcome rating, filed by an organisation with a stake in it and published once "
    "two reviewers with no stake have ruled on it (version 1); an appeal against that ruling, reviewed the same way, "
    "is its version 2. Everyone who may read the rating may read its published inquiries: the registry is open "
    "about how its ratings are questioned."
)
class RatingInquiry(relay.Node, Versioned):
    id: relay.NodeID[int]
    grounds: Term = strawberry.field(description="Why the rating is questioned (vocabulary `inquiry-grounds`).")
    text: str = strawberry.field(description="The question, as filed.")
    appeal: str | None = strawberry.field(description="The filing organisation's appeal against the first ruling, if it appealed.")
    ruling: Ruling | None = strawberry.field(
        description="The reviewers' reconciled ruling (on the appeal, once there is one); null only for an inquiry the "
        "secretariat answered alone, before inquiries were reviewed."
    )
    reasons: list[str] = strawberry.field(description="The two reviewers' reasons for the ruling, in their order.")
    answer: str | None = strawberry.field(
        description="The secretariat's answer, for an inquiry answered before inquiries were reviewed; null otherwise."
    )
    decided_at: datetime | None = strawberry.field(description="When the ruling now published was made.")
    created_at: datetime = strawberry.field(description="When it was first published.")
    _row: strawberry.Private[InquiryRow]

    @classmethod
    def from_model(cls, row: InquiryRow, term_cache: TermCache) -> "RatingInquiry":
        return from_row(
            cls,
            row,
            grounds=term(term_cache, "inquiry-grounds", row.grounds),
            ruling=models.Ruling(row.ruling) if row.ruling else None,
            reasons=list(row.reasons or []),
        )

    activity = trail("RatingInquiry")

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids, required: bool = False):  # noqa: ANN001, ANN206
        return await load_nodes(info, node_ids, loaders.inquiry_by_id, cls.from_model)

    @classmethod
    def loaded(cls, info: Info, inquiry_id: int | None) -> "RatingInquiry | None":
        return load_one(info, loaders.inquiry_by_id, inquiry_id, cls.from_model)

    @strawberry.field(description="The organisation that filed it (null if you may not read it).")
    def organisation(self, info: Info) -> Organisation | None:
        return Organisation.loaded(info, self._row.organisation_id)

    @strawberry.field(description="The rating questioned.")
    def rating(self, info: Info) -> OutcomeRating | None:
        return load_one(info, rating_loaders.rating_by_id, self._row.rating_id, OutcomeRating.from_model)


@strawberry.input(description="Filters for rating inquiries; values within one filter are alternatives, filters combine.")
class RatingInquiryFilter:
    ruling: list[Ruling] | None = strawberry.field(default=None, description="Inquiries with these rulings.")
    rating: list[relay.GlobalID] | None = strawberry.field(default=None, description="Inquiries on these ratings.")


NEWEST_FIRST = SortKey(InquiryRow.created_at, True, "datetime")


async def list_inquiries(
    info: Info, *, first: int | None, after: str | None, filter: RatingInquiryFilter | None  # noqa: A002
) -> Connection[RatingInquiry]:
    f = filter or RatingInquiryFilter()
    where = service.InquiryFilter(
        rulings=[r.value for r in f.ruling or []],
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
