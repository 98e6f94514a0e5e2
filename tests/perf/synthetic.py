"""A deterministic synthetic registry for benchmarks: organisations, initiatives, participations,
evidence assessments and findings, inserted with bulk SQL (SQLAlchemy core executemany).

Same `seed` and `initiatives` give the same rows, ids and timestamps on every backend.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from joserfc.jwk import ECKey
from sqlmodel import SQLModel

import api.models  # noqa: F401  (registers every table)
from api import migrations
from api.auth.keys import ALGORITHM
from api.auth.principal import Role
from api.db import create_sync_engine
from api.organisations.models import OrganisationStatus
from api.settings import PROJECT_ROOT
from api.visibility import Visibility
from tests.factories import load_vocabularies

ACTOR = "bench"
BENCH_CLIENT_ID = "bench"
# A fixed "now" so that timestamps (and so the page order) do not depend on the day of the run.
NOW = datetime(2025, 6, 1, 12, 0, 0, tzinfo=UTC)
CHUNK = 5_000

STAKEHOLDER_TYPES = [
    # (code, weight, name patterns)
    ("NGO", 20, ["{place} Child Safety Foundation", "Save Childhood {place}", "{place} Coalition for Safe Childhood"]),
    ("INGO", 6, ["Global Alliance for {topic}", "International Network on {topic}"]),
    ("GOV", 10, ["Ministry of Digital Affairs of {place}", "{place} Office for Online Safety"]),
    ("GOV-LOC", 3, ["City of {city} Youth Services", "{city} Regional Council"]),
    ("REG", 5, ["{place} Communications Regulator", "{place} eSafety Authority"]),
    ("LEA", 8, ["{place} National Police Cybercrime Unit", "{place} Child Exploitation Investigation Team"]),
    ("JUS", 3, ["{place} Prosecution Service", "{place} Judicial Training Institute"]),
    ("IGO", 2, ["Regional Organisation for {topic}", "Intergovernmental Office on {topic}"]),
    ("HOTLINE", 7, ["{place} Internet Hotline", "{place} Safer Internet Centre"]),
    ("HELPLINE", 6, ["{place} Child Helpline", "Kids Line {place}"]),
    ("IND-PLAT", 6, ["{brand} Social", "{brand} Video", "{brand} Messenger"]),
    ("IND-ISP", 3, ["{brand} Telecom", "{brand} Broadband"]),
    ("IND-TECH", 5, ["{brand} Safety Labs", "{brand} Detection Systems"]),
    ("IND-ASSOC", 2, ["{place} Internet Industry Association", "{brand} Tech Coalition"]),
    ("ACAD", 8, ["University of {city} Centre for Child Protection", "{city} Institute of Criminology"]),
    ("FUND", 2, ["{brand} Foundation", "Fund to End Violence in {place}"]),
    ("MSP", 1, ["{place} Multi-Stakeholder Partnership on {topic}"]),
    ("YOUTH", 2, ["Young People's Panel of {place}", "{place} Youth Online Council"]),
    ("OTH", 1, ["{brand} Consulting", "{place} Parents Network"]),
]
PLACES = {
    "FR": ("France", "Lyon"), "DE": ("Germany", "Leipzig"), "GB": ("United Kingdom", "Leeds"),
    "IE": ("Ireland", "Cork"), "NL": ("Netherlands", "Utrecht"), "BE": ("Belgium", "Ghent"),
    "ES": ("Spain", "Valencia"), "IT": ("Italy", "Bologna"), "PT": ("Portugal", "Porto"),
    "SE": ("Sweden", "Uppsala"), "FI": ("Finland", "Tampere"), "PL": ("Poland", "Krakow"),
    "RO": ("Romania", "Cluj"), "GR": ("Greece", "Patras"), "US": ("United States", "Denver"),
    "CA": ("Canada", "Winnipeg"), "MX": ("Mexico", "Puebla"), "BR": ("Brazil", "Recife"),
    "CO": ("Colombia", "Medellin"), "AR": ("Argentina", "Rosario"), "KE": ("Kenya", "Mombasa"),
    "NG": ("Nigeria", "Ibadan"), "ZA": ("South Africa", "Durban"), "GH": ("Ghana", "Kumasi"),
    "IN": ("India", "Pune"), "PH": ("Philippines", "Cebu"), "TH": ("Thailand", "Chiang Mai"),
    "ID": ("Indonesia", "Bandung"), "AU": ("Australia", "Perth"), "NZ": ("New Zealand", "Dunedin"),
    "JP": ("Japan", "Sendai"), "KR": ("South Korea", "Daegu"), "MA": ("Morocco", "Fes"),
    "JO": ("Jordan", "Irbid"), "AE": ("United Arab Emirates", "Sharjah"), "UA": ("Ukraine", "Lviv"),
}
BRANDS = ["Northwind", "Bluefin", "Kestrel", "Lumen", "Orbit", "Pinecone", "Quartz", "Riverstone",
          "Sparrow", "Tidal", "Umbra", "Vantage", "Willow", "Zephyr", "Cobalt", "Meridian"]
TOPICS = ["Child Online Safety", "Ending Sexual Exploitation", "Digital Wellbeing", "Safer Platforms",
          "Victim Support", "Online Harms Research"]

ORG_STATUSES = [(OrganisationStatus.MEMBER, 82), (OrganisationStatus.OBSERVER, 8),
                (OrganisationStatus.PENDING, 7), (OrganisationStatus.SUSPENDED, 3)]
VISIBILITIES = [(Visibility.PUBLIC, 80), (Visibility.MEMBERS, 10), (Visibility.ORGANISATION, 10)]
INITIATIVE_STATUSES = [("PIPELINE", 12), ("IMPLEMENTATION", 50), ("FINALISATION", 10), ("CLOSED", 20),
                       ("CANCELLED", 4), ("SUSPENDED", 4)]
HARMS = ["CSAM-KNOWN", "CSAM-NEW", "CSAM-SG", "CSAM-AI", "SOLICITATION", "EXTORTION", "LIVESTREAM",
         "COMMERCIAL", "HSB", "BULLYING", "SELF-HARM", "ADULT-CONTENT", "HATE", "CONSUMER", "PRIVACY", "WELLBEING"]
INTERVENTION_TYPES = ["DET-HASH", "DET-CLS", "DET-SIG", "RPT-HOT", "RPT-USR", "RPT-MAN", "BLK", "AGE", "SBD",
                      "EDU-CH", "EDU-CG", "EDU-PRO", "AWR", "HELP", "VSS", "VID", "OFF-PRV", "OFF-MGT",
                      "LE-CAP", "JUS-CAP", "LEG", "GOV-STR", "RES", "CHP", "MED"]
TARGET_GROUPS = ["CHILDREN", "ADOLESCENTS", "CAREGIVERS", "EDUCATORS", "PROFESSIONALS", "LAW-ENFORCEMENT",
                 "INDUSTRY", "GENERAL-PUBLIC"]
ROLES = ["FUNDING", "ACCOUNTABLE", "EXTENDING", "IMPLEMENTING", "EVALUATOR", "TECH-PROVIDER", "DATA-PROVIDER",
         "ENDORSER"]
STUDY_DESIGNS = ["RCT", "CRCT", "DID", "ITS", "PSM", "PREPOST-C", "PREPOST", "XSEC", "SR", "QUAL", "MIXED",
                 "CASE", "TECH-BENCH", "EXPERT"]
INDEPENDENCE = ["SELF", "INDEPENDENT", "PEER-REVIEWED"]
OUTCOMES = ["PREVALENCE", "OFFENDING", "HELP-SEEKING", "KNOWLEDGE", "REMOVAL-TIME", "DETECTION-VOLUME",
            "DETECTION-ACCURACY", "REPORT-VOLUME", "VICTIM-ID", "PROSECUTION", "WELLBEING", "RE-UPLOAD", "REACH"]
DIRECTIONS = ["POSITIVE", "NO-EFFECT", "NEGATIVE", "MIXED", "UNCLEAR"]
RATINGS = ["EFFECTIVE", "PROMISING", "EMERGING", "PRUDENT", "PIONEERING", "CONFLICTING", "NO-EFFECT", "NOT-RATED"]
CERTAINTIES = ["HIGH", "MODERATE", "LOW", "VERY-LOW", "NOT-ASSESSED"]

TITLE_HEADS = ["Hash-matching rollout", "Hotline capacity building", "Caregiver awareness campaign",
               "Age assurance pilot", "School-based prevention curriculum", "Grooming detection classifier",
               "Victim identification taskforce", "Helpline chat service", "Offender prevention programme",
               "Safety-by-design review", "Sextortion response protocol", "Judicial training course",
               "Livestream moderation toolkit", "Youth peer-educator network", "Reporting button redesign",
               "Survivor support fund", "Regional data-sharing agreement", "AI-generated CSAM research project"]
TITLE_TAILS = ["for {place}", "in {city}", "across {region}", "({year})", "phase {n}", "for {place} schools",
               "with {brand}", "for under-13s", "for frontline professionals"]
REGIONS = ["Europe", "West Africa", "Latin America", "South-East Asia", "the Nordics", "the Balkans", "the Gulf"]
SUMMARY_SENTENCES = [
    "The initiative {verb} {object} and reports outcomes to national stakeholders every quarter.",
    "It builds on an earlier pilot that {verb} {object} with measurable results.",
    "Partners share anonymised data under a common agreement and meet twice a year.",
    "The programme {verb} {object}, with a focus on the youngest and most vulnerable users.",
    "An independent evaluation is planned at the end of the current funding cycle.",
    "Materials are available in several languages and were co-designed with young people.",
]
VERBS = ["trains", "supports", "equips", "connects", "reaches", "protects"]
OBJECTS = ["teachers and school counsellors", "hotline analysts", "platform trust-and-safety teams",
           "parents of primary-school children", "specialist police investigators", "child helpline counsellors"]


def _weighted(rng: random.Random, choices: list[tuple]) -> object:
    return rng.choices([c[0] for c in choices], weights=[c[1] for c in choices])[0]


def _fill(rng: random.Random, pattern: str, country: str) -> str:
    place, city = PLACES[country]
    return pattern.format(
        place=place, city=city, brand=rng.choice(BRANDS), topic=rng.choice(TOPICS),
        region=rng.choice(REGIONS), year=rng.randint(2018, 2025), n=rng.randint(2, 4),
    )


@dataclass
class LoadReport:
    backend: str
    url: str
    seed: int
    seconds_migrate: float = 0.0
    seconds_load: float = 0.0
    rows: dict[str, int] = field(default_factory=dict)
    database_bytes: int = 0
    member_organisation_id: int = 0
    member_user_id: int = 0


def reset_postgres(url: str) -> None:
    """Drop and recreate schema `public`: the benchmark starts from an empty database."""
    engine = create_sync_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


def prepare(url: str) -> float:
    """A fresh, migrated database with the vocabularies; returns the seconds it took."""
    started = time.perf_counter()
    backend = sa.engine.make_url(url).get_backend_name()
    if backend == "postgresql":
        reset_postgres(url)
    elif backend == "sqlite":
        database = sa.engine.make_url(url).database
        if database and database != ":memory:":
            for suffix in ("", "-wal", "-shm"):
                Path(database + suffix).unlink(missing_ok=True)
    migrations.upgrade(url)
    engine = create_sync_engine(url)
    load_vocabularies(engine, PROJECT_ROOT / "seed" / "vocabularies")
    engine.dispose()
    return time.perf_counter() - started


def _audit(rng: random.Random, updated_at: datetime) -> dict:
    return {
        "created_at": updated_at - timedelta(days=rng.randint(0, 700), seconds=rng.randint(0, 86_399)),
        "updated_at": updated_at,
        "created_by": ACTOR,
        "updated_by": ACTOR,
    }


def _timestamp(rng: random.Random) -> datetime:
    # Spread over three years, microsecond resolution: ties are possible but rare (id breaks them).
    return NOW - timedelta(microseconds=rng.randrange(3 * 365 * 86_400 * 1_000_000))


def build_rows(*, initiatives: int, seed: int) -> dict[str, list[dict]]:
    """Every row to insert, per table, in insertion order (parents first)."""
    rng = random.Random(seed)
    countries = list(PLACES)
    n_orgs = max(20, round(initiatives * 0.03))
    organisations: list[dict] = []
    slugs: set[str] = set()
    for org_id in range(1, n_orgs + 1):
        code, _, patterns = rng.choices(STAKEHOLDER_TYPES, weights=[s[1] for s in STAKEHOLDER_TYPES])[0]
        country = rng.choice(countries)
        name = _fill(rng, rng.choice(patterns), country)
        base = "-".join("".join(ch for ch in word.lower() if ch.isalnum()) for word in name.split())
        slug = base[:70].strip("-")
        while slug in slugs:
            slug = f"{base[:70].strip('-')}-{org_id}"
        slugs.add(slug)
        organisations.append({
            "id": org_id, "slug": slug, "name": name, "acronym": None, "aliases": [],
            "stakeholder_type": code, "country": country if code not in ("INGO", "IGO") else None,
            "website": f"https://{slug}.example.org", "description": f"{name} works on {rng.choice(TOPICS).lower()}.",
            "status": _weighted(rng, ORG_STATUSES) if org_id > 1 else OrganisationStatus.MEMBER,
            "is_secretariat": False, **_audit(rng, _timestamp(rng)),
        })
    # The benchmark's member caller acts for organisation 1 (status MEMBER), through a user with a membership.
    users = [{"id": 1, "email": "bench@coplab.invalid", "name": "Bench User", **_audit(rng, NOW)}]
    memberships = [{"id": 1, "user_id": 1, "organisation_id": 1, "role": Role.EDITOR, **_audit(rng, NOW)}]
    # The registered client its tokens name (the server refuses tokens of unknown clients).
    clients = [{
        "id": 1, "client_id": BENCH_CLIENT_ID, "secret_hash": None, "organisation_id": 1, "name": "Benchmark",
        "scopes": [], "grant_types": [], "redirect_uris": [], "revoked_at": None, **_audit(rng, NOW),
    }]

    initiative_rows: list[dict] = []
    classifications: list[dict] = []
    participations: list[dict] = []
    assessments: list[dict] = []
    findings: list[dict] = []
    for initiative_id in range(1, initiatives + 1):
        lead = rng.randint(1, n_orgs)
        country = rng.choice(countries)
        head = rng.choice(TITLE_HEADS)
        title = f"{head} {_fill(rng, rng.choice(TITLE_TAILS), country)}"
        summary = " ".join(
            s.format(verb=rng.choice(VERBS), object=rng.choice(OBJECTS))
            for s in rng.sample(SUMMARY_SENTENCES, rng.randint(2, 4))
        )
        updated_at = _timestamp(rng)
        start = date(2016, 1, 1) + timedelta(days=rng.randint(0, 3000))
        initiative_rows.append({
            "id": initiative_id, "title": title, "summary": summary,
            "description": summary + " " + " ".join(rng.choice(SUMMARY_SENTENCES).format(
                verb=rng.choice(VERBS), object=rng.choice(OBJECTS)) for _ in range(3)),
            "lead_organisation_id": lead, "status": _weighted(rng, INITIATIVE_STATUSES),
            "visibility": _weighted(rng, VISIBILITIES),
            "planned_start": start, "planned_end": start + timedelta(days=rng.randint(180, 1500)),
            "actual_start": start if rng.random() < 0.7 else None, "actual_end": None,
            "links": [{"label": "Website", "url": f"https://example.org/initiatives/{initiative_id}"}],
            "provenance": [{"source": "bench-synthetic", "passage": f"row {initiative_id}"}],
            # About 1% deleted: the visibility rule must skip them.
            "deleted_at": updated_at if rng.random() < 0.01 else None,
            **_audit(rng, updated_at),
        })
        for scheme, codes in (("harm", HARMS), ("intervention-type", INTERVENTION_TYPES), ("country", countries)):
            for code in rng.sample(codes, rng.randint(1, 4)):
                classifications.append({"initiative_id": initiative_id, "scheme": scheme, "code": code})
        for code in rng.sample(TARGET_GROUPS, rng.randint(0, 2)):
            classifications.append({"initiative_id": initiative_id, "scheme": "target-group", "code": code})
        partners = rng.sample([o for o in range(1, n_orgs + 1) if o != lead], rng.randint(0, 4))
        for org in partners:
            participations.append({
                "id": len(participations) + 1, "initiative_id": initiative_id, "organisation_id": org,
                "role": rng.choice(ROLES), **_audit(rng, updated_at),
            })
        for _ in range(rng.randint(0, 3)):
            assessment_id = len(assessments) + 1
            assessments.append({
                "id": assessment_id, "initiative_id": initiative_id,
                "assessing_organisation_id": rng.choice(partners) if partners and rng.random() < 0.3
                else rng.randint(1, n_orgs),
                "title": f"Evaluation of {title[:200]}", "independence": rng.choice(INDEPENDENCE),
                "study_design": rng.choice(STUDY_DESIGNS), "sample_size": rng.choice([None, rng.randint(20, 20_000)]),
                "setting": f"{PLACES[country][0]}, {rng.choice(OBJECTS)}", "follow_up": rng.choice([None, "6 months",
                "12 months"]), "reference_doi": None, "reference_url": f"https://example.org/reports/{assessment_id}",
                "published_on": start + timedelta(days=rng.randint(100, 1500)), "limitations": None,
                "conflicts_of_interest": None, "visibility": _weighted(rng, VISIBILITIES), "provenance": [],
                "deleted_at": None, **_audit(rng, updated_at),
            })
            for outcome in rng.sample(OUTCOMES, rng.randint(1, 3)):
                findings.append({
                    "id": len(findings) + 1, "assessment_id": assessment_id, "outcome": outcome,
                    "effect_direction": rng.choice(DIRECTIONS),
                    "effect_size": round(rng.uniform(-0.5, 1.2), 2) if rng.random() < 0.5 else None,
                    "effect_size_metric": None, "rating": rng.choice(RATINGS), "certainty": rng.choice(CERTAINTIES),
                    "source_scheme": None, "source_rating": None, "notes": None, **_audit(rng, updated_at),
                })
    return {
        "organisation": organisations,
        "user_account": users,
        "membership": memberships,
        "oauth_client": clients,
        "initiative": initiative_rows,
        "initiative_classification": classifications,
        "participation": participations,
        "evidence_assessment": assessments,
        "finding": findings,
    }


def signing_key_row() -> tuple[dict, ECKey]:
    """A fresh ES256 signing key (as `tests.factories.Factory._key` makes it) and its row."""
    key = ECKey.generate_key("P-256", parameters={"alg": ALGORITHM, "use": "sig"}, auto_kid=True)
    row = {
        "kid": key.kid,
        "private_jwk": json.dumps(key.as_dict(private=True)),
        "public_jwk": json.dumps(key.as_dict(private=False)),
        "created_at": datetime.now(UTC),
        "retired_at": None,
    }
    return row, key


def database_bytes(url: str) -> int:
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = Path(parsed.database or "")
        return sum(p.stat().st_size for p in (database, Path(f"{database}-wal")) if p.exists())
    engine = create_sync_engine(url)
    with engine.connect() as connection:
        size = connection.execute(sa.text(
            "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r'"
        )).scalar_one()
    engine.dispose()
    return int(size)


def load(url: str, *, initiatives: int, seed: int) -> tuple[LoadReport, ECKey]:
    """Fresh database, then every synthetic row in one transaction; returns the report and the signing key."""
    backend = sa.engine.make_url(url).get_backend_name()
    report = LoadReport(backend=backend, url=sa.engine.make_url(url).render_as_string(hide_password=True), seed=seed)
    report.seconds_migrate = prepare(url)
    rows = build_rows(initiatives=initiatives, seed=seed)
    key_row, key = signing_key_row()
    engine = create_sync_engine(url)
    tables = SQLModel.metadata.tables
    started = time.perf_counter()
    with engine.begin() as connection:
        for name, table_rows in rows.items():
            for offset in range(0, len(table_rows), CHUNK):
                connection.execute(tables[name].insert(), table_rows[offset:offset + CHUNK])
        connection.execute(tables["signing_key"].insert(), [key_row])
        if backend == "postgresql":
            # Ids were given explicitly: move the sequences past them.
            for name in ("organisation", "user_account", "membership", "oauth_client", "initiative", "participation",
                         "evidence_assessment", "finding"):
                connection.execute(sa.text(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT max(id) FROM {name}))"
                ))
    report.seconds_load = time.perf_counter() - started
    # Planner statistics, as a database in service would have them (not part of the load time).
    with engine.begin() as connection:
        connection.execute(sa.text("ANALYZE"))
        if backend == "sqlite":
            connection.execute(sa.text("PRAGMA wal_checkpoint(TRUNCATE)"))
    engine.dispose()
    report.rows = {name: len(table_rows) for name, table_rows in rows.items()}
    report.database_bytes = database_bytes(url)
    report.member_organisation_id = 1
    report.member_user_id = 1
    return report, key
