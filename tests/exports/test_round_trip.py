"""Export, import into another empty registry (the other backend when PostgreSQL is configured), export
again: the same bytes."""

from pathlib import Path

from sqlmodel import Session, select

from api.initiatives.models import Initiative
from api.organisations.models import Organisation
from api.practices.models import Endorsement
from tests.exports.registry import build, coplab, manifest, records, row_counts


def _export(database_url: str, directory: Path, *options: str) -> None:
    result = coplab(database_url, "export", "--out", str(directory), *options)
    assert result.exit_code == 0, result.output


def _import(database_url: str, directory: Path) -> str:
    result = coplab(database_url, "import", str(directory))
    assert result.exit_code == 0, result.output
    return result.output


def _assert_same_export(first: Path, second: Path) -> None:
    names = sorted(p.name for p in first.iterdir())
    assert names == sorted(p.name for p in second.iterdir())
    for name in names:
        if name != "manifest.json":
            assert (first / name).read_bytes() == (second / name).read_bytes(), name
    assert {**manifest(first), "generated_at": None} == {**manifest(second), "generated_at": None}


def test_an_export_of_everything_comes_back_byte_identical(database_url, make, db, target_url, target, tmp_path) -> None:  # noqa: ANN001
    build(make, db)
    first, second = tmp_path / "first", tmp_path / "second"
    _export(database_url, first, "--all")
    output = _import(target_url, first)
    assert "imported (all)" in output and "search" in output
    _export(target_url, second, "--all")
    _assert_same_export(first, second)
    counts = row_counts(target)
    assert counts["initiative"] == 8 and counts["seed_record"] == 3 and counts["initiative_classification"] > 5
    assert (counts["figure"], counts["figure_classification"], counts["figure_initiative"]) == (5, 5, 3)
    assert counts["network_membership"] == 2
    # Every live initiative is queued for the search index; the deleted one is not.
    assert counts["search_outbox"] == 7


def test_records_created_after_an_import_get_new_ids(database_url, make, db, target_url, target, tmp_path) -> None:  # noqa: ANN001
    build(make, db)
    _export(database_url, tmp_path / "all", "--all")
    _import(target_url, tmp_path / "all")
    largest = max(r["id"] for r in records(tmp_path / "all", "organisations"))
    with Session(target) as session:
        organisation = Organisation(slug="new-one", name="New", stakeholder_type="NGO", created_by="t", updated_by="t")
        session.add(organisation)
        session.flush()
        initiative = Initiative(title="New", status="IMPLEMENTATION", created_by="t", updated_by="t")
        session.add(initiative)
        session.commit()
        assert organisation.id == largest + 1
        assert initiative.id == max(r["id"] for r in records(tmp_path / "all", "initiatives")) + 1


def test_a_public_export_imports_with_the_import_as_author(database_url, make, db, target_url, target, tmp_path) -> None:  # noqa: ANN001
    registry = build(make, db)
    first, second = tmp_path / "first", tmp_path / "second"
    _export(database_url, first)
    assert "imported (public)" in _import(target_url, first)
    with Session(target) as session:
        initiatives = session.exec(select(Initiative).order_by(Initiative.id)).all()
        assert {i.id for i in initiatives} == registry.public_initiatives
        assert {(i.created_by, i.updated_by, i.deleted_at) for i in initiatives} == {("import", "import", None)}
        assert [e.endorsed_by for e in session.exec(select(Endorsement)).all()] == ["import"]
        part = session.get(Initiative, registry.part)
        assert part.part_of_id == registry.whole
    classified = sum(
        len(r[name]) for r in records(first, "initiatives")
        for name in ("intervention_types", "harms", "mnr_capabilities", "target_groups", "regions", "countries", "languages")
    )
    assert row_counts(target)["initiative_classification"] == classified == 10
    # Public figures only, each with the links and classifications the public may read.
    assert {r["id"] for r in records(first, "figures")} == registry.public_figures
    assert (row_counts(target)["figure"], row_counts(target)["figure_initiative"]) == (2, 1)
    assert row_counts(target)["network_membership"] == 1  # the PENDING organisation's is not public
    # The imported registry publishes exactly what the original did.
    _export(target_url, second)
    _assert_same_export(first, second)

