"""The evidence-and-gap map: readable initiatives and evidence counted per (row term, column term) by a
handful of grouped statements, whatever the number of terms.

Every count starts from the domains' own read rules (`initiatives.visible_condition`,
`evidence.visibility.visible_on_readable_initiative`, `ratings.readable.visible_condition`): nothing
is loaded into Python to be filtered. Only published records live in these tables (drafts are in
`revision`, which is never read here), so no draft counts. docs/evidence-map.md gives the decisions;
api/maps/cache.py keeps computed maps per data version.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import Enum

import pycountry
import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.auth.principal import Principal
from api.auth.scopes import Scope
from api.evidence.models import EvidenceAssessment, Finding, Study
from api.evidence.visibility import visible_on_readable_initiative
from api.initiatives import service as initiatives
from api.initiatives.models import Initiative, InitiativeClassification
from api.organisations.models import Organisation
from api.ratings import readable as ratings
from api.ratings.models import OutcomeRating
from api.vocabularies.models import VocabularyTerm


class Axis(Enum):
    INTERVENTION_TYPE = "INTERVENTION_TYPE"
    HARM = "HARM"
    OUTCOME = "OUTCOME"
    MNR_CAPABILITY = "MNR_CAPABILITY"
    TARGET_GROUP = "TARGET_GROUP"
    REGION = "REGION"
    COUNTRY = "COUNTRY"
    STUDY_DESIGN = "STUDY_DESIGN"
    STAKEHOLDER_TYPE = "STAKEHOLDER_TYPE"
    RATING = "RATING"


class Layer(Enum):
    EXISTENCE = "EXISTENCE"
    RATING = "RATING"


class Gap(Enum):
    ABSOLUTE_GAP = "ABSOLUTE_GAP"
    NO_EVIDENCE = "NO_EVIDENCE"
    WEAK_EVIDENCE_ONLY = "WEAK_EVIDENCE_ONLY"
    SYNTHESIS_GAP = "SYNTHESIS_GAP"
    NONE = "NONE"


class DesignClass(Enum):
    SR_MA = "SR_MA"
    SR = "SR"
    SMS_5 = "SMS_5"
    SMS_4 = "SMS_4"
    SMS_3 = "SMS_3"
    SMS_1_2 = "SMS_1_2"
    QUALITATIVE = "QUALITATIVE"
    DESCRIPTIVE = "DESCRIPTIVE"


class MapScope(Enum):
    PUBLIC = "PUBLIC"
    MEMBERS = "MEMBERS"
    ORGANISATION = "ORGANISATION"


# The vocabulary of each axis; countries are ISO 3166-1 (pycountry), not a vocabulary.
AXIS_VOCABULARY = {
    Axis.INTERVENTION_TYPE: "intervention-type",
    Axis.HARM: "harm",
    Axis.OUTCOME: "outcome",
    Axis.MNR_CAPABILITY: "mnr-capability",
    Axis.TARGET_GROUP: "target-group",
    Axis.REGION: "region",
    Axis.STUDY_DESIGN: "study-design",
    Axis.STAKEHOLDER_TYPE: "stakeholder-type",
    Axis.RATING: "evidence-rating",
}
# Axes an initiative is classified by, one `initiative_classification` row per code.
CLASSIFIED = {
    Axis.INTERVENTION_TYPE: "intervention-type",
    Axis.HARM: "harm",
    Axis.MNR_CAPABILITY: "mnr-capability",
    Axis.TARGET_GROUP: "target-group",
    Axis.REGION: "region",
    Axis.COUNTRY: "country",
}

# Every `study-design` code in one class (a test holds this to the vocabulary). The SMS levels are the
# vocabulary's own `sms` attributes; designs without one are placed by what they can say of an effect:
# mixed methods at best compare without matching (SMS 1-2), an evidence and gap map says where
# evidence is and nothing of an effect, so it is descriptive like case studies, benchmarks, models,
# expert consensus and legal analysis.
DESIGN_CLASSES = {
    "SR-MA": DesignClass.SR_MA,
    "SR": DesignClass.SR,
    "RCT": DesignClass.SMS_5,
    "CRCT": DesignClass.SMS_5,
    "RDD": DesignClass.SMS_4,
    "IV": DesignClass.SMS_4,
    "DID": DesignClass.SMS_3,
    "ITS": DesignClass.SMS_3,
    "PSM": DesignClass.SMS_3,
    "PREPOST-C": DesignClass.SMS_1_2,
    "PREPOST": DesignClass.SMS_1_2,
    "XSEC": DesignClass.SMS_1_2,
    "MIXED": DesignClass.SMS_1_2,
    "QUAL": DesignClass.QUALITATIVE,
    "EGM": DesignClass.DESCRIPTIVE,
    "CASE": DesignClass.DESCRIPTIVE,
    "TECH-BENCH": DesignClass.DESCRIPTIVE,
    "MODEL": DesignClass.DESCRIPTIVE,
    "EXPERT": DesignClass.DESCRIPTIVE,
    "LEGAL": DesignClass.DESCRIPTIVE,
}
REVIEWS = (DesignClass.SR_MA, DesignClass.SR)
WEAK = (DesignClass.SMS_1_2, DesignClass.QUALITATIVE, DesignClass.DESCRIPTIVE)
# Computed ratings from best to worst for `bestRating` (NOT-RATED never colours), certainty likewise.
RATING_ORDER = ("EFFECTIVE", "PROMISING", "EMERGING", "PRUDENT", "PIONEERING", "CONFLICTING", "NO-EFFECT", "HARMFUL")
CERTAINTY_ORDER = ("HIGH", "MODERATE", "LOW", "VERY-LOW")

# SYNTHESIS_GAP: at least `min_studies` primary studies and no systematic review published in the last
# `years` years. Defaults and the ranges query arguments may take.
SYNTHESIS_MIN_STUDIES = 3
SYNTHESIS_MIN_STUDIES_RANGE = (1, 100)
SYNTHESIS_YEARS = 5
SYNTHESIS_YEARS_RANGE = (1, 50)


@dataclass(frozen=True)
class MapFilter:
    """Codes already checked against their vocabularies; within one field alternatives, fields AND-ed."""

    intervention_types: tuple[str, ...] = ()
    harms: tuple[str, ...] = ()
    mnr_capabilities: tuple[str, ...] = ()
    target_groups: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    stakeholder_types: tuple[str, ...] = ()
    ratings: tuple[str, ...] = ()
    outcomes: tuple[str, ...] = ()
    study_designs: tuple[str, ...] = ()

    @property
    def given(self) -> bool:
        return any(getattr(self, name) for name in self.__dataclass_fields__)


@dataclass
class Cell:
    row: str
    column: str
    initiatives: int = 0
    initiatives_without_evidence: int = 0
    studies: int = 0
    findings: int = 0
    designs: dict[DesignClass, int] = field(default_factory=dict)
    independent_studies: int = 0
    latest_publication: date | None = None
    recent_reviews: int = 0
    ratings: dict[str, int] = field(default_factory=dict)
    best_rating: str | None = None
    highest_certainty: str | None = None
    gap: Gap = Gap.ABSOLUTE_GAP


@dataclass(frozen=True)
class Totals:
    initiatives: int
    studies: int
    findings: int


@dataclass(frozen=True)
class EvidenceMap:
    rows: Axis
    columns: Axis
    layer: Layer
    row_terms: list[tuple[str, str]]
    column_terms: list[tuple[str, str]]
    cells: list[Cell]
    scope: MapScope
    scope_organisation_id: int | None
    as_of: datetime | None
    totals: Totals
    filtered_totals: Totals
    synthesis_min_studies: int
    synthesis_years: int


def scope_of(principal: Principal) -> tuple[MapScope, int | None]:
    """PUBLIC: public records only (anonymous, or a caller without a read scope for initiatives or
    assessments). ORGANISATION: besides public records, those of the caller's own organisation (and,
    when the organisation is an admitted member, members-only ones): the organisation is named.
    MEMBERS: public and members-only records of nobody in particular; no principal reads that way today
    (members-only records are read as an organisation), so it is kept for clients and never given."""
    organisation_id = principal.reads_with(Scope.INITIATIVES_READ) or principal.reads_with(Scope.ASSESSMENTS_READ)
    if organisation_id is None and not principal.is_lab_admin:
        return MapScope.PUBLIC, None
    return MapScope.ORGANISATION, principal.organisation_id


def scope_key(principal: Principal) -> tuple:
    """Everything about the caller that the read rules look at."""
    return (
        principal.reads_with(Scope.INITIATIVES_READ),
        principal.reads_with(Scope.ASSESSMENTS_READ),
        principal.organisation_id,
        principal.organisation_is_member,
        principal.is_lab_admin,
    )


# --- the statements -------------------------------------------------------------------------------


def _initiative_ids(principal: Principal, where: MapFilter) -> sa.Select:
    """Readable initiatives matching the filter's initiative-level fields."""
    statement = select(Initiative.id).where(initiatives.visible_condition(principal))
    for axis, codes in (
        (Axis.INTERVENTION_TYPE, where.intervention_types),
        (Axis.HARM, where.harms),
        (Axis.MNR_CAPABILITY, where.mnr_capabilities),
        (Axis.TARGET_GROUP, where.target_groups),
        (Axis.REGION, where.regions),
        (Axis.COUNTRY, where.countries),
    ):
        if codes:
            statement = statement.where(
                sa.exists().where(
                    InitiativeClassification.initiative_id == Initiative.id,
                    InitiativeClassification.scheme == CLASSIFIED[axis],
                    col(InitiativeClassification.code).in_(codes),
                )
            )
    if where.stakeholder_types:
        statement = statement.where(
            col(Initiative.lead_organisation_id).in_(
                select(Organisation.id).where(col(Organisation.stakeholder_type).in_(where.stakeholder_types))
            )
        )
    if where.ratings:
        statement = statement.where(
            sa.exists().where(
                OutcomeRating.initiative_id == Initiative.id,
                col(OutcomeRating.withdrawn).is_(False),
                col(OutcomeRating.rating).in_(where.ratings),
            )
        )
    return statement


def _facts(principal: Principal, initiative_ids: sa.Select, where: MapFilter, name: str = "facts") -> sa.CTE:
    """One row per readable assessment and finding (an assessment without findings: one row with no
    outcome) of the given initiatives, narrowed by the filter's evidence fields."""
    statement = (
        select(
            EvidenceAssessment.initiative_id.label("initiative_id"),
            EvidenceAssessment.independence.label("independence"),
            Study.id.label("study_id"),
            Study.study_design.label("study_design"),
            Study.published_on.label("published_on"),
            Finding.id.label("finding_id"),
            Finding.outcome.label("outcome"),
        )
        .select_from(EvidenceAssessment)
        .join(Study, Study.id == EvidenceAssessment.study_id)
        .outerjoin(Finding, Finding.assessment_id == EvidenceAssessment.id)
        .where(visible_on_readable_initiative(principal), col(EvidenceAssessment.initiative_id).in_(initiative_ids))
    )
    if where.outcomes:
        statement = statement.where(col(Finding.outcome).in_(where.outcomes))
    if where.study_designs:
        statement = statement.where(col(Study.study_design).in_(where.study_designs))
    return statement.cte(name)


def _scoped_initiatives(principal: Principal, where: MapFilter, name: str = "facts") -> tuple[sa.Select, sa.CTE]:
    """The filtered initiatives and their facts; an evidence filter keeps only initiatives with such evidence."""
    ids = _initiative_ids(principal, where)
    facts = _facts(principal, ids, where, name)
    if where.outcomes or where.study_designs:
        ids = ids.where(col(Initiative.id).in_(select(facts.c.initiative_id)))
    return ids, facts


def _membership(axis: Axis, principal: Principal, facts: sa.Subquery, name: str) -> sa.Subquery:
    """(initiative_id, code): which initiatives fall under which term of `axis`."""
    if axis in CLASSIFIED:
        statement = select(
            InitiativeClassification.initiative_id.label("initiative_id"), InitiativeClassification.code.label("code")
        ).where(InitiativeClassification.scheme == CLASSIFIED[axis])
    elif axis is Axis.STAKEHOLDER_TYPE:
        statement = select(Initiative.id.label("initiative_id"), Organisation.stakeholder_type.label("code")).join(
            Organisation, Organisation.id == Initiative.lead_organisation_id
        )
    elif axis is Axis.RATING:
        statement = select(OutcomeRating.initiative_id.label("initiative_id"), OutcomeRating.rating.label("code")).where(
            ratings.visible_condition(principal), col(OutcomeRating.initiative_id).is_not(None)
        )
    elif axis is Axis.OUTCOME:
        statement = select(facts.c.initiative_id, facts.c.outcome.label("code")).where(facts.c.outcome.is_not(None))
    else:  # STUDY_DESIGN
        statement = select(facts.c.initiative_id, facts.c.study_design.label("code"))
    # A classification's key and an initiative's one lead organisation already make each pair unique.
    if axis not in CLASSIFIED and axis is not Axis.STAKEHOLDER_TYPE:
        statement = statement.distinct()
    return statement.cte(name)


def _fact_code(axis: Axis, principal: Principal, facts: sa.Subquery, statement: sa.Select, name: str):  # noqa: ANN202
    """`statement` over facts joined so that each fact row carries its term of `axis`; and that term."""
    if axis is Axis.OUTCOME:
        return statement.where(facts.c.outcome.is_not(None)), facts.c.outcome
    if axis is Axis.STUDY_DESIGN:
        return statement, facts.c.study_design
    if axis is Axis.RATING:
        # The computed rating of the finding's own outcome of the initiative.
        rating = aliased(OutcomeRating, name=name)
        joined = statement.join(
            rating,
            sa.and_(
                rating.initiative_id == facts.c.initiative_id,
                rating.outcome == facts.c.outcome,
                col(rating.withdrawn).is_(False),
            ),
        )
        return joined, rating.rating
    member = _membership(axis, principal, facts, name)
    return statement.join(member, member.c.initiative_id == facts.c.initiative_id), member.c.code


def _rating_code(axis: Axis, principal: Principal, facts: sa.Subquery, statement: sa.Select, name: str):  # noqa: ANN202
    """As `_fact_code`, over readable outcome ratings."""
    if axis is Axis.OUTCOME:
        return statement, OutcomeRating.outcome
    if axis is Axis.RATING:
        return statement, OutcomeRating.rating
    if axis is Axis.STUDY_DESIGN:
        designs = (
            select(facts.c.initiative_id, facts.c.outcome, facts.c.study_design).distinct().subquery(name)
        )
        joined = statement.join(
            designs,
            sa.and_(designs.c.initiative_id == OutcomeRating.initiative_id, designs.c.outcome == OutcomeRating.outcome),
        )
        return joined, designs.c.study_design
    member = _membership(axis, principal, facts, name)
    return statement.join(member, member.c.initiative_id == OutcomeRating.initiative_id), member.c.code


def _design_class_case(column: sa.ColumnElement, classes: Sequence[DesignClass]) -> sa.ColumnElement[bool]:
    return col(column).in_([code for code, design in DESIGN_CLASSES.items() if design in classes])


async def _terms(session: AsyncSession, axes: Sequence[Axis]) -> dict[Axis, list[tuple[str, str]]]:
    """Every term of each axis in vocabulary order, one statement; countries from ISO 3166-1."""
    vocabularies = [AXIS_VOCABULARY[axis] for axis in axes if axis in AXIS_VOCABULARY]
    by_vocabulary: dict[str, list[tuple[str, str]]] = {v: [] for v in vocabularies}
    if vocabularies:
        rows = await session.exec(
            select(VocabularyTerm.vocabulary, VocabularyTerm.code, VocabularyTerm.label)
            .where(col(VocabularyTerm.vocabulary).in_(vocabularies))
            .order_by(VocabularyTerm.vocabulary, VocabularyTerm.position, VocabularyTerm.code)
        )
        for vocabulary, code, label in rows.all():
            by_vocabulary[vocabulary].append((code, label))
    countries = sorted((c.alpha_2, c.name) for c in pycountry.countries)
    return {axis: by_vocabulary[AXIS_VOCABULARY[axis]] if axis in AXIS_VOCABULARY else countries for axis in axes}


def _counted(initiative_ids: sa.Select, rows: sa.Subquery) -> list[sa.ScalarSelect]:
    return [
        select(sa.func.count()).select_from(initiative_ids.subquery()).scalar_subquery(),
        select(sa.func.count(sa.distinct(rows.c.study_id))).scalar_subquery(),
        select(sa.func.count(sa.distinct(rows.c.finding_id))).scalar_subquery(),
    ]


async def _without_jit(session: AsyncSession) -> None:
    """PostgreSQL compiles a statement as costly as a map's to machine code before running it: at
    100,000 initiatives that took some 300 ms of each statement's second and saved nothing (EXPLAIN
    ANALYZE, docs/performance.md). Off for the rest of this transaction only, said once in it."""
    if session.bind.dialect.name != "postgresql":  # type: ignore[union-attr]
        return
    if session.info.get("jit_off_in") is session.sync_session.get_transaction():
        return
    await session.exec(sa.text("SET LOCAL jit = off"))
    session.info["jit_off_in"] = session.sync_session.get_transaction()


async def unfiltered_totals(session: AsyncSession, principal: Principal) -> tuple[Totals, datetime | None]:
    """Initiatives, studies and findings the caller may read, and the newest change among them: one
    statement. They depend on the caller's scope and the data only, so every map of one scope and data
    version shares them (`cached_map`)."""
    await _without_jit(session)
    ids, facts = _scoped_initiatives(principal, MapFilter(), "all_facts")
    newest = [
        select(sa.func.max(Initiative.updated_at)).where(col(Initiative.id).in_(ids)).scalar_subquery(),
        select(sa.func.max(EvidenceAssessment.updated_at))
        .where(visible_on_readable_initiative(principal), col(EvidenceAssessment.initiative_id).in_(ids))
        .scalar_subquery(),
        select(sa.func.max(OutcomeRating.computed_at))
        .where(ratings.visible_condition(principal), col(OutcomeRating.initiative_id).in_(ids))
        .scalar_subquery(),
    ]
    values = (await session.exec(select(*_counted(ids, facts), *newest))).one()
    stamps = [_as_datetime(v) for v in values[3:] if v is not None]
    return Totals(*values[:3]), max(stamps) if stamps else None


async def _filtered_totals(session: AsyncSession, principal: Principal, where: MapFilter) -> Totals:
    ids, facts = _scoped_initiatives(principal, where)
    return Totals(*(await session.exec(select(*_counted(ids, facts)))).one())


def _as_datetime(value: object) -> datetime:
    # SQLite hands a max() of a timestamp back as text.
    if isinstance(value, str):
        parsed = datetime.fromisoformat(value)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.now().astimezone().tzinfo).astimezone()
    return value  # type: ignore[return-value]


async def compute(
    *,
    session: AsyncSession,
    principal: Principal,
    rows: Axis,
    columns: Axis,
    where: MapFilter,
    layer: Layer,
    synthesis_min_studies: int,
    synthesis_years: int,
    today: date,
    unfiltered: tuple[Totals, datetime | None] | None = None,
) -> EvidenceMap:
    """The map, whatever the number of terms, by three statements (the terms, initiatives per cell,
    evidence per cell), one more with the RATING layer, one more for the scope's unfiltered totals and
    as-of time unless `unfiltered` gives them, and one more for the filtered totals when a filter is given."""
    await _without_jit(session)
    terms = await _terms(session, [rows, columns])
    ids, facts = _scoped_initiatives(principal, where)
    cells = {(r, c): Cell(row=r, column=c) for r, _ in terms[rows] for c, _ in terms[columns]}

    # Initiatives per cell, and those of them with no readable assessment at all.
    row_member = _membership(rows, principal, facts, "row_member")
    column_member = _membership(columns, principal, facts, "column_member")
    # A correlated EXISTS per initiative rides the index on evidence_assessment.initiative_id (a join
    # to the set of initiatives with evidence made SQLite scan that set for every initiative), once per
    # initiative rather than once per cell it falls in.
    has_evidence = sa.exists().where(
        EvidenceAssessment.initiative_id == Initiative.id, visible_on_readable_initiative(principal)
    )
    filtered = ids.add_columns(sa.case((has_evidence, 0), else_=1).label("without_evidence")).cte("filtered")
    # Each (initiative, row term, column term) is one joined row: both memberships are distinct pairs.
    statement = (
        select(
            row_member.c.code,
            column_member.c.code,
            sa.func.count(),
            sa.func.sum(filtered.c.without_evidence),
        )
        .select_from(filtered)
        .join(row_member, row_member.c.initiative_id == filtered.c.id)
        .join(column_member, column_member.c.initiative_id == filtered.c.id)
        .group_by(row_member.c.code, column_member.c.code)
    )
    for r, c, count, without in (await session.exec(statement)).all():
        if (cell := cells.get((r, c))) is not None:
            cell.initiatives, cell.initiatives_without_evidence = count, int(without)

    # Evidence per cell: studies (each once per cell), findings, designs, independence, dates.
    statement = select().select_from(facts)
    statement, row_code = _fact_code(rows, principal, facts, statement, "row_rating")
    statement, column_code = _fact_code(columns, principal, facts, statement, "column_rating")
    cutoff = today - timedelta(days=round(365.25 * synthesis_years))

    # Two levels: each study once per cell with what is known of it there, then the cells by sums,
    # which is cheaper than a DISTINCT count per measure.
    per_study = statement.add_columns(
        row_code.label("row"),
        column_code.label("column"),
        facts.c.study_id,
        facts.c.study_design,
        sa.func.max(facts.c.published_on).label("published_on"),
        sa.func.count(sa.distinct(facts.c.finding_id)).label("findings"),
        sa.func.max(sa.case((facts.c.independence == "INDEPENDENT", 1), else_=0)).label("independent"),
    ).group_by(row_code, column_code, facts.c.study_id, facts.c.study_design).subquery("per_study")

    def studies_where(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
        return sa.func.sum(sa.case((condition, 1), else_=0))

    statement = select(
        per_study.c.row,
        per_study.c.column,
        sa.func.count(),
        sa.func.sum(per_study.c.findings),
        *(studies_where(_design_class_case(per_study.c.study_design, [design])) for design in DesignClass),
        sa.func.sum(per_study.c.independent),
        sa.func.max(per_study.c.published_on),
        studies_where(
            sa.and_(_design_class_case(per_study.c.study_design, REVIEWS), per_study.c.published_on >= cutoff)
        ),
    ).group_by(per_study.c.row, per_study.c.column)
    for r, c, studies, findings, *rest in (await session.exec(statement)).all():
        if (cell := cells.get((r, c))) is None:
            continue
        designs, (independent, latest, recent_reviews) = rest[: len(DesignClass)], rest[len(DesignClass) :]
        # PostgreSQL sums counts as numeric.
        cell.studies, cell.findings = int(studies), int(findings)
        cell.designs = {design: int(n) for design, n in zip(DesignClass, designs, strict=True) if n}
        cell.independent_studies, cell.recent_reviews = int(independent), int(recent_reviews)
        cell.latest_publication = date.fromisoformat(latest) if isinstance(latest, str) else latest

    if layer is Layer.RATING:
        statement = select().select_from(OutcomeRating).where(
            ratings.visible_condition(principal), col(OutcomeRating.initiative_id).in_(ids)
        )
        if where.outcomes:
            statement = statement.where(col(OutcomeRating.outcome).in_(where.outcomes))
        statement, row_code = _rating_code(rows, principal, facts, statement, "row_design")
        statement, column_code = _rating_code(columns, principal, facts, statement, "column_design")
        statement = statement.add_columns(
            row_code, column_code, OutcomeRating.rating, OutcomeRating.certainty,
            sa.func.count(sa.distinct(OutcomeRating.id)),
        ).group_by(row_code, column_code, OutcomeRating.rating, OutcomeRating.certainty)
        certainties: dict[tuple[str, str], set[str]] = {}
        for r, c, rating, certainty, count in (await session.exec(statement)).all():
            if (cell := cells.get((r, c))) is None:
                continue
            cell.ratings[rating] = cell.ratings.get(rating, 0) + count
            certainties.setdefault((r, c), set()).add(certainty)
        for key, cell in cells.items():
            # Descriptive data alone never colours a cell (nor does a cell without studies).
            if cell.studies == cell.designs.get(DesignClass.DESCRIPTIVE, 0):
                continue
            cell.best_rating = next((r for r in RATING_ORDER if cell.ratings.get(r)), None)
            cell.highest_certainty = next((c for c in CERTAINTY_ORDER if c in certainties.get(key, ())), None)

    for cell in cells.values():
        cell.gap = gap_of(cell, synthesis_min_studies)
    totals, as_of = unfiltered or await unfiltered_totals(session, principal)
    # Without a filter, the filtered totals are the totals: not counted twice.
    filtered_totals = await _filtered_totals(session, principal, where) if where.given else totals
    scope, organisation_id = scope_of(principal)
    return EvidenceMap(
        rows=rows,
        columns=columns,
        layer=layer,
        row_terms=terms[rows],
        column_terms=terms[columns],
        cells=list(cells.values()),
        scope=scope,
        scope_organisation_id=organisation_id,
        as_of=as_of,
        totals=totals,
        filtered_totals=filtered_totals,
        synthesis_min_studies=synthesis_min_studies,
        synthesis_years=synthesis_years,
    )


def gap_of(cell: Cell, synthesis_min_studies: int) -> Gap:
    if cell.studies == 0:
        return Gap.NO_EVIDENCE if cell.initiatives else Gap.ABSOLUTE_GAP
    if sum(cell.designs.get(design, 0) for design in WEAK) >= cell.studies and not any(
        cell.designs.get(design) for design in DesignClass if design not in WEAK
    ):
        return Gap.WEAK_EVIDENCE_ONLY
    primary = sum(n for design, n in cell.designs.items() if design not in REVIEWS)
    if primary >= synthesis_min_studies and cell.recent_reviews == 0:
        return Gap.SYNTHESIS_GAP
    return Gap.NONE


def cell_initiative_ids(
    principal: Principal, rows: Axis, columns: Axis, row: str, column: str, where: MapFilter
) -> sa.Select:
    """Ids of the readable, filtered initiatives in one cell (for the `initiatives` connection)."""
    ids, facts = _scoped_initiatives(principal, where)
    row_member = _membership(rows, principal, facts, "row_member")
    column_member = _membership(columns, principal, facts, "column_member")
    return ids.where(
        col(Initiative.id).in_(select(row_member.c.initiative_id).where(row_member.c.code == row)),
        col(Initiative.id).in_(select(column_member.c.initiative_id).where(column_member.c.code == column)),
    )


def cell_study_ids(principal: Principal, rows: Axis, columns: Axis, row: str, column: str, where: MapFilter) -> sa.Select:
    """Ids of the readable studies counted in one cell (for the `studies` connection)."""
    _ids, facts = _scoped_initiatives(principal, where)
    statement = select().select_from(facts)
    statement, row_code = _fact_code(rows, principal, facts, statement, "row_rating")
    statement, column_code = _fact_code(columns, principal, facts, statement, "column_rating")
    return statement.add_columns(facts.c.study_id).where(row_code == row, column_code == column)
