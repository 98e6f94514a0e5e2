"""The Lab's reviewers: granted by the secretariat, drawn two at a time, never from an organisation with a
stake in the record (each kind of record names them: api/reviews/kinds.py) or one they declared a conflict with."""

import random
from collections.abc import Sequence

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.auth.principal import Principal
from api.core.db import utcnow
from api.core.errors import DomainError, ErrorCode, not_found
from api.organisations import service as organisations
from api.initiatives.models import Initiative, Participation
from api.organisations.models import Membership
from api.reviews.models import CLOSED, ReviewAssignment, ReviewConflict, Reviewer, Revision

# Two reviewers code each record blind; a third may be drawn to resolve their disagreements.
CODERS = 2


def require_lab_admin(principal: Principal, field: str | None = None) -> None:
    if not principal.is_lab_admin:
        raise DomainError.one([field] if field else [], ErrorCode.FORBIDDEN, "Only the Lab's secretariat can do this.")


async def grant(*, session: AsyncSession, principal: Principal, user_id: int) -> Reviewer:
    require_lab_admin(principal)
    reviewer = await session.get(Reviewer, user_id)
    if reviewer is None:
        reviewer = Reviewer(user_id=user_id, granted_by=principal.subject)
        session.add(reviewer)
    else:
        reviewer.revoked_at, reviewer.granted_by, reviewer.granted_at = None, principal.subject, utcnow()
    await session.flush()
    return reviewer


async def revoke(*, session: AsyncSession, principal: Principal, user_id: int) -> Reviewer:
    require_lab_admin(principal)
    reviewer = await session.get(Reviewer, user_id)
    if reviewer is None or reviewer.revoked_at is not None:
        raise DomainError.one(["membership"], ErrorCode.NOT_A_REVIEWER, "This person is not a reviewer.")
    reviewer.revoked_at = utcnow()
    await session.flush()
    return reviewer


async def is_reviewer(session: AsyncSession, user_id: int | None) -> bool:
    reviewer = await session.get(Reviewer, user_id) if user_id is not None else None
    return reviewer is not None and reviewer.revoked_at is None


async def declare_conflict(*, session: AsyncSession, principal: Principal, organisation_id: int, reason: str) -> None:
    if not await is_reviewer(session, principal.user_id):
        raise DomainError.one([], ErrorCode.NOT_A_REVIEWER, "Only a reviewer declares conflicts of interest.")
    # An organisation the reviewer may not see is missing to them, exactly like one that does not exist.
    if await organisations.get(session=session, principal=principal, organisation_id=organisation_id) is None:
        raise not_found(["organisation"], "organisation")
    existing = await session.get(ReviewConflict, (principal.user_id, organisation_id))
    if existing is None:
        session.add(ReviewConflict(user_id=principal.user_id, organisation_id=organisation_id, reason=reason))
    else:
        existing.reason = reason
    await session.flush()


async def stake_organisations(session: AsyncSession, revision: Revision, initiative_id: int) -> set[int]:
    """An assessment's: the authors, and the lead and participants of the initiative assessed."""
    lead = (await session.exec(select(Initiative.lead_organisation_id).where(Initiative.id == initiative_id))).first()
    partners = (await session.exec(select(Participation.organisation_id).where(Participation.initiative_id == initiative_id))).all()
    return {revision.organisation_id, *([lead] if lead is not None else []), *partners}


def _eligible(stakes: set[int]) -> sa.ColumnElement[bool]:
    """Active reviewers who belong to no organisation with a stake and declared no conflict with one."""
    return sa.and_(
        col(Reviewer.revoked_at).is_(None),
        ~sa.exists().where(Membership.user_id == Reviewer.user_id, col(Membership.organisation_id).in_(stakes)),
        ~sa.exists().where(ReviewConflict.user_id == Reviewer.user_id, col(ReviewConflict.organisation_id).in_(stakes)),
    )


async def check_named(session: AsyncSession, stakes: set[int], user_ids: Sequence[int], field: str) -> None:
    """Refuse a named reviewer who is no reviewer, or has a stake."""
    statement = select(Reviewer.user_id).where(_eligible(stakes), col(Reviewer.user_id).in_(user_ids))
    eligible = set((await session.exec(statement)).all())
    for index, user_id in enumerate(user_ids):
        if user_id in eligible:
            continue
        if not await is_reviewer(session, user_id):
            raise DomainError.one([field, str(index)], ErrorCode.NOT_A_REVIEWER, "This person is not a reviewer.")
        raise DomainError.one(
            [field, str(index)],
            ErrorCode.HAS_STAKE,
            "This reviewer belongs to, or declared a conflict with, an organisation with a stake in the record.",
        )


async def draw(session: AsyncSession, stakes: set[int], count: int, exclude: set[int]) -> list[int]:
    """`count` eligible reviewers, the least loaded first (open assignments), ties drawn at random."""
    open_work = (
        select(sa.func.count())
        .select_from(ReviewAssignment)
        .join(Revision, Revision.id == ReviewAssignment.revision_id)
        .where(
            ReviewAssignment.user_id == Reviewer.user_id,
            col(ReviewAssignment.submitted_at).is_(None),
            col(Revision.state).not_in(CLOSED),
        )
        .scalar_subquery()
    )
    rows = (await session.exec(sa.select(Reviewer.user_id, open_work).where(_eligible(stakes)))).all()
    candidates = [(load, random.random(), user_id) for user_id, load in rows if user_id not in exclude]  # noqa: S311
    if len(candidates) < count:
        raise DomainError.one(
            ["revision"],
            ErrorCode.NOT_ENOUGH_REVIEWERS,
            f"Fewer than {count} reviewers have no stake in this record; grant the role to more people.",
        )
    return [user_id for _, _, user_id in sorted(candidates)[:count]]


async def user_of_membership(*, session: AsyncSession, membership_id: int, field: Sequence[str]) -> int:
    """The person a membership names (the API names people by their memberships)."""
    membership = await session.get(Membership, membership_id)
    if membership is None:
        raise DomainError.one(field, ErrorCode.NOT_FOUND, "No Membership with this id.")
    return membership.user_id
