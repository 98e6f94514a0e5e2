"""`coplab seed`, run as a user would (a subprocess), on every backend the fixtures give.

The registry files are loaded whole or not at all, a second run changes nothing, an edited file
changes only what it changed, and every problem names its file, record and field.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from api.core.settings import PROJECT_ROOT

REGISTRY = PROJECT_ROOT / "seed" / "registry"
SEEDED_TABLES = (
    "organisation", "network_membership", "initiative", "initiative_classification", "participation", "study",
    "evidence_assessment", "finding", "best_practice", "practice_classification", "practice_evidence", "endorsement",
    "figure", "figure_classification", "figure_initiative", "outcome_rating", "outcome_rating_change", "seed_record",
)


def coplab(database_url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "COPLAB_DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )


def seeded(database_url: str, *args: str) -> str:
    result = coplab(database_url, "seed", *args)
    assert result.returncode == 0, result.stderr
    return " ".join(result.stderr.split())


def snapshot(engine: sa.Engine) -> dict[str, list[dict]]:
    """Every row of the tables the seed writes, in primary-key order."""
    tables = sa.MetaData()
    tables.reflect(engine, only=SEEDED_TABLES)
    with engine.connect() as connection:
        return {
            name: [dict(row._mapping) for row in connection.execute(
                sa.select(table).order_by(*table.primary_key.columns)
            )]
            for name, table in tables.tables.items()
        }


def count(engine: sa.Engine, table: str) -> int:
    with engine.connect() as connection:
        return connection.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()


def copy_registry(tmp_path: Path) -> Path:
    target = tmp_path / "registry"
    shutil.copytree(REGISTRY, target)
    return target


def edit(directory: Path, file: str, key: str, **changes: object) -> None:
    """Change fields of one record of a registry file."""
    path = directory / file
    records = yaml.safe_load(path.read_text(encoding="utf-8"))
    record = next(r for r in records if r["key"] == key)
    for name, value in changes.items():
        record[name] = value
    path.write_text(yaml.safe_dump(records, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_seed_loads_the_registry_and_a_second_run_changes_nothing(database_url, engine) -> None:
    first = seeded(database_url)
    assert "107" in first and "created" in first
    counts = {table: count(engine, table) for table in ("organisation", "network_membership", "initiative", "study",
                                                         "evidence_assessment", "finding", "best_practice", "figure",
                                                         "seed_record")}
    assert counts == {"organisation": 107, "network_membership": 7, "initiative": 19, "study": 2,
                      "evidence_assessment": 2, "finding": 2, "best_practice": 8, "figure": 16,
                      "seed_record": 107 + 7 + 19 + 2 + 2 + 8 + 16}
    before = snapshot(engine)

    second = seeded(database_url)
    assert "nothing changed" in second
    assert snapshot(engine) == before


def test_an_edited_file_changes_only_what_it_changed(database_url, engine, tmp_path) -> None:
    seeded(database_url)
    # A member has since edited the summary of Project Arachnid; the file never changed that field.
    with engine.begin() as connection:
        connection.execute(sa.text(
            "UPDATE initiative SET summary = 'Edited by its lead' WHERE id = "
            "(SELECT record_id FROM seed_record WHERE kind = 'initiative' AND key = 'project-arachnid')"
        ))
    before = snapshot(engine)
    files = copy_registry(tmp_path)
    records = yaml.safe_load((files / "initiatives.yaml").read_text(encoding="utf-8"))
    arachnid = next(r for r in records if r["key"] == "project-arachnid")
    edit(files, "initiatives.yaml", "project-arachnid",
         title="Project Arachnid (web crawler)", harms=arachnid["harms"][1:] + ["CSAM-AI"])

    report = seeded(database_url, "--directory", str(files))
    assert "initiative project-arachnid: title, harms" in report

    after = snapshot(engine)
    with engine.connect() as connection:
        row = connection.execute(sa.text(
            "SELECT i.id, i.title, i.summary FROM initiative i JOIN seed_record s ON s.record_id = i.id "
            "WHERE s.kind = 'initiative' AND s.key = 'project-arachnid'"
        )).one()
        harms = set(connection.execute(sa.text(
            "SELECT code FROM initiative_classification WHERE initiative_id = :id AND scheme = 'harm'"
        ), {"id": row.id}).scalars())
    assert row.title == "Project Arachnid (web crawler)"
    assert row.summary == "Edited by its lead"  # the member's edit stays
    assert harms == set(arachnid["harms"][1:]) | {"CSAM-AI"}
    # Nothing else moved: every other table is as it was, and so is every other initiative.
    for table in ("organisation", "evidence_assessment", "finding", "best_practice", "endorsement"):
        assert after[table] == before[table], table
    others = [r for r in before["initiative"] if r["id"] != row.id]
    assert [r for r in after["initiative"] if r["id"] != row.id] == others


def test_an_edited_figure_changes_only_what_it_changed(database_url, engine, tmp_path) -> None:
    seeded(database_url)
    before = snapshot(engine)
    files = copy_registry(tmp_path)
    edit(files, "figures.yaml", "grooming-reports-increase-2021-2022", value=80, period="2021-01/2022-12",
         harms=["SOLICITATION", "EXTORTION"], initiatives=["ncmec-cybertipline", "eu-csa-regulation"])

    report = seeded(database_url, "--directory", str(files))
    assert "figure grooming-reports-increase-2021-2022: value, period, initiatives, harms" in report

    after = snapshot(engine)
    with engine.connect() as connection:
        figure_id = connection.execute(sa.text(
            "SELECT record_id FROM seed_record WHERE kind = 'figure' AND key = 'grooming-reports-increase-2021-2022'"
        )).scalar_one()
        initiatives = set(connection.execute(sa.text(
            "SELECT s.key FROM figure_initiative f JOIN seed_record s ON s.record_id = f.initiative_id "
            "AND s.kind = 'initiative' WHERE f.figure_id = :id"
        ), {"id": figure_id}).scalars())
    row = next(r for r in after["figure"] if r["id"] == figure_id)
    assert (row["value"], str(row["period_start"]), str(row["period_end"]), row["period_precision"]) == (
        80.0, "2021-01-01", "2022-12-01", "MONTH")
    assert row["unit"] == "% change"  # not in the edit: unchanged
    assert initiatives == {"ncmec-cybertipline", "eu-csa-regulation"}
    assert [r for r in after["figure"] if r["id"] != figure_id] == [r for r in before["figure"] if r["id"] != figure_id]
    for table in ("organisation", "initiative", "evidence_assessment", "best_practice"):
        assert after[table] == before[table], table
    assert "nothing changed" in seeded(database_url, "--directory", str(files))


def test_a_record_that_left_the_files_stays_and_is_reported(database_url, engine, tmp_path) -> None:
    seeded(database_url)
    files = copy_registry(tmp_path)
    practices = yaml.safe_load((files / "practices.yaml").read_text(encoding="utf-8"))
    gone = practices.pop()
    (files / "practices.yaml").write_text(yaml.safe_dump(practices, allow_unicode=True, sort_keys=False), encoding="utf-8")

    report = seeded(database_url, "--directory", str(files))
    assert f"practice {gone['key']}: no longer in the seed files; left in the registry" in report
    assert count(engine, "best_practice") == 8


BROKEN = [
    ("initiatives.yaml", "project-arachnid", {"harms": ["CSAM-KNOWN", "NOT-A-HARM"]},
     "initiatives.yaml: record 'project-arachnid', field harms.1: 'NOT-A-HARM' is not a code of `harm`"),
    ("initiatives.yaml", "ncmec-cybertipline", {"lead": "no-such-organisation"},
     "initiatives.yaml: record 'ncmec-cybertipline', field lead: no organisation has the key 'no-such-organisation'"),
    ("organisations.yaml", "inhope", {"country": "XX"},
     "organisations.yaml: record 'inhope', field country: 'XX': 'XX' is not an ISO 3166-1 alpha-2 country code."),
    ("organisations.yaml", "iwf", {"website": "iwf.org.uk"},
     "organisations.yaml: record 'iwf', field website: 'iwf.org.uk': Must be an absolute http or https URL."),
    ("evidence.yaml", "inhope-cross-border-forwarding-speed", {"findings": [
        {"outcome": "REMOVAL-TIME", "effect_direction": "POSITIVE", "proposed_rating": "SUPERB"}]},
     "evidence.yaml: record 'inhope-cross-border-forwarding-speed', field findings.0.proposed_rating: 'SUPERB' is not a "
     "code of `evidence-rating`"),
    ("practices.yaml", "notice-and-take-down-at-source", {"evidence": ["inhope-cross-border-forwarding-speed",
                                                                        "no-such-evidence"]},
     "practices.yaml: record 'notice-and-take-down-at-source', field evidence.1: no evidence assessment has the key "
     "'no-such-evidence'"),
    ("initiatives.yaml", "project-arachnid", {"started": "2017-02-30"},
     "initiatives.yaml: record 'project-arachnid', field started: '2017-02-30' is not a real date"),
    ("initiatives.yaml", "internet-sans-crainte", {"visibility": "MEMBERS"},
     "initiatives.yaml: record 'internet-sans-crainte', field visibility: an initiative with no lead must be PUBLIC"),
    ("initiatives.yaml", "project-arachnid", {"languages": ["en"], "launched": "2017"},
     "initiatives.yaml: record 'project-arachnid', field launched: Extra inputs are not permitted"),
    ("figures.yaml", "grooming-reports-increase-2021-2022", {"period": "2022/2021"},
     "figures.yaml: record 'grooming-reports-increase-2021-2022', field period: '2022/2021' is not a period"),
    ("figures.yaml", "meta-accounts-disabled-january-2023", {"period": "2023-01/2023"},
     "figures.yaml: record 'meta-accounts-disabled-january-2023', field period: '2023-01/2023' is not a period"),
    ("figures.yaml", "csam-reported-online-2021", {"unit": " "},
     "figures.yaml: record 'csam-reported-online-2021', field unit: String should have at least 1 character"),
    ("figures.yaml", "csam-reported-online-2021", {"harms": ["CSAM-KNOWN", "CSAM"], "countries": ["EU"]},
     "figures.yaml: record 'csam-reported-online-2021', field harms.1: 'CSAM' is not a code of `harm`"),
    ("figures.yaml", "csam-reported-online-2021", {"initiatives": ["no-such-initiative"]},
     "figures.yaml: record 'csam-reported-online-2021', field initiatives.0: no initiative has the key "
     "'no-such-initiative'"),
    ("figures.yaml", "csam-reported-online-2021", {"rating": "EMERGING"},
     "figures.yaml: record 'csam-reported-online-2021', field rating: Extra inputs are not permitted"),
    ("figures.yaml", "csam-reported-online-2021", {"visibility": "MEMBERS"},
     "figures.yaml: record 'csam-reported-online-2021', field visibility: a figure of the registry is recorded by no "
     "organisation, so it must be PUBLIC"),
    ("networks.yaml", "afa-in-inhope", {"role": "FOUNDER"},
     "networks.yaml: record 'afa-in-inhope', field role: 'FOUNDER' is not a code of `network-role`"),
    ("networks.yaml", "iwf-in-inhope", {"network": "iwf"},
     "networks.yaml: record 'iwf-in-inhope', field network: an organisation cannot be a member of itself"),
    ("networks.yaml", "ncmec-in-inhope", {"member": "no-such-hotline"},
     "networks.yaml: record 'ncmec-in-inhope', field member: no organisation has the key 'no-such-hotline'"),
    ("networks.yaml", "kcsc-in-inhope", {"member": "iwf"},  # the later record of the two is named
     "networks.yaml: record 'iwf-in-inhope', field role: record 'kcsc-in-inhope' states the same membership in the "
     "same role"),
    ("organisations.yaml", "thorn", {"status": "OBSERVER"},
     "organisations.yaml: record 'thorn', field status: Input should be <OrganisationStatus.MEMBER: 'MEMBER'> or "
     "<OrganisationStatus.NAMED: 'NAMED'>"),
    # Every document a provenance entry cites is described in sources.yaml, and a description that leaves a
    # field out says why.
    ("organisations.yaml", "thorn", {"provenance": [{"document": "009_unknown.txt", "passage": "Thorn"}]},
     "organisations.yaml: record 'thorn', field provenance.0.document: '009_unknown.txt' is not a document of "
     "sources.yaml"),
    ("sources.yaml", "003_584094a32017ff9b.txt", {"note": None},
     "sources.yaml: record '003_584094a32017ff9b.txt', field note: say why the document gives no url"),
    ("sources.yaml", "000_34f25971e2aada83.txt", {"date": "2022-11-31"},
     "sources.yaml: record '000_34f25971e2aada83.txt', field date: '2022-11-31' is not a real date"),
    ("sources.yaml", "001_85538bccebee7c49.txt", {"url": "childsafetyineurope.com/letter.pdf"},
     "sources.yaml: record '001_85538bccebee7c49.txt', field url: 'childsafetyineurope.com/letter.pdf': Must be an "
     "absolute http or https URL."),
]


@pytest.mark.parametrize(("file", "key", "changes", "message"), BROKEN, ids=[b[3].split(",")[0] + b[3].split(",")[1]
                                                                              for b in BROKEN])
def test_a_problem_names_file_record_and_field_and_nothing_is_loaded(database_url, engine, tmp_path, file, key,
                                                                       changes, message) -> None:
    files = copy_registry(tmp_path)
    edit(files, file, key, **changes)
    result = coplab(database_url, "seed", "--directory", str(files))
    assert result.returncode == 1
    assert message in " ".join(result.stderr.split())
    assert "nothing was loaded" in result.stderr
    assert count(engine, "organisation") == 0  # not even the valid records


def test_a_broken_edit_leaves_a_seeded_registry_as_it_was(database_url, engine, tmp_path) -> None:
    seeded(database_url)
    before = snapshot(engine)
    files = copy_registry(tmp_path)
    edit(files, "initiatives.yaml", "project-arachnid", title="A new title")  # valid on its own
    edit(files, "initiatives.yaml", "inhope-notice-and-take-down", lead=None)  # no lead and no lead_note
    result = coplab(database_url, "seed", "--directory", str(files))
    assert result.returncode == 1
    assert "record 'inhope-notice-and-take-down', field lead_note" in " ".join(result.stderr.split())
    assert snapshot(engine) == before


def test_all_problems_are_reported_at_once(database_url, engine, tmp_path) -> None:
    files = copy_registry(tmp_path)
    edit(files, "organisations.yaml", "inhope", stakeholder_type="NOPE")
    edit(files, "practices.yaml", "notice-and-take-down-at-source", harms=["NOPE"])
    result = coplab(database_url, "seed", "--directory", str(files))
    assert result.returncode == 1
    assert "2 problems; nothing was loaded" in result.stderr
    assert count(engine, "organisation") == 0


def test_dry_run_reports_and_writes_nothing(database_url, engine) -> None:
    report = seeded(database_url, "--dry-run")
    assert "would change" in report and "dry run: nothing was written" in report
    assert count(engine, "organisation") == 0


def test_an_organisation_made_before_the_seed_is_linked_and_keeps_its_own_values(database_url, engine) -> None:
    made = coplab(database_url, "org", "create", "inhope", "--name", "INHOPE (our own name)", "--type", "INGO")
    assert made.returncode == 0, made.stderr
    report = seeded(database_url)
    assert "organisation inhope: already in the registry; linked, only its empty fields filled" in report
    with engine.connect() as connection:
        row = connection.execute(sa.text("SELECT name, website, provenance FROM organisation WHERE slug = 'inhope'")).one()
    assert row.name == "INHOPE (our own name)"
    assert row.website == "https://www.inhope.org"
    assert row.provenance  # filled from the file
    assert count(engine, "organisation") == 107
    assert "nothing changed" in seeded(database_url)


def test_a_network_membership_recorded_before_the_seed_is_linked_and_keeps_its_own_values(
    database_url, engine, tmp_path
) -> None:
    files = copy_registry(tmp_path)
    (files / "networks.yaml").write_text("[]\n", encoding="utf-8")
    seeded(database_url, "--directory", str(files))
    # The secretariat records the KCSC in INHOPE through the API, without a source.
    with engine.begin() as connection:
        connection.execute(sa.text(
            "INSERT INTO network_membership (member_organisation_id, network_organisation_id, role, provenance, "
            "created_at, updated_at, created_by, updated_by) SELECT m.id, n.id, 'MEMBER', '[]', CURRENT_TIMESTAMP, "
            "CURRENT_TIMESTAMP, 'user:1', 'user:1' FROM organisation m, organisation n "
            "WHERE m.slug = 'kcsc' AND n.slug = 'inhope'"
        ))
    report = seeded(database_url)
    assert "network membership kcsc-in-inhope: already in the registry; linked, only its empty fields filled" in report
    with engine.connect() as connection:
        rows = connection.execute(sa.text(
            "SELECT m.slug, r.created_by, r.provenance FROM network_membership r "
            "JOIN organisation m ON m.id = r.member_organisation_id ORDER BY r.id"
        )).all()
    assert len(rows) == 7
    kcsc = rows[0]
    assert (kcsc.slug, kcsc.created_by) == ("kcsc", "user:1")
    assert "the KCSC, the eSafety Commission" in str(kcsc.provenance)  # filled from the file
    assert "nothing changed" in seeded(database_url)


def test_synthetic_data_and_the_registry_are_not_mixed_unless_asked(database_url, engine) -> None:
    made = seeded(database_url, "--synthetic", "40", "--seed", "2")
    assert "seed:synthetic" in made
    synthetic_rows = count(engine, "initiative")
    assert synthetic_rows == 40

    refused = coplab(database_url, "seed")
    assert refused.returncode == 1 and "--alongside-registry" in " ".join(refused.stderr.split())
    assert count(engine, "initiative") == synthetic_rows and count(engine, "seed_record") == 0

    seeded(database_url, "--alongside-registry")
    assert count(engine, "initiative") == synthetic_rows + 19


def test_synthetic_data_is_refused_beside_the_registry_unless_asked(database_url, engine) -> None:
    seeded(database_url)
    refused = coplab(database_url, "seed", "--synthetic", "40")
    assert refused.returncode == 1 and "--alongside-registry" in " ".join(refused.stderr.split())
    assert count(engine, "initiative") == 19


def test_serve_loads_the_registry_only_into_a_database_without_organisations(database_url, engine) -> None:
    first_start = [sys.executable, "-c", "from api.seeding.commands import seed_if_empty; seed_if_empty()"]
    env = {**os.environ, "COPLAB_DATABASE_URL": database_url}
    made = coplab(database_url, "org", "create", "our-own", "--name", "Our own", "--type", "NGO")
    assert made.returncode == 0, made.stderr
    result = subprocess.run(first_start, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert count(engine, "organisation") == 1 and count(engine, "seed_record") == 0
