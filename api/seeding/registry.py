"""Loading checked seed records into the registry, idempotently.

Each seed record is tracked by a `SeedRecord` row holding the record's content as last loaded. A later
run compares the files with that content, not with the database: a field the file did not change is
left alone even when a member has since edited it, and a changed field is written. List fields
(classifications, participants, findings, evidence, endorsements, a figure's initiatives) are merged item by item, so items
members added through the API stay. Nothing is ever deleted because it left the files; the report
says so instead. Services never commit: the caller's transaction makes the load all or nothing.
"""

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlmodel import SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.core.dates import DatePrecision, partial_date
from api.core.db import utcnow
from api.evidence.models import EvidenceAssessment, Finding, Study
from api.figures.models import Figure, FigureClassification, FigureInitiative
from api.initiatives.models import Initiative, InitiativeClassification, Participation
from api.organisations.models import NetworkMembership, Organisation
from api.practices.models import BestPractice, Endorsement, PracticeClassification, PracticeEvidence
from api.ratings import service as ratings
from api.seeding.models import SeedRecord
from api.seeding.records import (
    AssessmentRecord,
    FigureRecord,
    InitiativeRecord,
    NetworkMembershipRecord,
    OrganisationRecord,
    PracticeRecord,
    Source,
)
from api.seeding.validate import Registry, period
from api.vocabularies.models import VocabularyTerm

SEED_ACTOR = "seed:registry"
Content = dict[str, Any]


class SeedRefused(Exception):
    """The database is not one the registry may be loaded into as it stands; nothing was written."""


@dataclass
class KindReport:
    created: list[str] = field(default_factory=list)
    updated: dict[str, list[str]] = field(default_factory=dict)  # key -> the fields written
    unchanged: int = 0
    # A row the registry held already (an organisation with the record's slug, a network membership in the
    # same role), linked to the record; only its empty fields filled.
    adopted: list[str] = field(default_factory=list)
    # Deleted in the registry since it was loaded: left deleted.
    deleted_in_registry: list[str] = field(default_factory=list)
    # Loaded once, no longer in the files: left in the registry.
    not_in_files: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.adopted)


@dataclass
class SeedReport:
    kinds: dict[str, KindReport] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return any(report.changed for report in self.kinds.values())


class Refs:
    """Database ids of seed records by kind and key, as the load finds or creates them."""

    def __init__(self, records: Sequence[SeedRecord]) -> None:
        self.ids = {(r.kind, r.key): r.record_id for r in records}

    def __call__(self, kind: str, key: str | None) -> int | None:
        return None if key is None else self.ids[(kind, key)]


# --- what each record's content is ------------------------------------------------------------------


def _provenance(sources: Sequence[Source], *notes: tuple[str, str | None]) -> list[dict[str, str]]:
    """Provenance entries as the API shows them; a seed file's own notes cite that file as their source."""
    entries = [{k: v for k, v in (("source", s.document), ("passage", s.passage), ("note", s.note)) if v} for s in sources]
    entries += [{"source": f"seed/registry/{file}", "note": note} for file, note in notes if note]
    return entries


def organisation_content(o: OrganisationRecord) -> Content:
    return {
        "name": o.name,
        "acronym": o.acronym,
        "aliases": list(o.aliases),
        "misspellings": list(o.misspellings),
        "stakeholder_type": o.stakeholder_type,
        "status": str(o.status),
        "country": o.country.upper() if o.country else None,
        "website": o.website,
        "description": o.description,
        "provenance": _provenance(o.provenance),
    }


def network_membership_content(m: NetworkMembershipRecord) -> Content:
    return {"member": m.member, "network": m.network, "role": m.role, "provenance": _provenance(m.provenance)}


INITIATIVE_SCHEMES = {
    "intervention_types": "intervention-type",
    "harms": "harm",
    "mnr_capabilities": "mnr-capability",
    "target_groups": "target-group",
    "regions": "region",
    "countries": "country",
    "languages": "language",
}
PRACTICE_SCHEMES = {"harms": "harm", "intervention_types": "intervention-type"}
FIGURE_SCHEMES = {"harms": "harm", "regions": "region", "countries": "country"}


def initiative_content(i: InitiativeRecord) -> Content:
    return {
        "title": i.title,
        "summary": i.summary,
        "description": i.description,
        "lead": i.lead,
        "part_of": i.part_of,
        "status": i.status,
        "visibility": str(i.visibility),
        "started": i.started,
        "links": [{"label": link.label, "url": link.url} for link in i.links],
        "provenance": _provenance(i.provenance, ("initiatives.yaml", i.lead_note)),
        "participants": [[p.organisation, p.role] for p in i.participants],
        **{name: [c.upper() if name == "countries" else c.lower() if name == "languages" else c for c in getattr(i, name)]
           for name in INITIATIVE_SCHEMES},
    }


def study_content(a: AssessmentRecord) -> Content:
    return {
        "organisation": a.assessing_organisation,
        "title": a.title,
        "study_design": a.study_design,
        "reference_url": a.reference_url,
        "reference_doi": a.reference_doi,
        "published": a.published,
        "period": a.period,
        "peer_reviewed": a.peer_reviewed,
        "funder": a.funder,
        "population": a.population,
        "countries": [c.upper() for c in a.countries],
        "sample_key": a.sample_key,
        "visibility": str(a.visibility),
        "provenance": _provenance(a.provenance),
    }


def assessment_content(a: AssessmentRecord) -> Content:
    return {
        "initiative": a.initiative,
        "assessing_organisation": a.assessing_organisation,
        "study": a.key,
        "independence": a.independence,
        "limitations": a.limitations,
        "conflicts_of_interest": a.conflicts_of_interest,
        "visibility": str(a.visibility),
        "provenance": _provenance(a.provenance),
        "findings": [[getattr(f, name) for name in FINDING_RECORD_FIELDS] for f in a.findings],
    }


def practice_content(p: PracticeRecord) -> Content:
    return {
        "proposed_by": p.proposed_by,
        "title": p.title,
        "statement": p.statement,
        "rationale": p.rationale,
        "evidence_basis": p.evidence_basis,
        "visibility": str(p.visibility),
        "provenance": _provenance(p.provenance, ("practices.yaml", p.proposed_by_note)),
        "harms": list(p.harms),
        "intervention_types": list(p.intervention_types),
        "evidence": list(p.evidence),
        "endorsed_by": list(p.endorsed_by),
    }


def figure_content(f: FigureRecord) -> Content:
    return {
        "statement": f.statement,
        "value": f.value,
        "unit": f.unit,
        "denominator": f.denominator,
        "period": f.period,
        "source_organisation": f.source_organisation,
        "visibility": str(f.visibility),
        "provenance": _provenance(f.provenance),
        "initiatives": list(f.initiatives),
        "harms": list(f.harms),
        "regions": list(f.regions),
        "countries": [c.upper() for c in f.countries],
    }


# --- how a content field becomes columns, and list items become rows --------------------------------

Columns = Callable[[Any, Refs], dict[str, Any]]
ItemWriter = Callable[[AsyncSession, int, Any, Refs], Awaitable[None]]


def _partial_date(day_column: str, precision_column: str) -> Columns:
    """A date as far as the file gives it: the day, and its precision unless it is a whole date."""

    def columns(value: str | None, _refs: Refs) -> dict[str, Any]:
        if value is None:
            return {day_column: None, precision_column: None}
        day, precision = partial_date(value)  # type: ignore[misc]  (checked by validate)
        return {day_column: day, precision_column: None if precision is DatePrecision.DAY else precision.value}

    return columns


def _period(value: str, _refs: Refs) -> dict[str, Any]:
    start, end, precision = period(value)  # type: ignore[misc]  (checked by validate)
    return {"period_start": start, "period_end": end, "period_precision": precision.value}


def _reference(column: str, kind: str) -> Columns:
    return lambda key, refs: {column: refs(kind, key)}


def _classification(model: type[SQLModel], owner: str, scheme: str) -> tuple[ItemWriter, ItemWriter]:
    async def add(session: AsyncSession, row_id: int, code: str, _refs: Refs) -> None:
        if await session.get(model, (row_id, scheme, code)) is None:
            session.add(model(**{owner: row_id}, scheme=scheme, code=code))

    async def remove(session: AsyncSession, row_id: int, code: str, _refs: Refs) -> None:
        if (row := await session.get(model, (row_id, scheme, code))) is not None:
            await session.delete(row)

    return add, remove


async def _first(session: AsyncSession, model: type[SQLModel], **where: Any) -> Any:
    statement = select(model).where(*(getattr(model, k) == v for k, v in where.items()))
    return (await session.exec(statement.limit(1))).first()


async def _add_participant(session: AsyncSession, row_id: int, item: list[str], refs: Refs) -> None:
    where = {"initiative_id": row_id, "organisation_id": refs("organisation", item[0]), "role": item[1]}
    # The registry's sources document each partnership: it stands confirmed, also where the lead had
    # proposed it already.
    existing = await _first(session, Participation, **where)
    if existing is None:
        session.add(
            Participation(**where, confirmed_at=utcnow(), confirmed_by=SEED_ACTOR, created_by=SEED_ACTOR, updated_by=SEED_ACTOR)
        )
    elif existing.confirmed_at is None:
        existing.confirmed_at, existing.confirmed_by = utcnow(), SEED_ACTOR


async def _remove_participant(session: AsyncSession, row_id: int, item: list[str], refs: Refs) -> None:
    where = {"initiative_id": row_id, "organisation_id": refs("organisation", item[0]), "role": item[1]}
    if (row := await _first(session, Participation, **where)) is not None:
        await session.delete(row)


# A finding as the file states it, and the columns they fill, in the same order.
FINDING_RECORD_FIELDS = (
    "outcome", "effect_direction", "significance", "comparison", "effect_size", "ci_low", "ci_high", "risk_of_bias",
    "follow_up_months", "proposed_rating", "proposed_certainty", "note",
)
FINDING_FIELDS = (*FINDING_RECORD_FIELDS[:-1], "notes")


async def _design_comparison(session: AsyncSession, assessment_id: int) -> str:
    """The strongest comparison the design of the assessment's study gives: a finding's default."""
    statement = (
        select(VocabularyTerm.attributes)
        .join(Study, (VocabularyTerm.vocabulary == "study-design") & (VocabularyTerm.code == Study.study_design))
        .join(EvidenceAssessment, EvidenceAssessment.study_id == Study.id)
        .where(EvidenceAssessment.id == assessment_id)
    )
    attributes = (await session.exec(statement)).first() or {}
    return attributes.get("comparison", "NONE")


async def _finding_columns(session: AsyncSession, row_id: int, item: list[Any]) -> dict[str, Any]:
    columns = dict(zip(FINDING_FIELDS, item, strict=True))
    if columns["comparison"] is None:
        columns["comparison"] = await _design_comparison(session, row_id)
    return columns


async def _add_finding(session: AsyncSession, row_id: int, item: list[Any], _refs: Refs) -> None:
    session.add(Finding(assessment_id=row_id, **await _finding_columns(session, row_id, item),
                        created_by=SEED_ACTOR, updated_by=SEED_ACTOR))


async def _remove_finding(session: AsyncSession, row_id: int, item: list[Any], _refs: Refs) -> None:
    if (row := await _first(session, Finding, assessment_id=row_id, **await _finding_columns(session, row_id, item))):
        await session.delete(row)


def _link(model: type[SQLModel], owner: str, column: str, kind: str, **extra: Any) -> tuple[ItemWriter, ItemWriter]:
    """A link row from a record to another one (a practice's cited evidence and endorsing organisations, the
    initiatives a figure concerns)."""

    async def add(session: AsyncSession, row_id: int, key: str, refs: Refs) -> None:
        if await session.get(model, (row_id, refs(kind, key))) is None:
            session.add(model(**{owner: row_id}, **{column: refs(kind, key)}, **extra))

    async def remove(session: AsyncSession, row_id: int, key: str, refs: Refs) -> None:
        if (row := await session.get(model, (row_id, refs(kind, key)))) is not None:
            await session.delete(row)

    return add, remove


# The row a new seed record takes over instead of creating its own: one the registry already holds
# that the record names (given the record's key and its column values), or None.
Existing = Callable[[AsyncSession, str, dict[str, Any]], Awaitable[Any]]


async def _organisation_by_slug(session: AsyncSession, key: str, _columns: dict[str, Any]) -> Organisation | None:
    # An organisation made before the registry was seeded (e.g. with `coplab org create`).
    return (await session.exec(select(Organisation).where(Organisation.slug == key))).first()


async def _same_network_membership(session: AsyncSession, _key: str, columns: dict[str, Any]) -> NetworkMembership | None:
    # A membership recorded through the API before the seed stated it (one per member, network and role).
    return await _first(
        session,
        NetworkMembership,
        **{name: columns[name] for name in ("member_organisation_id", "network_organisation_id", "role")},
    )


@dataclass(frozen=True)
class Kind:
    name: str
    model: type[SQLModel]
    records: Callable[[Registry], Sequence[Any]]
    content: Callable[[Any], Content]
    columns: dict[str, Columns] = field(default_factory=dict)  # fields not stored under their own name
    lists: dict[str, tuple[ItemWriter, ItemWriter]] = field(default_factory=dict)  # (add, remove) per item
    existing: Existing | None = None


KINDS = (
    Kind("organisation", Organisation, lambda r: r.organisations, organisation_content, existing=_organisation_by_slug),
    Kind(
        "network_membership",
        NetworkMembership,
        lambda r: r.networks,
        network_membership_content,
        columns={
            "member": _reference("member_organisation_id", "organisation"),
            "network": _reference("network_organisation_id", "organisation"),
        },
        existing=_same_network_membership,
    ),
    Kind(
        "initiative",
        Initiative,
        lambda r: _parents_first(r.initiatives),
        initiative_content,
        columns={
            "lead": _reference("lead_organisation_id", "organisation"),
            "part_of": _reference("part_of_id", "initiative"),
            "started": _partial_date("actual_start", "actual_start_precision"),
        },
        lists={
            "participants": (_add_participant, _remove_participant),
            **{name: _classification(InitiativeClassification, "initiative_id", scheme)
               for name, scheme in INITIATIVE_SCHEMES.items()},
        },
    ),
    Kind(
        "study",
        Study,
        lambda r: r.assessments,
        study_content,
        columns={
            "organisation": _reference("organisation_id", "organisation"),
            "published": _partial_date("published_on", "published_precision"),
        },
    ),
    Kind(
        "assessment",
        EvidenceAssessment,
        lambda r: r.assessments,
        assessment_content,
        columns={
            "study": _reference("study_id", "study"),
            "initiative": _reference("initiative_id", "initiative"),
            "assessing_organisation": _reference("assessing_organisation_id", "organisation"),
        },
        lists={"findings": (_add_finding, _remove_finding)},
    ),
    Kind(
        "practice",
        BestPractice,
        lambda r: r.practices,
        practice_content,
        columns={"proposed_by": _reference("organisation_id", "organisation")},
        lists={
            **{name: _classification(PracticeClassification, "practice_id", scheme)
               for name, scheme in PRACTICE_SCHEMES.items()},
            "evidence": _link(PracticeEvidence, "practice_id", "assessment_id", "assessment"),
            "endorsed_by": _link(Endorsement, "practice_id", "organisation_id", "organisation", endorsed_by=SEED_ACTOR),
        },
    ),
    Kind(
        "figure",
        Figure,
        lambda r: r.figures,
        figure_content,
        columns={"period": _period, "source_organisation": _reference("source_organisation_id", "organisation")},
        lists={
            "initiatives": _link(FigureInitiative, "figure_id", "initiative_id", "initiative"),
            **{name: _classification(FigureClassification, "figure_id", scheme)
               for name, scheme in FIGURE_SCHEMES.items()},
        },
    ),
)


def _parents_first(initiatives: Sequence[InitiativeRecord]) -> list[InitiativeRecord]:
    """Initiatives ordered so that each comes after the one it is part of (validate refuses circles)."""
    placed: dict[str, InitiativeRecord] = {}
    waiting = list(initiatives)
    while waiting:
        ready = [i for i in waiting if i.part_of is None or i.part_of in placed]
        placed.update((i.key, i) for i in ready)
        waiting = [i for i in waiting if i.key not in placed]
    return list(placed.values())


# --- the load ---------------------------------------------------------------------------------------


async def load(
    *, session: AsyncSession, registry: Registry, progress: Callable[[str, int], None] | None = None
) -> SeedReport:
    """Create or update the registry's seed records; flushes, never commits."""
    tracked = {(r.kind, r.key): r for r in (await session.exec(select(SeedRecord))).all()}
    refs = Refs(list(tracked.values()))
    report = SeedReport()
    for kind in KINDS:
        records = kind.records(registry)
        kind_report = report.kinds.setdefault(kind.name, KindReport())
        for record in records:
            content = kind.content(record)
            seed = tracked.get((kind.name, record.key))
            if seed is None:
                await _create_or_adopt(session, kind, record.key, content, refs, kind_report)
            else:
                await _update(session, kind, seed, content, refs, kind_report)
            if progress:
                progress(kind.name, 1)
        in_files = {record.key for record in records}
        kind_report.not_in_files = sorted(k for (name, k) in tracked if name == kind.name and k not in in_files)
        await session.flush()
    # The ratings rest on what was just loaded: computed by the rule set, never taken from the files.
    if report.changed:
        await ratings.recompute_everything(session=session, reason=ratings.Reason.NEW_EVIDENCE, actor=SEED_ACTOR)
    return report


async def _create_or_adopt(
    session: AsyncSession, kind: Kind, key: str, content: Content, refs: Refs, report: KindReport
) -> None:
    columns = _columns(kind, content, refs)
    existing = await kind.existing(session, key, columns) if kind.existing is not None else None
    if existing is not None:
        # A record the registry held before the seed stated it: its own values win, the file fills
        # what it lacks.
        empty = {c: v for c, v in columns.items() if getattr(existing, c) in (None, [], "")}
        _assign(existing, empty)
        row, report_list = existing, report.adopted
    else:
        row = kind.model(**columns, created_by=SEED_ACTOR, updated_by=SEED_ACTOR)
        if kind.model is Organisation:
            row.slug = key
        session.add(row)
        report_list = report.created
    await session.flush()
    for name, (add, _remove) in kind.lists.items():
        for item in content[name]:
            await add(session, row.id, item, refs)
    session.add(SeedRecord(kind=kind.name, key=key, record_id=row.id, content=content))
    refs.ids[(kind.name, key)] = row.id
    report_list.append(key)


async def _update(
    session: AsyncSession, kind: Kind, seed: SeedRecord, content: Content, refs: Refs, report: KindReport
) -> None:
    changed = [name for name, value in content.items() if seed.content.get(name, _ABSENT) != value]
    if not changed:
        report.unchanged += 1
        return
    row = await session.get(kind.model, seed.record_id)
    if row is None or getattr(row, "deleted_at", None) is not None:
        report.deleted_in_registry.append(seed.key)
        return
    scalars = {name: content[name] for name in changed if name not in kind.lists}
    _assign(row, _columns(kind, scalars, refs))
    for name in changed:
        if name in kind.lists:
            add, remove = kind.lists[name]
            before, after = seed.content.get(name, []), content[name]
            for item in before:
                if item not in after:
                    await remove(session, row.id, item, refs)
            for item in after:
                if item not in before:
                    await add(session, row.id, item, refs)
    row.updated_at = utcnow()
    row.updated_by = SEED_ACTOR
    seed.content = content
    seed.loaded_at = utcnow()
    session.add_all([row, seed])
    report.updated[seed.key] = changed


_ABSENT = object()


def _columns(kind: Kind, content: Content, refs: Refs) -> dict[str, Any]:
    """The row's column values for the content's non-list fields."""
    values: dict[str, Any] = {}
    for name, value in content.items():
        if name in kind.lists:
            continue
        values.update(kind.columns[name](value, refs) if name in kind.columns else {name: value})
    return values


def _assign(row: SQLModel, values: dict[str, Any]) -> None:
    for column, value in values.items():
        setattr(row, column, value)


async def registry_is_empty(session: AsyncSession) -> bool:
    """True when the database holds no organisation at all (a registry that has never been used)."""
    return (await session.exec(select(sa.func.count()).select_from(Organisation))).one() == 0

