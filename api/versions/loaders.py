"""Batch loads of each kind of record's versions (callers pass ids of records they could read)."""

from collections.abc import Sequence

from sqlmodel.ext.asyncio.session import AsyncSession

from api.auth.principal import Principal
from api.versions import service
from api.versions.models import RecordVersion


async def versions_of_initiatives(keys: Sequence[int], *, session: AsyncSession, principal: Principal) -> list[list[RecordVersion]]:
    return await service.versions_of(session=session, record_type="Initiative", record_ids=keys)


async def versions_of_assessments(keys: Sequence[int], *, session: AsyncSession, principal: Principal) -> list[list[RecordVersion]]:
    return await service.versions_of(session=session, record_type="EvidenceAssessment", record_ids=keys)


async def versions_of_practices(keys: Sequence[int], *, session: AsyncSession, principal: Principal) -> list[list[RecordVersion]]:
    return await service.versions_of(session=session, record_type="BestPractice", record_ids=keys)


async def versions_of_inquiries(keys: Sequence[int], *, session: AsyncSession, principal: Principal) -> list[list[RecordVersion]]:
    return await service.versions_of(session=session, record_type="RatingInquiry", record_ids=keys)


LOADERS = {
    "Initiative": versions_of_initiatives,
    "EvidenceAssessment": versions_of_assessments,
    "BestPractice": versions_of_practices,
    "RatingInquiry": versions_of_inquiries,
}
