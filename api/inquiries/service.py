"""Questioning a rating: who may read inquiries, who has a stake in a rating, and the check and write of
an inquiry or appeal, which the review workflow runs as a dry run on every draft and submission and for
real on publication (api/reviews/inquiries.py; docs/evidence-design.md, "Questioning a rating").

A published inquiry is readable by whoever may read its rating: the registry is open about how its
ratings are questioned, as it is about how they are computed. Filing needs a stake; reviewing needs none."""

from collections.abc import Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.auth.checks import require_role
from api.auth.principal import Principal, Role
from api.core import validation
from api.core.batches import grouped
from api.core.db import rows_in_order, utcnow
from api.core.errors import DomainError, ErrorCode, Problems, not_found
from api.evidence.models import EvidenceAssessment, Finding
from api.initiatives.models import Initiative, Participation
from api.inquiries.models import RatingInquiry, Ruling
from api.practices.models import BestPractice, PracticeEvidence
from api.ratings import readable as ratings
from api.ratings.models import OutcomeRating, OutcomeRatingChange
from api.ratings.service import Reason
from api.vocabularies import service as vocabularies

TEXT_LENGTH = 4000
REASONS_LENGTH = 900


# --- reads -----------------------------------------------------------------------------------------


def visible_condition(principal: Principal) -> sa.ColumnElement[bool]:
    return col(RatingInquiry.rating_id).in_(ratings.readable(principal).with_only_columns(OutcomeRating.id))


def readable(principal: Principal) -> sa.Select:
    """Published inquiries the principal may read: those on ratings it may read. Every read path starts here."""
    return select(RatingInquiry).where(visible_condition(principal))


@dataclass
class InquiryFilter:
    rulings: Sequence[str] = ()
    rating_ids: Sequence[int] = ()


def filtered(principal: Principal, where: InquiryFilter) -> sa.Select:
    statement = readable(principal)
    if where.rulings:
        statement = statement.where(col(RatingInquiry.ruling).in_(where.rulings))
    if where.rating_ids:
        statement = statement.where(col(RatingInquiry.rating_id).in_(where.rating_ids))
    return statement


async def by_ids(*, session: AsyncSession, principal: Principal, ids: Sequence[int]) -> list[RatingInquiry | None]:
    return await rows_in_order(session, readable(principal), col(RatingInquiry.id), ids)


async def get(*, session: AsyncSession, principal: Principal, inquiry_id: int) -> RatingInquiry | None:
    return (await by_ids(session=session, principal=principal, ids=[inquiry_id]))[0]


async def inquiries_of(*, session: AsyncSession, rating_ids: Sequence[int]) -> list[list[RatingInquiry]]:
    """Each rating's published inquiries, oldest first (callers pass only ids of ratings they could read)."""
    statement = select(RatingInquiry).where(col(RatingInquiry.rating_id).in_(rating_ids)).order_by(RatingInquiry.id)
    return grouped(rating_ids, (await session.exec(statement)).all(), lambda row: row.rating_id)


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


async def rating_of(session: AsyncSession, rating_id: int) -> OutcomeRating:
    rating = await session.get(OutcomeRating, rating_id)
    if rating is None:  # the foreign key cascades: an inquiry always has its rating
        raise RuntimeError(f"outcome rating {rating_id} is gone")
    return rating


# --- the content of a draft, and its check and write -------------------------------------------------


@dataclass
class InquiryData:
    """What the filing organisation writes (the rating, grounds and question; for an appeal, the appeal),
    and what publication adds: the reviewers' reconciled ruling and their reasons."""

    rating_id: int | None = None
    grounds: str | None = None
    text: str | None = None
    appeal: str | None = None
    ruling: str | None = None
    reasons: list[str] = field(default_factory=list)
    # Who published the ruling (the secretariat's subject), for the rating's history.
    published_by: str | None = None


def of_published(inquiry: RatingInquiry) -> InquiryData:
    return InquiryData(
        rating_id=inquiry.rating_id,
        grounds=inquiry.grounds,
        text=inquiry.text,
        appeal=inquiry.appeal,
        ruling=inquiry.ruling,
        reasons=list(inquiry.reasons),
    )


def _text(problems: Problems, name: str, value: str | None) -> str | None:
    return validation.text(problems, [name], value, max_length=TEXT_LENGTH, required=True, multiline=True)


async def _readable_rating(session: AsyncSession, principal: Principal, rating_id: int | None) -> OutcomeRating:
    rating = (await ratings.by_ids(session=session, principal=principal, ids=[rating_id]))[0] if rating_id else None
    if rating is None:
        raise not_found(["rating"], "outcome rating")
    return rating


async def _check_inquiry(session: AsyncSession, principal: Principal, data: InquiryData) -> InquiryData:
    """A new inquiry: on a rating the caller may read (NOT_FOUND otherwise, exactly like a missing one),
    by an organisation with a stake in it, on known grounds, with a question."""
    rating = await _readable_rating(session, principal, data.rating_id)
    problems = Problems()
    if principal.organisation_id not in await stakeholders(session, rating, confirmed_only=True):
        problems.add(
            ["rating"],
            ErrorCode.NO_STAKE,
            "Only the lead, a participant or an assessor of the evidence (for a best practice: its proposer or an "
            "assessor of the evidence it cites) may question this rating.",
        )
    grounds = await vocabularies.check_code(
        session=session, problems=problems, field=["grounds"], vocabulary="inquiry-grounds", code=data.grounds
    )
    text = _text(problems, "text", data.text)
    problems.raise_if_any()
    return InquiryData(rating_id=rating.id, grounds=grounds, text=text, ruling=data.ruling, reasons=data.reasons)


async def published_for_appeal(*, session: AsyncSession, principal: Principal, inquiry_id: int) -> RatingInquiry:
    """The published inquiry an appeal is brought against: readable, filed by the caller's organisation,
    ruled on by reviewers, and not appealed yet (one appeal per inquiry)."""
    inquiry = await get(session=session, principal=principal, inquiry_id=inquiry_id)
    if inquiry is None:
        raise not_found(["inquiry"], "rating inquiry")
    if inquiry.organisation_id != principal.organisation_id:
        raise DomainError.one(["inquiry"], ErrorCode.FORBIDDEN, "Only the organisation that filed the inquiry may appeal.")
    if inquiry.appeal is not None:
        raise DomainError.one(["inquiry"], ErrorCode.WRONG_STATUS, "This inquiry was appealed already; an inquiry has one appeal.")
    return inquiry


async def write(
    *, session: AsyncSession, principal: Principal, inquiry_id: int | None, data: InquiryData, dry_run: bool
) -> RatingInquiry | None:
    """Check an inquiry (no `inquiry_id`) or an appeal against a published one, and unless `dry_run`
    publish it with its ruling. A published appeal's ruling is also written into the rating's history
    (reason APPEAL); the rating's value stays what the rule set computes."""
    require_role(principal, Role.CONTRIBUTOR)
    if inquiry_id is None:
        checked = await _check_inquiry(session, principal, data)
        row = None
    else:
        row = await published_for_appeal(session=session, principal=principal, inquiry_id=inquiry_id)
        problems = Problems()
        checked = InquiryData(appeal=_text(problems, "text", data.appeal), ruling=data.ruling, reasons=data.reasons)
        checked.published_by = data.published_by
        problems.raise_if_any()
    if dry_run:
        return None
    ruling = Ruling(checked.ruling)
    if row is None:
        row = RatingInquiry(
            rating_id=checked.rating_id,
            organisation_id=principal.organisation_id,
            grounds=checked.grounds,
            text=checked.text,
            created_by=principal.subject,
            updated_by=principal.subject,
        )
    else:
        row.appeal = checked.appeal
        await _into_history(session, row, ruling, checked.reasons, checked.published_by or principal.subject)
    row.ruling, row.reasons, row.decided_at = ruling, checked.reasons, utcnow()
    row.updated_at, row.updated_by = utcnow(), principal.subject
    session.add(row)
    await session.flush()
    return row


async def _into_history(
    session: AsyncSession, inquiry: RatingInquiry, ruling: Ruling, reasons: list[str], published_by: str
) -> None:
    rating = await rating_of(session, inquiry.rating_id)
    note = f"Appeal {ruling}. " + " ".join(f"Reviewer {i}: {reason}" for i, reason in enumerate(reasons, start=1))
    session.add(
        OutcomeRatingChange(
            rating_id=rating.id,
            rating=rating.rating,
            certainty=rating.certainty,
            ruleset_version=rating.ruleset_version,
            rule_id=rating.rule_id,
            reason=Reason.APPEAL,
            note=note[:2000],
            changed_by=published_by,
        )
    )
