"""GraphQL types for webhook endpoints, their deliveries and attempts (docs/webhooks.md)."""

from datetime import UTC, datetime

import strawberry
from strawberry import relay

from api.core.ordering import SortKey
from api.graphql.context import Info
from api.graphql.loaders import load_nodes
from api.graphql.pagination import Connection, paginate
from api.graphql.records import from_row
from api.webhooks import loaders, models, service
from api.webhooks.models import WebhookAttempt as AttemptRow
from api.webhooks.models import WebhookDelivery as DeliveryRow
from api.webhooks.models import WebhookEndpoint as EndpointRow

DeliveryStatus = strawberry.enum(
    models.DeliveryStatus,
    name="WebhookDeliveryStatus",
    description="PENDING until a 2xx answer (retried meanwhile; held while its endpoint is disabled); DELIVERED; "
    "WITHHELD when, by the time it was due, your organisation could no longer read the record.",
)


@strawberry.type(description="One attempt to deliver a webhook: when, and what the endpoint answered.")
class WebhookAttempt:
    attempted_at: datetime = strawberry.field(description="When it was sent.")
    http_status: int | None = strawberry.field(description="The HTTP status answered; null if none came.")
    response_excerpt: str | None = strawberry.field(
        description=f"The start of the answer's body (at most {models.RESPONSE_EXCERPT_LENGTH} characters)."
    )
    duration_ms: int = strawberry.field(description="How long it took, in milliseconds.")
    error: str | None = strawberry.field(description="Why it failed (connection, timeout, status); null on success.")

    @classmethod
    def from_model(cls, row: AttemptRow) -> "WebhookAttempt":
        return from_row(cls, row)


@strawberry.type(description="One event sent (or to be sent) to one endpoint, with its attempts.")
class WebhookDelivery:
    event_type: str = strawberry.field(description="The event type, such as `record.published`.")
    webhook_id: str = strawberry.field(
        description="The `webhook-id` header: the same on every retry, so a receiver recognises a repeated delivery."
    )
    activity_id: int = strawberry.field(description="The activity entry announced (`activityId` in the payload).")
    status: DeliveryStatus = strawberry.field(description="Where the delivery stands.")
    attempt_count: int = strawberry.field(description="How many attempts were made.")
    created_at: datetime = strawberry.field(description="When the event was queued for this endpoint.")
    next_attempt_at: datetime | None = strawberry.field(description="When it is next tried, while PENDING.")
    _row: strawberry.Private[DeliveryRow]

    @classmethod
    def from_model(cls, row: DeliveryRow) -> "WebhookDelivery":
        pending = row.status == models.DeliveryStatus.PENDING
        # A first attempt is due at once (stored as 0): it is shown as due when it was queued.
        due = max(row.next_attempt_at, row.created_at.timestamp())
        return from_row(
            cls,
            row,
            webhook_id=row.message_id,
            status=models.DeliveryStatus(row.status),
            next_attempt_at=datetime.fromtimestamp(due, UTC) if pending else None,
        )

    @strawberry.field(
        description=f"Its attempts, newest first (the newest {service.ATTEMPTS_SHOWN}: `attemptCount` counts them all)."
    )
    def attempts(self, info: Info) -> list[WebhookAttempt]:
        return info.context.loaders.resolve(
            loaders.attempts_of, self._row.id, lambda rows: [WebhookAttempt.from_model(r) for r in rows]
        )


NEWEST_DELIVERY_FIRST = SortKey(DeliveryRow.created_at, True, "datetime")


@strawberry.type(
    description="An HTTPS endpoint your organisation registered for some event types; deliveries are signed as the "
    "Standard Webhooks specification describes (docs/webhooks.md). Only your organisation's administrators see it."
)
class WebhookEndpoint(relay.Node):
    id: relay.NodeID[int]
    url: str = strawberry.field(description="Where deliveries are POSTed.")
    description: str | None = strawberry.field(description="What the endpoint is for.")
    event_types: list[str] = strawberry.field(description="The event types it receives.")
    enabled: bool = strawberry.field(description="Whether deliveries are sent to it.")
    disabled_reason: str | None = strawberry.field(
        description="Why the server disabled it (its deliveries failed too long); null otherwise."
    )
    created_at: datetime = strawberry.field(description="When it was registered.")
    updated_at: datetime = strawberry.field(description="When it was last changed.")
    _row: strawberry.Private[EndpointRow]

    @classmethod
    def from_model(cls, row: EndpointRow, term_cache: object = None) -> "WebhookEndpoint":  # noqa: ARG003
        return from_row(cls, row, event_types=list(row.event_types))

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids, required: bool = False):  # noqa: ANN001, ANN206
        return await load_nodes(info, node_ids, loaders.endpoint_by_id, cls.from_model)

    @strawberry.field(description="Its deliveries, newest first, with their attempts.")
    async def deliveries(
        self, info: Info, first: int | None = 20, after: str | None = None
    ) -> Connection[WebhookDelivery]:
        return await paginate(
            info,
            statement=service.deliveries_of(info.context.principal, self.id),
            id_column=DeliveryRow.id,
            key=NEWEST_DELIVERY_FIRST,
            first=first,
            after=after,
            to_node=WebhookDelivery.from_model,
        )
