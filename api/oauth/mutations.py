"""OAuth client mutations: an organisation's administrators register, rotate and revoke its clients."""

import strawberry

from api.auth.scopes import Scope
from api.graphql.context import Info
from api.graphql.mutations import mutation
from api.oauth import service
from api.oauth.types import OAuthClient, OAuthClientPayload, OAuthClientWithSecretPayload


@strawberry.input(description="A client of your organisation: a system of its own, or a web app its staff sign in to.")
class CreateOAuthClientInput:
    name: str = strawberry.field(description="What the client is, e.g. 'hotline case system'.")
    scopes: list[str] = strawberry.field(description="Scopes it may request; at most those your own token holds.")
    kind: service.ClientKind = strawberry.field(
        default=service.ClientKind.MACHINE, description="How it gets tokens; MACHINE by default."
    )
    redirect_uris: list[str] = strawberry.field(
        default_factory=list, description="For web clients: where people are sent back after signing in (exact match)."
    )


@strawberry.input(description="One of your organisation's clients.")
class OAuthClientInput:
    client_id: str = strawberry.field(description="The client identifier.")


def _with_secret(created: service.NewClient) -> OAuthClientWithSecretPayload:
    return OAuthClientWithSecretPayload(client=OAuthClient.from_model(created.client), client_secret=created.secret)


@strawberry.type
class Mutation:
    @mutation(
        scope=Scope.ORG_ADMIN,
        name="createOAuthClient",
        description="Register a client; its secret (none for public clients) is in this answer only (`org:admin`, administrators).",
    )
    async def create_oauth_client(self, info: Info, input: CreateOAuthClientInput) -> OAuthClientWithSecretPayload:  # noqa: A002
        principal = info.context.principal
        created = await service.create_client(
            session=info.context.session,
            principal=principal,
            organisation_id=principal.organisation_id,
            name=input.name,
            scopes=input.scopes,
            kind=input.kind,
            redirect_uris=input.redirect_uris,
        )
        return _with_secret(created)

    @mutation(
        scope=Scope.ORG_ADMIN,
        name="rotateOAuthClientSecret",
        description="Give a client a new secret; the old one stops working at once (`org:admin`).",
    )
    async def rotate_oauth_client_secret(self, info: Info, input: OAuthClientInput) -> OAuthClientWithSecretPayload:  # noqa: A002
        created = await service.rotate_secret(**info.context.acting, client_id=input.client_id)
        return _with_secret(created)

    @mutation(
        scope=Scope.ORG_ADMIN,
        name="revokeOAuthClient",
        description="Revoke a client: no more tokens, and those it holds stop working (`org:admin`).",
    )
    async def revoke_oauth_client(self, info: Info, input: OAuthClientInput) -> OAuthClientPayload:  # noqa: A002
        row = await service.revoke(**info.context.acting, client_id=input.client_id)
        return OAuthClientPayload(client=OAuthClient.from_model(row))
