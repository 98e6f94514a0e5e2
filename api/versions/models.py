"""Numbered versions of registry records: what each publication made public, kept for good.

Version 1 of a record stays citable after version 2: readers ask for any number, and for the changes
between two (JSON Patch). An initiative gets a version at every write, since it publishes directly; an
evidence assessment or a best practice at every publication after review (api/reviews)."""

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
import strawberry
from sqlmodel import Field, SQLModel

from api.core.db import UTCDateTime, utcnow


@strawberry.enum(description="How a version came to be published.")
class Publication(StrEnum):
    REVIEWED = "REVIEWED"  # Published after two independent reviews.
    UNREVIEWED = "UNREVIEWED"  # Loaded from the Lab's sources: nobody has reviewed it yet.
    DIRECT = "DIRECT"  # Published directly by its organisation (initiatives are not reviewed).


class RecordVersion(SQLModel, table=True):
    __tablename__ = "record_version"
    __table_args__ = (sa.UniqueConstraint("record_type", "record_id", "number", name="uq_record_version_number"),)

    id: int | None = Field(default=None, primary_key=True)
    # The record's GraphQL type name: "Initiative", "EvidenceAssessment" or "BestPractice".
    record_type: str = Field(max_length=40)
    record_id: int
    number: int
    published_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    published_by: str = Field(max_length=200)
    # The organisation that published it (for a reviewed record, the secretariat).
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id")
    publication: str = Field(max_length=20)
    change_note: str | None = Field(default=None, max_length=2000)
    # The revision whose publication made it, for a reviewed record.
    revision_id: int | None = Field(default=None, foreign_key="revision.id")
    # The record as readers saw it: its own fields and its parts (findings, classifications), with
    # camelCase keys as the API names them, so a diff's paths are the API's field names.
    snapshot: dict = Field(default_factory=dict, sa_type=sa.JSON)
