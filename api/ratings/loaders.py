"""Batch loads for outcome ratings and their history."""

from collections.abc import Sequence

from sqlmodel.ext.asyncio.session import AsyncSession

from api.auth.principal import Principal
from api.ratings import readable
from api.ratings.models import OutcomeRating, OutcomeRatingChange


async def rating_by_id(
    keys: Sequence[int], *, session: AsyncSession, principal: Principal
) -> list[OutcomeRating | None]:
    return await readable.by_ids(session=session, principal=principal, ids=keys)


async def ratings_of_initiatives(
    keys: Sequence[int], *, session: AsyncSession, principal: Principal
) -> list[list[OutcomeRating]]:
    return await readable.of_initiatives(session=session, initiative_ids=keys)


async def ratings_of_practices(
    keys: Sequence[int], *, session: AsyncSession, principal: Principal
) -> list[list[OutcomeRating]]:
    return await readable.of_practices(session=session, practice_ids=keys)


async def history_of(
    keys: Sequence[int], *, session: AsyncSession, principal: Principal
) -> list[list[OutcomeRatingChange]]:
    return await readable.history_of(session=session, rating_ids=keys)
