"""Best-practice queries."""

import strawberry

from api.context import Info
from api.pagination import Connection, SortKey, paginate
from api.practices import service
from api.practices.models import BestPractice as PracticeRow
from api.practices.types import BestPractice


@strawberry.type
class Query:
    @strawberry.field(description="Best practices you may read, newest first.")
    async def best_practices(
        self, info: Info, first: int | None = 20, after: str | None = None
    ) -> Connection[BestPractice]:
        return await paginate(
            session=info.context.session,
            statement=service.readable(info.context.principal),
            id_column=PracticeRow.id,
            key=SortKey(PracticeRow.updated_at, True, "datetime"),
            first=first,
            after=after,
            to_node=BestPractice.from_model,
            lock=info.context.loaders.lock,
        )
