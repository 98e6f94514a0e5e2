"""Batch loads for initiatives and what they hold."""

from collections.abc import Sequence

from sqlmodel.ext.asyncio.session import AsyncSession

from api.auth.principal import Principal
from api.initiatives import service
from api.initiatives.models import Initiative, Participation


async def initiative_by_id(
    keys: Sequence[int], *, session: AsyncSession, principal: Principal
) -> list[Initiative | None]:
    return await service.by_ids(session=session, principal=principal, ids=keys)


async def participations_of(
    keys: Sequence[int], *, session: AsyncSession, principal: Principal
) -> list[list[Participation]]:
    return await service.participations_of(session=session, principal=principal, initiative_ids=keys)


async def classifications_of(
    keys: Sequence[int], *, session: AsyncSession, principal: Principal
) -> list[dict[str, list[str]]]:
    return await service.classifications_of(session=session, initiative_ids=keys)
