"""Best practices: readable statement and write rules."""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.auth.principal import Principal
from api.auth.scopes import Scope
from api.organisations import service as organisations
from api.practices.models import BestPractice
from api.visibility import visible_to


def visible_condition(principal: Principal) -> sa.ColumnElement[bool]:
    """Not deleted, proposed by a readable organisation, and visible itself."""
    return sa.and_(
        col(BestPractice.deleted_at).is_(None),
        col(BestPractice.organisation_id).in_(organisations.readable_ids(principal)),
        visible_to(
            principal,
            scope=Scope.PRACTICES_READ,
            visibility_column=BestPractice.visibility,
            owned_by=lambda org: BestPractice.organisation_id == org,
        ),
    )


def readable(principal: Principal) -> sa.Select:
    """Best practices the principal may read; every read path starts here."""
    return select(BestPractice).where(visible_condition(principal))


async def by_ids(*, session: AsyncSession, principal: Principal, ids: Sequence[int]) -> list[BestPractice | None]:
    rows = (await session.exec(readable(principal).where(col(BestPractice.id).in_(ids)))).all()
    found = {p.id: p for p in rows}
    return [found.get(i) for i in ids]
