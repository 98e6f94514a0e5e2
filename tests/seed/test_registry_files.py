"""Checks of the seed registry files (seed/registry/*.yaml) written from the Lab's founding documents.

The founding documents themselves live outside the repository; the test knows their file names.
Set COPLAB_SEED_DOCS to the folder that holds them to also check that every quoted passage occurs
in the document it names.
"""

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import pycountry
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
REGISTRY = ROOT / "seed" / "registry"
VOCABULARIES = ROOT / "seed" / "vocabularies"

SEED_DOCUMENTS = {
    "000_34f25971e2aada83.txt",  # Elysée press release, 10 November 2022
    "001_85538bccebee7c49.txt",  # open letter of 80+ organisations, 9 November 2023
    "002_71b6bb034c7f1afe.txt",  # #ChildSafetyOnlineNow launch
    "003_584094a32017ff9b.txt",  # INHOPE, EU strategy part 8
    "004_cc2116d0e5d25cea.txt",  # Safer Internet programme, French SIC, INHOPE
}
DOCUMENT_NAME = re.compile(r"^\d{3}_[0-9a-f]+\.txt$")
KEY = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
DATE = re.compile(r"^\d{4}(?:-\d{2}(?:-\d{2})?)?$")

# Every organisation the documents name, as the documents spell it (matched against name or alias).
EXPECTED_ORGANISATIONS = [
    # 000: the Elysée roundtable and Point de Contact's partners
    "President of the French Republic", "Ministry of Europe and Foreign Affairs", "Secretary of State for Children",
    "Google", "Meta", "Snapchat", "Twitter", "TikTok", "Microsoft", "Point de Contact", "WeProtect Global Alliance",
    "E-enfance", "Save the Children", "INHOPE", "KCSC", "eSafety Commission", "NCMEC", "IWF", "Paris Peace Forum",
    "European Commission", "Interministerial Committee for the Prevention of Crime and Radicalisation",
    # 001: the open letter (institutions quoted) and its 84 signatories
    "European Parliament", "Office Mineurs de la Direction Nationale de la Police Judiciaire",
    '"Hope For Children" CRC Policy Center', "#IWAS association", "Agarrados a Net",
    "ARSIS Association for the Social Support of Youth", "Asociatia Eliberare (eLiberare)", "Open Gate/La Strada",
    "BeBraveFrance", "Bens Place (Survivors West Yorkshire)", "Brave UK", "Bund Deutscher Amateurtheater",
    "CAMELEON Association France", "Canadian Centre for Child Protection", "Center for Missing and Exploited Children",
    "Central Union for Child Welfare", "Centro Integrado de Apoio Familiar", "Cesta z krize", "Child Focus",
    "Child Helpline International", "ChildFund Alliance", "Childnet International", "ChildX", "COFACE Families Europe",
    "CRCA/ECPAT Albania", "Defence for Children - ECPAT Netherlands", "Different & Equal",
    "Digital Opportunities Foundation", "ECPAT Austria", "ECPAT Bulgaria - Neglected Children and Women Foundation",
    "ECPAT France", "ECPAT International", "ECPAT Norway", "ECPAT Sweden", "Elien Rebirth",
    "Emmanuel Development Association", "Empowering Children Foundation", "Enough Is Enough", "Eurochild",
    "Federacién de Asociaciones para la Prevencion del Maltrato Infantil - ECPAT Spain", "Foundation Together Albania",
    "Halley Movement Coalition", "Happy Kids Foundation", "Hintalovon Child Rights Foundation - ECPAT Hungary",
    "ICOSE", "IJM Deutschland", "Innocence in Danger e.V.", "INSTITUTO DE APOIO A CRIANCA",
    "International Centre for Missing & Exploited Children", "ICMEC",
    "International Justice Mission Center to End Online Sexual Exploitation of Children",
    "International Justice Mission Nederland", "Internet Watch Foundation",
    "iISIGURT.AL - National Hotline on Internet Child Safety - Albania", "ISPCC", "Justice Initiative Portugal",
    "Lasten perusoikeudet - Children’s Fundamental Rights ry", "Latvian Safer Internet Centre", "Les Ami(e)s de Romy",
    "Lightup Norway", "Lucy Faithfull Foundation", "Marie Collins Foundation", "Missing Children Europe",
    "MiudosSegurosNa.Net", "National Center for Missing & Exploited Children", "National Network for Children - Bulgaria",
    "Network for Children's Rights", "NGO “Stop sexting”", "NSPCC", "One in Four",
    "PFAD Bundesverband der Pflege- und Adoptivfamilien e.V.", "Protect Children, Suojellaan Lapsia ry",
    "Quebrar o Siléncio", "SWGfL", "Terre des Hommes France", "Terre des Hommes International Federation",
    "Terre des Hommes ltalia", "Terre des Hommes Netherlands", "The Brave Movement", "The Smile of the Child", "Thorn",
    "Together for Girls", "Vatra Psycho Social Center", "Women against Violence Europe Network", "World Vision EUREP",
    # 002: the 14 organisations of #ChildSafetyOnlineNow, as spelt there, and its sources
    "ECPACT", "Brave Movement", "End Violence Against Children", "5 Rights Foundation", "Terre des Hommes", "Inhope",
    "Child Helpine International", "5Rights", "Guardian",
    # 003 and 004
    "WePROTECT Global Alliance", "INHOPE - Association of Internet Hotline Providers", "Ihnope", "AFA",
]
SIGNATORY_COUNT = 84  # the open letter numbers its signatories 1-84

EXPECTED_INITIATIVES = [
    "Children Online Protection Lab",
    "INHOPE hotline network notice and take-down",
    "European Commission Safer Internet programme",
    "French Safer Internet Centre",
    "Point de Contact reporting hotline",
    "Internet Sans Crainte",
    "Net Ecoute helpline",
    "Point de Contact advisory committee",
    "Project Arachnid",
    "NCMEC CyberTipline",
    "Enforcement of Meta's child safety policies",
    "#ChildSafetyOnlineNow campaign",
    "Proposed EU Regulation to prevent and combat child sexual abuse",
    "EU Centre to prevent and combat child sexual abuse (proposed)",
    "EU strategy for a more effective fight against child sexual abuse",
    "WeProtect Model National Response for preventing and tackling child sexual exploitation and abuse",
    "Christchurch Call",
    "IWF datasets to help companies detect, report and remove child sexual abuse material",
    "Voluntary detection of child sexual abuse by online platforms",
]


def load(name: str) -> list[dict]:
    document = yaml.safe_load((REGISTRY / name).read_text(encoding="utf-8"))
    assert isinstance(document, list), f"{name}: expected a list of records, got {type(document).__name__}"
    for position, record in enumerate(document):
        assert isinstance(record, dict), f"{name}[{position}]: expected a mapping, got {type(record).__name__}"
    return document


def load_vocabularies() -> dict[str, set[str]]:
    """Vocabulary code -> its term codes, read the way tests/factories/vocabularies.py reads them."""
    vocabularies = {}
    for path in sorted(VOCABULARIES.glob("*.yaml")):
        document = yaml.safe_load(path.read_text())
        vocabularies[document["code"]] = {term["code"] for term in document["terms"]}
    return vocabularies


SOURCES = load("sources.yaml")
ORGANISATIONS = load("organisations.yaml")
NETWORKS = load("networks.yaml")
INITIATIVES = load("initiatives.yaml")
EVIDENCE = load("evidence.yaml")
PRACTICES = load("practices.yaml")
FIGURES = load("figures.yaml")
FILES = {
    "sources.yaml": SOURCES,
    "organisations.yaml": ORGANISATIONS,
    "networks.yaml": NETWORKS,
    "initiatives.yaml": INITIATIVES,
    "evidence.yaml": EVIDENCE,
    "practices.yaml": PRACTICES,
    "figures.yaml": FIGURES,
}
VOCABULARY = load_vocabularies()
ORGANISATION_KEYS = {o["key"] for o in ORGANISATIONS}
INITIATIVE_KEYS = {i["key"] for i in INITIATIVES}
EVIDENCE_KEYS = {e["key"] for e in EVIDENCE}

REQUIRED = {
    "sources.yaml": ["key"],
    "organisations.yaml": ["key", "name", "stakeholder_type", "provenance"],
    "networks.yaml": ["key", "member", "network", "role", "provenance"],
    "initiatives.yaml": [
        "key", "title", "summary", "lead", "participants", "status", "intervention_types", "harms",
        "mnr_capabilities", "countries", "links", "visibility", "provenance",
    ],
    "evidence.yaml": [
        "key", "initiative", "assessing_organisation", "title", "independence", "study_design", "limitations",
        "findings", "provenance",
    ],
    "practices.yaml": [
        "key", "title", "statement", "rationale", "proposed_by", "evidence_basis", "evidence", "endorsed_by", "harms",
        "intervention_types", "provenance",
    ],
    "figures.yaml": ["key", "statement", "unit", "period", "initiatives", "provenance"],
}


def where(file: str, record: dict) -> str:
    return f"{file}: record {record.get('key')!r}"


def normalise(text: str) -> str:
    return " ".join(text.split()).casefold()


@pytest.mark.parametrize("file", sorted(FILES))
def test_records_have_required_fields(file):
    problems = [
        f"{where(file, r)} lacks {field!r}" for r in FILES[file] for field in REQUIRED[file] if field not in r
    ]
    assert not problems, "\n".join(problems)


def test_list_fields_are_lists():
    problems = []
    for file, fields in [
        ("organisations.yaml", ["aliases", "misspellings"]),
        ("initiatives.yaml", ["participants", "intervention_types", "harms", "mnr_capabilities", "countries",
                              "regions", "target_groups", "languages", "links"]),
        ("evidence.yaml", ["findings"]),
        ("practices.yaml", ["evidence", "endorsed_by", "harms", "intervention_types"]),
        ("figures.yaml", ["initiatives", "harms", "regions", "countries"]),
    ]:
        for r in FILES[file]:
            for field in fields:
                if field in r and not isinstance(r[field], list):
                    problems.append(f"{where(file, r)}: {field} must be a list")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("file", sorted(FILES))
def test_keys_are_unique_slugs(file):
    keys = [r.get("key") for r in FILES[file]]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    assert not duplicates, f"{file}: duplicate keys {duplicates}"
    if file == "sources.yaml":  # a source document is keyed by its file name, as provenance cites it
        bad = [k for k in keys if not isinstance(k, str) or not DOCUMENT_NAME.match(k)]
        assert not bad, f"{file}: keys must be seed document file names: {bad}"
        return
    bad = [k for k in keys if not isinstance(k, str) or not KEY.match(k) or len(k) > 80]
    assert not bad, f"{file}: keys must be lowercase-hyphenated slugs of at most 80 characters: {bad}"


def test_organisation_names_and_aliases_are_unambiguous():
    seen: dict[str, str] = {}
    problems = []
    for o in ORGANISATIONS:
        for label in {o["name"], *(o.get("aliases") or []), *(o.get("misspellings") or []),
                      *([o["acronym"]] if o.get("acronym") else [])}:
            owner = seen.setdefault(normalise(label), o["key"])
            if owner != o["key"]:
                problems.append(f"{label!r} names both {owner!r} and {o['key']!r}")
    assert not problems, "\n".join(problems)


def test_references_resolve():
    problems = []

    def check(file, record, field, value, keys):
        if value not in keys:
            problems.append(f"{where(file, record)}: {field} {value!r} is not a known key")

    for m in NETWORKS:
        check("networks.yaml", m, "member", m["member"], ORGANISATION_KEYS)
        check("networks.yaml", m, "network", m["network"], ORGANISATION_KEYS - {m["member"]})
    memberships = [(m["member"], m["network"], m["role"]) for m in NETWORKS]
    if len(memberships) != len(set(memberships)):
        problems.append("networks.yaml: a membership is stated twice in the same role")
    for i in INITIATIVES:
        if i["lead"] is None:
            if not i.get("lead_note"):
                problems.append(f"{where('initiatives.yaml', i)}: lead is null without a lead_note saying why")
        else:
            check("initiatives.yaml", i, "lead", i["lead"], ORGANISATION_KEYS)
        if "part_of" in i:
            check("initiatives.yaml", i, "part_of", i["part_of"], INITIATIVE_KEYS - {i["key"]})
        pairs = [(p["organisation"], p["role"]) for p in i["participants"]]
        if len(pairs) != len(set(pairs)):
            problems.append(f"{where('initiatives.yaml', i)}: duplicate participations")
        for p in i["participants"]:
            check("initiatives.yaml", i, "participants.organisation", p["organisation"], ORGANISATION_KEYS)
    for e in EVIDENCE:
        check("evidence.yaml", e, "initiative", e["initiative"], INITIATIVE_KEYS)
        check("evidence.yaml", e, "assessing_organisation", e["assessing_organisation"], ORGANISATION_KEYS)
    for p in PRACTICES:
        check("practices.yaml", p, "proposed_by", p["proposed_by"], ORGANISATION_KEYS)
        for key in p["endorsed_by"]:
            check("practices.yaml", p, "endorsed_by", key, ORGANISATION_KEYS)
        for key in p["evidence"]:
            check("practices.yaml", p, "evidence", key, EVIDENCE_KEYS)
        if len(p["endorsed_by"]) != len(set(p["endorsed_by"])):
            problems.append(f"{where('practices.yaml', p)}: duplicate endorsers")
    for f in FIGURES:
        if f.get("source_organisation") is not None:
            check("figures.yaml", f, "source_organisation", f["source_organisation"], ORGANISATION_KEYS)
        for key in f["initiatives"]:
            check("figures.yaml", f, "initiatives", key, INITIATIVE_KEYS)
    assert not problems, "\n".join(problems)


def test_vocabulary_codes_exist():
    problems = []

    def check(file, record, field, value, vocabulary):
        if value not in VOCABULARY[vocabulary]:
            problems.append(f"{where(file, record)}: {field} {value!r} is not a code of {vocabulary}")

    for o in ORGANISATIONS:
        check("organisations.yaml", o, "stakeholder_type", o["stakeholder_type"], "stakeholder-type")
    for m in NETWORKS:
        check("networks.yaml", m, "role", m["role"], "network-role")
    for i in INITIATIVES:
        check("initiatives.yaml", i, "status", i["status"], "initiative-status")
        for p in i["participants"]:
            check("initiatives.yaml", i, "participants.role", p["role"], "participation-role")
        for field, vocabulary in [
            ("intervention_types", "intervention-type"), ("harms", "harm"), ("mnr_capabilities", "mnr-capability"),
            ("target_groups", "target-group"), ("regions", "region"),
        ]:
            for code in i.get(field) or []:
                check("initiatives.yaml", i, field, code, vocabulary)
        if i["visibility"] != "PUBLIC":
            problems.append(f"{where('initiatives.yaml', i)}: visibility must be PUBLIC for the open registry")
    for e in EVIDENCE:
        check("evidence.yaml", e, "independence", e["independence"], "independence")
        check("evidence.yaml", e, "study_design", e["study_design"], "study-design")
        if not e["findings"]:
            problems.append(f"{where('evidence.yaml', e)}: no findings")
        for f in e["findings"]:
            check("evidence.yaml", e, "findings.outcome", f["outcome"], "outcome")
            check("evidence.yaml", e, "findings.effect_direction", f["effect_direction"], "effect-direction")
            for field, vocabulary in (("significance", "significance"), ("comparison", "comparison"),
                                      ("risk_of_bias", "risk-of-bias"), ("proposed_rating", "evidence-rating"),
                                      ("proposed_certainty", "certainty")):
                if field in f:
                    check("evidence.yaml", e, f"findings.{field}", f[field], vocabulary)
            if not f.get("note"):
                problems.append(f"{where('evidence.yaml', e)}: a finding without a note stating the figure")
    for p in PRACTICES:
        check("practices.yaml", p, "evidence_basis", p["evidence_basis"], "evidence-basis")
        if p["evidence_basis"] == "ASSESSMENTS" and not p["evidence"]:
            problems.append(f"{where('practices.yaml', p)}: evidence_basis ASSESSMENTS but no evidence cited")
        for code in p["harms"]:
            check("practices.yaml", p, "harms", code, "harm")
        for code in p["intervention_types"]:
            check("practices.yaml", p, "intervention_types", code, "intervention-type")
    for f in FIGURES:
        for code in f.get("harms") or []:
            check("figures.yaml", f, "harms", code, "harm")
        for code in f.get("regions") or []:
            check("figures.yaml", f, "regions", code, "region")
    assert not problems, "\n".join(problems)


def test_the_files_type_no_rating():
    """Ratings are computed by the rule set; the documents rate nothing, so the files claim no rating either."""
    claimed = [
        f"{where('evidence.yaml', e)}: {f.get('proposed_rating')}/{f.get('proposed_certainty')}"
        for e in EVIDENCE
        for f in e["findings"]
        if {"rating", "certainty", "proposed_rating", "proposed_certainty"} & set(f)
    ]
    assert not claimed, "\n".join(claimed)


def test_countries_and_languages_are_iso_codes():
    problems = []
    for o in ORGANISATIONS:
        if o.get("country") is not None and pycountry.countries.get(alpha_2=str(o["country"])) is None:
            problems.append(f"{where('organisations.yaml', o)}: country {o['country']!r} is not ISO 3166-1 alpha-2")
    for file, records in (("initiatives.yaml", INITIATIVES), ("figures.yaml", FIGURES)):
        for r in records:
            for code in r.get("countries") or []:
                if pycountry.countries.get(alpha_2=str(code)) is None:
                    problems.append(f"{where(file, r)}: country {code!r} is not ISO 3166-1 alpha-2")
    for i in INITIATIVES:
        for code in i.get("languages") or []:
            if pycountry.languages.get(alpha_2=str(code)) is None:
                problems.append(f"{where('initiatives.yaml', i)}: language {code!r} is not ISO 639-1")
    assert not problems, "\n".join(problems)


def _urls():
    for o in ORGANISATIONS:
        if o.get("website"):
            yield where("organisations.yaml", o), "website", o["website"]
    for i in INITIATIVES:
        for link in i["links"]:
            assert set(link) == {"label", "url"}, f"{where('initiatives.yaml', i)}: links need label and url"
            yield where("initiatives.yaml", i), "links.url", link["url"]
    for e in EVIDENCE:
        if e.get("reference_url"):
            yield where("evidence.yaml", e), "reference_url", e["reference_url"]


def test_urls_are_http_with_a_host():
    problems = []
    for place, field, url in _urls():
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.hostname or "." not in parts.hostname or " " in url:
            problems.append(f"{place}: {field} {url!r} is not an http(s) URL with a host")
    assert not problems, "\n".join(problems)


def test_figures_are_context_not_evidence():
    """A figure sizes or describes the problem: it carries no rating, certainty or effect direction, and every
    one has a unit and a period (`2022`, `2023-01`, `2021/2022`)."""
    evidence_fields = {"rating", "certainty", "effect_direction", "outcome", "study_design", "findings"}
    period = re.compile(r"^\d{4}(?:-\d{2}(?:-\d{2})?)?(?:/\d{4}(?:-\d{2}(?:-\d{2})?)?)?$")
    problems = []
    for f in FIGURES:
        if evidence_fields & set(f):
            problems.append(f"{where('figures.yaml', f)}: {sorted(evidence_fields & set(f))} belong to evidence")
        if not str(f.get("unit") or "").strip():
            problems.append(f"{where('figures.yaml', f)}: no unit")
        if not period.match(str(f.get("period"))):
            problems.append(f"{where('figures.yaml', f)}: period {f.get('period')!r} is not YYYY[-MM[-DD]][/YYYY[-MM[-DD]]]")
        if f.get("visibility", "PUBLIC") != "PUBLIC":
            problems.append(f"{where('figures.yaml', f)}: visibility must be PUBLIC for the open registry")
    assert not problems, "\n".join(problems)


def test_evidence_holds_no_figure_that_only_sizes_the_problem():
    """The problem-sizing figures moved to figures.yaml; what stays in evidence.yaml was reviewed as a claim
    about an initiative's effect, and says so."""
    text = (REGISTRY / "evidence.yaml").read_text(encoding="utf-8")
    for e in EVIDENCE:
        before = text[: text.index(f"- key: {e['key']}\n")].rstrip().splitlines()
        reviewed = [line for line in before[-4:] if line.startswith("# reviewed: kept as evidence")]
        assert reviewed, f"{where('evidence.yaml', e)}: no '# reviewed: kept as evidence' comment above it"
    figure_keys = {f["key"] for f in FIGURES}
    assert not figure_keys & EVIDENCE_KEYS


def test_dates_are_years_or_iso_dates():
    problems = []
    for file, field in [("initiatives.yaml", "started"), ("evidence.yaml", "published_on"), ("evidence.yaml", "source_year")]:
        for r in FILES[file]:
            if r.get(field) is not None and not DATE.match(str(r[field])):
                problems.append(f"{where(file, r)}: {field} {r[field]!r} is not YYYY, YYYY-MM or YYYY-MM-DD")
    assert not problems, "\n".join(problems)


def test_every_record_has_provenance_in_a_seed_document():
    problems = []
    for file, records in FILES.items():
        if file == "sources.yaml":
            continue
        for r in records:
            provenance = r.get("provenance") or []
            if not provenance:
                problems.append(f"{where(file, r)}: no provenance")
            for source in provenance:
                document = source.get("document", "")
                if not DOCUMENT_NAME.match(document) or document not in SEED_DOCUMENTS:
                    problems.append(f"{where(file, r)}: provenance names {document!r}, not one of the seed documents")
                if not str(source.get("passage") or "").strip():
                    problems.append(f"{where(file, r)}: provenance from {document!r} without a passage")
    assert not problems, "\n".join(problems)


@pytest.mark.skipif(not os.environ.get("COPLAB_SEED_DOCS"), reason="COPLAB_SEED_DOCS not set")
def test_passages_are_quoted_verbatim():
    folder = Path(os.environ["COPLAB_SEED_DOCS"])
    texts = {name: normalise((folder / name).read_text(encoding="utf-8")) for name in SEED_DOCUMENTS}
    problems = [
        f"{where(file, r)}: passage not found in {s['document']}: {s['passage']!r}"
        for file, records in FILES.items()
        if file != "sources.yaml"
        for r in records
        for s in r["provenance"]
        if normalise(s["passage"]) not in texts[s["document"]]
    ]
    assert not problems, "\n".join(problems)


def test_every_named_organisation_is_present():
    labels = set()
    for o in ORGANISATIONS:
        labels |= {
            normalise(x)
            for x in [o["name"], *(o.get("aliases") or []), *(o.get("misspellings") or []), o.get("acronym") or ""]
            if x
        }
    missing = [name for name in EXPECTED_ORGANISATIONS if normalise(name) not in labels]
    assert not missing, f"organisations named in the seed documents but missing from organisations.yaml: {missing}"


def test_every_signatory_of_the_open_letter_is_present():
    signatories = [
        o["key"] for o in ORGANISATIONS
        if any(s["document"] == "001_85538bccebee7c49.txt" for s in o["provenance"])
        and o["key"] not in {"european-parliament", "french-police-office-mineurs", "meta"}
    ]
    assert len(signatories) == SIGNATORY_COUNT, f"expected {SIGNATORY_COUNT} signatories, found {len(signatories)}"


def test_every_described_initiative_is_present():
    titles = {normalise(i["title"]) for i in INITIATIVES}
    missing = [t for t in EXPECTED_INITIATIVES if normalise(t) not in titles]
    assert not missing, f"initiatives described in the seed documents but missing from initiatives.yaml: {missing}"


def test_child_safety_online_now_has_its_fourteen_organisations():
    campaign = next(i for i in INITIATIVES if i["key"] == "child-safety-online-now")
    organisations = {p["organisation"] for p in campaign["participants"]}
    assert len(organisations) == 14, f"the campaign names 14 organisations, the record has {len(organisations)}"


def test_no_organisation_is_an_observer_of_the_lab():
    """No document states an observer relation with the Lab: the 13 the Elysée press release shows
    creating it are MEMBER, every other organisation is NAMED (the loader's default)."""
    statuses = [o.get("status", "NAMED") for o in ORGANISATIONS]
    assert "OBSERVER" not in statuses
    assert (statuses.count("MEMBER"), statuses.count("NAMED")) == (13, 94)


def test_the_network_memberships_the_documents_state():
    assert sorted((m["member"], m["network"], m["role"]) for m in NETWORKS) == [
        ("afa", "inhope", "FOUNDING-MEMBER"),
        ("esafety-commissioner", "inhope", "MEMBER"),
        ("inhope", "weprotect-global-alliance", "BOARD-MEMBER"),
        ("iwf", "inhope", "MEMBER"),
        ("kcsc", "inhope", "MEMBER"),
        ("ncmec", "inhope", "MEMBER"),
        ("point-de-contact", "inhope", "MEMBER"),
    ]


def test_every_seed_document_is_described_in_sources():
    """sources.yaml describes exactly the seed documents; what it leaves out, a note explains."""
    assert sorted(d["key"] for d in SOURCES) == sorted(SEED_DOCUMENTS)
    for d in SOURCES:
        missing = [f for f in ("title", "publisher", "date", "url") if not d.get(f)]
        assert not missing or d.get("note"), f"{where('sources.yaml', d)}: gives no {missing} and no note why"
        if d.get("date"):
            assert re.match(r"^\d{4}(?:-\d{2}(?:-\d{2})?)?$", str(d["date"])), where("sources.yaml", d)
    by_key = {d["key"]: d for d in SOURCES}
    # The documents that give a date are dated as they give it.
    assert [by_key[k].get("date") for k in sorted(SEED_DOCUMENTS)] == ["2022-11-10", "2023-11-09", None,
                                                                         "2020-12-21", None]


@pytest.mark.skipif(not os.environ.get("COPLAB_SEED_DOCS"), reason="COPLAB_SEED_DOCS not set")
def test_sources_take_title_and_address_from_the_document_itself():
    """A title and a URL in sources.yaml are the document's own words: they occur in it."""
    folder = Path(os.environ["COPLAB_SEED_DOCS"])
    problems = []
    for d in SOURCES:
        text = normalise((folder / d["key"]).read_text(encoding="utf-8"))
        for field in ("title", "url"):
            if d.get(field) and normalise(d[field]) not in text:
                problems.append(f"{where('sources.yaml', d)}: {field} {d[field]!r} is not in the document")
        if d.get("publisher") and normalise(d["publisher"]) not in text:
            problems.append(f"{where('sources.yaml', d)}: the document does not name {d['publisher']!r}")
    assert not problems, "\n".join(problems)
