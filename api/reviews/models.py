"""Review before publication: a revision (a proposed version of an evidence assessment or a best
practice) goes from its authors' draft through two independent reviews to publication.

The published record (`evidence_assessment`, `best_practice` and their parts) only ever holds what was
published; a draft lives here, as the content its authors gave, until it is published. So no list,
count, search, export, map or rating can see a draft: none of them reads this table."""

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
import strawberry
from sqlmodel import Field, SQLModel

from api.core.db import AuditColumns, UTCDateTime, utcnow


@strawberry.enum(description="Where a revision is on its way to publication.")
class RevisionState(StrEnum):
    DRAFT = "DRAFT"  # Being written; seen by its organisation only.
    SUBMITTED = "SUBMITTED"  # Sent for review; locked for its authors.
    IN_REVIEW = "IN_REVIEW"  # Two reviewers are coding it, each blind to the other.
    RECONCILIATION = "RECONCILIATION"  # Both reviews are in; any disagreements are being resolved.
    CHANGES_REQUESTED = "CHANGES_REQUESTED"  # Back with its authors, who may change it and submit it again.
    PUBLISHED = "PUBLISHED"  # Published as a numbered version of the record.
    WITHDRAWN = "WITHDRAWN"  # Withdrawn before publication, with a reason.


# States in which the authors may still change the content.
EDITABLE = frozenset({RevisionState.DRAFT, RevisionState.CHANGES_REQUESTED})
# States that are over: nothing changes a revision any more.
CLOSED = frozenset({RevisionState.PUBLISHED, RevisionState.WITHDRAWN})


@strawberry.enum(description="The kinds of record that are reviewed before they are published.")
class ReviewedType(StrEnum):
    EVIDENCE_ASSESSMENT = "EvidenceAssessment"
    BEST_PRACTICE = "BestPractice"
    RATING_INQUIRY = "RatingInquiry"


class Revision(AuditColumns, table=True):
    __table_args__ = (sa.Index("ix_revision_record", "record_type", "record_id", "state"),)

    id: int | None = Field(default=None, primary_key=True)
    record_type: str = Field(max_length=40)
    # None until the first publication creates the record.
    record_id: int | None = None
    # The version the authors started from (None for a new record).
    base_version: int | None = None
    # The authoring organisation: only it sees the draft, and only it may change, submit or withdraw it.
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    state: str = Field(default=RevisionState.DRAFT, max_length=20, index=True)
    # The authors' input, as the record's create (or update) mutation takes it, ids as row ids.
    content: dict = Field(default_factory=dict, sa_type=sa.JSON)
    change_note: str | None = Field(default=None, max_length=2000)
    # Each submission starts a review round; reviews and disagreements belong to one round.
    round: int = 0
    submitted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    published_version: int | None = None
    withdrawn_reason: str | None = Field(default=None, max_length=2000)
    # What the secretariat said when sending it back.
    changes_requested: str | None = Field(default=None, max_length=4000)


class Reviewer(SQLModel, table=True):
    """A person the secretariat trusts to review records for the Lab."""

    user_id: int = Field(foreign_key="user_account.id", primary_key=True)
    granted_by: str = Field(max_length=200)
    granted_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ReviewConflict(SQLModel, table=True):
    """A reviewer's declaration that they must not review records concerning an organisation."""

    __tablename__ = "review_conflict"

    user_id: int = Field(foreign_key="user_account.id", primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", primary_key=True)
    reason: str = Field(max_length=2000)
    declared_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


@strawberry.enum(description="A reviewer's recommendation.")
class Decision(StrEnum):
    ACCEPT = "ACCEPT"
    REVISE = "REVISE"
    REJECT = "REJECT"


class ReviewAssignment(SQLModel, table=True):
    """One reviewer's part in one review round of a revision, and their coding once submitted."""

    __tablename__ = "review_assignment"
    __table_args__ = (sa.UniqueConstraint("revision_id", "round", "user_id", name="uq_review_assignment_reviewer"),)

    id: int | None = Field(default=None, primary_key=True)
    revision_id: int = Field(foreign_key="revision.id", index=True, ondelete="CASCADE")
    round: int
    user_id: int = Field(foreign_key="user_account.id", index=True)
    # 1 and 2 code the record; 3 is a third reviewer who may resolve disagreements.
    position: int
    assigned_by: str = Field(max_length=200)
    assigned_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # What the reviewer coded (api/reviews/coding.py), their decision and notes; set on submission.
    coding: dict | None = Field(default=None, sa_type=sa.JSON)
    decision: str | None = Field(default=None, max_length=20)
    notes: str | None = Field(default=None, max_length=4000)
    submitted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Disagreement(SQLModel, table=True):
    """A coded field on which the two reviews of a round differ, and how it was resolved."""

    id: int | None = Field(default=None, primary_key=True)
    revision_id: int = Field(foreign_key="revision.id", index=True, ondelete="CASCADE")
    round: int
    # A JSON Pointer into the coding ("/findings/0/riskOfBias", "/decision").
    field: str = Field(max_length=200)
    first: str | None = Field(default=None, max_length=200)
    second: str | None = Field(default=None, max_length=200)
    resolution: str | None = Field(default=None, max_length=200)
    resolved_by: str | None = Field(default=None, max_length=200)
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
