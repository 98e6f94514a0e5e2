"""Webhook queries."""

import strawberry

from api.auth.scopes import Scope
from api.core.ordering import SortKey
from api.graphql.context import Info
from api.graphql.pagination import Connection, paginate
from api.graphql.permissions import requires
from api.webhooks import service
from api.webhooks.models import WebhookEndpoint as EndpointRow
from api.webhooks.types import WebhookEndpoint

OLDEST_FIRST = SortKey(EndpointRow.created_at, False, "datetime")


@strawberry.type
class Query:
    @strawberry.field(
        description="Your organisation's webhook endpoints, oldest first (administrators, with `org:admin`).",
        extensions=[requires(Scope.ORG_ADMIN)],
    )
    async def webhook_endpoints(
        self, info: Info, first: int | None = 20, after: str | None = None
    ) -> Connection[WebhookEndpoint]:
        return await paginate(
            info,
            statement=service.readable(info.context.principal),
            id_column=EndpointRow.id,
            key=OLDEST_FIRST,
            first=first,
            after=after,
            to_node=WebhookEndpoint.from_model,
        )
