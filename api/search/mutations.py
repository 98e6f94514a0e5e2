"""`searchToken`: a short-lived Meilisearch tenant token for a browser frontend, whose search rules
carry the caller's access filter, so searching Meilisearch directly shows no more than
`searchInitiatives` would (issued by `service.tenant_token`)."""

from datetime import datetime

import strawberry

from api.graphql.context import Info
from api.graphql.errors import ApiError
from api.graphql.mutations import mutation
from api.search import service


@strawberry.type(description="A tenant token for searching the initiatives index of Meilisearch directly.")
class SearchToken:
    token: str = strawberry.field(description="Send as the Meilisearch API key (Authorization: Bearer).")
    url: str = strawberry.field(description="The Meilisearch server.")
    index_uid: str = strawberry.field(description="The only index the token may search.")
    expires_at: datetime = strawberry.field(description="When the token stops working; ask for a new one before.")


@strawberry.type
class Mutation:
    @mutation(
        scope=None,
        writes=False,
        description="A short-lived tenant token to search Meilisearch directly from a browser, limited to "
        "what you may see (only when the Lab runs Meilisearch; otherwise use `searchInitiatives`).",
    )
    def search_token(self, info: Info) -> SearchToken:
        issued = service.tenant_token(principal=info.context.principal, settings=info.context.settings)
        if issued is None:
            raise ApiError("SEARCH_TOKEN_UNAVAILABLE", "This registry does not offer direct search; use searchInitiatives.")
        return SearchToken(token=issued.token, url=issued.url, index_uid=issued.index_uid, expires_at=issued.expires_at)
