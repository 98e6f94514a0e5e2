"""Questioning a rating: an inquiry filed by an organisation with a stake, answered by the secretariat,
and the appeal an answered inquiry may be escalated to, decided by two reviewer organisations with no stake.

Every state change stays in these rows (who and when); the outcome of a decided appeal is also written
into the rating's history (`OutcomeRatingChange`, reason APPEAL)."""

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from api.core.db import AuditColumns, UTCDateTime


class InquiryStatus(StrEnum):
    OPEN = "OPEN"
    ANSWERED = "ANSWERED"
    ESCALATED = "ESCALATED"
    DECIDED = "DECIDED"


class AppealStatus(StrEnum):
    AWAITING_REVIEWERS = "AWAITING_REVIEWERS"
    UNDER_REVIEW = "UNDER_REVIEW"
    DECIDED = "DECIDED"


class AppealDecision(StrEnum):
    UPHELD = "UPHELD"
    DISMISSED = "DISMISSED"


class RatingInquiry(AuditColumns, table=True):
    __tablename__ = "rating_inquiry"
    __table_args__ = (sa.Index("ix_rating_inquiry_status", "status", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    rating_id: int = Field(foreign_key="outcome_rating.id", index=True, ondelete="CASCADE")
    # The organisation with a stake that filed it (the caller's).
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    grounds: str = Field(max_length=40)  # vocabulary `inquiry-grounds`
    text: str = Field(max_length=4000)
    status: str = Field(default=InquiryStatus.OPEN, max_length=20)
    answer: str | None = Field(default=None, max_length=4000)
    answered_by: str | None = Field(default=None, max_length=200)
    # The secretariat organisation that answered: it has a stake in an appeal and may not review it.
    answered_by_organisation_id: int | None = Field(default=None, foreign_key="organisation.id")
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class RatingAppeal(AuditColumns, table=True):
    """An answered inquiry escalated by its filing organisation; at most one per inquiry."""

    __tablename__ = "rating_appeal"

    id: int | None = Field(default=None, primary_key=True)
    inquiry_id: int = Field(foreign_key="rating_inquiry.id", unique=True, ondelete="CASCADE")
    text: str = Field(max_length=4000)
    status: str = Field(default=AppealStatus.AWAITING_REVIEWERS, max_length=20)
    assigned_by: str | None = Field(default=None, max_length=200)
    assigned_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # UPHELD only when both reviewers uphold it; set with `decided_at` once both have decided.
    outcome: str | None = Field(default=None, max_length=20)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class RatingAppealReviewer(SQLModel, table=True):
    """A reviewer organisation of an appeal and its decision, recorded by one of its members."""

    __tablename__ = "rating_appeal_reviewer"

    appeal_id: int = Field(foreign_key="rating_appeal.id", primary_key=True, ondelete="CASCADE")
    organisation_id: int = Field(foreign_key="organisation.id", primary_key=True, index=True)
    position: int  # 1 or 2, in the order the secretariat named them
    decision: str | None = Field(default=None, max_length=20)
    reasons: str | None = Field(default=None, max_length=900)
    decided_by: str | None = Field(default=None, max_length=200)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
