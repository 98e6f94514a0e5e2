"""Batch loads for published rating inquiries."""

from collections.abc import Sequence

from sqlmodel.ext.asyncio.session import AsyncSession

from api.auth.principal import Principal
from api.inquiries import service
from api.inquiries.models import RatingInquiry


async def inquiry_by_id(
    keys: Sequence[int], *, session: AsyncSession, principal: Principal
) -> list[RatingInquiry | None]:
    return await service.by_ids(session=session, principal=principal, ids=keys)


async def inquiries_of(
    keys: Sequence[int], *, session: AsyncSession, principal: Principal
) -> list[list[RatingInquiry]]:
    """Inquiries on each rating (keys: ratings the caller has read)."""
    return await service.inquiries_of(session=session, rating_ids=keys)
