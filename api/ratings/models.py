"""Outcome ratings: computed by the published rule set, kept with their trace and their history."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from api.core.db import UTCDateTime, utcnow


class OutcomeRating(SQLModel, table=True):
    """The rating of the body of evidence for one outcome of one initiative or best practice.

    Exactly one of `initiative_id` and `practice_id` is set. The row always holds what the current rule
    set computes from the public evidence; its earlier states are in `OutcomeRatingChange`.
    """

    __tablename__ = "outcome_rating"
    __table_args__ = (
        # NULLs are distinct in unique constraints, so each holds for its own kind of subject only.
        sa.UniqueConstraint("initiative_id", "outcome", name="uq_outcome_rating_initiative"),
        sa.UniqueConstraint("practice_id", "outcome", name="uq_outcome_rating_practice"),
        sa.CheckConstraint("(initiative_id IS NULL) <> (practice_id IS NULL)", name="one_subject"),
        sa.Index("ix_outcome_rating_rating", "rating", "certainty"),
        # The newest computation, read by the evidence map's data version (api/maps/cache.py), by index.
        sa.Index("ix_outcome_rating_computed_at", "computed_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    initiative_id: int | None = Field(default=None, foreign_key="initiative.id", index=True)
    practice_id: int | None = Field(default=None, foreign_key="best_practice.id", index=True)
    outcome: str = Field(max_length=40)
    rating: str = Field(max_length=40)
    certainty: str = Field(max_length=40)
    extent: str = Field(max_length=20)
    sustained: bool = False
    independently_replicated: bool = False
    self_evaluated_only: bool = False
    # No public finding on the outcome is left (withdrawn, hidden, or its assessor no longer listed):
    # the row stays for its history but is shown, counted and searched nowhere.
    withdrawn: bool = False
    ruleset_version: str = Field(max_length=20)
    rule_id: str = Field(max_length=80)
    # [{"finding_id", "counted", "reason", "explanation"}] for every finding weighed, in the engine's order.
    contributions: list[dict] = Field(default_factory=list, sa_type=sa.JSON)
    # [{"domain", "change", "level", "explanation"}]: the GRADE-style certainty trace.
    trace: list[dict] = Field(default_factory=list, sa_type=sa.JSON)
    computed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class OutcomeRatingChange(SQLModel, table=True):
    """One entry of a rating's history: what it became, under which rule, and why it changed."""

    __tablename__ = "outcome_rating_change"

    id: int | None = Field(default=None, primary_key=True)
    rating_id: int = Field(foreign_key="outcome_rating.id", index=True, ondelete="CASCADE")
    rating: str = Field(max_length=40)
    certainty: str = Field(max_length=40)
    ruleset_version: str = Field(max_length=20)
    rule_id: str = Field(max_length=80)
    # FIRST, NEW-EVIDENCE, CORRECTION, WITHDRAWAL, SUBJECT, RULESET, APPEAL.
    reason: str = Field(max_length=40)
    note: str | None = Field(default=None, max_length=2000)
    changed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    changed_by: str = Field(max_length=200)


class RatingRulesetState(SQLModel, table=True):
    """Which rule set version is current: one row. A newer version takes effect only when adopted."""

    __tablename__ = "rating_ruleset_state"

    id: int = Field(default=1, primary_key=True)
    current_version: str = Field(max_length=20)
    adopted_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    adopted_by: str = Field(max_length=200)
