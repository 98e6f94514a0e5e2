"""Best practices, the evidence they rest on and the organisations endorsing them."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from api.core.db import AuditColumns, UTCDateTime, utcnow
from api.core.visibility import Visibility

CLASSIFICATION_SCHEMES = ("harm", "intervention-type")


class BestPractice(AuditColumns, table=True):
    __tablename__ = "best_practice"
    __table_args__ = (sa.Index("ix_best_practice_visible_order", "deleted_at", "updated_at", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    title: str = Field(max_length=300)
    statement: str = Field(max_length=4000)
    rationale: str | None = Field(default=None, sa_type=sa.Text)
    evidence_basis: str = Field(max_length=40)
    visibility: str = Field(default=Visibility.PUBLIC, sa_type=sa.Enum(Visibility, native_enum=False, length=20))
    provenance: list[dict[str, str]] = Field(default_factory=list, sa_type=sa.JSON)
    # Withdrawn (when, and why): out of every list, search, export and rating, but still resolvable by id,
    # as a tombstone with its reason and its versions (api/activity/withdrawal.py).
    deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    withdrawn_reason: str | None = Field(default=None, max_length=2000)


class PracticeClassification(SQLModel, table=True):
    __tablename__ = "practice_classification"
    __table_args__ = (sa.Index("ix_practice_classification_lookup", "scheme", "code", "practice_id"),)

    practice_id: int = Field(foreign_key="best_practice.id", primary_key=True, ondelete="CASCADE")
    scheme: str = Field(primary_key=True, max_length=40)
    code: str = Field(primary_key=True, max_length=40)


class PracticeEvidence(SQLModel, table=True):
    """A best practice citing an evidence assessment."""

    __tablename__ = "practice_evidence"

    practice_id: int = Field(foreign_key="best_practice.id", primary_key=True, ondelete="CASCADE")
    assessment_id: int = Field(foreign_key="evidence_assessment.id", primary_key=True, index=True)


class Endorsement(SQLModel, table=True):
    practice_id: int = Field(foreign_key="best_practice.id", primary_key=True, ondelete="CASCADE")
    organisation_id: int = Field(foreign_key="organisation.id", primary_key=True, index=True)
    endorsed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    endorsed_by: str = Field(max_length=200)
