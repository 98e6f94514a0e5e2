"""A deterministic synthetic registry for benchmarks and demos (`coplab seed --synthetic N --seed S`):
organisations, initiatives with multilingual titles, classifications, participations, evidence
assessments and findings, every record marked as synthetic (docs/synthetic.md).

Same `initiatives` and `seed` give the same rows on every backend. The draws of the fields the
benchmarks were measured on (docs/performance.md) come from `random.Random(seed)` in a fixed order;
later additions (languages, translated titles, parts, periods) draw from a second stream, so they
never shift the first.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import SQLModel

import api.models  # noqa: F401  (registers every table)
from api.db import create_sync_engine
from api.organisations.models import OrganisationStatus
from api.visibility import Visibility

ACTOR = "seed:synthetic"
SLUG_PREFIX = "synthetic-"
# A fixed "now": timestamps, and so every page order, do not depend on the day of the run.
NOW = datetime(2025, 6, 1, 12, 0, 0, tzinfo=UTC)
CHUNK = 5_000  # rows per executemany
BATCH = 2_000  # initiatives generated (and held in memory) at a time
# The tables a synthetic registry fills, parents first.
TABLES = ["organisation", "initiative", "initiative_classification", "participation", "evidence_assessment", "finding"]
SEARCH_REINDEX_NOTE = (
    "The synthetic rows were inserted in bulk, past the search outbox. The embedded search engine "
    "rebuilds its index when the server starts; with Meilisearch, run `coplab search reindex`."
)

Progress = Callable[[str, int], None]
Rows = dict[str, list[dict]]


class SyntheticRefused(Exception):
    """The database is not one synthetic rows may go into; the message says why and what to do."""


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

# Every vocabulary code the generator writes, checked against the database before anything is written.
VOCABULARY_CODES = {
    "stakeholder-type": [s[0] for s in STAKEHOLDER_TYPES], "initiative-status": [s[0] for s in INITIATIVE_STATUSES],
    "harm": HARMS, "intervention-type": INTERVENTION_TYPES, "target-group": TARGET_GROUPS,
    "participation-role": ROLES, "independence": INDEPENDENCE, "study-design": STUDY_DESIGNS, "outcome": OUTCOMES,
    "effect-direction": DIRECTIONS, "evidence-rating": RATINGS, "certainty": CERTAINTIES,
}

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

# Titles in the language of the initiative's (first) country: ISO 639-1 code -> (heads, tails).
# Tails hold {place} and {city} in the grammatical form COUNTRY_LANGUAGES gives (Polish: locative).
TRANSLATED_TITLES = {
    "fr": (["Campagne de sensibilisation des parents", "Programme de prévention en milieu scolaire",
            "Ligne d'écoute pour les enfants et les adolescents", "Formation des enquêteurs spécialisés",
            "Détection des contenus pédocriminels", "Accompagnement des victimes de sextorsion"],
           ["en {place}", "à {city}", "({year})", "phase {n}"]),
    "de": (["Präventionsprogramm gegen Cybergrooming", "Aufklärungskampagne für Eltern",
            "Beratungstelefon für Kinder und Jugendliche", "Fortbildung für spezialisierte Ermittlerinnen und Ermittler",
            "Erkennung von Missbrauchsdarstellungen", "Hilfsangebot für Betroffene von Sextortion"],
           ["in {place}", "in {city}", "({year})", "Phase {n}"]),
    "es": (["Línea de ayuda para niños y adolescentes", "Campaña de sensibilización para familias",
            "Programa de prevención en las escuelas", "Formación de investigadores especializados",
            "Detección de material de abuso sexual infantil", "Atención a víctimas de sextorsión"],
           ["en {place}", "en {city}", "({year})", "fase {n}"]),
    "it": (["Campagna di sensibilizzazione per i genitori", "Attività di prevenzione nelle scuole",
            "Linea di ascolto per bambini e adolescenti", "Formazione per investigatori specializzati",
            "Rilevamento di materiale pedopornografico", "Sostegno alle vittime di sextortion"],
           ["in {place}", "a {city}", "({year})", "fase {n}"]),
    "pt": (["Campanha de sensibilização para pais", "Linha de apoio à criança", "Programa de prevenção nas escolas",
            "Formação de investigadores especializados", "Identificação de vítimas de exploração sexual",
            "Apoio às vítimas de sextorsão"],
           ["– {place}", "– {city}", "({year})", "fase {n}"]),
    "nl": (["Bewustwordingscampagne voor ouders", "Preventieprogramma op scholen", "Hulplijn voor kinderen en jongeren",
            "Training voor gespecialiseerde rechercheurs", "Opsporing van beeldmateriaal van seksueel kindermisbruik",
            "Ondersteuning van slachtoffers van sextortion"],
           ["in {place}", "in {city}", "({year})", "fase {n}"]),
    "sv": (["Föräldrakampanj om säkerhet på nätet", "Förebyggande arbete i skolan", "Stödlinje för barn och unga",
            "Utbildning för specialiserade utredare", "Upptäckt av övergreppsmaterial",
            "Stöd till barn som utsatts för sextortion"],
           ["i {place}", "i {city}", "({year})", "fas {n}"]),
    "pl": (["Kampania społeczna dla rodziców", "Program profilaktyczny w szkołach",
            "Telefon zaufania dla dzieci i młodzieży", "Szkolenie dla wyspecjalizowanych śledczych",
            "Wykrywanie materiałów przedstawiających seksualne wykorzystywanie dzieci", "Wsparcie dla ofiar sekstorsji"],
           ["w {place}", "w {city}", "({year})", "etap {n}"]),
}
COUNTRY_LANGUAGES = {
    "FR": ("fr", "France", "Lyon"), "DE": ("de", "Deutschland", "Leipzig"), "ES": ("es", "España", "Valencia"),
    "MX": ("es", "México", "Puebla"), "CO": ("es", "Colombia", "Medellín"), "AR": ("es", "Argentina", "Rosario"),
    "IT": ("it", "Italia", "Bologna"), "PT": ("pt", "Portugal", "Porto"), "BR": ("pt", "Brasil", "Recife"),
    "NL": ("nl", "Nederland", "Utrecht"), "BE": ("nl", "België", "Gent"), "SE": ("sv", "Sverige", "Uppsala"),
    "PL": ("pl", "Polsce", "Krakowie"),
}
ENGLISH = "en"
# 13 of the 36 countries have a phrase table; 70% of their initiatives take it: about a quarter overall.
TRANSLATED_SHARE = 0.7
PART_SHARE = 0.02  # initiatives that are a component of an earlier one of the same lead
PERIOD_SHARE = 0.4  # assessments that name the period their figures cover


def marker(*, initiatives: int, seed: int) -> list[dict[str, str]]:
    """The provenance every synthetic organisation, initiative and assessment carries."""
    note = f"Generated by coplab seed --synthetic {initiatives} --seed {seed}; not a real record."
    return [{"source": "synthetic", "note": note}]


def _weighted(rng: random.Random, choices: list[tuple]) -> object:
    return rng.choices([c[0] for c in choices], weights=[c[1] for c in choices])[0]


def _fill(rng: random.Random, pattern: str, country: str) -> str:
    place, city = PLACES[country]
    return pattern.format(
        place=place, city=city, brand=rng.choice(BRANDS), topic=rng.choice(TOPICS),
        region=rng.choice(REGIONS), year=rng.randint(2018, 2025), n=rng.randint(2, 4),
    )


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


def _slug(name: str, org_id: int, taken: set[str]) -> str:
    base = "-".join("".join(ch for ch in word.lower() if ch.isalnum()) for word in name.split())
    slug = SLUG_PREFIX + base[:60].strip("-")
    if slug in taken:
        slug = f"{slug}-{org_id}"
    taken.add(slug)
    return slug


class _OtherOrganisations(Sequence[int]):
    """Organisation ids 1..n without `lead`, computed per index: `random.sample` draws exactly as from
    the list, without building a list of every organisation for every initiative."""

    def __init__(self, n: int, lead: int) -> None:
        self.n, self.lead = n, lead

    def __len__(self) -> int:
        return self.n - 1

    def __getitem__(self, index: int) -> int:  # type: ignore[override]
        if not 0 <= index < self.n - 1:
            raise IndexError(index)
        return index + 1 if index + 1 < self.lead else index + 2


@dataclass
class _Generator:
    """One synthetic registry's rows, drawn in a fixed order (see the module's docstring)."""

    initiatives: int
    seed: int
    rng: random.Random = field(init=False)
    extra: random.Random = field(init=False)  # the stream of everything added after the benchmarks
    n_orgs: int = field(init=False)
    provenance: list[dict[str, str]] = field(init=False)
    countries: list[str] = field(default_factory=lambda: list(PLACES))
    last_top_level: dict[int, int] = field(default_factory=dict)  # lead -> latest initiative not a part
    ids: dict[str, int] = field(default_factory=lambda: {"participation": 0, "evidence_assessment": 0, "finding": 0})

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.extra = random.Random(f"coplab-synthetic-extra:{self.seed}")
        self.n_orgs = max(20, round(self.initiatives * 0.03))
        self.provenance = marker(initiatives=self.initiatives, seed=self.seed)

    def _next_id(self, table: str) -> int:
        self.ids[table] += 1
        return self.ids[table]

    def organisations(self) -> list[dict]:
        rng, taken = self.rng, set()
        rows = [self._organisation(org_id, taken) for org_id in range(1, self.n_orgs + 1)]
        # The benchmark's user, membership and client rows drew their timestamps here once; the
        # draws stay so that every later row is the one docs/performance.md was measured on.
        for _ in range(3):
            _audit(rng, NOW)
        return rows

    def _organisation(self, org_id: int, taken: set[str]) -> dict:
        rng = self.rng
        code, _, patterns = rng.choices(STAKEHOLDER_TYPES, weights=[s[1] for s in STAKEHOLDER_TYPES])[0]
        country = rng.choice(self.countries)
        name = _fill(rng, rng.choice(patterns), country)
        slug = _slug(name, org_id, taken)
        return {
            "id": org_id, "slug": slug, "name": name, "acronym": None, "aliases": [],
            "stakeholder_type": code, "country": country if code not in ("INGO", "IGO") else None,
            "website": f"https://{slug}.example.org", "description": f"{name} works on {rng.choice(TOPICS).lower()}.",
            # Organisation 1 is a member: the benchmark's member caller acts for it.
            "status": _weighted(rng, ORG_STATUSES) if org_id > 1 else OrganisationStatus.MEMBER,
            "is_secretariat": False, "provenance": self.provenance, **_audit(rng, _timestamp(rng)),
        }

    def batches(self, size: int) -> Iterator[Rows]:
        for first in range(1, self.initiatives + 1, size):
            rows: Rows = {name: [] for name in
                          ("initiative", "initiative_classification", "participation", "evidence_assessment", "finding")}
            for initiative_id in range(first, min(first + size, self.initiatives + 1)):
                self._initiative(initiative_id, rows)
            yield rows

    def _initiative(self, initiative_id: int, rows: Rows) -> None:
        rng = self.rng
        lead = rng.randint(1, self.n_orgs)
        country = rng.choice(self.countries)
        head = rng.choice(TITLE_HEADS)
        title = f"{head} {_fill(rng, rng.choice(TITLE_TAILS), country)}"
        summary = " ".join(
            s.format(verb=rng.choice(VERBS), object=rng.choice(OBJECTS))
            for s in rng.sample(SUMMARY_SENTENCES, rng.randint(2, 4))
        )
        updated_at = _timestamp(rng)
        start = date(2016, 1, 1) + timedelta(days=rng.randint(0, 3000))
        initiative = {
            "id": initiative_id, "title": title, "summary": summary,
            "description": summary + " " + " ".join(rng.choice(SUMMARY_SENTENCES).format(
                verb=rng.choice(VERBS), object=rng.choice(OBJECTS)) for _ in range(3)),
            "lead_organisation_id": lead, "part_of_id": None, "status": _weighted(rng, INITIATIVE_STATUSES),
            "visibility": _weighted(rng, VISIBILITIES),
            "planned_start": start, "planned_end": start + timedelta(days=rng.randint(180, 1500)),
            "actual_start": start if rng.random() < 0.7 else None, "actual_start_precision": None, "actual_end": None,
            "links": [{"label": "Website", "url": f"https://example.org/initiatives/{initiative_id}"}],
            "provenance": self.provenance,
            # About 1% deleted: the visibility rule must skip them.
            "deleted_at": updated_at if rng.random() < 0.01 else None,
            **_audit(rng, updated_at),
        }
        rows["initiative"].append(initiative)
        codes = self._classifications(initiative_id, rows["initiative_classification"])
        partners = self._participations(initiative_id, lead, updated_at, rows["participation"])
        for _ in range(rng.randint(0, 3)):
            self._assessment(initiative, partners, country, start, rows)
        self._extras(initiative, codes["country"][0], rows["initiative_classification"])

    def _classifications(self, initiative_id: int, out: list[dict]) -> dict[str, list[str]]:
        rng, codes = self.rng, {}
        for scheme, choices in (("harm", HARMS), ("intervention-type", INTERVENTION_TYPES), ("country", self.countries)):
            codes[scheme] = rng.sample(choices, rng.randint(1, 4))
        codes["target-group"] = rng.sample(TARGET_GROUPS, rng.randint(0, 2))
        out.extend({"initiative_id": initiative_id, "scheme": s, "code": c} for s, cs in codes.items() for c in cs)
        return codes

    def _participations(self, initiative_id: int, lead: int, updated_at: datetime, out: list[dict]) -> list[int]:
        rng = self.rng
        partners = rng.sample(_OtherOrganisations(self.n_orgs, lead), rng.randint(0, 4))
        for org in partners:
            out.append({
                "id": self._next_id("participation"), "initiative_id": initiative_id, "organisation_id": org,
                "role": rng.choice(ROLES), **_audit(rng, updated_at),
            })
        return partners

    def _assessment(self, initiative: dict, partners: list[int], country: str, start: date, rows: Rows) -> None:
        rng, updated_at = self.rng, initiative["updated_at"]
        assessment_id = self._next_id("evidence_assessment")
        assessment = {
            "id": assessment_id, "initiative_id": initiative["id"],
            "assessing_organisation_id": rng.choice(partners) if partners and rng.random() < 0.3
            else rng.randint(1, self.n_orgs),
            # The English title: evaluations are described in English whatever the initiative's language.
            "title": f"Evaluation of {initiative['title'][:200]}", "independence": rng.choice(INDEPENDENCE),
            "study_design": rng.choice(STUDY_DESIGNS), "sample_size": rng.choice([None, rng.randint(20, 20_000)]),
            "setting": f"{PLACES[country][0]}, {rng.choice(OBJECTS)}", "follow_up": rng.choice([None, "6 months",
            "12 months"]), "reference_doi": None, "reference_url": f"https://example.org/reports/{assessment_id}",
            "published_on": start + timedelta(days=rng.randint(100, 1500)), "period": None, "limitations": None,
            "conflicts_of_interest": None, "visibility": _weighted(rng, VISIBILITIES), "provenance": self.provenance,
            "deleted_at": None, **_audit(rng, updated_at),
        }
        assessment["period"] = self._period(assessment["published_on"])
        rows["evidence_assessment"].append(assessment)
        for outcome in rng.sample(OUTCOMES, rng.randint(1, 3)):
            rows["finding"].append({
                "id": self._next_id("finding"), "assessment_id": assessment_id, "outcome": outcome,
                "effect_direction": rng.choice(DIRECTIONS),
                "effect_size": round(rng.uniform(-0.5, 1.2), 2) if rng.random() < 0.5 else None,
                "effect_size_metric": None, "rating": rng.choice(RATINGS), "certainty": rng.choice(CERTAINTIES),
                "source_scheme": None, "source_rating": None, "notes": None, **_audit(rng, updated_at),
            })

    def _period(self, published_on: date) -> str | None:
        if self.extra.random() >= PERIOD_SHARE:
            return None
        last = published_on.year - 1
        return str(last) if self.extra.random() < 0.5 else f"{last - 1}-{last}"

    def _extras(self, initiative: dict, country: str, classifications: list[dict]) -> None:
        """The second stream's fields: title language (and translation), part of an earlier initiative."""
        extra, language = self.extra, ENGLISH
        if extra.random() < TRANSLATED_SHARE and country in COUNTRY_LANGUAGES:
            language, place, city = COUNTRY_LANGUAGES[country]
            heads, tails = TRANSLATED_TITLES[language]
            tail = extra.choice(tails).format(place=place, city=city, year=extra.randint(2018, 2025),
                                              n=extra.randint(2, 4))
            initiative["title"] = f"{extra.choice(heads)} {tail}"
        classifications.append({"initiative_id": initiative["id"], "scheme": "language", "code": language})
        lead, parent = initiative["lead_organisation_id"], None
        if extra.random() < PART_SHARE:
            parent = self.last_top_level.get(lead)
        initiative["part_of_id"] = parent
        if parent is None and initiative["deleted_at"] is None:
            self.last_top_level[lead] = initiative["id"]


def generate(*, initiatives: int, seed: int, batch: int = BATCH) -> Iterator[Rows]:
    """The synthetic rows with ids from 1, table by table in insertion order: the organisations first,
    then batches of `batch` initiatives with their classifications, participations, assessments and findings."""
    generator = _Generator(initiatives=initiatives, seed=seed)
    yield {"organisation": generator.organisations()}
    yield from generator.batches(batch)


def build_rows(*, initiatives: int, seed: int) -> Rows:
    """Every synthetic row at once, per table, parents first (for benchmarks and tests)."""
    rows: Rows = {}
    for batch in generate(initiatives=initiatives, seed=seed):
        for name, table_rows in batch.items():
            rows.setdefault(name, []).extend(table_rows)
    return rows


def _moves(table: sa.Table, offsets: dict[str, int]) -> dict[str, int]:
    """How much to add to each id column of `table`: its own id and every foreign key."""
    moves = {"id": offsets.get(table.name, 0)} if "id" in table.columns else {}
    for column in table.columns:
        for foreign_key in column.foreign_keys:
            moves[column.name] = offsets.get(foreign_key.column.table.name, 0)
    return {name: by for name, by in moves.items() if by}


@dataclass
class BulkInsert:
    """Inserts generated rows with core executemany in `CHUNK`s, ids shifted by `offsets` (per table)."""

    connection: sa.Connection
    offsets: dict[str, int] = field(default_factory=dict)
    progress: Progress | None = None
    done: dict[str, int] = field(default_factory=dict)  # rows inserted per table

    def add(self, rows: Rows) -> None:
        for name, table_rows in rows.items():
            table = SQLModel.metadata.tables[name]
            moves = _moves(table, self.offsets)
            for start in range(0, len(table_rows), CHUNK):
                chunk = table_rows[start:start + CHUNK]
                if moves:
                    chunk = [{**row, **{c: row[c] + by for c, by in moves.items() if row[c] is not None}}
                             for row in chunk]
                self.connection.execute(table.insert(), chunk)
                self.done[name] = self.done.get(name, 0) + len(chunk)
                if self.progress is not None:
                    self.progress(name, self.done[name])


def move_sequences(connection: sa.Connection, tables: list[str]) -> None:
    """On PostgreSQL, move the id sequences of `tables` past the explicit ids just inserted."""
    if connection.dialect.name != "postgresql":
        return
    for name in tables:
        if "id" in SQLModel.metadata.tables[name].columns:
            connection.execute(sa.text(
                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT max(id) FROM {name}))"
            ))


def _lock(connection: sa.Connection) -> None:
    """Hold off other writers from the check to the commit: ids are read once and must stay free."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    elif connection.dialect.name == "postgresql":
        connection.execute(sa.text(f"LOCK TABLE {', '.join(TABLES)} IN SHARE ROW EXCLUSIVE MODE"))


def _count(connection: sa.Connection, sql: str) -> int:
    return int(connection.execute(sa.text(sql), {"actor": ACTOR}).scalar_one())


def _check_vocabularies(connection: sa.Connection) -> None:
    present = {(v, c) for v, c in connection.execute(sa.text("SELECT vocabulary, code FROM vocabulary_term"))}
    if not present:
        raise SyntheticRefused("The vocabularies are not loaded: run `coplab vocabularies load` first.")
    missing = [f"{v}:{c}" for v, codes in VOCABULARY_CODES.items() for c in codes if (v, c) not in present]
    if missing:
        raise SyntheticRefused(f"The vocabularies lack codes the synthetic registry uses ({', '.join(missing)}): "
                               "run `coplab vocabularies load` with the current seed/vocabularies.")


def _check_registry(connection: sa.Connection, *, alongside_registry: bool) -> None:
    if _count(connection, "SELECT count(*) FROM organisation WHERE created_by = :actor"):
        initiatives = _count(connection, "SELECT count(*) FROM initiative WHERE created_by = :actor")
        raise SyntheticRefused(
            f"This database already holds a synthetic registry ({initiatives:,} synthetic initiatives); "
            "loading another would duplicate it. Nothing was written: use a fresh database."
        )
    organisations = _count(connection, "SELECT count(*) FROM organisation WHERE created_by <> :actor")
    records = _count(connection, "SELECT count(*) FROM seed_record")
    if (organisations or records) and not alongside_registry:
        raise SyntheticRefused(
            f"This database holds registry records ({organisations:,} organisations, {records:,} seed records). "
            "Nothing was written: use a fresh database, or pass --alongside-registry to add the synthetic "
            "records beside them (they stay marked as synthetic)."
        )


def _check(connection: sa.Connection, *, alongside_registry: bool) -> None:
    if not sa.inspect(connection).has_table("seed_record"):
        raise SyntheticRefused("The database is not migrated: run `coplab db upgrade` first.")
    _check_vocabularies(connection)
    _check_registry(connection, alongside_registry=alongside_registry)


def _max_ids(connection: sa.Connection) -> dict[str, int]:
    tables = [name for name in TABLES if "id" in SQLModel.metadata.tables[name].columns]
    return {name: _count(connection, f"SELECT coalesce(max(id), 0) FROM {name}") for name in tables}


def load_synthetic(
    *, url: str, initiatives: int, seed: int, alongside_registry: bool = False, progress: Progress | None = None
) -> dict[str, int]:
    """Insert a synthetic registry of `initiatives` initiatives into the migrated database at `url`, in one
    transaction, ids after the existing ones; returns the rows inserted per table. Raises SyntheticRefused,
    having written nothing, where the database is not fit for it (docs/synthetic.md)."""
    if initiatives < 1:
        raise SyntheticRefused("The number of synthetic initiatives must be at least 1.")
    engine = create_sync_engine(url)
    try:
        with engine.begin() as connection:
            _lock(connection)
            _check(connection, alongside_registry=alongside_registry)
            inserter = BulkInsert(connection, offsets=_max_ids(connection), progress=progress)
            for batch in generate(initiatives=initiatives, seed=seed):
                inserter.add(batch)
            move_sequences(connection, TABLES)
    finally:
        engine.dispose()
    return inserter.done
