"""Rating inquiry queries."""

import strawberry

from api.graphql.context import Info
from api.graphql.pagination import Connection
from api.inquiries.types import RatingInquiry, RatingInquiryFilter, list_inquiries


@strawberry.type
class Query:
    @strawberry.field(
        description="Published inquiries on outcome ratings you may read, newest first, with their rulings and appeals."
    )
    async def rating_inquiries(
        self,
        info: Info,
        first: int | None = 20,
        after: str | None = None,
        filter: RatingInquiryFilter | None = None,  # noqa: A002
    ) -> Connection[RatingInquiry]:
        return await list_inquiries(info, first=first, after=after, filter=filter)
