"""The Lab-wide activity query."""

import strawberry

from api.activity.types import Activity, ActivityFilter, page
from api.graphql.context import Info
from api.graphql.pagination import Connection


@strawberry.type
class Query:
    @strawberry.field(
        description="What happened across the registry, newest first: entries about records you may read only "
        "(anonymous callers: public records). `first`/`after` page forwards, `last`/`before` backwards; 20 when "
        "neither is given."
    )
    async def activity(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        filter: ActivityFilter | None = None,  # noqa: A002
    ) -> Connection[Activity]:
        return await page(info, first=first, after=after, last=last, before=before, filter=filter)
