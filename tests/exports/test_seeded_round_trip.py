"""The Lab's own registry, as `coplab seed` loads it, through export --all → import → export --all."""

from tests.exports.test_round_trip import _assert_same_export, _export, _import
from tests.exports.registry import manifest, row_counts
from tests.seed.test_seed_command import seeded


def test_the_seeded_registry_moves_between_databases_unchanged(database_url, engine, target_url, target, tmp_path) -> None:  # noqa: ANN001, ARG001  (engine: emptied afterwards)
    seeded(database_url)
    first, second, public = tmp_path / "first", tmp_path / "second", tmp_path / "public"
    _export(database_url, first, "--all")
    _import(target_url, first)
    _export(target_url, second, "--all")
    _assert_same_export(first, second)
    counts = row_counts(target)
    assert (
        counts["organisation"], counts["network_membership"], counts["initiative"], counts["evidence_assessment"],
        counts["best_practice"], counts["figure"],
    ) == (107, 7, 19, 2, 8, 16)
    # The restored registry still knows what the seed loaded: seeding it again changes nothing.
    assert "nothing changed" in seeded(target_url)
    # Every seeded record is public, so the open dataset holds all of them.
    _export(target_url, public)
    rows = {name: entity["rows"] for name, entity in manifest(public)["entities"].items()}
    assert rows["organisations"] == 107 and rows["initiatives"] == 19 and rows["best_practices"] == 8
    assert rows["figures"] == 16 and rows["evidence_assessments"] == 2 and rows["network_memberships"] == 7
