"""Evidence assessments and findings: readable statement and write rules."""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.auth.principal import Principal
from api.auth.scopes import Scope
from api.evidence.models import EvidenceAssessment, Finding
from api.initiatives import service as initiatives
from api.initiatives.models import Initiative, Participation
from api.organisations import service as organisations
from api.visibility import visible_to


def _involved(organisation_id: int) -> sa.ColumnElement[bool]:
    """The assessing organisation, and the assessed initiative's lead and partners."""
    return sa.or_(
        EvidenceAssessment.assessing_organisation_id == organisation_id,
        sa.exists().where(
            Initiative.id == EvidenceAssessment.initiative_id, Initiative.lead_organisation_id == organisation_id
        ),
        sa.exists().where(
            Participation.initiative_id == EvidenceAssessment.initiative_id,
            Participation.organisation_id == organisation_id,
        ),
    )


def visible_condition(principal: Principal) -> sa.ColumnElement[bool]:
    """Not deleted, about a readable initiative, by a readable organisation, and visible itself."""
    return sa.and_(
        col(EvidenceAssessment.deleted_at).is_(None),
        col(EvidenceAssessment.initiative_id).in_(initiatives.readable_ids(principal)),
        col(EvidenceAssessment.assessing_organisation_id).in_(organisations.readable_ids(principal)),
        visible_to(
            principal,
            scope=Scope.ASSESSMENTS_READ,
            visibility_column=EvidenceAssessment.visibility,
            owned_by=_involved,
        ),
    )


def readable(principal: Principal) -> sa.Select:
    """Assessments the principal may read; every read path starts here."""
    return select(EvidenceAssessment).where(visible_condition(principal))


def readable_ids(principal: Principal) -> sa.Select:
    return select(EvidenceAssessment.id).where(visible_condition(principal))


def rated_initiative_ids(principal: Principal, ratings: Sequence[str]) -> sa.Select:
    """Initiatives with a finding rated one of `ratings` in an assessment the principal may read."""
    return (
        select(EvidenceAssessment.initiative_id)
        .join(Finding, Finding.assessment_id == EvidenceAssessment.id)
        .where(visible_condition(principal), col(Finding.rating).in_(ratings))
    )


async def by_ids(
    *, session: AsyncSession, principal: Principal, ids: Sequence[int]
) -> list[EvidenceAssessment | None]:
    rows = (await session.exec(readable(principal).where(col(EvidenceAssessment.id).in_(ids)))).all()
    found = {a.id: a for a in rows}
    return [found.get(i) for i in ids]


async def assessments_of(
    *, session: AsyncSession, principal: Principal, initiative_ids: Sequence[int]
) -> list[list[EvidenceAssessment]]:
    rows = (
        await session.exec(
            readable(principal)
            .where(col(EvidenceAssessment.initiative_id).in_(initiative_ids))
            .order_by(EvidenceAssessment.id)
        )
    ).all()
    grouped: dict[int, list[EvidenceAssessment]] = {i: [] for i in initiative_ids}
    for row in rows:
        grouped[row.initiative_id].append(row)
    return [grouped[i] for i in initiative_ids]


async def findings_of(*, session: AsyncSession, assessment_ids: Sequence[int]) -> list[list[Finding]]:
    """Findings of assessments (callers pass only ids they could read)."""
    rows = (
        await session.exec(
            select(Finding).where(col(Finding.assessment_id).in_(assessment_ids)).order_by(Finding.id)
        )
    ).all()
    grouped: dict[int, list[Finding]] = {i: [] for i in assessment_ids}
    for row in rows:
        grouped[row.assessment_id].append(row)
    return [grouped[i] for i in assessment_ids]


def rated_assessment_ids(ratings: Sequence[str]) -> sa.Select:
    """Assessments with a finding rated one of `ratings` (combine with `readable`)."""
    return select(Finding.assessment_id).where(col(Finding.rating).in_(ratings))
