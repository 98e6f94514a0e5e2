"""A new rule set version: computed in shadow first (`ratingRulesetDiff` names every rating it would change
and the rule why), adopted by the secretariat only, and then every rating is recomputed under it with
the change in its history. The published directory is a copy of seed/ratings/ beside a real version 2."""

from pathlib import Path

import pytest
import yaml

from api.ratings import ruleset
from tests.factories import LAB_ADMIN_SCOPES, gid, graphql

DIFF = """query($v: String!) { ratingRulesetDiff(version: $v) {
  fromVersion toVersion changeCount
  changes { outcome { code } fromRating { code } toRating { code } ruleId why initiative { title } rating { id } }
} }"""
ADOPT = """mutation($input: AdoptRatingRulesetInput!) { adoptRatingRuleset(input: $input) {
  ruleset { version current } recomputed userErrors { field code message } } }"""
RATING = """query($id: ID!) { initiative(id: $id) { outcomeRatings {
  rating { code } rulesetVersion ruleId history { rating { code } reason rulesetVersion note } } } }"""


@pytest.fixture
def two_versions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Version 1 as published, and a version 2 in which one randomised sample no longer makes EFFECTIVE."""
    document = ruleset.read_document("1")
    (tmp_path / "1.yaml").write_text(yaml.safe_dump(document), encoding="utf-8")
    effective = next(rule for rule in document["rules"] if rule["id"] == "EFFECTIVE")
    randomised = next(c for c in effective["when"][0]["any_of"] if c["samples"].get("min_sms") == 5)
    randomised["at_least"] = 2
    (tmp_path / "2.yaml").write_text(yaml.safe_dump(document | {"version": "2"}), encoding="utf-8")
    monkeypatch.setattr(ruleset, "RATINGS_DIR", tmp_path)


def _adopt(client, token, version: str, note: str | None = None) -> dict:  # noqa: ANN001
    return graphql(client, ADOPT, {"input": {"version": version, "note": note}}, token)["data"]["adoptRatingRuleset"]


def test_a_new_version_shows_its_diff_then_takes_effect_with_history(client, make, two_versions) -> None:  # noqa: ARG001
    secretariat = make.organisation("secretariat", secretariat=True)
    admin = make.token(secretariat, LAB_ADMIN_SCOPES)
    assert _adopt(client, admin, "1")["userErrors"] == []  # this registry runs on version 1
    initiative = make.initiative(make.organisation("lead"), "Hotline")
    make.assessment(initiative, make.organisation("university"), ratings=["EFFECTIVE"])  # one randomised sample
    variables = {"id": gid("Initiative", initiative.id)}
    assert graphql(client, RATING, variables)["data"]["initiative"]["outcomeRatings"][0]["rating"] == {"code": "EFFECTIVE"}

    diff = graphql(client, DIFF, {"v": "2"})["data"]["ratingRulesetDiff"]
    assert (diff["fromVersion"], diff["toVersion"], diff["changeCount"]) == ("1", "2", 1)
    (change,) = diff["changes"]
    assert (change["outcome"]["code"], change["fromRating"]["code"], change["toRating"]["code"]) == (
        "REMOVAL-TIME", "EFFECTIVE", "PROMISING")
    assert change["ruleId"] == "PROMISING" and change["why"] and change["initiative"] == {"title": "Hotline"}
    # Only computed: nothing changed yet.
    assert graphql(client, RATING, variables)["data"]["initiative"]["outcomeRatings"][0]["rulesetVersion"] == "1"
    assert graphql(client, DIFF, {"v": "1"})["data"]["ratingRulesetDiff"]["changeCount"] == 0

    adopted = _adopt(client, admin, "2", "One randomised trial is not enough for EFFECTIVE.")
    assert adopted["userErrors"] == [] and adopted["ruleset"] == {"version": "2", "current": True}
    assert adopted["recomputed"] >= 1
    (rating,) = graphql(client, RATING, variables)["data"]["initiative"]["outcomeRatings"]
    assert (rating["rating"]["code"], rating["rulesetVersion"], rating["ruleId"]) == ("PROMISING", "2", "PROMISING")
    assert [(h["rating"]["code"], h["reason"], h["rulesetVersion"]) for h in rating["history"]] == [
        ("EFFECTIVE", "NEW-EVIDENCE", "1"), ("PROMISING", "RULESET", "2"),
    ]
    assert rating["history"][-1]["note"] == "One randomised trial is not enough for EFFECTIVE."
    assert graphql(client, "{ ratingRuleset { version current } }")["data"]["ratingRuleset"] == {
        "version": "2", "current": True}
    assert graphql(client, DIFF, {"v": "2"})["data"]["ratingRulesetDiff"]["changeCount"] == 0


def test_only_the_secretariat_adopts_and_bad_versions_change_nothing(client, make, two_versions) -> None:  # noqa: ARG001
    secretariat = make.organisation("secretariat", secretariat=True)
    admin = make.token(secretariat, LAB_ADMIN_SCOPES)
    assert _adopt(client, admin, "1")["userErrors"] == []
    member = make.organisation("member")

    refused = graphql(client, ADOPT, {"input": {"version": "2"}}, make.token(member))
    assert refused["data"] is None and refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    for version, code in (("9", "NOT_FOUND"), ("1", "CONFLICT")):
        payload = _adopt(client, admin, version)
        assert payload["ruleset"] is None
        assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [(["input", "version"], code)]
    too_long = _adopt(client, admin, "2", "n" * 2001)
    assert [(e["field"], e["code"]) for e in too_long["userErrors"]] == [(["input", "note"], "TOO_LONG")]
    assert graphql(client, "{ ratingRuleset { version } }")["data"]["ratingRuleset"] == {"version": "1"}
    assert graphql(client, DIFF, {"v": "9"})["data"]["ratingRulesetDiff"] is None
