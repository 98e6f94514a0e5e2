"""`coplab export`: the public export holds exactly what anonymous callers read; `--all` holds every row."""

import csv
import hashlib
import stat
from pathlib import Path

from alembic.script import ScriptDirectory
from typer.testing import CliRunner

from api.cli import app
from api.migrations import alembic_config
from tests.exports.registry import build, coplab, manifest, records
from tests.factories import connection_pages, node_ids

PUBLIC_ENTITIES = [
    "organisations",
    "network_memberships",
    "initiatives",
    "participations",
    "studies",
    "evidence_assessments",
    "findings",
    "best_practices",
    "endorsements",
    "figures",
    "outcome_ratings",
    "outcome_rating_changes",
]


def _ids(directory: Path, entity: str) -> list[int]:
    return [record["id"] for record in records(directory, entity)]


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def _export(database_url: str, directory: Path, *options: str) -> None:
    result = coplab(database_url, "export", "--out", str(directory), *options)
    assert result.exit_code == 0, result.output
    scope = "all" if "--all" in options else "public"
    assert f"exported ({scope}) to {directory}" in result.output


def test_the_public_export_holds_exactly_what_anonymous_callers_read(database_url, make, db, client, tmp_path) -> None:  # noqa: ANN001
    registry = build(make, db)
    out = tmp_path / "public"
    _export(database_url, out)

    assert set(_ids(out, "organisations")) == registry.public_organisations
    assert registry.pending_organisation not in _ids(out, "organisations")
    assert set(_ids(out, "initiatives")) == registry.public_initiatives
    assert not registry.hidden_initiatives & set(_ids(out, "initiatives"))
    # The same as the GraphQL API answers anonymous callers.
    assert sorted(_ids(out, "initiatives")) == sorted(node_ids(connection_pages(client, "initiatives")))
    assert sorted(_ids(out, "organisations")) == sorted(node_ids(connection_pages(client, "organisations")))

    [membership] = records(out, "network_memberships")  # not the PENDING organisation's
    assert membership == {
        "id": registry.public_network_membership, "member_organisation_id": registry.ngo,
        "network_organisation_id": registry.hotline, "role": "FOUNDING-MEMBER",
        "provenance": [{"source": "Network charter", "passage": "Founded by the NGO.", "note": "§ 1"}],
        "created_at": membership["created_at"], "updated_at": membership["updated_at"],
    }
    assert [(p["initiative_id"], p["organisation_id"]) for p in records(out, "participations")] == [
        (registry.whole, registry.ngo)  # not the PENDING organisation's participation
    ]
    assert _ids(out, "evidence_assessments") == [registry.public_assessment]
    findings = records(out, "findings")
    assert len(findings) == registry.public_finding_count
    assert {f["assessment_id"] for f in findings} == {registry.public_assessment}
    assert _ids(out, "best_practices") == [registry.public_practice]
    [practice] = records(out, "best_practices")
    assert practice["evidence"] == [registry.public_assessment]  # the members-only assessment is not named
    endorsements = records(out, "endorsements")
    assert [(e["practice_id"], e["organisation_id"]) for e in endorsements] == [(registry.public_practice, registry.ngo)]
    assert set(_ids(out, "figures")) == registry.public_figures
    assert sorted(_ids(out, "figures")) == sorted(node_ids(connection_pages(client, "figures")))
    shared = next(f for f in records(out, "figures") if f["id"] == registry.shared_figure)
    assert shared["initiatives"] == [registry.whole]  # the members-only initiative is not named
    assert not (out / "seed_records.jsonl").exists() and not (out / "seed_records.csv").exists()


def test_public_records_leave_out_principals_and_deletion(database_url, make, db, tmp_path) -> None:  # noqa: ANN001
    build(make, db)
    out = tmp_path / "public"
    _export(database_url, out)
    for entity in PUBLIC_ENTITIES:
        for record in records(out, entity):
            assert not {"created_by", "updated_by", "endorsed_by", "deleted_at"} & set(record), entity
        with (out / f"{entity}.csv").open(encoding="utf-8", newline="") as file:
            header = next(csv.reader(file))
        assert "created_by" not in header and "deleted_at" not in header


def test_the_manifest_counts_and_checksums_match_the_files(database_url, make, db, tmp_path) -> None:  # noqa: ANN001
    build(make, db)
    out = tmp_path / "public"
    _export(database_url, out)
    listed = manifest(out)
    head = ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()
    assert (listed["format"], listed["scope"], listed["schema_version"]) == ("coplab-export/1", "public", head)
    assert listed["generated_at"].endswith("Z")
    assert list(listed["entities"]) == PUBLIC_ENTITIES
    for entity, described in listed["entities"].items():
        assert described["rows"] == len(records(out, entity)) == len(_csv_rows(out / f"{entity}.csv"))
        for name, file in described["files"].items():
            data = (out / name).read_bytes()
            assert file == {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
    assert sum(d["rows"] for d in listed["entities"].values()) > 10


def test_records_embed_classifications_and_write_values_in_both_formats(database_url, make, db, tmp_path) -> None:  # noqa: ANN001
    registry = build(make, db)
    out = tmp_path / "public"
    _export(database_url, out)
    initiatives = {r["id"]: r for r in records(out, "initiatives")}
    whole = initiatives[registry.whole]
    assert list(whole)[:2] == ["id", "title"]
    assert list(whole)[-7:] == [
        "intervention_types", "harms", "mnr_capabilities", "target_groups", "regions", "countries", "languages"
    ]
    assert whole["harms"] == ["CSAM-KNOWN", "CSAM-NEW"]
    assert whole["intervention_types"] == ["DET-CLS", "DET-HASH"]
    assert (whole["countries"], whole["languages"], whole["regions"]) == (["DE", "FR"], ["fr"], ["EU"])
    assert whole["planned_start"] == "2020-03-01"
    assert whole["links"] == [{"label": "Home", "url": "https://example.org/a"}]
    assert whole["created_at"].endswith("Z") and "T" in whole["created_at"]
    part = initiatives[registry.part]
    assert (part["part_of_id"], part["actual_start"], part["actual_start_precision"]) == (registry.whole, "2019-01-01", "YEAR")
    assert [r["lead_organisation_id"] for r in initiatives.values() if r["title"] == "Named by no lead"] == [None]
    assert initiatives[registry.orphan]["part_of_id"] is None  # its whole is not public
    assert "Protección en línea" in (out / "initiatives.jsonl").read_text(encoding="utf-8")  # not \u-escaped

    rows = {int(r["id"]): r for r in _csv_rows(out / "initiatives.csv")}
    assert rows[registry.whole]["harms"] == "CSAM-KNOWN; CSAM-NEW"
    assert rows[registry.whole]["links"] == '[{"label":"Home","url":"https://example.org/a"}]'
    assert rows[registry.part]["summary"] == ""
    [study] = [r for r in _csv_rows(out / "studies.csv") if r["title"] == "Evaluation"]
    assert (study["period"], study["sample_size"], study["published_on"]) == ("2021-2022", "120", "2023-02-01")
    assert (study["countries"], study["sample_key"], study["peer_reviewed"]) == ("FR; BE", "evaluation-2022", "true")
    hotline = next(r for r in _csv_rows(out / "organisations.csv") if r["slug"] == "hotline-a")
    assert hotline["description"] == 'Reports, "quoted", with commas;\nand a second line — ünïcödé.'
    assert hotline["aliases"] == "Hotline A; HLA"
    assert "is_secretariat" not in hotline  # the API does not show it either
    assert '"passage":"Founded in 1996."' in hotline["provenance"]
    assert {f["effect_size"] for f in _csv_rows(out / "findings.csv")} == {"0.35", ""}

    figures = {r["id"]: r for r in records(out, "figures")}
    shared = figures[registry.shared_figure]
    assert (shared["value"], shared["unit"], shared["period_start"], shared["period_end"], shared["period_precision"]) == (
        62.5, "%", "2020-11-01", "2022-11-01", "MONTH")
    assert (shared["harms"], shared["regions"], shared["countries"]) == (["CSAM-KNOWN", "CSAM-NEW"], ["EUROPE"], ["DE", "NL"])
    assert shared["source_organisation_id"] == registry.ngo and shared["recording_organisation_id"] == registry.hotline
    assert [f["value"] for f in figures.values() if f["recording_organisation_id"] is None] == [None]
    shared_row = next(r for r in _csv_rows(out / "figures.csv") if int(r["id"]) == registry.shared_figure)
    assert (shared_row["value"], shared_row["countries"], shared_row["initiatives"]) == ("62.5", "DE; NL", str(registry.whole))
    assert shared_row["denominator"] == 'of all reported material; "quoted", with commas'
    assert "rating" not in shared and "certainty" not in shared


def test_export_all_holds_every_row_in_files_only_the_owner_reads(database_url, make, db, tmp_path) -> None:  # noqa: ANN001
    registry = build(make, db)
    out = tmp_path / "all"
    _export(database_url, out, "--all")
    assert set(_ids(out, "initiatives")) == registry.public_initiatives | registry.hidden_initiatives
    assert registry.pending_organisation in _ids(out, "organisations")
    assert {r["is_secretariat"] for r in records(out, "organisations")} == {False}
    assert set(_ids(out, "evidence_assessments")) == {registry.public_assessment} | registry.hidden_assessments
    assert set(_ids(out, "best_practices")) == {registry.public_practice, registry.hidden_practice}
    assert set(_ids(out, "figures")) == registry.public_figures | registry.hidden_figures
    [shared] = [r for r in records(out, "figures") if r["id"] == registry.shared_figure]
    assert sorted(shared["initiatives"]) == sorted([registry.whole, registry.members_only])
    orphan = next(r for r in records(out, "initiatives") if r["id"] == registry.orphan)
    assert orphan["part_of_id"] == registry.members_only
    deleted = [r for r in records(out, "initiatives") if r["title"] == "Deleted"]
    assert deleted[0]["deleted_at"] == "2024-05-01T12:30:00.000000Z"
    assert {r["created_by"] for r in records(out, "initiatives")} == {"test"}
    assert _ids(out, "network_memberships") == sorted([registry.public_network_membership, registry.hidden_network_membership])
    participations = records(out, "participations")
    assert len(participations) == 3 and len(records(out, "endorsements")) == 2
    # The proposal the hotline has not confirmed is in the backup, marked as such.
    assert [p["confirmed_at"] for p in participations if p["organisation_id"] == registry.hotline] == [None]
    [practice] = [r for r in records(out, "best_practices") if r["id"] == registry.public_practice]
    assert len(practice["evidence"]) == 2
    # Ordered by primary key, text compared by code point on every backend.
    assert [r["key"] for r in records(out, "seed_records")] == ["B-key", "a-key", "b-key"]
    assert records(out, "seed_records")[0]["content"] == {"slug": "B-key", "n": 1}
    assert manifest(out)["scope"] == "all" and "seed_records" in manifest(out)["entities"]
    for path in out.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name
    assert stat.S_IMODE(out.stat().st_mode) == 0o700


def test_the_same_database_gives_byte_identical_files(database_url, make, db, tmp_path) -> None:  # noqa: ANN001
    build(make, db)
    first, second = tmp_path / "first", tmp_path / "second"
    for directory in (first, second):
        _export(database_url, directory, "--all")
    names = sorted(p.name for p in first.iterdir() if p.name != "manifest.json")
    assert names == sorted(p.name for p in second.iterdir() if p.name != "manifest.json") and len(names) == 26
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    assert {**manifest(first), "generated_at": None} == {**manifest(second), "generated_at": None}


def test_the_help_says_what_no_export_holds() -> None:
    result = CliRunner().invoke(app, ["export", "--help"])
    text = " ".join(result.output.split())
    for left_out in ("people, memberships, OAuth clients, tokens, signing keys, the audit log", "password hashes"):
        assert left_out in text
