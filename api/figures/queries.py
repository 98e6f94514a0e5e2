"""Figure queries."""

import strawberry

from api.figures.types import Figure, FigureFilter, FigureOrder, list_figures
from api.graphql.context import Info
from api.graphql.pagination import Connection


@strawberry.type
class Query:
    @strawberry.field(
        description="Figures you may read (numbers that size or describe the problem), filtered and ordered; the "
        "latest period first by default."
    )
    async def figures(
        self,
        info: Info,
        first: int | None = 20,
        after: str | None = None,
        filter: FigureFilter | None = None,  # noqa: A002
        order_by: FigureOrder = FigureOrder.PERIOD_END_DESC,
    ) -> Connection[Figure]:
        return await list_figures(info, first=first, after=after, filter=filter, order_by=order_by)
