"""Rule sets are versioned data: another version with other thresholds computes differently with the same engine,
versions are found and ordered by number, and the published file names only codes coplab's vocabularies hold
(or that the studies work of issue 15 adds). Called on api/ratings/ruleset.py and the engine directly;
tests/ratings/test_published_rules.py serves the versions through GraphQL."""

from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel

from api.ratings.engine import Subject, evaluate
from api.ratings.ruleset import RATINGS_DIR, Match, Ruleset, SubjectMatch, load_ruleset, read_document, ruleset_versions
from tests.factories import finding_evidence as f

CLOSED = Subject("INITIATIVE", status="CLOSED")
VOCABULARIES = Path(RATINGS_DIR).parent / "vocabularies"


def _version_2(change) -> Ruleset:  # noqa: ANN001
    """Version 1 as published, changed by `change`, as version 2."""
    document = read_document("1") | {"version": "2"}
    change(document)
    return Ruleset.model_validate(document)


def _rule(document: dict, rule_id: str) -> dict:
    return next(rule for rule in document["rules"] if rule["id"] == rule_id)


def test_effective_needing_three_samples_rates_two_samples_promising() -> None:
    def three_samples(document: dict) -> None:
        _rule(document, "EFFECTIVE")["when"][0]["any_of"][0]["at_least"] = 3

    version_1, version_2 = load_ruleset("1"), _version_2(three_samples)
    two = [f(1, "DID"), f(2, "ITS")]
    three = [*two, f(3, "PSM")]
    assert [evaluate(version_1, CLOSED, "OFFENDING", two).rating, evaluate(version_2, CLOSED, "OFFENDING", two).rating] == [
        "EFFECTIVE", "PROMISING"]
    result = evaluate(version_2, CLOSED, "OFFENDING", three)
    assert (result.rating, result.ruleset_version) == ("EFFECTIVE", "2")


def test_other_certainty_steps_sustained_threshold_and_caps_compute_differently() -> None:
    def stricter(document: dict) -> None:
        document["comparison_caps"]["MATCHED"] = 2  # matched comparisons no longer reach SMS 3
        document["extent"]["sustained_months"] = 6
        imprecision = next(s for s in document["certainty"]["steps"] if s["domain"] == "IMPRECISION")
        imprecision["change"] = -2

    version_2 = _version_2(stricter)
    did = [f(1, "DID", follow_up_months=6, significance="NOT-TESTED")]
    assert evaluate(load_ruleset("1"), CLOSED, "OFFENDING", did).rating == "NOT-RATED"
    assert evaluate(version_2, CLOSED, "OFFENDING", did).rating == "EMERGING"  # now a pre-post level signal
    trial = [f(1, "RCT", follow_up_months=6)]
    first, second = (evaluate(r, CLOSED, "OFFENDING", trial) for r in (load_ruleset("1"), version_2))
    assert (first.certainty, first.sustained) == ("MODERATE", False)
    assert (second.certainty, second.sustained) == ("LOW", True)


def test_a_rule_added_to_a_version_is_applied_in_its_place() -> None:
    def untested_effects_are_emerging(document: dict) -> None:
        # Comparative samples pointing the desirable way without a test: EMERGING in version 2.
        rule = {
            "id": "UNTESTED-COMPARISON",
            "rating": "EMERGING",
            "condition": "A comparative sample points the desirable way but was not tested.",
            "rests_on": {"words": "untested comparative samples", "samples": {"min_sms": 3, "significance": ["NOT-TESTED"]}},
            "when": [{"samples": {"min_sms": 3, "directions": ["POSITIVE"], "significance": ["NOT-TESTED"]}, "at_least": 1}],
        }
        document["rules"].insert(5, rule)

    untested = [f(1, "DID", significance="NOT-TESTED")]
    assert evaluate(load_ruleset("1"), CLOSED, "OFFENDING", untested).rating == "NOT-RATED"
    result = evaluate(_version_2(untested_effects_are_emerging), CLOSED, "OFFENDING", untested)
    assert (result.rating, result.rule_id, result.contributions[0].counted) == ("EMERGING", "UNTESTED-COMPARISON", True)


# --- versions on disk --------------------------------------------------------------------------------------


def _write(directory: Path, version: str) -> None:
    (directory / f"{version}.yaml").write_text(yaml.safe_dump(read_document("1") | {"version": version}), encoding="utf-8")


def test_versions_are_ordered_by_number_and_the_newest_is_current(tmp_path: Path) -> None:
    for version in ("10", "2", "1"):
        _write(tmp_path, version)
    (tmp_path / "notes.yaml").write_text("not a version", encoding="utf-8")
    assert ruleset_versions(tmp_path) == ["1", "2", "10"]
    assert load_ruleset(directory=tmp_path).version == "10"
    assert load_ruleset("2", directory=tmp_path).version == "2"


def test_an_unpublished_version_is_a_lookup_error(tmp_path: Path) -> None:
    _write(tmp_path, "1")
    for version in ("3", "1.0", "../1", ""):
        with pytest.raises(LookupError):
            load_ruleset(version, directory=tmp_path)
    with pytest.raises(LookupError):
        load_ruleset(directory=tmp_path / "empty")


def test_a_file_holding_another_version_than_its_name_is_refused(tmp_path: Path) -> None:
    (tmp_path / "3.yaml").write_text(yaml.safe_dump(read_document("1")), encoding="utf-8")  # says version "1"
    with pytest.raises(ValueError, match="holds version '1'"):
        load_ruleset("3", directory=tmp_path)


def test_the_published_versions_are_those_under_seed_ratings() -> None:
    assert ruleset_versions() == sorted((p.stem for p in RATINGS_DIR.glob("*.yaml")), key=int)
    assert load_ruleset().version == ruleset_versions()[-1]


# --- the codes the published rule set names ----------------------------------------------------------------

# Codes the studies work of issue 15 adds to the vocabularies (docs/evidence-design.md, "Entities"): comparison,
# significance and outcome rise are new fields; PARTICIPANT and NOT-APPLICABLE new terms.
PENDING = {
    "independence": {"PARTICIPANT"},
    "effect-direction": {"NOT-APPLICABLE"},
    "comparison": {"NONE", "PRE-POST", "UNMATCHED", "MATCHED", "RANDOMISED"},
    "significance": {"YES", "NO", "NOT-TESTED"},
    "risk-of-bias": {"LOW", "SOME", "HIGH"},
    "outcome-rise": {"DESIRABLE", "UNDESIRABLE", "CONTEXT"},
}


def _terms(vocabulary: str) -> set[str]:
    path = VOCABULARIES / f"{vocabulary}.yaml"
    known = {t["code"] for t in yaml.safe_load(path.read_text())["terms"]} if path.exists() else set()
    return known | PENDING.get(vocabulary, set())


def _matches(node: object) -> list[Match]:
    """Every finding match anywhere in `node` (a rule set or a part of one)."""
    if isinstance(node, Match):
        return [node, *_matches(node.any_of or ())]
    if isinstance(node, BaseModel):
        return [m for name in type(node).model_fields for m in _matches(getattr(node, name))]
    if isinstance(node, tuple | list):
        return [m for item in node for m in _matches(item)]
    return []


def _subjects(node: object) -> list[SubjectMatch]:
    if isinstance(node, SubjectMatch):
        return [node, *_subjects(node.any_of or ())]
    if isinstance(node, BaseModel):
        return [m for name in type(node).model_fields for m in _subjects(getattr(node, name))]
    if isinstance(node, tuple | list):
        return [m for item in node for m in _subjects(item)]
    return []


FIELDS = {
    "designs": "study-design", "directions": "effect-direction", "significance": "significance",
    "independence": "independence", "comparison": "comparison", "risk_of_bias": "risk-of-bias",
    "outcome_rise": "outcome-rise",
}  # fmt: skip


def test_the_published_rule_set_names_only_codes_of_the_vocabularies() -> None:
    ruleset = load_ruleset()
    matches = _matches(ruleset)
    assert len(matches) > 20
    for match in matches:
        for field, vocabulary in FIELDS.items():
            assert set(getattr(match, field) or ()) - {None} <= _terms(vocabulary), (field, match)
    for rule in ruleset.rules:
        if rule.independence is not None:
            assert set(rule.independence.outside) <= _terms("independence")
    assert set(ruleset.extent.replication_independence) <= _terms("independence")
    ratings = _terms("evidence-rating")
    assert {r.rating for r in ruleset.rules} | {r.independence.otherwise for r in ruleset.rules if r.independence} <= ratings
    assert {r.rating for r in ruleset.rules} == ratings  # every rating of the vocabulary can be given
    assert set(ruleset.certainty.levels) | {ruleset.certainty.not_assessed} == _terms("certainty")
    assert set(ruleset.comparison_caps) == PENDING["comparison"]
    assert {c.scheme for c in ruleset.crosswalk} <= _terms("rating-scheme")
    assert {row.rating for c in ruleset.crosswalk for row in c.rows} - {None} <= ratings
    assert {row.certainty for c in ruleset.crosswalk for row in c.rows} - {None} <= _terms("certainty")
    subjects = _subjects(ruleset)
    assert {s for m in subjects for s in m.statuses or ()} <= _terms("initiative-status")
    assert {b for m in subjects for b in m.evidence_basis or ()} <= _terms("evidence-basis")


def test_each_design_of_the_vocabulary_is_either_set_aside_or_named_by_a_rule() -> None:
    # A design added to the vocabulary must be placed by a new rule set version: kept with an SMS level, named by a
    # rule, or set aside as descriptive.
    named = {d for m in _matches(load_ruleset()) for d in m.designs or ()}
    vocabulary = yaml.safe_load((VOCABULARIES / "study-design.yaml").read_text())["terms"]
    without_level = {t["code"] for t in vocabulary if "sms" not in (t.get("attributes") or {})}
    assert without_level - named == {"SR"}  # kept, but no rule of version 1 rests on it (docs/ratings.md)
