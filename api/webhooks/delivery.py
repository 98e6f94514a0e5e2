"""Claiming due deliveries, and recording each attempt's outcome: retries, success, disabling an endpoint
that keeps failing.

Every time here is the database's clock (`database_epoch`), so several processes on several hosts agree.
A claim is one UPDATE of up to a batch of due deliveries (`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite
runs writes one at a time): each gets this claim's token and a lease. A process that dies mid-send
leaves the lease to lapse, and another sends the delivery again under the same `webhook-id`."""

import random
import uuid
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from api.audit import service as audit
from api.audit.models import AuditKind
from api.core.db import database_epoch
from api.core.settings import Settings
from api.webhooks.models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from api.webhooks.outbox import global_id
from api.webhooks.sending import Outcome

DISABLED_REASON = "Disabled by the server: its deliveries failed for longer than {days:g} days (last error: {error})."


def retry_delay(attempts: int, settings: Settings, *, jitter: float | None = None) -> float:
    """Seconds to wait after the `attempts`-th failed attempt: the initial wait doubled each time, up to the
    maximum, less up to a fifth at random so that deliveries failing together do not retry together."""
    base = min(settings.webhook_retry_initial_seconds * 2 ** (attempts - 1), settings.webhook_retry_max_seconds)
    return base * (1 - 0.2 * (random.random() if jitter is None else jitter))  # noqa: S311 (not a secret)


@dataclass(frozen=True)
class Claimed:
    delivery: WebhookDelivery
    endpoint: WebhookEndpoint
    claim: str


def _due(now: sa.ColumnElement) -> sa.ColumnElement[bool]:
    return sa.and_(
        WebhookDelivery.status == DeliveryStatus.PENDING,
        col(WebhookDelivery.next_attempt_at) <= now,
        sa.or_(col(WebhookDelivery.lease_until).is_(None), col(WebhookDelivery.lease_until) < now),
    )


async def claim(session: AsyncSession, *, holder: str, settings: Settings) -> list[Claimed]:
    """Take up to a batch of due deliveries of enabled endpoints for `holder` (commits)."""
    token = f"{holder}:{uuid.uuid4().hex[:12]}"  # holder is at most 40 characters
    due = (
        select(WebhookDelivery.id)
        .join(WebhookEndpoint, col(WebhookEndpoint.id) == WebhookDelivery.endpoint_id)
        .where(_due(database_epoch()), col(WebhookEndpoint.enabled).is_(True))
        .order_by(col(WebhookDelivery.next_attempt_at), col(WebhookDelivery.id))
        .limit(settings.webhook_batch_size)
    )
    if session.bind.dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True, of=WebhookDelivery)
    await session.exec(
        update(WebhookDelivery)
        .where(col(WebhookDelivery.id).in_(due.scalar_subquery()))
        .values(lease_holder=token, lease_until=database_epoch() + settings.webhook_lease_seconds)
        .execution_options(synchronize_session=False)
    )
    await session.commit()
    rows = (
        await session.exec(
            select(WebhookDelivery, WebhookEndpoint)
            .join(WebhookEndpoint, col(WebhookEndpoint.id) == WebhookDelivery.endpoint_id)
            .where(WebhookDelivery.lease_holder == token)
            .order_by(col(WebhookDelivery.id))
        )
    ).all()
    return [Claimed(delivery, endpoint, token) for delivery, endpoint in rows]


async def withhold(session: AsyncSession, claimed: Claimed) -> None:
    """The endpoint's organisation may no longer read the record: the delivery is never sent."""
    await session.exec(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == claimed.delivery.id, WebhookDelivery.lease_holder == claimed.claim)
        .values(status=DeliveryStatus.WITHHELD, lease_holder=None, lease_until=None)
    )


async def record(session: AsyncSession, claimed: Claimed, outcome: Outcome, *, settings: Settings) -> bool:
    """Record one attempt and what follows from it; True if this disabled the endpoint. Flushes."""
    delivery, endpoint = claimed.delivery, claimed.endpoint
    if await session.get(WebhookDelivery, delivery.id) is None:
        return False  # its endpoint was deleted meanwhile: nothing to record
    session.add(
        WebhookAttempt(
            delivery_id=delivery.id,
            http_status=outcome.http_status,
            response_excerpt=outcome.response_excerpt,
            duration_ms=outcome.duration_ms,
            error=outcome.error or (None if outcome.succeeded else f"HTTP {outcome.http_status}"),
        )
    )
    attempts = delivery.attempt_count + 1
    ours = sa.and_(WebhookDelivery.id == delivery.id, WebhookDelivery.lease_holder == claimed.claim)
    this_endpoint = WebhookEndpoint.id == endpoint.id
    if outcome.succeeded:
        await session.exec(
            update(WebhookDelivery)
            .where(ours)
            .values(status=DeliveryStatus.DELIVERED, attempt_count=attempts, lease_holder=None, lease_until=None)
        )
        await session.exec(update(WebhookEndpoint).where(this_endpoint).values(failing_since=None))
        await session.flush()
        return False
    await session.exec(
        update(WebhookDelivery)
        .where(ours)
        .values(
            attempt_count=attempts,
            next_attempt_at=database_epoch() + retry_delay(attempts, settings),
            lease_holder=None,
            lease_until=None,
        )
    )
    await session.exec(
        update(WebhookEndpoint)
        .where(this_endpoint, col(WebhookEndpoint.failing_since).is_(None))
        .values(failing_since=database_epoch())
    )
    return await _disable_if_failing_too_long(session, endpoint, outcome, settings=settings)


async def _disable_if_failing_too_long(
    session: AsyncSession, endpoint: WebhookEndpoint, outcome: Outcome, *, settings: Settings
) -> bool:
    error = outcome.error or f"HTTP {outcome.http_status}"
    reason = DISABLED_REASON.format(days=settings.webhook_disable_after_seconds / 86400, error=error)[:500]
    disabled = await session.exec(
        update(WebhookEndpoint)
        .where(
            WebhookEndpoint.id == endpoint.id,
            col(WebhookEndpoint.enabled).is_(True),
            col(WebhookEndpoint.failing_since) < database_epoch() - settings.webhook_disable_after_seconds,
        )
        .values(enabled=False, disabled_reason=reason)
    )
    if disabled.rowcount != 1:
        await session.flush()
        return False
    # Its administrators read this in `auditEvents`; the reason stays on the endpoint until it is enabled again.
    await session.run_sync(
        lambda sync: audit.record(
            sync,
            kind=AuditKind.WEBHOOK_ENDPOINT_DISABLED,
            organisation_id=endpoint.organisation_id,
            subject=global_id("WebhookEndpoint", endpoint.id),
        )
    )
    return True


async def release(session: AsyncSession, *, holder: str) -> None:
    """Give back every lease `holder` still has (on stopping), so other processes need not wait for them."""
    await session.exec(
        update(WebhookDelivery)
        .where(col(WebhookDelivery.lease_holder).startswith(f"{holder}:"))
        .values(lease_holder=None, lease_until=None)
    )
