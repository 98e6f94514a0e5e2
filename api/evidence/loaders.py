"""Batch loads for assessments and findings."""

from collections.abc import Sequence

from sqlmodel.ext.asyncio.session import AsyncSession

from api.auth.principal import Principal
from api.evidence import service, studies
from api.evidence.models import EvidenceAssessment, Finding, Study


async def assessment_by_id(
    keys: Sequence[int], *, session: AsyncSession, principal: Principal
) -> list[EvidenceAssessment | None]:
    return await service.by_ids(session=session, principal=principal, ids=keys)


async def assessments_of(
    keys: Sequence[int], *, session: AsyncSession, principal: Principal
) -> list[list[EvidenceAssessment]]:
    return await service.assessments_of(session=session, principal=principal, initiative_ids=keys)


async def findings_of(keys: Sequence[int], *, session: AsyncSession, principal: Principal) -> list[list[Finding]]:
    return await service.findings_of(session=session, assessment_ids=keys)


async def study_by_id(keys: Sequence[int], *, session: AsyncSession, principal: Principal) -> list[Study | None]:
    return await studies.by_ids(session=session, principal=principal, ids=keys)


async def finding_by_id(keys: Sequence[int], *, session: AsyncSession, principal: Principal) -> list[Finding | None]:
    return await service.findings_by_ids(session=session, principal=principal, ids=keys)
