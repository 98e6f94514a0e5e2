"""Revision queries."""

import strawberry

from api.graphql.context import Info
from api.graphql.pagination import Connection
from api.reviews.models import RevisionState
from api.reviews import agreement
from api.reviews.types import ReviewerPairAgreement, Revision, list_revisions


@strawberry.type
class Query:
    @strawberry.field(
        description="Revisions you may read, most recently changed first: your organisation's drafts, those you "
        "were assigned to review, and for the secretariat every submitted one."
    )
    async def revisions(
        self, info: Info, first: int | None = 20, after: str | None = None, states: list[RevisionState] | None = None
    ) -> Connection[Revision]:
        return await list_revisions(info, first=first, after=after, states=states)

    @strawberry.field(
        description="Inter-reviewer agreement per pair of reviewers (the secretariat only; empty for anyone else)."
    )
    async def reviewer_agreement(self, info: Info) -> list[ReviewerPairAgreement]:
        pairs = await agreement.by_pair(session=info.context.session, principal=info.context.principal)
        return [
            ReviewerPairAgreement(reviewers=list(p.reviewers), rounds=p.rounds, fields_agreed=p.agreed, fields_compared=p.compared)
            for p in pairs
        ]
