"""Questioning a rating: who may read inquiries and appeals, who has a stake in a rating, and the rules
for every write (docs/evidence-design.md, "Questioning a rating").

An inquiry or appeal is readable by whoever may read its rating: the registry is open about how its
ratings are questioned, as it is about how they are computed. Filing needs a stake; reviewing an
appeal needs none."""

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.activity import service as activity
from api.activity.models import ActivityKind
from api.auth.checks import require_role
from api.auth.principal import Principal, Role
from api.core import validation
from api.core.batches import grouped
from api.core.db import rows_in_order, utcnow
from api.core.errors import DomainError, ErrorCode, Problems, not_found
from api.evidence.models import EvidenceAssessment, Finding
from api.initiatives.models import Initiative, Participation
from api.inquiries.models import (
    AppealDecision,
    AppealStatus,
    InquiryStatus,
    RatingAppeal,
    RatingAppealReviewer,
    RatingInquiry,
)
from api.organisations import service as organisations
from api.organisations.models import Organisation
from api.practices.models import BestPractice, PracticeEvidence
from api.ratings import readable as ratings
from api.ratings.models import OutcomeRating, OutcomeRatingChange
from api.ratings.service import Reason
from api.vocabularies import service as vocabularies

TEXT_LENGTH = 4000
REASONS_LENGTH = 900
REVIEWERS = 2


# --- reads -----------------------------------------------------------------------------------------


def visible_condition(principal: Principal) -> sa.ColumnElement[bool]:
    return col(RatingInquiry.rating_id).in_(ratings.readable(principal).with_only_columns(OutcomeRating.id))


def readable(principal: Principal) -> sa.Select:
    """Inquiries the principal may read: those on ratings it may read. Every read path starts here."""
    return select(RatingInquiry).where(visible_condition(principal))


def readable_appeals(principal: Principal) -> sa.Select:
    return select(RatingAppeal).where(
        col(RatingAppeal.inquiry_id).in_(readable(principal).with_only_columns(RatingInquiry.id))
    )


@dataclass
class InquiryFilter:
    statuses: Sequence[str] = ()
    rating_ids: Sequence[int] = ()


def filtered(principal: Principal, where: InquiryFilter) -> sa.Select:
    statement = readable(principal)
    if where.statuses:
        statement = statement.where(col(RatingInquiry.status).in_(where.statuses))
    if where.rating_ids:
        statement = statement.where(col(RatingInquiry.rating_id).in_(where.rating_ids))
    return statement


async def by_ids(*, session: AsyncSession, principal: Principal, ids: Sequence[int]) -> list[RatingInquiry | None]:
    return await rows_in_order(session, readable(principal), col(RatingInquiry.id), ids)


async def appeals_by_ids(
    *, session: AsyncSession, principal: Principal, ids: Sequence[int]
) -> list[RatingAppeal | None]:
    return await rows_in_order(session, readable_appeals(principal), col(RatingAppeal.id), ids)


async def inquiries_of(*, session: AsyncSession, rating_ids: Sequence[int]) -> list[list[RatingInquiry]]:
    """Each rating's inquiries, oldest first (callers pass only ids of ratings they could read)."""
    statement = select(RatingInquiry).where(col(RatingInquiry.rating_id).in_(rating_ids)).order_by(RatingInquiry.id)
    return grouped(rating_ids, (await session.exec(statement)).all(), lambda row: row.rating_id)


async def appeals_of(*, session: AsyncSession, inquiry_ids: Sequence[int]) -> list[RatingAppeal | None]:
    """Each inquiry's appeal, if escalated (callers pass only ids of inquiries they could read)."""
    rows = (await session.exec(select(RatingAppeal).where(col(RatingAppeal.inquiry_id).in_(inquiry_ids)))).all()
    by_inquiry = {row.inquiry_id: row for row in rows}
    return [by_inquiry.get(i) for i in inquiry_ids]


async def reviewers_of(*, session: AsyncSession, appeal_ids: Sequence[int]) -> list[list[RatingAppealReviewer]]:
    statement = (
        select(RatingAppealReviewer)
        .where(col(RatingAppealReviewer.appeal_id).in_(appeal_ids))
        .order_by(RatingAppealReviewer.position)
    )
    return grouped(appeal_ids, (await session.exec(statement)).all(), lambda row: row.appeal_id)


# --- stakes ----------------------------------------------------------------------------------------


async def stakeholders(session: AsyncSession, rating: OutcomeRating, *, confirmed_only: bool) -> set[int]:
    """The organisations with a stake in `rating`: for an initiative its lead and participants, for a best
    practice its proposing organisation and the assessors of the assessments it cites, and for both the
    assessing organisations of every finding the rating weighed. `confirmed_only` counts only confirmed
    participations (who may file); a proposed one still disqualifies a reviewer."""
    stake: set[int] = set()
    finding_ids = [c["finding_id"] for c in rating.contributions]
    if finding_ids:
        assessors = select(EvidenceAssessment.assessing_organisation_id).join(
            Finding, col(Finding.assessment_id) == EvidenceAssessment.id
        )
        stake.update((await session.exec(assessors.where(col(Finding.id).in_(finding_ids)))).all())
    if rating.initiative_id is not None:
        initiative = await session.get(Initiative, rating.initiative_id)
        if initiative is not None and initiative.lead_organisation_id is not None:
            stake.add(initiative.lead_organisation_id)
        partners = select(Participation.organisation_id).where(Participation.initiative_id == rating.initiative_id)
        if confirmed_only:
            partners = partners.where(col(Participation.confirmed_at).is_not(None))
        stake.update((await session.exec(partners)).all())
    if rating.practice_id is not None:
        practice = await session.get(BestPractice, rating.practice_id)
        if practice is not None:
            stake.add(practice.organisation_id)
        cited = (
            select(EvidenceAssessment.assessing_organisation_id)
            .join(PracticeEvidence, col(PracticeEvidence.assessment_id) == EvidenceAssessment.id)
            .where(PracticeEvidence.practice_id == rating.practice_id)
        )
        stake.update((await session.exec(cited)).all())
    return stake


# --- writes ----------------------------------------------------------------------------------------


def _text(problems: Problems, field: str, value: str | None, max_length: int = TEXT_LENGTH) -> str | None:
    return validation.text(problems, [field], value, max_length=max_length, required=True, multiline=True)


async def _readable_rating(session: AsyncSession, principal: Principal, rating_id: int) -> OutcomeRating:
    rating = (await ratings.by_ids(session=session, principal=principal, ids=[rating_id]))[0]
    if rating is None:
        raise not_found(["rating"], "outcome rating")
    return rating


async def file(
    *, session: AsyncSession, principal: Principal, rating_id: int, grounds: str, text: str
) -> RatingInquiry:
    """An inquiry on a rating the caller may read, by the caller's organisation, which must have a stake.
    A rating the caller may not read is NOT_FOUND, exactly like a missing one."""
    require_role(principal, Role.CONTRIBUTOR)
    rating = await _readable_rating(session, principal, rating_id)
    problems = Problems()
    if principal.organisation_id not in await stakeholders(session, rating, confirmed_only=True):
        problems.add(
            ["rating"],
            ErrorCode.NO_STAKE,
            "Only the lead, a participant or an assessor of the evidence (for a best practice: its proposer or an "
            "assessor of the evidence it cites) may question this rating.",
        )
    checked_grounds = await vocabularies.check_code(
        session=session, problems=problems, field=["grounds"], vocabulary="inquiry-grounds", code=grounds
    )
    clean_text = _text(problems, "text", text)
    problems.raise_if_any()
    inquiry = RatingInquiry(
        rating_id=rating.id,
        organisation_id=principal.organisation_id,
        grounds=checked_grounds,
        text=clean_text,
        status=InquiryStatus.OPEN,
        created_by=principal.subject,
        updated_by=principal.subject,
    )
    session.add(inquiry)
    await session.flush()
    await _trail(session, principal, ActivityKind.INQUIRY_FILED, inquiry, {"grounds": inquiry.grounds})
    return inquiry


async def _trail(
    session: AsyncSession, principal: Principal, kind: ActivityKind, inquiry: RatingInquiry, detail: dict | None = None
) -> None:
    """An entry on the inquiry's trail: an appeal is part of the inquiry it escalates."""
    await activity.record(
        session=session, principal=principal, kind=kind, subject_type="RatingInquiry", subject_id=inquiry.id, detail=detail
    )


def _require_secretariat(principal: Principal) -> None:
    if not principal.is_lab_admin:
        raise DomainError.one([], ErrorCode.FORBIDDEN, "Only the Lab's secretariat may do this (`lab:admin`).")


async def _inquiry(session: AsyncSession, principal: Principal, inquiry_id: int, field: str) -> RatingInquiry:
    inquiry = (await by_ids(session=session, principal=principal, ids=[inquiry_id]))[0]
    if inquiry is None:
        raise not_found([field], "rating inquiry")
    return inquiry


def _require_status(row: RatingInquiry | RatingAppeal, field: str, wanted: str, what: str) -> None:
    if row.status != wanted:
        raise DomainError.one([field], ErrorCode.WRONG_STATUS, f"This {what} is {row.status}; this needs {wanted}.")


def _touch(row: RatingInquiry | RatingAppeal, principal: Principal) -> None:
    row.updated_at = utcnow()
    row.updated_by = principal.subject


async def answer(*, session: AsyncSession, principal: Principal, inquiry_id: int, answer: str) -> RatingInquiry:
    """The secretariat's answer to an open inquiry."""
    _require_secretariat(principal)
    inquiry = await _inquiry(session, principal, inquiry_id, "inquiry")
    _require_status(inquiry, "inquiry", InquiryStatus.OPEN, "inquiry")
    problems = Problems()
    clean = _text(problems, "answer", answer)
    problems.raise_if_any()
    inquiry.answer = clean
    inquiry.answered_by = principal.subject
    inquiry.answered_by_organisation_id = principal.organisation_id
    inquiry.answered_at = utcnow()
    inquiry.status = InquiryStatus.ANSWERED
    _touch(inquiry, principal)
    await session.flush()
    await _trail(session, principal, ActivityKind.INQUIRY_ANSWERED, inquiry)
    return inquiry


async def escalate(*, session: AsyncSession, principal: Principal, inquiry_id: int, text: str) -> RatingAppeal:
    """An appeal against the answer, by someone of the organisation that filed the inquiry."""
    require_role(principal, Role.CONTRIBUTOR)
    inquiry = await _inquiry(session, principal, inquiry_id, "inquiry")
    if inquiry.organisation_id != principal.organisation_id:
        raise DomainError.one(
            ["inquiry"], ErrorCode.FORBIDDEN, "Only the organisation that filed the inquiry may escalate it."
        )
    _require_status(inquiry, "inquiry", InquiryStatus.ANSWERED, "inquiry")
    problems = Problems()
    clean = _text(problems, "text", text)
    problems.raise_if_any()
    inquiry.status = InquiryStatus.ESCALATED
    _touch(inquiry, principal)
    appeal = RatingAppeal(
        inquiry_id=inquiry.id,
        text=clean,
        status=AppealStatus.AWAITING_REVIEWERS,
        created_by=principal.subject,
        updated_by=principal.subject,
    )
    session.add(appeal)
    await session.flush()
    await _trail(session, principal, ActivityKind.APPEAL_FILED, inquiry)
    return appeal


async def _appeal(session: AsyncSession, principal: Principal, appeal_id: int) -> RatingAppeal:
    """The appeal, locked for the rest of the transaction (PostgreSQL; SQLite serialises writes): two
    reviewers deciding at once, or two assignments, take their turns, so the second sees the first."""
    statement = readable_appeals(principal).where(RatingAppeal.id == appeal_id).with_for_update(of=RatingAppeal)
    appeal = (await session.exec(statement)).first()
    if appeal is None:
        raise not_found(["appeal"], "rating appeal")
    return appeal


async def _rating_of(session: AsyncSession, inquiry: RatingInquiry) -> OutcomeRating:
    rating = await session.get(OutcomeRating, inquiry.rating_id)
    if rating is None:  # the foreign key cascades: an inquiry always has its rating
        raise RuntimeError(f"rating inquiry {inquiry.id} has no rating")
    return rating


async def assign_reviewers(
    *, session: AsyncSession, principal: Principal, appeal_id: int, organisation_ids: Sequence[int]
) -> RatingAppeal:
    """The secretariat names the two reviewer organisations: readable, distinct, and without a stake (not the
    lead, a participant, an assessor of the evidence, the filing organisation, nor the one that answered)."""
    _require_secretariat(principal)
    appeal = await _appeal(session, principal, appeal_id)
    _require_status(appeal, "appeal", AppealStatus.AWAITING_REVIEWERS, "appeal")
    inquiry = await session.get(RatingInquiry, appeal.inquiry_id)
    problems = Problems()
    if len(organisation_ids) != REVIEWERS:
        problems.add(["reviewers"], ErrorCode.INVALID_VALUE, f"Name exactly {REVIEWERS} reviewer organisations.")
    found = set(
        (
            await session.exec(
                organisations.readable_ids(principal).where(col(Organisation.id).in_(organisation_ids))
            )
        ).all()
    )
    stake = await stakeholders(session, await _rating_of(session, inquiry), confirmed_only=False)
    stake |= {inquiry.organisation_id, inquiry.answered_by_organisation_id, principal.organisation_id}
    seen: set[int] = set()
    for index, organisation_id in enumerate(organisation_ids):
        field = ["reviewers", str(index)]
        if organisation_id not in found:
            problems.add(field, ErrorCode.NOT_FOUND, "No organisation with this id.")
        elif organisation_id in seen:
            problems.add(field, ErrorCode.DUPLICATE, "The two reviewers must be different organisations.")
        elif organisation_id in stake:
            problems.add(
                field,
                ErrorCode.NO_STAKE,
                "A reviewer must have no stake in the rating: not its lead, a participant, an assessor of its "
                "evidence, the organisation that filed the inquiry nor the secretariat that answered it.",
            )
        seen.add(organisation_id)
    problems.raise_if_any()
    session.add_all(
        RatingAppealReviewer(appeal_id=appeal.id, organisation_id=organisation_id, position=position)
        for position, organisation_id in enumerate(organisation_ids, start=1)
    )
    appeal.status = AppealStatus.UNDER_REVIEW
    appeal.assigned_by = principal.subject
    appeal.assigned_at = utcnow()
    _touch(appeal, principal)
    await session.flush()
    return appeal


async def decide(
    *, session: AsyncSession, principal: Principal, appeal_id: int, decision: AppealDecision, reasons: str
) -> RatingAppeal:
    """A reviewer organisation's decision, by one of its members. Once both have decided the appeal is
    decided: UPHELD when both uphold it, DISMISSED otherwise, and the outcome with both reasons is written
    into the rating's history (reason APPEAL). The rating's value stays what the rule set computes."""
    require_role(principal, Role.CONTRIBUTOR)
    appeal = await _appeal(session, principal, appeal_id)
    _require_status(appeal, "appeal", AppealStatus.UNDER_REVIEW, "appeal")
    reviewers = (await reviewers_of(session=session, appeal_ids=[appeal.id]))[0]
    mine = next((r for r in reviewers if r.organisation_id == principal.organisation_id), None)
    if mine is None:
        raise DomainError.one(["appeal"], ErrorCode.FORBIDDEN, "Only a member of a reviewer organisation may decide.")
    if mine.decision is not None:
        raise DomainError.one(["appeal"], ErrorCode.WRONG_STATUS, "Your organisation has decided this appeal already.")
    problems = Problems()
    clean = _text(problems, "reasons", reasons, REASONS_LENGTH)
    problems.raise_if_any()
    now = utcnow()
    mine.decision, mine.reasons, mine.decided_by, mine.decided_at = decision, clean, principal.subject, now
    session.add(mine)
    _touch(appeal, principal)
    if all(r.decision is not None for r in reviewers):
        await _publish(session, principal, appeal, reviewers)
    await session.flush()
    return appeal


async def _publish(
    session: AsyncSession, principal: Principal, appeal: RatingAppeal, reviewers: list[RatingAppealReviewer]
) -> None:
    upheld = all(r.decision == AppealDecision.UPHELD for r in reviewers)
    outcome = AppealDecision.UPHELD if upheld else AppealDecision.DISMISSED
    appeal.status, appeal.outcome, appeal.decided_at = AppealStatus.DECIDED, outcome, utcnow()
    inquiry = await session.get(RatingInquiry, appeal.inquiry_id)
    inquiry.status = InquiryStatus.DECIDED
    _touch(inquiry, principal)
    await _trail(session, principal, ActivityKind.APPEAL_DECIDED, inquiry, {"outcome": str(outcome)})
    rating = await _rating_of(session, inquiry)
    note = f"Appeal {outcome}. " + " ".join(
        f"Reviewer {r.position} ({r.decision}): {r.reasons}" for r in reviewers
    )
    session.add(
        OutcomeRatingChange(
            rating_id=rating.id,
            rating=rating.rating,
            certainty=rating.certainty,
            ruleset_version=rating.ruleset_version,
            rule_id=rating.rule_id,
            reason=Reason.APPEAL,
            note=note,
            changed_by=principal.subject,
        )
    )
