"""The rule sets are published through GraphQL to anyone, as the files under seed/ratings/ hold them:
`ratingRulesetVersions`, and `ratingRuleset(version)` (null: the current one; an unknown version: null). The
rules themselves are pinned on the engine in the `_rules` modules beside this one (test_rating_rules.py,
test_eligibility_rules.py, test_certainty_rules.py, test_guarantee_rules.py, test_ruleset_version_rules.py)."""

import pytest

from api.ratings.engine import Subject, evaluate
from api.ratings.ruleset import Ruleset, load_ruleset, ruleset_versions
from tests.factories import finding_evidence, graphql

RULESET = """
query($version: String) {
  ratingRuleset(version: $version) {
    version current title summary guarantees smsWords
    comparisonCaps { comparison sms }
    eligibility { position code words explanation machine criteria { scheme says differs } }
    countedExplanation notRelied: notReliedOnCode notReliedOnExplanation
    rules { position ruleId rating condition restsOn independence machine criteria { scheme says differs } }
    certainty {
      words levels notAssessed notAssessedFor notAssessedWords start startMachine otherScales
      effectScales { name words noEffect multiplicative large }
      steps { position domain words change machine criteria { scheme } }
      criteria { scheme says differs }
    }
    extent { words sustainedMonths sustainedWords replicationIndependence replicationWords }
    crosswalk { scheme name reference rows { source rating certainty note } }
    document
  }
}
"""


def _ruleset(client, version: str | None = None, token: str | None = None) -> dict | None:  # noqa: ANN001
    body = graphql(client, RULESET, {"version": version}, token)
    assert "errors" not in body, body
    return body["data"]["ratingRuleset"]


def test_every_version_is_listed_oldest_first_without_a_token(client) -> None:  # noqa: ANN001
    body = graphql(client, "{ ratingRulesetVersions }")
    assert body == {"data": {"ratingRulesetVersions": ruleset_versions()}}
    assert body["data"]["ratingRulesetVersions"][0] == "1"


def test_the_current_rule_set_is_served_as_published(client) -> None:  # noqa: ANN001
    published = load_ruleset()
    served = _ruleset(client)
    assert (served["version"], served["current"], served["title"]) == (published.version, True, published.title)
    assert [(r["position"], r["ruleId"], r["rating"], r["condition"]) for r in served["rules"]] == [
        (i, r.id, r.rating, r.condition) for i, r in enumerate(published.rules, start=1)]
    effective = next(r for r in served["rules"] if r["ruleId"] == "EFFECTIVE")
    assert effective["machine"]["independence"]["outside"] == ["SELF", "PARTICIPANT"]
    assert effective["machine"]["independence"]["otherwise"] == "PROMISING"
    assert effective["independence"] == published.rule("EFFECTIVE").independence.words
    assert {c["scheme"] for c in effective["criteria"]} >= {"CRIMESOLUTIONS", "CEBC", "BLUEPRINTS", "INSPIRE"}
    assert all(c["says"] for r in served["rules"] for c in r["criteria"])
    assert next(r for r in served["rules"] if r["ruleId"] == "NOT-RATED")["machine"] == {"when": []}  # holds for anything
    assert served["document"] == published.model_dump(mode="json", exclude_none=True)


def test_eligibility_certainty_extent_and_crosswalk_are_served(client) -> None:  # noqa: ANN001
    served = _ruleset(client, "1")
    assert [(e["position"], e["code"]) for e in served["eligibility"]] == [
        (1, "WITHDRAWN"), (2, "CONTEXT-OUTCOME"), (3, "NO-DIRECTION"), (4, "DESCRIPTIVE-DESIGN"), (5, "DUPLICATE-SAMPLE")]
    descriptive = served["eligibility"][3]
    assert descriptive["machine"] == {"when": {"designs": ["CASE", "XSEC", "TECH-BENCH", "MODEL", "EXPERT", "LEGAL", "EGM"]}}
    assert served["notRelied"] == "NOT-RELIED-ON"
    assert {"comparison": "PRE-POST", "sms": 2} in served["comparisonCaps"]
    certainty = served["certainty"]
    assert certainty["levels"] == ["VERY-LOW", "LOW", "MODERATE", "HIGH"]
    assert certainty["notAssessedFor"] == ["NOT-RATED", "PRUDENT", "PIONEERING"]
    assert [(s["domain"], s["change"]) for s in certainty["steps"]] == [
        ("RISK-OF-BIAS", -2), ("INCONSISTENCY", -1), ("IMPRECISION", -1), ("SELF-EVALUATION", -1), ("LARGE-EFFECT", 1)]
    assert certainty["startMachine"]["randomised_level"] == "HIGH"
    assert {"name": "RATIO", "noEffect": 1.0, "multiplicative": True, "large": 2.0} == {
        k: v for k, v in next(s for s in certainty["effectScales"] if s["name"] == "RATIO").items() if k != "words"}
    assert served["extent"]["sustainedMonths"] == 12
    assert served["extent"]["replicationIndependence"] == ["INDEPENDENT"]
    schemes = {c["scheme"]: c for c in served["crosswalk"]}
    assert set(schemes) == {"CRIMESOLUTIONS", "CEBC", "BLUEPRINTS", "WWC", "EEF", "GRADE", "INSPIRE"}
    assert {(r["source"], r["rating"]) for r in schemes["CEBC"]["rows"]} >= {("NR Not able to be Rated", "NOT-RATED")}
    assert {r["certainty"] for r in schemes["GRADE"]["rows"]} == {"HIGH", "MODERATE", "LOW", "VERY-LOW"}


def test_the_served_document_is_a_rule_set_a_client_can_apply(client) -> None:  # noqa: ANN001
    document = _ruleset(client)["document"]
    rebuilt = Ruleset.model_validate(document)
    findings = [finding_evidence(1, "DID"), finding_evidence(2, "ITS", independence="SELF")]
    subject = Subject("INITIATIVE", status="IMPLEMENTATION")
    assert evaluate(rebuilt, subject, "OFFENDING", findings) == evaluate(load_ruleset(), subject, "OFFENDING", findings)


@pytest.mark.parametrize("version", ["2", "0", "1.0", " 1", "a\u0000", "x" * 500, ""])
def test_a_version_never_published_is_null(client, version: str) -> None:  # noqa: ANN001
    assert _ruleset(client, version) is None


def test_a_token_changes_nothing(client, make) -> None:  # noqa: ANN001
    token = make.token(make.organisation("inhope"), ["initiatives:read"])
    assert _ruleset(client, token=token) == _ruleset(client)
