"""Batch loads for rating inquiries, their appeals and the appeals' reviewers."""

from collections.abc import Sequence

from sqlmodel.ext.asyncio.session import AsyncSession

from api.auth.principal import Principal
from api.inquiries import service
from api.inquiries.models import RatingAppeal, RatingAppealReviewer, RatingInquiry


async def inquiry_by_id(
    keys: Sequence[int], *, session: AsyncSession, principal: Principal
) -> list[RatingInquiry | None]:
    return await service.by_ids(session=session, principal=principal, ids=keys)


async def appeal_by_id(keys: Sequence[int], *, session: AsyncSession, principal: Principal) -> list[RatingAppeal | None]:
    return await service.appeals_by_ids(session=session, principal=principal, ids=keys)


async def inquiries_of(
    keys: Sequence[int], *, session: AsyncSession, principal: Principal
) -> list[list[RatingInquiry]]:
    """Inquiries on each rating (keys: ratings the caller has read)."""
    return await service.inquiries_of(session=session, rating_ids=keys)


async def appeal_of(keys: Sequence[int], *, session: AsyncSession, principal: Principal) -> list[RatingAppeal | None]:
    """Each inquiry's appeal (keys: inquiries the caller has read)."""
    return await service.appeals_of(session=session, inquiry_ids=keys)


async def reviewers_of(
    keys: Sequence[int], *, session: AsyncSession, principal: Principal
) -> list[list[RatingAppealReviewer]]:
    """Each appeal's reviewers (keys: appeals the caller has read)."""
    return await service.reviewers_of(session=session, appeal_ids=keys)
