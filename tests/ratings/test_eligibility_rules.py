"""Which findings a rating may rest on: each eligibility check of rule set version 1 with its reason code and
words, the order the checks run in, one sample counted once, and SMS levels capped by the comparison. Called
on the engine directly; tests/ratings/test_published_rules.py serves the same checks through GraphQL."""

import pytest

from api.ratings.engine import Contribution, Subject, effective_sms, evaluate
from api.ratings.ruleset import load_ruleset
from tests.factories import finding_evidence

RULES = load_ruleset("1")
CLOSED = Subject("INITIATIVE", status="CLOSED")


def _reasons(findings, subject: Subject = CLOSED) -> list[tuple[int, bool, str | None]]:  # noqa: ANN001
    result = evaluate(RULES, subject, "OFFENDING", findings)
    return [(c.finding_id, c.counted, c.reason) for c in result.contributions]


SET_ASIDE = {
    "withdrawn": ({"withdrawn": True}, "WITHDRAWN"),
    "context-only outcome": ({"outcome_rise": "CONTEXT"}, "CONTEXT-OUTCOME"),
    "direction not applicable": ({"effect_direction": "NOT-APPLICABLE"}, "NO-DIRECTION"),
    "direction unclear": ({"effect_direction": "UNCLEAR"}, "NO-DIRECTION"),
}


@pytest.mark.parametrize(("values", "reason"), SET_ASIDE.values(), ids=SET_ASIDE.keys())
def test_a_finding_is_set_aside_with_its_reason(values: dict, reason: str) -> None:
    result = evaluate(RULES, CLOSED, "OFFENDING", [finding_evidence(1, **values)])
    assert result.contributions == [
        Contribution(1, False, reason, result.contributions[0].explanation)
    ]
    assert result.contributions[0].explanation.startswith("Set aside")
    assert (result.rating, result.extent) == ("NOT-RATED", "NONE")


def test_the_explanations_name_what_set_the_finding_aside() -> None:
    result = evaluate(
        RULES, CLOSED, "OFFENDING",
        [finding_evidence(1, withdrawn=True), finding_evidence(2, effect_direction="UNCLEAR"),
         finding_evidence(3, "CASE"), finding_evidence(4, outcome_rise="CONTEXT")],
    )
    assert [c.explanation for c in result.contributions] == [
        "Set aside because assessment 101 is withdrawn or a draft.",
        "Set aside because its effect direction is UNCLEAR.",
        "Set aside because a study of design CASE describes; it does not measure an effect on OFFENDING.",
        "Set aside because a change in OFFENDING is context only, neither desirable nor undesirable.",
    ]


@pytest.mark.parametrize("design", ["CASE", "XSEC", "TECH-BENCH", "MODEL", "EXPERT", "LEGAL", "EGM"])
def test_descriptive_designs_never_count(design: str) -> None:
    # Even with every other property of strong evidence (a randomised comparison, significance, independence).
    findings = [finding_evidence(i, design, comparison="RANDOMISED", sms=5) for i in (1, 2)]
    assert _reasons(findings) == [(1, False, "DESCRIPTIVE-DESIGN"), (2, False, "DESCRIPTIVE-DESIGN")]


@pytest.mark.parametrize("design", ["RCT", "CRCT", "RDD", "IV", "DID", "ITS", "PSM", "PREPOST-C", "PREPOST", "SR-MA",
                                    "SR", "QUAL", "MIXED"])
def test_designs_that_measure_an_effect_are_kept(design: str) -> None:
    [(_, _, reason)] = _reasons([finding_evidence(1, design)])
    assert reason != "DESCRIPTIVE-DESIGN" and reason in (None, "NOT-RELIED-ON")


def test_the_first_check_that_matches_gives_the_reason() -> None:
    # Withdrawn, context-only, unclear and descriptive all at once: WITHDRAWN runs first.
    everything = {"withdrawn": True, "outcome_rise": "CONTEXT", "effect_direction": "UNCLEAR"}
    findings = [
        finding_evidence(1, "CASE", **everything),
        finding_evidence(2, "CASE", outcome_rise="CONTEXT", effect_direction="UNCLEAR"),
        finding_evidence(3, "CASE", effect_direction="NOT-APPLICABLE"),
    ]
    assert _reasons(findings) == [(1, False, "WITHDRAWN"), (2, False, "CONTEXT-OUTCOME"), (3, False, "NO-DIRECTION")]


# --- one sample, counted once ------------------------------------------------------------------------------


def test_the_report_at_the_higher_sms_level_is_kept() -> None:
    findings = [
        finding_evidence(1, "PREPOST", sample_key="s"),
        finding_evidence(2, "DID", sample_key="s"),
        finding_evidence(3, "RCT", sample_key="s"),
    ]
    result = evaluate(RULES, CLOSED, "OFFENDING", findings)
    assert [(c.finding_id, c.reason) for c in result.contributions] == [
        (1, "DUPLICATE-SAMPLE"), (2, "DUPLICATE-SAMPLE"), (3, None)]
    assert result.contributions[0].explanation == "Set aside as another report of sample s; finding 3 is kept for it."
    assert result.extent == "SINGLE"


def test_at_one_level_the_report_at_lower_risk_of_bias_is_kept_and_an_uncoded_one_ranks_last() -> None:
    findings = [
        finding_evidence(1, "DID", sample_key="s", risk_of_bias=None),
        finding_evidence(2, "DID", sample_key="s", risk_of_bias="HIGH"),
        finding_evidence(3, "DID", sample_key="s", risk_of_bias="SOME"),
    ]
    assert _reasons(findings) == [(1, False, "DUPLICATE-SAMPLE"), (2, False, "DUPLICATE-SAMPLE"), (3, True, None)]


def test_between_equally_coded_reports_the_lower_finding_id_is_kept_whatever_the_input_order() -> None:
    findings = [finding_evidence(9, "DID", sample_key="s"), finding_evidence(4, "DID", sample_key="s")]
    assert _reasons(findings) == [(9, False, "DUPLICATE-SAMPLE"), (4, True, None)]
    assert _reasons(findings[::-1]) == [(4, True, None), (9, False, "DUPLICATE-SAMPLE")]


def test_two_reports_of_one_sample_are_one_sample_for_the_rules() -> None:
    # Two significant DID reports: two samples would be EFFECTIVE; one sample reported twice is PROMISING.
    two_samples = [finding_evidence(1, "DID"), finding_evidence(2, "DID")]
    one_sample = [finding_evidence(1, "DID", sample_key="s"), finding_evidence(2, "DID", sample_key="s")]
    assert evaluate(RULES, CLOSED, "OFFENDING", two_samples).rating == "EFFECTIVE"
    assert evaluate(RULES, CLOSED, "OFFENDING", one_sample).rating == "PROMISING"


def test_a_report_set_aside_for_another_reason_never_hides_the_other_report_of_its_sample() -> None:
    # The withdrawn RCT report would win on SMS level; it is out before duplicates are looked for.
    findings = [finding_evidence(1, "RCT", sample_key="s", withdrawn=True), finding_evidence(2, "DID", sample_key="s")]
    assert _reasons(findings) == [(1, False, "WITHDRAWN"), (2, True, None)]


# --- SMS levels capped by the comparison -------------------------------------------------------------------

CAPS = [
    ("RCT", "RANDOMISED", 5), ("RCT", "MATCHED", 4), ("RCT", "UNMATCHED", 3), ("RCT", "PRE-POST", 2),
    ("RCT", "NONE", 1), ("DID", "MATCHED", 3), ("RDD", "MATCHED", 4), ("PREPOST-C", "UNMATCHED", 2),
    ("PREPOST", "PRE-POST", 1), ("QUAL", "NONE", None), ("SR-MA", "NONE", None), ("RCT", "SOMETHING-NEW", 1),
]  # fmt: skip


@pytest.mark.parametrize(("design", "comparison", "level"), CAPS)
def test_the_sms_level_is_the_lower_of_the_design_and_the_comparison_cap(design: str, comparison: str, level: int | None) -> None:
    assert effective_sms(RULES, finding_evidence(1, design, comparison=comparison)) == level


def test_an_rct_reported_without_its_control_group_rates_as_the_pre_post_study_it_is() -> None:
    as_trial = evaluate(RULES, CLOSED, "OFFENDING", [finding_evidence(1, "RCT")])
    as_pre_post = evaluate(RULES, CLOSED, "OFFENDING", [finding_evidence(1, "RCT", comparison="PRE-POST")])
    assert (as_trial.rating, as_pre_post.rating) == ("EFFECTIVE", "EMERGING")
    assert "SMS 2" in as_pre_post.contributions[0].explanation


# --- every finding is accounted for ------------------------------------------------------------------------


def test_contributions_list_every_finding_in_input_order_with_kept_but_unused_ones_named() -> None:
    findings = [
        finding_evidence(5, "PREPOST"),           # kept: the EFFECTIVE rule rests on SMS 3 and above only
        finding_evidence(3, "RCT"),
        finding_evidence(8, "CASE", independence="SELF"),
        finding_evidence(1, "DID"),
    ]
    result = evaluate(RULES, CLOSED, "OFFENDING", findings)
    assert result.rating == "EFFECTIVE"
    assert [(c.finding_id, c.counted, c.reason) for c in result.contributions] == [
        (5, False, "NOT-RELIED-ON"), (3, True, None), (8, False, "DESCRIPTIVE-DESIGN"), (1, True, None)]
    assert result.contributions[0].explanation == (
        "Kept, but rule EFFECTIVE (EFFECTIVE) rests on the kept samples at SMS 3 or above and the kept systematic "
        "reviews with meta-analysis; this finding (design PREPOST at SMS 1) is not among them."
    )
    assert result.contributions[1].explanation == (
        "Counted by rule EFFECTIVE: design RCT at SMS 5, direction POSITIVE, significance YES, assessed INDEPENDENT."
    )


def test_a_finding_on_another_outcome_is_refused() -> None:
    with pytest.raises(ValueError, match=r"findings \[2\] are not on outcome OFFENDING"):
        evaluate(RULES, CLOSED, "OFFENDING", [finding_evidence(1), finding_evidence(2, outcome="WELLBEING")])
