"""Initiatives, their classifications and the organisations taking part."""

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from api.core.db import AuditColumns, UTCDateTime
from api.core.visibility import Visibility

# The vocabularies (and ISO code lists) an initiative is classified by, stored one row per code.
CLASSIFICATION_SCHEMES = (
    "intervention-type",
    "harm",
    "mnr-capability",
    "target-group",
    "region",
    "country",
    "language",
)


class Initiative(AuditColumns, table=True):
    # The newest change, read by the evidence map's data version (api/maps/cache.py), by index.
    __table_args__ = (
        sa.Index("ix_initiative_visible_order", "deleted_at", "updated_at", "id"),
        sa.Index("ix_initiative_updated_at", "updated_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=300)
    summary: str | None = Field(default=None, max_length=2000)
    description: str | None = Field(default=None, sa_type=sa.Text)
    # None only where the registry's sources name no lead (seed/registry/initiatives.yaml); such an
    # initiative is public, owned by no organisation and edited only through the seed files.
    lead_organisation_id: int | None = Field(default=None, foreign_key="organisation.id", index=True)
    # The initiative this one is a component of (the French Safer Internet Centre's three parts).
    part_of_id: int | None = Field(default=None, foreign_key="initiative.id", index=True)
    status: str = Field(max_length=40, index=True)
    visibility: str = Field(
        default=Visibility.PUBLIC,
        sa_type=sa.Enum(Visibility, native_enum=False, length=20),
        index=True,
    )
    planned_start: date | None = None
    planned_end: date | None = None
    actual_start: date | None = None
    # How much of actual_start the sources give: YEAR or MONTH store the first day; None means the day.
    actual_start_precision: str | None = Field(default=None, max_length=10)
    actual_end: date | None = None
    links: list[dict[str, str]] = Field(default_factory=list, sa_type=sa.JSON)
    provenance: list[dict[str, str]] = Field(default_factory=list, sa_type=sa.JSON)
    deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class InitiativeClassification(SQLModel, table=True):
    __tablename__ = "initiative_classification"
    __table_args__ = (sa.Index("ix_initiative_classification_lookup", "scheme", "code", "initiative_id"),)

    initiative_id: int = Field(foreign_key="initiative.id", primary_key=True, ondelete="CASCADE")
    scheme: str = Field(primary_key=True, max_length=40)
    code: str = Field(primary_key=True, max_length=40)


class Participation(AuditColumns, table=True):
    __table_args__ = (
        sa.UniqueConstraint("initiative_id", "organisation_id", "role", name="uq_participation_initiative_org_role"),
        # The newest change, read by the evidence map's data version (api/maps/cache.py), by index.
        sa.Index("ix_participation_updated_at", "updated_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    initiative_id: int = Field(foreign_key="initiative.id", index=True, ondelete="CASCADE")
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    role: str = Field(max_length=40)
    # Named by the lead, a participation is proposed until the partner organisation confirms it;
    # only confirmed ones are shown beyond the two organisations (docs/access.md, "Partners").
    confirmed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    confirmed_by: str | None = Field(default=None, max_length=200)
