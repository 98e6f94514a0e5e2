"""Webhook endpoints: who may see and change them, registering, changing, rotating secrets, deleting.

Only administrators of the owning organisation holding `org:admin` see an organisation's endpoints
(`readable`); for anyone else they behave as missing. Services flush, never commit."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import col, delete, select, update
from sqlmodel.ext.asyncio.session import AsyncSession
from strawberry import UNSET

from api.auth.key_encryption import KeyEncryption
from api.auth.principal import Principal, Role
from api.auth.scopes import Scope
from api.core import validation
from api.core.db import rows_in_order, utcnow
from api.core.errors import DomainError, ErrorCode, Problems, not_found
from api.core.settings import Settings
from api.webhooks import addresses, events, signing
from api.webhooks.models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookSecret

DESCRIPTION_LENGTH = 500
# Enough for one endpoint per event type and a few spares; bounded so one organisation cannot fan out without end.
MAX_ENDPOINTS = 20
# The newest attempts shown per delivery.
ATTEMPTS_SHOWN = 25


def administers(principal: Principal) -> bool:
    return (
        principal.organisation_id is not None
        and principal.has_scope(Scope.ORG_ADMIN)
        and principal.has_role(Role.ADMIN)
    )


def readable(principal: Principal) -> sa.Select:
    """The endpoints of the caller's organisation, for its administrators with `org:admin`; none otherwise."""
    if not administers(principal):
        return select(WebhookEndpoint).where(sa.false())
    return select(WebhookEndpoint).where(WebhookEndpoint.organisation_id == principal.organisation_id)


async def by_ids(*, session: AsyncSession, principal: Principal, ids: Sequence[int]) -> list[WebhookEndpoint | None]:
    return await rows_in_order(session, readable(principal), col(WebhookEndpoint.id), ids)


async def _endpoint(session: AsyncSession, principal: Principal, endpoint_id: int) -> WebhookEndpoint:
    found = (await by_ids(session=session, principal=principal, ids=[endpoint_id]))[0]
    if found is None:
        raise not_found(["id"], "webhook endpoint")
    return found


def deliveries_of(principal: Principal, endpoint_id: int) -> sa.Select:
    """One readable endpoint's deliveries (none if the endpoint is not the caller's to read)."""
    return select(WebhookDelivery).where(
        WebhookDelivery.endpoint_id == endpoint_id,
        col(WebhookDelivery.endpoint_id).in_(readable(principal).with_only_columns(WebhookEndpoint.id)),
    )


async def attempts_of(*, session: AsyncSession, delivery_ids: Sequence[int]) -> list[list[WebhookAttempt]]:
    """Each delivery's newest attempts, newest first (keys: deliveries the caller has read)."""
    newest = (
        sa.func.row_number()
        .over(partition_by=WebhookAttempt.delivery_id, order_by=col(WebhookAttempt.id).desc())
        .label("newest")
    )
    ranked = select(WebhookAttempt.id, newest).where(col(WebhookAttempt.delivery_id).in_(delivery_ids)).subquery()
    rows = (
        await session.exec(
            select(WebhookAttempt)
            .join(ranked, ranked.c.id == WebhookAttempt.id)
            .where(ranked.c.newest <= ATTEMPTS_SHOWN)
            .order_by(col(WebhookAttempt.id).desc())
        )
    ).all()
    grouped: dict[int, list[WebhookAttempt]] = {key: [] for key in delivery_ids}
    for row in rows:
        grouped[row.delivery_id].append(row)
    return [grouped[key] for key in delivery_ids]


def _event_types(problems: Problems, values: Sequence[str]) -> list[str]:
    chosen: list[str] = []
    if not values:
        problems.add(["eventTypes"], ErrorCode.REQUIRED, "Name at least one event type.")
    for index, value in enumerate(values):
        if value not in events.KNOWN:
            problems.add(
                ["eventTypes", str(index)],
                ErrorCode.UNKNOWN_EVENT_TYPE,
                f"Unknown event type {validation.repeated(value)!r}; known: {', '.join(events.KNOWN)}.",
            )
        elif value not in chosen:
            chosen.append(value)
    return chosen


async def _new_secret(
    session: AsyncSession, endpoint: WebhookEndpoint, encryption: KeyEncryption
) -> str:
    secret = signing.new_secret()
    row = WebhookSecret(endpoint_id=endpoint.id, sealed="")
    session.add(row)
    await session.flush()  # its id names it inside the sealed value
    row.sealed = signing.seal(encryption, secret_id=row.id, secret=secret)
    await session.flush()
    return secret


@dataclass
class Registered:
    endpoint: WebhookEndpoint
    secret: str


async def create(
    *,
    session: AsyncSession,
    principal: Principal,
    url: str,
    event_types: Sequence[str],
    description: str | None,
    settings: Settings,
    encryption: KeyEncryption,
) -> Registered:
    """Register an endpoint for the caller's organisation; its secret is returned once, here."""
    if not administers(principal):
        raise DomainError.one([], ErrorCode.FORBIDDEN, "Only your organisation's administrators manage its webhooks.")
    problems = Problems()
    checked_url = await addresses.checked_url(problems, ["url"], url, production=settings.is_production)
    chosen = _event_types(problems, event_types)
    text = validation.text(problems, ["description"], description, max_length=DESCRIPTION_LENGTH)
    count = (
        await session.exec(
            select(sa.func.count()).where(WebhookEndpoint.organisation_id == principal.organisation_id)
        )
    ).one()
    if count >= MAX_ENDPOINTS:
        problems.add([], ErrorCode.TOO_MANY, f"An organisation may register at most {MAX_ENDPOINTS} endpoints.")
    problems.raise_if_any()
    endpoint = WebhookEndpoint(
        organisation_id=principal.organisation_id,
        url=checked_url,
        event_types=chosen,
        description=text,
        created_by=principal.subject,
        updated_by=principal.subject,
    )
    session.add(endpoint)
    await session.flush()
    return Registered(endpoint, await _new_secret(session, endpoint, encryption))


async def update_endpoint(
    *,
    session: AsyncSession,
    principal: Principal,
    endpoint_id: int,
    url: str | None = UNSET,
    event_types: Sequence[str] | None = UNSET,
    description: str | None = UNSET,
    enabled: bool | None = UNSET,
    settings: Settings,
) -> WebhookEndpoint:
    """Change what is given; an omitted field stays. Enabling an endpoint the server disabled clears the
    reason and sends its waiting deliveries now."""
    endpoint = await _endpoint(session, principal, endpoint_id)
    problems = Problems()
    values: dict = {}
    if url is not UNSET:
        if url is None:
            problems.add(["url"], ErrorCode.REQUIRED, "An endpoint needs a URL.")
        else:
            values["url"] = await addresses.checked_url(problems, ["url"], url, production=settings.is_production)
    if event_types is not UNSET:
        values["event_types"] = _event_types(problems, event_types or [])
    if description is not UNSET:
        values["description"] = validation.text(
            problems, ["description"], description, max_length=DESCRIPTION_LENGTH
        )
    if enabled is not UNSET:
        if enabled is None:
            problems.add(["enabled"], ErrorCode.REQUIRED, "Say true or false.")
        values["enabled"] = enabled
    problems.raise_if_any()
    if values.get("enabled") and not endpoint.enabled:
        endpoint.disabled_reason, endpoint.failing_since = None, None
        await session.exec(
            update(WebhookDelivery)
            .where(WebhookDelivery.endpoint_id == endpoint.id, WebhookDelivery.status == DeliveryStatus.PENDING)
            .values(next_attempt_at=0.0)
        )
    for name, value in values.items():
        setattr(endpoint, name, value)
    endpoint.updated_at, endpoint.updated_by = utcnow(), principal.subject
    session.add(endpoint)
    await session.flush()
    return endpoint


async def rotate_secret(
    *, session: AsyncSession, principal: Principal, endpoint_id: int, settings: Settings, encryption: KeyEncryption
) -> Registered:
    """A new secret, returned once. Deliveries are signed by the previous one too for the grace period; any
    older one stops signing now."""
    endpoint = await _endpoint(session, principal, endpoint_id)
    now = utcnow()
    await session.exec(delete(WebhookSecret).where(WebhookSecret.endpoint_id == endpoint.id, col(WebhookSecret.expires_at) <= now))
    await session.exec(
        update(WebhookSecret)
        .where(WebhookSecret.endpoint_id == endpoint.id, col(WebhookSecret.expires_at).is_not(None))
        .values(expires_at=now)
    )
    await session.exec(
        update(WebhookSecret)
        .where(WebhookSecret.endpoint_id == endpoint.id, col(WebhookSecret.expires_at).is_(None))
        .values(expires_at=now + timedelta(seconds=settings.webhook_secret_grace_seconds))
    )
    secret = await _new_secret(session, endpoint, encryption)
    endpoint.updated_at, endpoint.updated_by = now, principal.subject
    session.add(endpoint)
    await session.flush()
    return Registered(endpoint, secret)


async def delete_endpoint(*, session: AsyncSession, principal: Principal, endpoint_id: int) -> int:
    """Delete an endpoint with its secrets, deliveries and their attempts; deliveries still waiting are not sent."""
    endpoint = await _endpoint(session, principal, endpoint_id)
    deliveries = select(WebhookDelivery.id).where(WebhookDelivery.endpoint_id == endpoint.id)
    await session.exec(delete(WebhookAttempt).where(col(WebhookAttempt.delivery_id).in_(deliveries)))
    await session.exec(delete(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id))
    await session.exec(delete(WebhookSecret).where(WebhookSecret.endpoint_id == endpoint.id))
    await session.delete(endpoint)
    await session.flush()
    return endpoint_id
