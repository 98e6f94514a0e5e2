"""Registering, changing, rotating the secret of, and deleting webhook endpoints (`org:admin`)."""

import strawberry
from strawberry import UNSET, relay

from api.auth.key_encryption import KeyEncryption
from api.auth.scopes import Scope
from api.graphql import ids
from api.graphql.context import Info
from api.graphql.errors import UserError, user_errors_field
from api.graphql.mutations import mutation
from api.webhooks import events, service
from api.webhooks.types import WebhookEndpoint

EVENT_TYPES = ", ".join(f"`{name}`" for name in events.KNOWN)


@strawberry.input(description="A webhook endpoint for your organisation.")
class CreateWebhookEndpointInput:
    url: str = strawberry.field(
        description="Where to POST deliveries: https (http only in development), never a private or loopback address."
    )
    event_types: list[str] = strawberry.field(description=f"The event types to receive, of: {EVENT_TYPES}.")
    description: str | None = strawberry.field(
        default=None, description=f"What it is for (at most {service.DESCRIPTION_LENGTH} characters)."
    )


@strawberry.input(description="Changes to a webhook endpoint; omitted fields stay as they are.")
class UpdateWebhookEndpointInput:
    id: relay.GlobalID = strawberry.field(description="The endpoint.")
    url: str | None = strawberry.field(default=UNSET, description="Where to POST deliveries (cannot be cleared).")
    event_types: list[str] | None = strawberry.field(
        default=UNSET, description="The event types to receive (replace the list; at least one)."
    )
    description: str | None = strawberry.field(default=UNSET, description="What it is for; null clears it.")
    enabled: bool | None = strawberry.field(
        default=UNSET,
        description="false stops deliveries (they wait); true sends again, waiting ones first, and clears the "
        "reason the server disabled it for (cannot be cleared).",
    )


@strawberry.input(description="The endpoint whose secret to replace.")
class RotateWebhookSecretInput:
    id: relay.GlobalID = strawberry.field(description="The endpoint.")


@strawberry.input(description="The endpoint to delete.")
class DeleteWebhookEndpointInput:
    id: relay.GlobalID = strawberry.field(description="The endpoint.")


@strawberry.type(description="The endpoint and its signing secret, shown this once, or why nothing changed.")
class WebhookEndpointSecretPayload:
    endpoint: WebhookEndpoint | None = strawberry.field(description="The endpoint, when the change was made.")
    secret: str | None = strawberry.field(
        description="The signing secret (`whsec_…`): shown only here, never readable again. Keep it safe."
    )
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="The endpoint after the change, or why nothing changed.")
class WebhookEndpointPayload:
    endpoint: WebhookEndpoint | None = strawberry.field(description="The endpoint, when the change was made.")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="The id of the deleted endpoint, or why nothing changed.")
class DeleteWebhookEndpointPayload:
    deleted_id: relay.GlobalID | None = strawberry.field(description="Global id of the deleted endpoint.")
    user_errors: list[UserError] = user_errors_field()


def _encryption(info: Info) -> KeyEncryption:
    return KeyEncryption.of(info.context.settings.key_encryption_keys)


def _endpoint_id(global_id: relay.GlobalID) -> int:
    return ids.decode(global_id, "WebhookEndpoint", ["id"])


def _with_secret(registered: service.Registered) -> WebhookEndpointSecretPayload:
    return WebhookEndpointSecretPayload(
        endpoint=WebhookEndpoint.from_model(registered.endpoint), secret=registered.secret
    )


@strawberry.type
class Mutation:
    @mutation(
        scope=Scope.ORG_ADMIN,
        description="Register a webhook endpoint for your organisation (`org:admin`, administrators). Its signing "
        "secret is in this answer only.",
    )
    async def create_webhook_endpoint(self, info: Info, input: CreateWebhookEndpointInput) -> WebhookEndpointSecretPayload:  # noqa: A002
        registered = await service.create(
            **info.context.acting,
            url=input.url,
            event_types=input.event_types,
            description=input.description,
            settings=info.context.settings,
            encryption=_encryption(info),
        )
        return _with_secret(registered)

    @mutation(scope=Scope.ORG_ADMIN, description="Change one of your organisation's webhook endpoints (`org:admin`).")
    async def update_webhook_endpoint(self, info: Info, input: UpdateWebhookEndpointInput) -> WebhookEndpointPayload:  # noqa: A002
        row = await service.update_endpoint(
            **info.context.acting,
            endpoint_id=_endpoint_id(input.id),
            url=input.url,
            event_types=input.event_types,
            description=input.description,
            enabled=input.enabled,
            settings=info.context.settings,
        )
        return WebhookEndpointPayload(endpoint=WebhookEndpoint.from_model(row))

    @mutation(
        scope=Scope.ORG_ADMIN,
        description="Give an endpoint a new signing secret, shown in this answer only (`org:admin`). For a grace "
        "period (24 h by default) deliveries carry signatures by both the new and the previous secret.",
    )
    async def rotate_webhook_secret(self, info: Info, input: RotateWebhookSecretInput) -> WebhookEndpointSecretPayload:  # noqa: A002
        registered = await service.rotate_secret(
            **info.context.acting,
            endpoint_id=_endpoint_id(input.id),
            settings=info.context.settings,
            encryption=_encryption(info),
        )
        return _with_secret(registered)

    @mutation(
        scope=Scope.ORG_ADMIN,
        description="Delete an endpoint with its deliveries (`org:admin`); deliveries still waiting are not sent.",
    )
    async def delete_webhook_endpoint(self, info: Info, input: DeleteWebhookEndpointInput) -> DeleteWebhookEndpointPayload:  # noqa: A002
        await service.delete_endpoint(**info.context.acting, endpoint_id=_endpoint_id(input.id))
        return DeleteWebhookEndpointPayload(deleted_id=input.id)
