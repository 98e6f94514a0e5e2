"""Initiative queries."""

import strawberry
from strawberry import relay

from api.graphql.context import Info
from api.graphql.ids import decode_argument
from api.initiatives import loaders
from api.initiatives.types import Initiative, InitiativeFilter, InitiativeOrder
from api.graphql.pagination import Connection


@strawberry.type
class Query:
    @strawberry.field(description="An initiative by its global id; null if missing or not yours to see.")
    async def initiative(self, info: Info, id: relay.GlobalID) -> Initiative | None:  # noqa: A002
        key = decode_argument(id, "Initiative", ["id"])
        if key is None:
            return None
        row = await info.context.loaders(loaders.initiative_by_id).load(key)
        return Initiative.from_model(row, info.context.terms) if row else None

    @strawberry.field(description="Initiatives you may read, filtered and ordered.")
    async def initiatives(
        self,
        info: Info,
        first: int | None = 20,
        after: str | None = None,
        filter: InitiativeFilter | None = None,  # noqa: A002
        order_by: InitiativeOrder = InitiativeOrder.UPDATED_AT_DESC,
    ) -> Connection[Initiative]:
        return await Initiative.page(info, first=first, after=after, filter=filter, order_by=order_by)
