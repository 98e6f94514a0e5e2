"""A varied registry to export: public and hidden records of every kind, and the helpers the export tests share."""

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, select
from typer.testing import CliRunner, Result

from api.cli import app
from api.evidence.models import Finding, Study
from api.initiatives.models import Initiative, Participation
from api.organisations.models import OrganisationStatus
from api.seeding.models import SeedRecord
from api.core.settings import get_settings
from tests.factories import ACTOR, Factory, classify, set_columns

# Every table an import writes, and those it must leave alone.
IMPORTED_TABLES = (
    "organisation",
    "network_membership",
    "initiative",
    "initiative_classification",
    "participation",
    "evidence_assessment",
    "finding",
    "best_practice",
    "practice_classification",
    "practice_evidence",
    "endorsement",
    "figure",
    "figure_classification",
    "figure_initiative",
    "seed_record",
)


@dataclass(frozen=True)
class Registry:
    """The ids of what `build` made, by what the tests expect of them."""

    hotline: int
    ngo: int
    public_organisations: set[int]
    pending_organisation: int
    public_initiatives: set[int]
    hidden_initiatives: set[int]  # non-public, deleted, or led by the PENDING organisation
    part: int
    whole: int
    orphan: int  # part of a hidden initiative
    members_only: int
    public_assessment: int
    hidden_assessments: set[int]
    public_practice: int
    hidden_practice: int
    public_finding_count: int
    public_figures: set[int]
    hidden_figures: set[int]  # non-public, deleted, or from the PENDING organisation
    shared_figure: int  # public, concerning a public and a members-only initiative
    public_network_membership: int
    hidden_network_membership: int  # its member is the PENDING organisation


def build(make: Factory, db: Session) -> Registry:
    """Two admitted organisations, a PENDING one, and records of each kind, public and not."""
    hotline = make.organisation("hotline-a", stakeholder_type="HOTLINE", country="GB")
    set_columns(
        db,
        hotline,
        aliases=["Hotline A", "HLA"],
        provenance=[{"source": "annual-report-2023.pdf", "passage": "Founded in 1996.", "note": "p. 4"}],
        description='Reports, "quoted", with commas;\nand a second line — ünïcödé.',
    )
    ngo = make.organisation("ngo-b", status=OrganisationStatus.OBSERVER, country="DE")
    pending = make.organisation("pending-c", status=OrganisationStatus.PENDING)
    # The NGO in the hotline's network, as a source says; the PENDING organisation too (in `--all` only).
    in_network = make.network_member(
        ngo, hotline, "FOUNDING-MEMBER", [{"source": "Network charter", "passage": "Founded by the NGO.", "note": "§ 1"}]
    )
    pending_in_network = make.network_member(pending, hotline)

    whole = make.initiative(hotline, "Protección en línea", harms=["CSAM-NEW", "CSAM-KNOWN"], partners=[(ngo, "FUNDING")])
    set_columns(
        db,
        whole,
        planned_start=date(2020, 3, 1),
        links=[{"label": "Home", "url": "https://example.org/a"}],
        provenance=[{"source": "seed", "passage": "Launched 2020."}],
    )
    classify(db, whole, "intervention-type", "DET-HASH", "DET-CLS")
    classify(db, whole, "mnr-capability", "MNR-01")
    classify(db, whole, "target-group", "CHILDREN")
    classify(db, whole, "region", "EU")
    classify(db, whole, "country", "FR", "DE")
    classify(db, whole, "language", "fr")
    db.add(
        Participation(
            initiative_id=whole.id, organisation_id=pending.id, role="ACCOUNTABLE",
            confirmed_at=datetime(2024, 2, 1, tzinfo=UTC), confirmed_by=ACTOR, created_by=ACTOR, updated_by=ACTOR,
        )
    )
    db.commit()
    part = make.initiative(ngo, "A component")
    # Proposed by the lead, not yet confirmed by the hotline: in `--all` only.
    db.add(Participation(initiative_id=part.id, organisation_id=hotline.id, role="IMPLEMENTING", created_by=ACTOR, updated_by=ACTOR))
    db.commit()
    set_columns(db, part, part_of_id=whole.id, actual_start=date(2019, 1, 1), actual_start_precision="YEAR")
    unled = Initiative(title="Named by no lead", status="IMPLEMENTATION", created_by=ACTOR, updated_by=ACTOR)
    db.add(unled)
    db.commit()

    members_only = make.initiative(hotline, "Members only", visibility="MEMBERS")
    own_only = make.initiative(ngo, "Organisation only", visibility="ORGANISATION")
    deleted = make.initiative(hotline, "Deleted")
    set_columns(db, deleted, deleted_at=datetime(2024, 5, 1, 12, 30, tzinfo=UTC))
    of_pending = make.initiative(pending, "Led by a pending organisation")
    # Public, but a component of a members-only initiative: anonymous callers see no `partOf`.
    orphan = make.initiative(ngo, "Part of a hidden whole")
    set_columns(db, orphan, part_of_id=members_only.id)

    assessment = make.assessment(whole, ngo, "Evaluation", ratings=("EMERGING", "PROMISING"))
    study = db.get(Study, assessment.study_id)
    set_columns(db, study, period="2021-2022", published_on=date(2023, 2, 1), sample_size=120, countries=["FR", "BE"],
                sample_key="evaluation-2022", peer_reviewed=True)
    finding = db.exec(select(Finding).where(Finding.assessment_id == assessment.id).order_by(Finding.id)).first()
    set_columns(db, finding, effect_size=0.35, effect_size_metric="Cohen's d")
    members_assessment = make.assessment(whole, hotline, "Internal review", visibility="MEMBERS")
    of_hidden = make.assessment(members_only, hotline, "Review of a members-only initiative")

    practice = make.practice(
        hotline,
        "Hash matching",
        evidence_basis="ASSESSMENTS",
        harms=["CSAM-KNOWN"],
        intervention_types=["DET-HASH"],
        evidence=[assessment.id, members_assessment.id],
        endorsed_by=[ngo, pending],
    )
    hidden_practice = make.practice(ngo, "Draft", visibility="MEMBERS")

    shared = make.figure(
        hotline,
        "62% of reported material was hosted in Europe.",
        value=62.5,
        unit="%",
        denominator="of all reported material; \"quoted\", with commas",
        period=(date(2020, 11, 1), date(2022, 11, 1)),
        precision="MONTH",
        source=ngo,
        initiatives=[whole, members_only],
        harms=["CSAM-NEW", "CSAM-KNOWN"],
        regions=["EUROPE"],
        countries=["NL", "DE"],
        provenance=[{"source": "Annual report 2021", "passage": "62%", "note": "p. 9"}],
    )
    in_words = make.figure(None, "Almost half of the notices concerned known material.", value=None, unit="%")
    members_figure = make.figure(hotline, "Members-only count", visibility="MEMBERS", initiatives=[whole])
    deleted_figure = make.figure(ngo, "Withdrawn count")
    set_columns(db, deleted_figure, deleted_at=datetime(2024, 6, 1, tzinfo=UTC))
    pending_figure = make.figure(hotline, "From a pending organisation", source=pending)

    db.add_all(
        SeedRecord(kind="organisation", key=key, record_id=hotline.id, content={"slug": key, "n": 1})
        for key in ("b-key", "B-key", "a-key")
    )
    db.commit()
    return Registry(
        hotline=hotline.id,
        ngo=ngo.id,
        public_organisations={hotline.id, ngo.id},
        pending_organisation=pending.id,
        public_initiatives={whole.id, part.id, unled.id, orphan.id},
        hidden_initiatives={members_only.id, own_only.id, deleted.id, of_pending.id},
        part=part.id,
        whole=whole.id,
        orphan=orphan.id,
        members_only=members_only.id,
        public_assessment=assessment.id,
        hidden_assessments={members_assessment.id, of_hidden.id},
        public_practice=practice.id,
        hidden_practice=hidden_practice.id,
        public_finding_count=2,
        public_figures={shared.id, in_words.id},
        hidden_figures={members_figure.id, deleted_figure.id, pending_figure.id},
        shared_figure=shared.id,
        public_network_membership=in_network.id,
        hidden_network_membership=pending_in_network.id,
    )


def coplab(database_url: str, *args: str) -> Result:
    """Run `coplab ARGS` on `database_url`, as a user would (settings are read afresh, then forgotten)."""
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(app, list(args), env={"COPLAB_DATABASE_URL": database_url})
    finally:
        get_settings.cache_clear()


def records(directory: Path, entity: str) -> list[dict[str, Any]]:
    """The records of one JSON Lines file."""
    return [json.loads(line) for line in (directory / f"{entity}.jsonl").read_text(encoding="utf-8").splitlines()]


def manifest(directory: Path) -> dict[str, Any]:
    return json.loads((directory / "manifest.json").read_text(encoding="utf-8"))


def row_counts(engine: sa.Engine) -> dict[str, int]:
    """Rows per imported table (and the search outbox)."""
    tables = [SQLModel.metadata.tables[name] for name in (*IMPORTED_TABLES, "search_outbox")]
    with engine.connect() as connection:
        return {t.name: connection.execute(sa.select(sa.func.count()).select_from(t)).scalar_one() for t in tables}
