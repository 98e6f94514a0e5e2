"""`searchToken`: a short-lived Meilisearch tenant token for a browser frontend, whose search rules
carry the caller's access filter, so searching Meilisearch directly shows no more than
`searchInitiatives` would."""

from datetime import UTC, datetime, timedelta

import strawberry

from api.graphql.context import Info
from api.graphql.errors import ApiError
from api.graphql.mutations import mutation
from api.search.access import access_filter
from api.search.filters import to_meilisearch


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
        from api.search.meilisearch_backend import tenant_token

        principal = info.context.principal
        settings = info.context.settings
        if not (settings.meilisearch_url and settings.meilisearch_search_key and settings.meilisearch_search_key_uid):
            raise ApiError("SEARCH_TOKEN_UNAVAILABLE", "This registry does not offer direct search; use searchInitiatives.")
        lifetime = settings.search_token_seconds
        return SearchToken(
            token=tenant_token(
                search_rules_filter=to_meilisearch(access_filter(principal)),
                expires_in_seconds=lifetime,
                api_key=settings.meilisearch_search_key,
                api_key_uid=settings.meilisearch_search_key_uid,
                index_uid=settings.search_index_uid,
            ),
            url=settings.meilisearch_url,
            index_uid=settings.search_index_uid,
            expires_at=datetime.now(UTC) + timedelta(seconds=lifetime),
        )
