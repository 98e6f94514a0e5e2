"""Batch loads for revisions, their reviews and their disagreements."""

from collections.abc import Sequence

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.auth.principal import Principal
from api.core.batches import grouped
from api.core.db import rows_in_order
from api.reviews.models import Disagreement, ReviewAssignment, Revision
from api.reviews.readable import assignments_visible, readable


async def revision_by_id(keys: Sequence[int], *, session: AsyncSession, principal: Principal) -> list[Revision | None]:
    return await rows_in_order(session, readable(principal), col(Revision.id), keys)


async def reviews_of(keys: Sequence[int], *, session: AsyncSession, principal: Principal) -> list[list[ReviewAssignment]]:
    """Each revision's reviews the caller may see, every round, in order (keys: revisions the caller has read)."""
    statement = select(ReviewAssignment).where(col(ReviewAssignment.revision_id).in_(keys), assignments_visible(principal))
    rows = (await session.exec(statement.order_by(ReviewAssignment.round, ReviewAssignment.position))).all()
    return grouped(keys, rows, lambda row: row.revision_id)


async def disagreements_of(keys: Sequence[int], *, session: AsyncSession, principal: Principal) -> list[list[Disagreement]]:
    """Each revision's disagreements, every round (keys: revisions the caller has read; disagreements exist
    only once both reviews of a round are in, so they never break the reviews' blindness)."""
    statement = select(Disagreement).where(col(Disagreement.revision_id).in_(keys))
    rows = (await session.exec(statement.order_by(Disagreement.round, Disagreement.id))).all()
    return grouped(keys, rows, lambda row: row.revision_id)
