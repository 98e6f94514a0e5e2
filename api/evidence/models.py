"""Evidence assessments of initiatives and their per-outcome findings."""

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field

from api.core.db import AuditColumns, UTCDateTime
from api.core.visibility import Visibility


class Study(AuditColumns, table=True):
    """A report of research: what several organisations' assessments can code, each in its own way."""

    # The newest change, read by the evidence map's data version (api/maps/cache.py), by index.
    __table_args__ = (sa.Index("ix_study_updated_at", "updated_at"),)

    id: int | None = Field(default=None, primary_key=True)
    # The organisation that registered the study; it alone may correct it.
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    title: str = Field(max_length=300)
    study_design: str = Field(max_length=40, index=True)
    reference_doi: str | None = Field(default=None, max_length=200, index=True)
    reference_url: str | None = Field(default=None, max_length=2000)
    countries: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    population: str | None = Field(default=None, max_length=2000)
    sample_size: int | None = None
    setting: str | None = Field(default=None, max_length=2000)
    published_on: date | None = None
    # YEAR or MONTH when the source gives only that much of the date (published_on is then its first day).
    published_precision: str | None = Field(default=None, max_length=10)
    # The period the study's data cover, as the source gives it ("2021", "2021-2022").
    period: str | None = Field(default=None, max_length=100)
    peer_reviewed: bool | None = None
    funder: str | None = Field(default=None, max_length=300)
    # Two reports of one sample share a key, so that every rule counts the sample once.
    sample_key: str | None = Field(default=None, max_length=200, index=True)
    visibility: str = Field(default=Visibility.PUBLIC, sa_type=sa.Enum(Visibility, native_enum=False, length=20))
    provenance: list[dict[str, str]] = Field(default_factory=list, sa_type=sa.JSON)
    deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class EvidenceAssessment(AuditColumns, table=True):
    """One organisation's coding of one study, as evidence about one initiative."""

    __tablename__ = "evidence_assessment"
    # The newest change, read by the evidence map's data version (api/maps/cache.py), by index.
    __table_args__ = (sa.Index("ix_evidence_assessment_updated_at", "updated_at"),)

    id: int | None = Field(default=None, primary_key=True)
    initiative_id: int = Field(foreign_key="initiative.id", index=True)
    study_id: int = Field(foreign_key="study.id", index=True)
    assessing_organisation_id: int = Field(foreign_key="organisation.id", index=True)
    independence: str = Field(max_length=40)
    follow_up: str | None = Field(default=None, max_length=500)
    limitations: str | None = Field(default=None, sa_type=sa.Text)
    conflicts_of_interest: str | None = Field(default=None, sa_type=sa.Text)
    visibility: str = Field(default=Visibility.PUBLIC, sa_type=sa.Enum(Visibility, native_enum=False, length=20))
    provenance: list[dict[str, str]] = Field(default_factory=list, sa_type=sa.JSON)
    # Withdrawn (when, and why): out of every list, search and rating, but still resolvable by id, as a
    # tombstone with its reason and its versions.
    deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    withdrawn_reason: str | None = Field(default=None, max_length=2000)


class Finding(AuditColumns, table=True):
    """What one assessment found for one outcome, with what the rating rules need to weigh it."""

    # The newest change, read by the evidence map's data version (api/maps/cache.py), by index.
    __table_args__ = (sa.Index("ix_finding_updated_at", "updated_at"),)

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="evidence_assessment.id", index=True, ondelete="CASCADE")
    outcome: str = Field(max_length=40)
    effect_direction: str = Field(max_length=40)
    effect_size: float | None = None
    effect_size_metric: str | None = Field(default=None, max_length=100)
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None
    comparison: str = Field(max_length=40)
    significance: str = Field(default="NOT-TESTED", max_length=40)
    risk_of_bias: str | None = Field(default=None, max_length=40)
    follow_up_months: int | None = None
    # What the contributor claims. The rating coplab shows is computed (api/ratings); this stays as
    # the contributor's proposal, shown as such.
    proposed_rating: str | None = Field(default=None, max_length=40)
    proposed_certainty: str | None = Field(default=None, max_length=40)
    # The source scheme's own rating, kept beside ours so nothing is lost in mapping.
    source_scheme: str | None = Field(default=None, max_length=40)
    source_rating: str | None = Field(default=None, max_length=100)
    notes: str | None = Field(default=None, max_length=2000)
