"""The certainty trace of rule set version 1 (each GRADE step, the start, the ends of the scale, NOT-ASSESSED)
and extent, sustained effect and independent replication. Called on the engine directly;
tests/ratings/test_published_rules.py serves the steps through GraphQL."""

import pytest

from api.ratings.engine import RatingResult, Subject, TraceStep, evaluate
from api.ratings.ruleset import Ruleset, load_ruleset, read_document
from tests.factories import finding_evidence as f

RULES = load_ruleset("1")
CLOSED = Subject("INITIATIVE", status="CLOSED")
DOMAINS = ["START", "RISK-OF-BIAS", "INCONSISTENCY", "IMPRECISION", "SELF-EVALUATION"]


def _rate(findings, subject: Subject = CLOSED, rules: Ruleset = RULES) -> RatingResult:  # noqa: ANN001
    return evaluate(rules, subject, "OFFENDING", findings)


def _steps(result: RatingResult) -> list[tuple[str, int, str]]:
    return [(s.domain, s.change, s.level) for s in result.trace]


def _change(result: RatingResult, domain: str) -> int:
    [step] = [s for s in result.trace if s.domain == domain]
    return step.change


# --- the start ---------------------------------------------------------------------------------------------


def test_randomised_samples_start_high_and_two_clean_trials_stay_there() -> None:
    result = _rate([f(1, "RCT"), f(2, "CRCT")])
    assert result.rating == "EFFECTIVE"
    assert _steps(result) == [
        ("START", 0, "HIGH"), ("RISK-OF-BIAS", 0, "HIGH"), ("INCONSISTENCY", 0, "HIGH"), ("IMPRECISION", 0, "HIGH"),
        ("SELF-EVALUATION", 0, "HIGH"), ("LARGE-EFFECT", 0, "HIGH")]
    assert result.certainty == "HIGH"
    assert result.trace[0].explanation == "Counted samples: 2, randomised; start at HIGH."


def test_a_body_mixing_randomised_and_other_samples_starts_low() -> None:
    result = _rate([f(1, "RCT"), f(2, "DID")])
    assert result.trace[0] == TraceStep("START", 0, "LOW", "Counted samples: 2, not all randomised; start at LOW.")
    assert result.certainty == "LOW"


def test_the_start_follows_the_comparison_not_the_design_name() -> None:
    # A trial recoded as a matched comparison is not randomised evidence.
    assert _rate([f(1, "RCT", comparison="MATCHED"), f(2, "RCT")]).trace[0].level == "LOW"


# --- each step ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("worst", "change", "certainty"), [("LOW", 0, "HIGH"), ("SOME", -1, "MODERATE"), ("HIGH", -2, "LOW")])
def test_the_worst_risk_of_bias_among_counted_findings_downgrades(worst: str, change: int, certainty: str) -> None:
    result = _rate([f(1, "RCT"), f(2, "RCT", risk_of_bias=worst)])
    assert (_change(result, "RISK-OF-BIAS"), result.certainty) == (change, certainty)


def test_a_risk_of_bias_not_coded_counts_as_some_concerns() -> None:
    result = _rate([f(1, "RCT"), f(2, "RCT", risk_of_bias=None)])
    [step] = [s for s in result.trace if s.domain == "RISK-OF-BIAS"]
    assert step == TraceStep(
        "RISK-OF-BIAS", -1, "MODERATE",
        "Worst risk of bias among the counted findings: SOME (finding 2); not coded for finding 2, which counts as SOME.",
    )


def test_findings_the_rating_does_not_rest_on_do_not_move_its_certainty() -> None:
    # The pre-post finding at high risk of bias is kept but not counted for EFFECTIVE.
    result = _rate([f(1, "RCT"), f(2, "RCT"), f(3, "PREPOST", risk_of_bias="HIGH", effect_direction="NEGATIVE")])
    assert result.rating == "EFFECTIVE" and result.certainty == "HIGH"


def test_counted_findings_in_opposite_directions_are_inconsistent() -> None:
    result = _rate([f(1, "RCT"), f(2, "RCT"), f(3, "RCT", effect_direction="NEGATIVE", significance="NO")])
    assert result.rating == "EFFECTIVE"
    assert (_change(result, "INCONSISTENCY"), result.certainty) == (-1, "MODERATE")
    assert _change(_rate([f(1, "RCT"), f(2, "RCT"), f(3, "RCT", **{"effect_direction": "NO-EFFECT", "significance": "NO"})]), "INCONSISTENCY") == 0


def test_conflicting_evidence_is_downgraded_for_inconsistency() -> None:
    result = _rate([f(1, "RCT"), f(2, "RCT", effect_direction="NEGATIVE")])
    assert (result.rating, _change(result, "INCONSISTENCY"), result.certainty) == ("CONFLICTING", -1, "MODERATE")


def test_a_single_sample_is_imprecise() -> None:
    result = _rate([f(1, "RCT")])
    assert (_change(result, "IMPRECISION"), result.certainty) == (-1, "MODERATE")
    assert [s.explanation for s in result.trace if s.domain == "IMPRECISION"] == ["Imprecise: the rating rests on a single sample."]


CIS = {
    "difference crossing 0": ({"ci_low": -0.1, "ci_high": 0.5}, -1),
    "difference touching 0": ({"ci_low": 0.0, "ci_high": 0.5}, -1),
    "difference clear of 0": ({"ci_low": 0.05, "ci_high": 0.5}, 0),
    "ratio crossing 1": ({"effect_scale": "RATIO", "ci_low": 0.6, "ci_high": 1.2}, -1),
    "ratio clear of 1": ({"effect_scale": "RATIO", "ci_low": 0.3, "ci_high": 0.9}, 0),
    "ratio clear of 1 though it crosses 0": ({"effect_scale": "RATIO", "ci_low": 1.1, "ci_high": 1.9}, 0),
    "natural units crossing 0": ({"effect_scale": "MINUTES", "ci_low": -3.0, "ci_high": 40.0}, -1),
    "one bound only": ({"ci_low": -0.1}, 0),
}


@pytest.mark.parametrize(("interval", "change"), CIS.values(), ids=CIS.keys())
def test_a_confidence_interval_holding_no_effect_is_imprecise(interval: dict, change: int) -> None:
    assert _change(_rate([f(1, "RCT", **interval), f(2, "RCT")]), "IMPRECISION") == change


def test_imprecision_counts_once_however_many_reasons() -> None:
    result = _rate([f(1, "RCT", ci_low=-0.2, ci_high=0.4)])
    assert _change(result, "IMPRECISION") == -1
    assert [s.explanation for s in result.trace if s.domain == "IMPRECISION"] == [
        "Imprecise: the rating rests on a single sample; the confidence interval of finding 1 holds no effect."]


def test_intervals_are_not_judged_for_a_rating_of_no_effect() -> None:
    # Null results are expected to hold no effect.
    null = {"effect_direction": "NO-EFFECT", "significance": "NO", "ci_low": -0.2, "ci_high": 0.2}
    result = _rate([f(1, "RCT", **null), f(2, "RCT", **null)])
    assert (result.rating, _change(result, "IMPRECISION"), result.certainty) == ("NO-EFFECT", 0, "HIGH")


@pytest.mark.parametrize("assessors", [("SELF", "SELF"), ("PARTICIPANT", "SELF")])
def test_self_evaluation_only_downgrades(assessors: tuple) -> None:
    result = _rate([f(1, "DID", independence=assessors[0]), f(2, "DID", independence=assessors[1])])
    assert (result.rating, result.self_evaluated_only) == ("PROMISING", True)
    assert (_change(result, "SELF-EVALUATION"), result.certainty) == (-1, "VERY-LOW")


def test_one_independent_counted_finding_avoids_the_self_evaluation_downgrade() -> None:
    result = _rate([f(1, "DID", independence="SELF"), f(2, "DID")])
    assert _change(result, "SELF-EVALUATION") == 0


LARGE = {
    "standardised difference of 0.8": ({"effect_size": 0.8}, 1),
    "standardised difference of -1.1": ({"effect_size": -1.1}, 1),
    "standardised difference of 0.5": ({"effect_size": 0.5}, 0),
    "ratio of 2.5": ({"effect_scale": "RATIO", "effect_size": 2.5}, 1),
    "ratio of 0.4": ({"effect_scale": "RATIO", "effect_size": 0.4}, 1),
    "ratio of 0.7": ({"effect_scale": "RATIO", "effect_size": 0.7}, 0),
    "58 points in natural units": ({"effect_scale": "PERCENTAGE-POINTS", "effect_size": 58.0}, 0),
    "large but not significant": ({"effect_size": 2.0, "significance": "NO"}, 0),
    "no effect size": ({}, 0),
}


@pytest.mark.parametrize(("values", "change"), LARGE.values(), ids=LARGE.keys())
def test_a_large_significant_effect_from_non_randomised_samples_upgrades(values: dict, change: int) -> None:
    result = _rate([f(1, "DID", **values), f(2, "ITS")])
    assert _change(result, "LARGE-EFFECT") == change
    assert result.certainty == ("MODERATE" if change else "LOW")


def test_a_large_effect_does_not_upgrade_a_randomised_body() -> None:
    result = _rate([f(1, "RCT", effect_size=1.5), f(2, "RCT")])
    assert _change(result, "LARGE-EFFECT") == 0 and result.certainty == "HIGH"


def test_emerging_signals_are_never_upgraded_for_a_large_effect() -> None:
    result = _rate([f(1, "PREPOST", effect_size=3.0), f(2, "PREPOST-C", effect_size=2.0)])
    assert result.rating == "EMERGING"
    assert "LARGE-EFFECT" not in [s.domain for s in result.trace]


def test_a_harmful_rating_is_upgraded_for_a_large_undesirable_effect() -> None:
    result = _rate([f(1, "DID", effect_direction="NEGATIVE", effect_size=-1.0), f(2, "ITS", effect_direction="NEGATIVE")])
    assert (result.rating, _change(result, "LARGE-EFFECT")) == ("HARMFUL", 1)


# --- the ends of the scale and NOT-ASSESSED ----------------------------------------------------------------


def test_certainty_never_goes_below_very_low_and_an_upgrade_does_not_undo_the_excess() -> None:
    # LOW start; high risk of bias -2; opposite directions cannot happen for PROMISING here; single sample -1;
    # self-evaluated -1; a large effect +1: LOW - 4 + 1 is still below the scale.
    result = _rate([f(1, "DID", independence="SELF", risk_of_bias="HIGH", effect_size=1.2)])
    assert _steps(result) == [
        ("START", 0, "LOW"), ("RISK-OF-BIAS", -2, "VERY-LOW"), ("INCONSISTENCY", 0, "VERY-LOW"),
        ("IMPRECISION", -1, "VERY-LOW"), ("SELF-EVALUATION", -1, "VERY-LOW"), ("LARGE-EFFECT", 1, "VERY-LOW")]
    assert result.certainty == "VERY-LOW"
    assert result.trace[2].explanation.endswith("(shown as VERY-LOW: the scale ends there)")


def test_certainty_never_goes_above_high() -> None:
    # A rule set whose body starts HIGH with any randomised sample and that upgrades a HIGH start for a large
    # effect: HIGH + 1 shows as HIGH.
    document = read_document("1")
    certainty = document["certainty"]
    step = next(s for s in certainty["steps"] if s["kind"] == "LARGE-EFFECT")
    step["from_level"] = "HIGH"
    certainty["start"]["when"] = "ANY"
    generous = Ruleset.model_validate(document)
    result = _rate([f(1, "PSM", effect_size=1.0), f(2, "CRCT")], rules=generous)
    assert (result.trace[0].level, result.trace[-1].change, result.certainty) == ("HIGH", 1, "HIGH")
    assert result.trace[-1].explanation.endswith("(shown as HIGH: the scale ends there)")


@pytest.mark.parametrize(
    ("findings", "subject", "rating"),
    [
        ([f(1, "CASE")], Subject("INITIATIVE", status="IMPLEMENTATION"), "PIONEERING"),
        ([f(1, "CASE")], Subject("PRACTICE", evidence_basis=("CONSENSUS",)), "PRUDENT"),
        ([f(1, "DID", significance="NO")], CLOSED, "NOT-RATED"),
    ],
)
def test_ratings_resting_on_no_finding_are_not_assessed_with_one_explanatory_row(findings: list, subject: Subject, rating: str) -> None:
    result = _rate(findings, subject)
    assert (result.rating, result.certainty, result.extent) == (rating, "NOT-ASSESSED", "NONE")
    assert result.trace == [TraceStep("START", 0, "NOT-ASSESSED", RULES.certainty.not_assessed_words)]
    assert not any(c.counted for c in result.contributions)


def test_the_last_trace_row_gives_the_certainty() -> None:
    for findings in ([f(1, "RCT")], [f(1, "DID"), f(2, "ITS", risk_of_bias="SOME")], [f(1, "PREPOST")]):
        result = _rate(findings)
        assert result.trace[-1].level == result.certainty
        assert [s.domain for s in result.trace][: len(DOMAINS)] == DOMAINS


# --- extent, sustained, replication ------------------------------------------------------------------------


def test_extent_counts_the_distinct_samples_the_rating_rests_on() -> None:
    assert _rate([f(1, "RCT")]).extent == "SINGLE"
    assert _rate([f(1, "RCT"), f(2, "RCT", sample_key="study:10001")]).extent == "SINGLE"  # one sample, reported twice
    assert _rate([f(1, "RCT"), f(2, "DID"), f(3, "PREPOST")]).extent == "MULTIPLE"
    assert _rate([f(1, "CASE")]).extent == "NONE"


@pytest.mark.parametrize(("months", "sustained"), [(None, False), (6, False), (11, False), (12, True), (36, True)])
def test_an_effect_followed_up_for_12_months_is_sustained(months: int | None, sustained: bool) -> None:
    assert _rate([f(1, "RCT"), f(2, "DID", follow_up_months=months)]).sustained is sustained


def test_a_long_follow_up_the_rating_does_not_rest_on_does_not_make_it_sustained() -> None:
    result = _rate([f(1, "RCT"), f(2, "PREPOST", follow_up_months=24), f(3, "CASE", follow_up_months=24)])
    assert result.rating == "EFFECTIVE" and result.sustained is False


REPLICATIONS = {
    "two independent assessors, two samples": ([f(1, "RCT"), f(2, "DID")], True),
    "one assessor, two samples": ([f(1, "RCT"), f(2, "DID", assessing_organisation_id=1001)], False),
    "two assessors, one sample": ([f(1, "RCT"), f(2, "DID", sample_key="study:10001")], False),
    "one of them self-assessed": ([f(1, "RCT"), f(2, "DID", independence="SELF")], False),
    "one of them a participant": ([f(1, "RCT"), f(2, "DID", independence="PARTICIPANT")], False),
    "the second one not counted": ([f(1, "RCT"), f(2, "PREPOST")], False),
}


@pytest.mark.parametrize(("findings", "replicated"), REPLICATIONS.values(), ids=REPLICATIONS.keys())
def test_independent_replication_needs_two_samples_from_two_independent_assessors(findings: list, replicated: bool) -> None:
    assert _rate(findings).independently_replicated is replicated
