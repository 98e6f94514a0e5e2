"""Webhook endpoints, their signing secrets, and the deliveries (with every attempt) made to them."""

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from api.core.db import AuditColumns, UTCDateTime, utcnow

# How much of a receiver's answer an attempt keeps: enough to see why it failed, bounded in size.
RESPONSE_EXCERPT_LENGTH = 1000
ERROR_LENGTH = 500


class DeliveryStatus(StrEnum):
    # Waiting for its next attempt (the first, or a retry); while its endpoint is disabled, until it is enabled.
    PENDING = "PENDING"
    DELIVERED = "DELIVERED"  # a 2xx answer
    # Not sent: by the time it was due, the endpoint's organisation could no longer read the record.
    WITHHELD = "WITHHELD"


class WebhookEndpoint(AuditColumns, table=True):
    __tablename__ = "webhook_endpoint"

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    url: str = Field(max_length=2000)
    description: str | None = Field(default=None, max_length=500)
    # Dotted event type names (api/webhooks/events.py).
    event_types: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    enabled: bool = Field(default=True)
    # Why it was disabled by the server (failing too long), for its administrators; None otherwise.
    disabled_reason: str | None = Field(default=None, max_length=500)
    # Since when (the database's clock, epoch seconds) every attempt to it has failed; None once one succeeds.
    failing_since: float | None = None


class WebhookSecret(SQLModel, table=True):
    """A signing secret, sealed at rest as the signing keys are (auth/key_encryption.py). An endpoint has
    one current secret (no expiry) and, after a rotation, the previous one until its grace period ends."""

    __tablename__ = "webhook_secret"

    id: int | None = Field(default=None, primary_key=True)
    endpoint_id: int = Field(foreign_key="webhook_endpoint.id", index=True)
    sealed: str = Field(sa_type=sa.Text)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class WebhookDelivery(SQLModel, table=True):
    """One event for one endpoint. The body is stored as sent, so every retry sends the same bytes under the
    same `webhook-id`."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        sa.Index("ix_webhook_delivery_due", "status", "next_attempt_at"),
        sa.Index("ix_webhook_delivery_endpoint", "endpoint_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    endpoint_id: int = Field(foreign_key="webhook_endpoint.id")
    activity_id: int = Field(foreign_key="activity.id", index=True)
    event_type: str = Field(max_length=60)
    message_id: str = Field(max_length=60, unique=True)
    body: str = Field(sa_type=sa.Text)
    status: DeliveryStatus = Field(
        default=DeliveryStatus.PENDING, sa_type=sa.Enum(DeliveryStatus, native_enum=False, length=20)
    )
    attempt_count: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    # Scheduling and claiming go by the database's clock (epoch seconds), one clock for every process.
    next_attempt_at: float = 0.0
    lease_holder: str | None = Field(default=None, max_length=60)
    lease_until: float | None = None


class WebhookAttempt(SQLModel, table=True):
    __tablename__ = "webhook_attempt"
    __table_args__ = (sa.Index("ix_webhook_attempt_delivery", "delivery_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int = Field(foreign_key="webhook_delivery.id")
    attempted_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    http_status: int | None = None
    response_excerpt: str | None = Field(default=None, max_length=RESPONSE_EXCERPT_LENGTH)
    duration_ms: int = 0
    error: str | None = Field(default=None, max_length=ERROR_LENGTH)
