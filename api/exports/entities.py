"""What an export holds: one entity per file, its columns in a fixed order, and the rows of each scope.

The public scope is what the anonymous principal reads: every statement below starts from a domain's
`readable(...)` statement, so the export can never show more than the GraphQL API does.
"""

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import select

import api.models  # noqa: F401  (registers every table)
from api.auth.principal import Principal
from api.evidence import service as evidence
from api.evidence import studies
from api.evidence.models import EvidenceAssessment, Finding, Study
from api.figures import service as figures
from api.figures.models import Figure, FigureClassification, FigureInitiative
from api.initiatives import service as initiatives
from api.initiatives.models import Initiative, InitiativeClassification, Participation
from api.organisations import service as organisations
from api.organisations.models import NetworkMembership, Organisation
from api.practices import service as practices
from api.practices.models import BestPractice, Endorsement, PracticeClassification, PracticeEvidence
from api.ratings import readable as ratings
from api.ratings.models import OutcomeRating, OutcomeRatingChange
from api.seeding.models import SeedRecord


class Scope(StrEnum):
    PUBLIC = "public"
    ALL = "all"


AUDIT = ("created_at", "updated_at", "created_by", "updated_by")
# Principals' subjects (internal names such as "user:12"), soft deletion and withdrawal (the public files hold
# no withdrawn record) and the secretariat flag (which the API does not show) stay out of the public files.
PRIVATE_COLUMNS = frozenset(
    {"created_by", "updated_by", "endorsed_by", "confirmed_by", "deleted_at", "withdrawn_reason", "is_secretariat", "changed_by"}
)


@dataclass(frozen=True)
class Embedded:
    """A list embedded in each record: the `value` column of the rows of `table` naming it through `owner`."""

    name: str
    table: sa.Table
    owner: str
    value: str
    scheme: str | None = None
    # In the public scope, the condition a value must meet to be listed (a cited assessment must be readable).
    readable: Callable[[Principal], sa.ColumnElement[bool]] | None = None

    def statement(self, principal: Principal | None) -> sa.Select:
        """(owner, value) pairs; callers keep only the owners they export, and sort the values."""
        owner, value = self.table.c[self.owner], self.table.c[self.value]
        statement = sa.select(owner, value)
        if self.scheme is not None:
            statement = statement.where(self.table.c.scheme == self.scheme)
        if principal is not None and self.readable is not None:
            statement = statement.where(self.readable(principal))
        return statement


@dataclass(frozen=True)
class Entity:
    name: str
    table: sa.Table
    columns: tuple[str, ...]  # the table's own columns, in file order
    embedded: tuple[Embedded, ...] = ()
    # The rows the principal may read; None: not in the public export.
    readable: Callable[[Principal], sa.Select] | None = None

    def fields(self, scope: Scope) -> tuple[str, ...]:
        """The record's keys, in file order."""
        own = self.columns if scope is Scope.ALL else tuple(c for c in self.columns if c not in PRIVATE_COLUMNS)
        return own + tuple(e.name for e in self.embedded)

    def own_columns(self, scope: Scope) -> tuple[str, ...]:
        return tuple(name for name in self.fields(scope) if name in self.columns)

    @property
    def primary_key(self) -> tuple[sa.Column, ...]:
        return tuple(self.table.primary_key.columns)

    def statement(self, principal: Principal | None) -> sa.Select:
        """This scope's rows (`principal` None: every row), with the exported columns."""
        scope = Scope.ALL if principal is None else Scope.PUBLIC
        columns = [self.table.c[name] for name in self.own_columns(scope)]
        if principal is None:
            return sa.select(*columns)
        return self.readable(principal).with_only_columns(*_public_columns(self, columns, principal))


def _public_columns(entity: Entity, columns: list[sa.Column], principal: Principal) -> list[sa.ColumnElement]:
    """The columns as the principal may read them: an initiative's `part_of_id` only names a readable one,
    as the API's `partOf` does."""
    if entity.table is not Initiative.__table__:
        return columns
    part_of = Initiative.__table__.c.part_of_id
    masked = sa.case((part_of.in_(initiatives.readable_ids(principal)), part_of), else_=None).label("part_of_id")
    return [masked if column is part_of else column for column in columns]


def _readable_findings(principal: Principal) -> sa.Select:
    return select(Finding).where(Finding.__table__.c.assessment_id.in_(evidence.readable_ids(principal)))


def _readable_endorsements(principal: Principal) -> sa.Select:
    # An endorsement shows on a readable practice, and only by an organisation the caller may read.
    practice_ids = practices.readable(principal).with_only_columns(BestPractice.__table__.c.id)
    table = Endorsement.__table__
    return select(Endorsement).where(
        table.c.practice_id.in_(practice_ids), table.c.organisation_id.in_(organisations.readable_ids(principal))
    )


def _initiative_scheme(name: str, scheme: str) -> Embedded:
    return Embedded(name, InitiativeClassification.__table__, "initiative_id", "code", scheme)


def _practice_scheme(name: str, scheme: str) -> Embedded:
    return Embedded(name, PracticeClassification.__table__, "practice_id", "code", scheme)


def _figure_scheme(name: str, scheme: str) -> Embedded:
    return Embedded(name, FigureClassification.__table__, "figure_id", "code", scheme)


ENTITIES: tuple[Entity, ...] = (
    Entity(
        "organisations",
        Organisation.__table__,
        ("id", "slug", "name", "acronym", "aliases", "misspellings", "stakeholder_type", "country", "website",
         "description", "status", "is_secretariat", "provenance", *AUDIT),
        readable=organisations.readable,
    ),
    Entity(
        "network_memberships",
        NetworkMembership.__table__,
        ("id", "member_organisation_id", "network_organisation_id", "role", "provenance", *AUDIT),
        readable=organisations.readable_network_memberships,
    ),
    Entity(
        "initiatives",
        Initiative.__table__,
        ("id", "title", "summary", "description", "lead_organisation_id", "part_of_id", "status", "visibility",
         "planned_start", "planned_end", "actual_start", "actual_start_precision", "actual_end", "links",
         "provenance", *AUDIT, "deleted_at"),
        embedded=(
            _initiative_scheme("intervention_types", "intervention-type"),
            _initiative_scheme("harms", "harm"),
            _initiative_scheme("mnr_capabilities", "mnr-capability"),
            _initiative_scheme("target_groups", "target-group"),
            _initiative_scheme("regions", "region"),
            _initiative_scheme("countries", "country"),
            _initiative_scheme("languages", "language"),
        ),
        readable=initiatives.readable,
    ),
    Entity(
        "participations",
        Participation.__table__,
        ("id", "initiative_id", "organisation_id", "role", "confirmed_at", "confirmed_by", *AUDIT),
        readable=initiatives.readable_participations,
    ),
    Entity(
        "studies",
        Study.__table__,
        ("id", "organisation_id", "title", "study_design", "reference_doi", "reference_url", "countries", "population",
         "sample_size", "setting", "published_on", "published_precision", "period", "peer_reviewed", "funder",
         "sample_key", "visibility", "provenance", *AUDIT, "deleted_at"),
        readable=studies.readable,
    ),
    Entity(
        "evidence_assessments",
        EvidenceAssessment.__table__,
        ("id", "initiative_id", "study_id", "assessing_organisation_id", "independence", "follow_up", "limitations",
         "conflicts_of_interest", "visibility", "provenance", *AUDIT, "deleted_at", "withdrawn_reason"),
        readable=evidence.readable,
    ),
    Entity(
        "findings",
        Finding.__table__,
        ("id", "assessment_id", "outcome", "effect_direction", "effect_size", "effect_size_metric", "ci_low",
         "ci_high", "p_value", "comparison", "significance", "risk_of_bias", "follow_up_months", "proposed_rating",
         "proposed_certainty", "source_scheme", "source_rating", "notes", *AUDIT),
        readable=_readable_findings,
    ),
    Entity(
        "best_practices",
        BestPractice.__table__,
        ("id", "organisation_id", "title", "statement", "rationale", "evidence_basis", "visibility", "provenance",
         *AUDIT, "deleted_at", "withdrawn_reason"),
        embedded=(
            _practice_scheme("harms", "harm"),
            _practice_scheme("intervention_types", "intervention-type"),
            Embedded(
                "evidence",
                PracticeEvidence.__table__,
                "practice_id",
                "assessment_id",
                readable=lambda principal: PracticeEvidence.__table__.c.assessment_id.in_(
                    evidence.readable_ids(principal)
                ),
            ),
        ),
        readable=practices.readable,
    ),
    Entity(
        "endorsements",
        Endorsement.__table__,
        ("practice_id", "organisation_id", "endorsed_at", "endorsed_by"),
        readable=_readable_endorsements,
    ),
    Entity(
        "figures",
        Figure.__table__,
        ("id", "recording_organisation_id", "source_organisation_id", "statement", "value", "unit", "denominator",
         "period_start", "period_end", "period_precision", "visibility", "provenance", *AUDIT, "deleted_at"),
        embedded=(
            # Only the initiatives the principal may read, as `Figure.initiatives` shows them.
            Embedded(
                "initiatives",
                FigureInitiative.__table__,
                "figure_id",
                "initiative_id",
                readable=lambda principal: FigureInitiative.__table__.c.initiative_id.in_(
                    initiatives.readable_ids(principal)
                ),
            ),
            _figure_scheme("harms", "harm"),
            _figure_scheme("regions", "region"),
            _figure_scheme("countries", "country"),
        ),
        readable=figures.readable,
    ),
    Entity(
        "outcome_ratings",
        OutcomeRating.__table__,
        ("id", "initiative_id", "practice_id", "outcome", "rating", "certainty", "extent", "sustained",
         "independently_replicated", "self_evaluated_only", "withdrawn", "ruleset_version", "rule_id", "contributions",
         "trace", "computed_at"),
        readable=ratings.readable,
    ),
    Entity(
        "outcome_rating_changes",
        OutcomeRatingChange.__table__,
        ("id", "rating_id", "rating", "certainty", "ruleset_version", "rule_id", "reason", "note", "changed_at",
         "changed_by"),
        readable=ratings.readable_changes,
    ),
    Entity("seed_records", SeedRecord.__table__, ("kind", "key", "record_id", "content", "loaded_at")),
)


def in_scope(scope: Scope) -> tuple[Entity, ...]:
    """The entities an export of `scope` holds, in file (and loading) order."""
    return tuple(e for e in ENTITIES if scope is Scope.ALL or e.readable is not None)


def file_names(entity: Entity) -> tuple[str, str]:
    return f"{entity.name}.jsonl", f"{entity.name}.csv"
