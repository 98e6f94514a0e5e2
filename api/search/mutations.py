"""`searchToken`: a short-lived Meilisearch tenant token for a browser frontend, whose search rules
carry the caller's access filter of each index, so searching Meilisearch directly shows no more than
`searchInitiatives`, `searchEvidence` and `searchBestPractices` would (issued by `service.tenant_token`)."""

from datetime import datetime

import strawberry

from api.graphql.context import Info
from api.graphql.errors import ApiError
from api.graphql.mutations import mutation
from api.search import service


@strawberry.type(
    description="A tenant token for searching the initiatives, evidence and best-practice indexes of Meilisearch "
    "directly, each limited to what you may see."
)
class SearchToken:
    token: str = strawberry.field(description="Send as the Meilisearch API key (Authorization: Bearer).")
    url: str = strawberry.field(description="The Meilisearch server.")
    index_uid: str = strawberry.field(description="The initiatives index (what `searchInitiatives` searches).")
    evidence_index_uid: str = strawberry.field(description="The evidence index (what `searchEvidence` searches).")
    best_practices_index_uid: str = strawberry.field(
        description="The best-practice index (what `searchBestPractices` searches)."
    )
    expires_at: datetime = strawberry.field(description="When the token stops working; ask for a new one before.")


@strawberry.type
class Mutation:
    @mutation(
        scope=None,
        writes=False,
        description="A short-lived tenant token to search Meilisearch directly from a browser, limited to "
        "what you may see in each of its three indexes (only when the Lab runs Meilisearch; otherwise use "
        "`searchInitiatives`, `searchEvidence` and `searchBestPractices`).",
    )
    def search_token(self, info: Info) -> SearchToken:
        issued = service.tenant_token(principal=info.context.principal, settings=info.context.settings)
        if issued is None:
            raise ApiError(
                "SEARCH_TOKEN_UNAVAILABLE",
                "This registry does not offer direct search; use searchInitiatives, searchEvidence or searchBestPractices.",
            )
        return SearchToken(
            token=issued.token,
            url=issued.url,
            index_uid=issued.index_uid,
            evidence_index_uid=issued.evidence_index_uid,
            best_practices_index_uid=issued.best_practices_index_uid,
            expires_at=issued.expires_at,
        )
