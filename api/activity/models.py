"""The activity trail: one append-only row for everything that happens to a registry record.

Each row names the record it concerns (`subject_type`, `subject_id`); whoever may read that record may
read the row, nobody else. Webhook deliveries are made from these rows, in the same transaction."""

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
import strawberry
from sqlmodel import Field, SQLModel

from api.core.db import UTCDateTime, utcnow


@strawberry.enum(description="What happened to a record.")
class ActivityKind(StrEnum):
    CREATED = "CREATED"
    EDITED = "EDITED"
    DRAFTED = "DRAFTED"
    SUBMITTED = "SUBMITTED"
    REVIEWERS_ASSIGNED = "REVIEWERS_ASSIGNED"
    REVIEW_SUBMITTED = "REVIEW_SUBMITTED"
    DISAGREEMENT_RESOLVED = "DISAGREEMENT_RESOLVED"
    CHANGES_REQUESTED = "CHANGES_REQUESTED"
    PUBLISHED = "PUBLISHED"
    WITHDRAWN = "WITHDRAWN"
    RATING_CHANGED = "RATING_CHANGED"
    # Inquiries and appeals filed, answered and decided before they were reviewed like other records; since
    # then they are drafted, submitted, reviewed and PUBLISHED as revisions of a `RatingInquiry`.
    INQUIRY_FILED = "INQUIRY_FILED"
    INQUIRY_ANSWERED = "INQUIRY_ANSWERED"
    APPEAL_FILED = "APPEAL_FILED"
    APPEAL_DECIDED = "APPEAL_DECIDED"
    MEMBERSHIP_CHANGED = "MEMBERSHIP_CHANGED"


# The `detail` key naming another organisation by its row id (a membership change's other side). Readers get
# it as `relatedOrganisation`, through the organisations' readable statement, never as the bare id: the
# organisation may be one they may not see. Whatever shows `detail` leaves this key out.
RELATED_ORGANISATION = "organisation"


def shown_detail(detail: dict) -> dict:
    """An entry's detail as readers and webhook deliveries get it: without the related organisation's id."""
    return {key: value for key, value in detail.items() if key != RELATED_ORGANISATION}


class Activity(SQLModel, table=True):
    __table_args__ = (
        sa.Index("ix_activity_subject", "subject_type", "subject_id", "id"),
        sa.Index("ix_activity_time", "occurred_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    occurred_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    kind: str = Field(max_length=40, index=True)
    # The record it concerns, by its GraphQL type name ("EvidenceAssessment", "Revision", ...).
    subject_type: str = Field(max_length=40)
    subject_id: int
    # The organisation that acted (None for the command line and the rating computation).
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id", index=True)
    actor: str = Field(max_length=200)
    # The published version the event produced or concerns, where there is one.
    version: int | None = None
    # What a reader needs to understand the entry without another query (a change note, a reason, the
    # rating before and after); never more than a reader of the record may read.
    detail: dict = Field(default_factory=dict, sa_type=sa.JSON)
