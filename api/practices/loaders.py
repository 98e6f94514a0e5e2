"""Batch loads for best practices and what they hold."""

from collections.abc import Sequence

from sqlmodel.ext.asyncio.session import AsyncSession

from api.auth.principal import Principal
from api.evidence.models import EvidenceAssessment
from api.practices import service
from api.practices.models import BestPractice, Endorsement


async def practice_by_id(
    keys: Sequence[int], *, session: AsyncSession, principal: Principal
) -> list[BestPractice | None]:
    return await service.by_ids(session=session, principal=principal, ids=keys)


async def classifications_of(
    keys: Sequence[int], *, session: AsyncSession, principal: Principal
) -> list[dict[str, list[str]]]:
    return await service.classifications_of(session=session, practice_ids=keys)


async def evidence_of(
    keys: Sequence[int], *, session: AsyncSession, principal: Principal
) -> list[list[EvidenceAssessment]]:
    return await service.evidence_of(session=session, principal=principal, practice_ids=keys)


async def endorsements_of(
    keys: Sequence[int], *, session: AsyncSession, principal: Principal
) -> list[list[Endorsement]]:
    return await service.endorsements_of(session=session, principal=principal, practice_ids=keys)
