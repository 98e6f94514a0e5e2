"""Batch loads for best practices."""

from collections.abc import Sequence

from sqlmodel.ext.asyncio.session import AsyncSession

from api.auth.principal import Principal
from api.practices import service
from api.practices.models import BestPractice


async def practice_by_id(
    keys: Sequence[int], *, session: AsyncSession, principal: Principal
) -> list[BestPractice | None]:
    return await service.by_ids(session=session, principal=principal, ids=keys)
