"""GraphQL types for an organisation's OAuth clients."""

from datetime import datetime

import strawberry

from api.graphql.errors import UserError, user_errors_field
from api.graphql.records import from_row
from api.oauth.models import OAuthClient as OAuthClientRow


@strawberry.type(name="OAuthClient", description="A system or app of your organisation that obtains access tokens.")
class OAuthClient:
    client_id: str = strawberry.field(description="The public client identifier.")
    name: str = strawberry.field(description="What the client is.")
    scopes: list[str] = strawberry.field(description="Scopes the client may request.")
    grant_types: list[str] = strawberry.field(description="OAuth grants the client may use.")
    redirect_uris: list[str] = strawberry.field(description="Where people are sent back after signing in (web clients).")
    is_public: bool = strawberry.field(description="A browser or native app without a secret (PKCE only).")
    created_at: datetime = strawberry.field(description="When the client was registered.")
    revoked_at: datetime | None = strawberry.field(description="When the client was revoked, if it was.")

    @classmethod
    def from_model(cls, row: OAuthClientRow) -> "OAuthClient":
        return from_row(
            cls, row, scopes=list(row.scopes), grant_types=list(row.grant_types), redirect_uris=list(row.redirect_uris)
        )


@strawberry.type(description="A client with its secret. The secret is shown in this answer only; store it now.")
class OAuthClientWithSecretPayload:
    client: OAuthClient | None = strawberry.field(description="The client, when the change was made.")
    client_secret: str | None = strawberry.field(description="The new secret (shown once); none for public clients.")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="The client after the change, or why nothing changed.")
class OAuthClientPayload:
    client: OAuthClient | None = strawberry.field(description="The client, when the change was made.")
    user_errors: list[UserError] = user_errors_field()
