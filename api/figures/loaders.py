"""Batch loads for figures and what they hold."""

from collections.abc import Sequence

from sqlmodel.ext.asyncio.session import AsyncSession

from api.auth.principal import Principal
from api.figures import service
from api.figures.models import Figure
from api.initiatives.models import Initiative


async def figure_by_id(keys: Sequence[int], *, session: AsyncSession, principal: Principal) -> list[Figure | None]:
    return await service.by_ids(session=session, principal=principal, ids=keys)


async def figures_of(keys: Sequence[int], *, session: AsyncSession, principal: Principal) -> list[list[Figure]]:
    """Readable figures concerning each initiative (keys: initiatives the caller has read)."""
    return await service.figures_of(session=session, principal=principal, initiative_ids=keys)


async def initiatives_of(
    keys: Sequence[int], *, session: AsyncSession, principal: Principal
) -> list[list[Initiative]]:
    return await service.initiatives_of(session=session, principal=principal, figure_ids=keys)


async def classifications_of(
    keys: Sequence[int], *, session: AsyncSession, principal: Principal
) -> list[dict[str, list[str]]]:
    return await service.classifications_of(session=session, figure_ids=keys)
