"""Revision queries."""

import strawberry

from api.graphql.context import Info
from api.graphql.pagination import Connection
from api.reviews.models import RevisionState
from api.reviews.types import Revision, list_revisions


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
