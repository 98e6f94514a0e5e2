"""`coplab import` refuses what it cannot load faithfully, says why, and changes nothing."""

import hashlib
import json
from pathlib import Path

import pytest

from tests.exports.conftest import prepared_database
from tests.exports.registry import build, coplab, manifest, row_counts


@pytest.fixture
def export_all(database_url, make, db, tmp_path) -> Path:  # noqa: ANN001
    """An export of everything in a varied registry."""
    build(make, db)
    directory = tmp_path / "all"
    result = coplab(database_url, "export", "--out", str(directory), "--all")
    assert result.exit_code == 0, result.output
    return directory


def _refused(database_url: str, directory: Path) -> str:
    result = coplab(database_url, "import", str(directory))
    assert result.exit_code == 1, result.output
    assert "nothing was imported" in result.output
    return result.output


def _rewrite(directory: Path, name: str, text: str) -> None:
    """Change a file and the manifest with it, as if the export had written it so."""
    (directory / name).write_text(text, encoding="utf-8")
    listed = manifest(directory)
    entity = name.rsplit(".", 1)[0]
    data = text.encode("utf-8")
    listed["entities"][entity]["files"][name] = {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
    (directory / "manifest.json").write_text(json.dumps(listed), encoding="utf-8")


def _nothing_in(target) -> None:  # noqa: ANN001
    assert set(row_counts(target).values()) == {0}


def test_a_registry_holding_records_is_refused(database_url, engine, export_all) -> None:  # noqa: ANN001
    before = row_counts(engine)
    output = _refused(database_url, export_all)
    assert "the registry is not empty" in output and "3 in organisation" in output
    assert row_counts(engine) == before


def test_a_file_changed_after_the_export_is_refused(target_url, target, export_all) -> None:  # noqa: ANN001
    path = export_all / "initiatives.jsonl"
    path.write_text(path.read_text(encoding="utf-8").replace("Members only", "Members-only"), encoding="utf-8")
    output = _refused(target_url, export_all)
    assert "initiatives.jsonl: SHA-256 differs from the manifest's" in output
    _nothing_in(target)


def test_a_malformed_line_is_refused_with_its_file_and_line(target_url, target, export_all) -> None:  # noqa: ANN001
    lines = (export_all / "findings.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    lines[1] = '{"id": 2, "outcome": \n'
    _rewrite(export_all, "findings.jsonl", "".join(lines))
    output = _refused(target_url, export_all)
    assert "findings.jsonl line 2: not JSON" in output
    _nothing_in(target)


def test_a_value_of_the_wrong_kind_is_refused_with_its_field(target_url, target, export_all) -> None:  # noqa: ANN001
    lines = (export_all / "initiatives.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    record = json.loads(lines[0])
    record["planned_start"] = "1 March 2020"
    lines[0] = json.dumps(record) + "\n"
    _rewrite(export_all, "initiatives.jsonl", "".join(lines))
    output = _refused(target_url, export_all)
    assert "initiatives.jsonl line 1: planned_start: Invalid isoformat string" in output
    _nothing_in(target)


def test_a_row_count_that_differs_from_the_manifest_is_refused(target_url, target, export_all) -> None:  # noqa: ANN001
    lines = (export_all / "endorsements.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    _rewrite(export_all, "endorsements.jsonl", "".join(lines[:1]))
    output = _refused(target_url, export_all)
    assert "endorsements.jsonl: 1 rows, the manifest says 2" in output
    _nothing_in(target)


def test_another_schema_version_is_refused(target_url, target, export_all) -> None:  # noqa: ANN001
    listed = manifest(export_all)
    listed["schema_version"] = "0004"
    (export_all / "manifest.json").write_text(json.dumps(listed), encoding="utf-8")
    output = _refused(target_url, export_all)
    assert "schema version: the export was written at revision '0004'" in output
    _nothing_in(target)


def test_another_format_is_refused(target_url, target, export_all) -> None:  # noqa: ANN001
    listed = manifest(export_all)
    listed["format"] = "coplab-export/2"
    (export_all / "manifest.json").write_text(json.dumps(listed), encoding="utf-8")
    assert "format 'coplab-export/2' is not 'coplab-export/1'" in _refused(target_url, export_all)
    _nothing_in(target)


def test_a_row_the_database_refuses_leaves_nothing_behind(target_url, target, export_all) -> None:  # noqa: ANN001
    # Well-formed, but naming an organisation the export lacks: endorsements fail after every
    # table before them was inserted, and the whole import rolls back.
    lines = (export_all / "endorsements.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    record = json.loads(lines[0])
    record["organisation_id"] = 9999
    lines[0] = json.dumps(record) + "\n"
    _rewrite(export_all, "endorsements.jsonl", "".join(lines))
    assert "the database refused the data" in _refused(target_url, export_all)
    _nothing_in(target)


def test_a_database_without_vocabularies_is_refused(tmp_path) -> None:  # noqa: ANN001
    url = f"sqlite:///{tmp_path / 'bare.db'}"
    prepared_database(url, vocabularies=False)
    assert coplab(url, "export", "--out", str(tmp_path / "empty"), "--all").exit_code == 0
    assert "run `coplab vocabularies load` first" in _refused(url, tmp_path / "empty")
