"""OAuth client queries."""

import strawberry

from api.graphql.permissions import requires
from api.auth.scopes import Scope
from api.graphql.context import Info
from api.oauth import service
from api.oauth.models import OAuthClient as OAuthClientRow
from api.oauth.types import OAuthClient
from api.core.ordering import SortKey
from api.graphql.pagination import Connection, paginate

NEWEST_FIRST = SortKey(OAuthClientRow.created_at, True, "datetime")


@strawberry.type
class Query:
    @strawberry.field(
        description="Your organisation's OAuth clients, newest first (administrators, with `org:admin`).",
        extensions=[requires(Scope.ORG_ADMIN)],
    )
    async def oauth_clients(self, info: Info, first: int | None = 20, after: str | None = None) -> Connection[OAuthClient]:
        return await paginate(
            info,
            statement=service.managed_by(info.context.principal),
            id_column=OAuthClientRow.id,
            key=NEWEST_FIRST,
            first=first,
            after=after,
            to_node=OAuthClient.from_model,
        )
