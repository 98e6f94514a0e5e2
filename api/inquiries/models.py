"""Questioning a rating: an inquiry filed by an organisation with a stake in it, and the appeal it may
bring against the Lab's decision. Both are reviewed before publication like any other proposed record
(api/reviews/, docs/evidence-design.md "Questioning a rating"): the filing organisation drafts and
submits, two reviewers with no stake rule on it blind to each other, and the reconciled ruling is
published. This row holds only what was published: version 1 is the inquiry and its ruling, version 2
the appeal and the ruling on it. Drafts live in `revision` until then."""

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field

from api.core.db import AuditColumns, UTCDateTime


class Ruling(StrEnum):
    UPHELD = "UPHELD"
    DISMISSED = "DISMISSED"


class RatingInquiry(AuditColumns, table=True):
    __tablename__ = "rating_inquiry"

    id: int | None = Field(default=None, primary_key=True)
    rating_id: int = Field(foreign_key="outcome_rating.id", index=True, ondelete="CASCADE")
    # The organisation with a stake that filed it.
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    grounds: str = Field(max_length=40)  # vocabulary `inquiry-grounds`
    text: str = Field(max_length=4000)
    # The filing organisation's appeal against the ruling on its inquiry (version 2), if it appealed.
    appeal: str | None = Field(default=None, max_length=4000)
    # The reviewers' reconciled ruling on the inquiry, or on the appeal once there is one. Null only for
    # an inquiry the secretariat answered alone, before inquiries were reviewed.
    ruling: str | None = Field(default=None, max_length=20, index=True)
    # The two reviewers' reasons, in their order, published with the ruling.
    reasons: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    # The secretariat's answer to an inquiry it answered alone, before inquiries were reviewed.
    answer: str | None = Field(default=None, max_length=4000)
    # When the ruling now published was made (or the answer given).
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
