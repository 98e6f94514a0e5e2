"""Best-practice queries."""

import strawberry

from api.graphql.context import Info
from api.graphql.pagination import Connection
from api.practices.types import BestPractice, BestPracticeFilter, BestPracticeOrder, list_practices


@strawberry.type
class Query:
    @strawberry.field(description="Best practices you may read, filtered and ordered.")
    async def best_practices(
        self,
        info: Info,
        first: int | None = 20,
        after: str | None = None,
        filter: BestPracticeFilter | None = None,  # noqa: A002
        order_by: BestPracticeOrder = BestPracticeOrder.UPDATED_AT_DESC,
    ) -> Connection[BestPractice]:
        return await list_practices(info, first=first, after=after, filter=filter, order_by=order_by)
