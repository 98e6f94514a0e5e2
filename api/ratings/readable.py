"""Who may read an outcome rating: whoever may read what it rates. Every read path starts here.

Apart from service.py because best practices' rules build on evidence, whose service recomputes
ratings: the computation may not import practices' service, the reads must.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.auth.principal import Principal
from api.core.batches import grouped
from api.core.db import rows_in_order
from api.initiatives import service as initiatives
from api.practices import service as practices
from api.practices.models import BestPractice
from api.ratings.models import OutcomeRating, OutcomeRatingChange


def visible_condition(principal: Principal) -> sa.ColumnElement[bool]:
    """What it rates is readable, and some public evidence is left (a withdrawn rating keeps its history only)."""
    return sa.and_(
        col(OutcomeRating.withdrawn).is_(False),
        sa.or_(
            col(OutcomeRating.initiative_id).in_(initiatives.readable_ids(principal)),
            col(OutcomeRating.practice_id).in_(practices.readable(principal).with_only_columns(BestPractice.id)),
        ),
    )


def readable(principal: Principal) -> sa.Select:
    return select(OutcomeRating).where(visible_condition(principal))


async def by_ids(*, session: AsyncSession, principal: Principal, ids: Sequence[int]) -> list[OutcomeRating | None]:
    return await rows_in_order(session, readable(principal), col(OutcomeRating.id), ids)


async def of_initiatives(*, session: AsyncSession, initiative_ids: Sequence[int]) -> list[list[OutcomeRating]]:
    """Ratings of each initiative, by outcome (callers pass only ids of initiatives they could read)."""
    statement = select(OutcomeRating).where(
        col(OutcomeRating.initiative_id).in_(initiative_ids), col(OutcomeRating.withdrawn).is_(False)
    )
    rows = (await session.exec(statement.order_by(OutcomeRating.outcome))).all()
    return grouped(initiative_ids, rows, lambda row: row.initiative_id)


async def of_practices(*, session: AsyncSession, practice_ids: Sequence[int]) -> list[list[OutcomeRating]]:
    """Ratings of each best practice, by outcome (callers pass only ids of practices they could read)."""
    statement = select(OutcomeRating).where(
        col(OutcomeRating.practice_id).in_(practice_ids), col(OutcomeRating.withdrawn).is_(False)
    )
    rows = (await session.exec(statement.order_by(OutcomeRating.outcome))).all()
    return grouped(practice_ids, rows, lambda row: row.practice_id)


async def history_of(*, session: AsyncSession, rating_ids: Sequence[int]) -> list[list[OutcomeRatingChange]]:
    """Each rating's changes, oldest first (callers pass only ids of ratings they could read)."""
    statement = select(OutcomeRatingChange).where(col(OutcomeRatingChange.rating_id).in_(rating_ids))
    rows = (await session.exec(statement.order_by(OutcomeRatingChange.id))).all()
    return grouped(rating_ids, rows, lambda row: row.rating_id)


def readable_changes(principal: Principal) -> sa.Select:
    return select(OutcomeRatingChange).where(
        col(OutcomeRatingChange.rating_id).in_(readable(principal).with_only_columns(OutcomeRating.id))
    )
