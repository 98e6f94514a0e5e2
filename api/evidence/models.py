"""Evidence assessments of initiatives and their per-outcome findings."""

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field

from api.core.db import AuditColumns, UTCDateTime
from api.core.visibility import Visibility


class EvidenceAssessment(AuditColumns, table=True):
    __tablename__ = "evidence_assessment"

    id: int | None = Field(default=None, primary_key=True)
    initiative_id: int = Field(foreign_key="initiative.id", index=True)
    assessing_organisation_id: int = Field(foreign_key="organisation.id", index=True)
    title: str = Field(max_length=300)
    independence: str = Field(max_length=40)
    study_design: str = Field(max_length=40, index=True)
    sample_size: int | None = None
    setting: str | None = Field(default=None, max_length=2000)
    follow_up: str | None = Field(default=None, max_length=500)
    reference_doi: str | None = Field(default=None, max_length=200)
    reference_url: str | None = Field(default=None, max_length=2000)
    published_on: date | None = None
    # The period the figures cover, as the source gives it ("2021", "2021-2022").
    period: str | None = Field(default=None, max_length=100)
    limitations: str | None = Field(default=None, sa_type=sa.Text)
    conflicts_of_interest: str | None = Field(default=None, sa_type=sa.Text)
    visibility: str = Field(default=Visibility.PUBLIC, sa_type=sa.Enum(Visibility, native_enum=False, length=20))
    provenance: list[dict[str, str]] = Field(default_factory=list, sa_type=sa.JSON)
    deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Finding(AuditColumns, table=True):
    """What one assessment found for one outcome, rated on the Lab's scale and GRADE certainty."""

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="evidence_assessment.id", index=True, ondelete="CASCADE")
    outcome: str = Field(max_length=40)
    effect_direction: str = Field(max_length=40)
    effect_size: float | None = None
    effect_size_metric: str | None = Field(default=None, max_length=100)
    rating: str = Field(max_length=40, index=True)
    certainty: str = Field(max_length=40)
    # The source scheme's own rating, kept beside ours so nothing is lost in mapping.
    source_scheme: str | None = Field(default=None, max_length=40)
    source_rating: str | None = Field(default=None, max_length=100)
    notes: str | None = Field(default=None, max_length=2000)
