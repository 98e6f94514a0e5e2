"""Batch loads for activity entries."""

from collections.abc import Sequence

from sqlmodel.ext.asyncio.session import AsyncSession

from api.activity import readable
from api.activity.models import Activity
from api.auth.principal import Principal


async def activity_by_id(keys: Sequence[int], *, session: AsyncSession, principal: Principal) -> list[Activity | None]:
    return await readable.by_ids(session=session, principal=principal, ids=keys)
