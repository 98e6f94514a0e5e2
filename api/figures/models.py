"""Figures: numbers that size or describe the problem, as a source states them. Never evidence of an
initiative's effect: a figure has no rating, certainty or effect direction, and nothing rates from it."""

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from api.core.db import AuditColumns, UTCDateTime
from api.core.visibility import Visibility

# The vocabularies (and ISO code list) a figure is classified by, stored one row per code.
CLASSIFICATION_SCHEMES = ("harm", "region", "country")


class Figure(AuditColumns, table=True):
    __table_args__ = (sa.Index("ix_figure_visible_order", "deleted_at", "period_end", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    # The organisation that recorded the figure and may change it; None only for a public figure of
    # the Lab's own registry (seed/registry/figures.yaml), which the seed files alone change.
    recording_organisation_id: int | None = Field(default=None, foreign_key="organisation.id", index=True)
    # The organisation whose figure it is (whose data, survey or estimate), where known.
    source_organisation_id: int | None = Field(default=None, foreign_key="organisation.id", index=True)
    # The figure in words, as the source gives it.
    statement: str = Field(max_length=2000)
    # A double: sources give a few significant digits, which a double holds exactly as written, and it is
    # the same number on SQLite and PostgreSQL (SQLite has no decimal type). None when the source gives
    # the figure in words only ("almost half").
    value: float | None = None
    unit: str = Field(max_length=100)
    denominator: str | None = Field(default=None, max_length=300)
    # The first and last year, month or day the figure covers; YEAR and MONTH store the first day.
    period_start: date
    period_end: date
    period_precision: str = Field(max_length=10)
    visibility: str = Field(default=Visibility.PUBLIC, sa_type=sa.Enum(Visibility, native_enum=False, length=20))
    provenance: list[dict[str, str]] = Field(default_factory=list, sa_type=sa.JSON)
    deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class FigureClassification(SQLModel, table=True):
    __tablename__ = "figure_classification"
    __table_args__ = (sa.Index("ix_figure_classification_lookup", "scheme", "code", "figure_id"),)

    figure_id: int = Field(foreign_key="figure.id", primary_key=True, ondelete="CASCADE")
    scheme: str = Field(primary_key=True, max_length=40)
    code: str = Field(primary_key=True, max_length=40)


class FigureInitiative(SQLModel, table=True):
    """A figure concerning an initiative."""

    __tablename__ = "figure_initiative"

    figure_id: int = Field(foreign_key="figure.id", primary_key=True, ondelete="CASCADE")
    initiative_id: int = Field(foreign_key="initiative.id", primary_key=True, index=True)
