"""Batch loads for webhook endpoints and their deliveries' attempts."""

from collections.abc import Sequence

from sqlmodel.ext.asyncio.session import AsyncSession

from api.auth.principal import Principal
from api.webhooks import service
from api.webhooks.models import WebhookAttempt, WebhookEndpoint


async def endpoint_by_id(
    keys: Sequence[int], *, session: AsyncSession, principal: Principal
) -> list[WebhookEndpoint | None]:
    return await service.by_ids(session=session, principal=principal, ids=keys)


async def attempts_of(
    keys: Sequence[int], *, session: AsyncSession, principal: Principal
) -> list[list[WebhookAttempt]]:
    """Each delivery's newest attempts (keys: deliveries of endpoints the caller has read)."""
    return await service.attempts_of(session=session, delivery_ids=keys)
