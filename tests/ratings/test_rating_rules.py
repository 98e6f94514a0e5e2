"""Each rule of rule set version 1 firing, in its order, and the cases next to it that must not fire it. Called
on the engine directly; tests/ratings/test_published_rules.py serves the rules through GraphQL."""

import pytest

from api.ratings.engine import Subject, evaluate, evaluate_subject
from api.ratings.ruleset import load_ruleset
from tests.factories import finding_evidence as f

RULES = load_ruleset("1")
CLOSED = Subject("INITIATIVE", status="CLOSED")
SIGNIFICANT_HARM = {"effect_direction": "NEGATIVE", "significance": "YES"}
NULL = {"effect_direction": "NO-EFFECT", "significance": "NO"}


def _rated(findings, subject: Subject = CLOSED) -> tuple[str, str, bool]:  # noqa: ANN001
    result = evaluate(RULES, subject, "OFFENDING", findings)
    return result.rating, result.rule_id, result.self_evaluated_only


def test_the_rules_run_in_the_published_order() -> None:
    assert [r.id for r in RULES.rules] == [
        "HARMFUL", "CONFLICTING", "EFFECTIVE", "PROMISING", "NO-EFFECT", "EMERGING", "PRUDENT", "PIONEERING", "NOT-RATED"]


# --- HARMFUL and CONFLICTING -------------------------------------------------------------------------------


@pytest.mark.parametrize("design", ["DID", "ITS", "PSM", "RDD", "RCT", "SR-MA"])
def test_one_comparative_sample_with_a_significant_undesirable_effect_is_harmful(design: str) -> None:
    assert _rated([f(1, design, **SIGNIFICANT_HARM), f(2, "PREPOST")]) == ("HARMFUL", "HARMFUL", False)


@pytest.mark.parametrize(
    "values",
    [{"effect_direction": "NEGATIVE", "significance": "NO"}, {"effect_direction": "NEGATIVE", "significance": "NOT-TESTED"}],
    ids=["not significant", "not tested"],
)
def test_an_undesirable_effect_that_is_not_significant_is_not_harmful(values: dict) -> None:
    assert _rated([f(1, "DID", **values)])[0] == "NOT-RATED"


def test_a_significant_undesirable_effect_below_sms_3_is_not_harmful() -> None:
    # A pre-post study cannot show harm any more than benefit; its negative direction still blocks EMERGING.
    assert _rated([f(1, "PREPOST", **SIGNIFICANT_HARM)])[0] == "NOT-RATED"
    assert _rated([f(1, "PREPOST-C", **SIGNIFICANT_HARM), f(2, "QUAL")])[0] == "NOT-RATED"


def test_significant_effects_in_both_directions_are_conflicting() -> None:
    assert _rated([f(1, "DID", **SIGNIFICANT_HARM), f(2, "RCT")]) == ("CONFLICTING", "CONFLICTING", False)


# --- EFFECTIVE and PROMISING -------------------------------------------------------------------------------

EFFECTIVE_BODIES = {
    "two samples at SMS 3": [f(1, "DID"), f(2, "ITS")],
    "one sample at SMS 5": [f(1, "CRCT")],
    "a meta-analysis at low risk of bias": [f(1, "SR-MA")],
    "two at SMS 3 beside a null one": [f(1, "PSM"), f(2, "IV"), f(3, "DID", **NULL)],
}


@pytest.mark.parametrize("findings", EFFECTIVE_BODIES.values(), ids=EFFECTIVE_BODIES.keys())
def test_effective(findings: list) -> None:
    assert _rated(findings) == ("EFFECTIVE", "EFFECTIVE", False)


PROMISING_BODIES = {
    "one sample at SMS 3": [f(1, "DID")],
    "one at SMS 4": [f(1, "RDD")],
    "a meta-analysis at some risk of bias": [f(1, "SR-MA", risk_of_bias="SOME")],
    "a meta-analysis whose risk of bias is not coded": [f(1, "SR-MA", risk_of_bias=None)],
    "a meta-analysis and one sample at SMS 3": [f(1, "SR-MA", risk_of_bias="HIGH"), f(2, "DID")],
    "one at SMS 3 and one not significant": [f(1, "DID"), f(2, "ITS", significance="NO")],
}


@pytest.mark.parametrize("findings", PROMISING_BODIES.values(), ids=PROMISING_BODIES.keys())
def test_promising(findings: list) -> None:
    assert _rated(findings) == ("PROMISING", "PROMISING", False)


@pytest.mark.parametrize("assessors", [("SELF", "SELF"), ("PARTICIPANT", "PARTICIPANT"), ("SELF", "PARTICIPANT")])
def test_effective_evidence_from_the_lead_or_participants_only_is_promising_and_says_so(assessors: tuple) -> None:
    findings = [f(1, "RCT", independence=assessors[0]), f(2, "DID", independence=assessors[1])]
    assert _rated(findings) == ("PROMISING", "EFFECTIVE", True)


def test_one_independent_sample_among_those_that_qualify_is_enough_for_effective() -> None:
    findings = [f(1, "DID", independence="SELF"), f(2, "ITS", independence="INDEPENDENT")]
    assert _rated(findings) == ("EFFECTIVE", "EFFECTIVE", False)


def test_an_independent_sample_that_does_not_qualify_does_not_lift_self_evaluated_evidence() -> None:
    # The independent study found nothing: the qualifying trial is the lead's own.
    findings = [f(1, "RCT", independence="SELF"), f(2, "DID", **NULL)]
    assert _rated(findings) == ("PROMISING", "EFFECTIVE", True)


def test_a_promising_rating_from_one_self_evaluated_sample_carries_no_flag() -> None:
    # The flag says EFFECTIVE was held back; one sample at SMS 3 was never EFFECTIVE.
    assert _rated([f(1, "DID", independence="SELF")]) == ("PROMISING", "PROMISING", False)


# --- NO-EFFECT ---------------------------------------------------------------------------------------------


def test_two_tested_comparative_samples_without_a_significant_effect_are_no_effect() -> None:
    findings = [f(1, "RCT", **NULL), f(2, "DID", effect_direction="POSITIVE", significance="NO")]
    assert _rated(findings) == ("NO-EFFECT", "NO-EFFECT", False)


@pytest.mark.parametrize(
    "findings",
    [
        [f(1, "RCT", **NULL)],
        [f(1, "RCT", **NULL), f(2, "DID", effect_direction="NO-EFFECT", significance="NOT-TESTED")],
        [f(1, "RCT", **NULL), f(2, "DID", effect_direction="MIXED", significance="YES")],
    ],
    ids=["one sample", "one untested", "one significant mixed"],
)
def test_no_effect_needs_two_tested_samples_and_no_significant_one(findings: list) -> None:
    assert _rated(findings)[0] == "NOT-RATED"


# --- EMERGING ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "findings",
    [
        [f(1, "PREPOST", significance="NOT-TESTED")],
        [f(1, "PREPOST-C", significance="NO")],
        [f(1, "QUAL", significance="NOT-TESTED")],
        [f(1, "MIXED")],
        [f(1, "DID", comparison="NONE")],  # capped to SMS 1
    ],
    ids=["pre-post", "pre-post with comparison", "qualitative", "mixed methods", "capped"],
)
def test_weaker_designs_pointing_the_desirable_way_are_emerging(findings: list) -> None:
    assert _rated(findings) == ("EMERGING", "EMERGING", False)


def test_one_finding_pointing_the_undesirable_way_blocks_emerging_whatever_its_design() -> None:
    assert _rated([f(1, "PREPOST"), f(2, "QUAL", effect_direction="NEGATIVE", significance="NOT-TESTED")])[0] == "NOT-RATED"
    assert _rated([f(1, "PREPOST"), f(2, "DID", effect_direction="NEGATIVE", significance="NO")])[0] == "NOT-RATED"


def test_emerging_rests_on_the_weaker_designs_only() -> None:
    result = evaluate(RULES, CLOSED, "OFFENDING", [f(1, "PREPOST"), f(2, "DID", **NULL)])
    assert result.rating == "EMERGING"
    assert [(c.finding_id, c.counted, c.reason) for c in result.contributions] == [(1, True, None), (2, False, "NOT-RELIED-ON")]


# --- without kept findings: PRUDENT, PIONEERING, NOT-RATED -------------------------------------------------

MONITORING = [f(1, "CASE", independence="SELF")]


@pytest.mark.parametrize(
    "subject",
    [
        Subject("PRACTICE", evidence_basis=("LEGAL-MANDATE",)),
        Subject("PRACTICE", evidence_basis=("ASSESSMENTS", "CONSENSUS")),
        Subject("INITIATIVE", status="CLOSED", mandated=True),
        Subject("INITIATIVE", status="PIPELINE", mandated=True),  # PRUDENT comes before PIONEERING
    ],
    ids=["legal mandate", "consensus", "mandated initiative", "mandated in the pipeline"],
)
def test_mandated_or_consensual_subjects_without_kept_findings_are_prudent(subject: Subject) -> None:
    assert _rated(MONITORING, subject) == ("PRUDENT", "PRUDENT", False)


@pytest.mark.parametrize("status", ["PIPELINE", "IMPLEMENTATION"])
def test_new_initiatives_without_kept_findings_are_pioneering(status: str) -> None:
    assert _rated(MONITORING, Subject("INITIATIVE", status=status)) == ("PIONEERING", "PIONEERING", False)


@pytest.mark.parametrize(
    "subject",
    [Subject("INITIATIVE", status=s) for s in ("FINALISATION", "CLOSED", "CANCELLED", "SUSPENDED", None)]
    + [Subject("PRACTICE", evidence_basis=("ASSESSMENTS",)), Subject("PRACTICE")],
)
def test_other_subjects_without_kept_findings_are_not_rated(subject: Subject) -> None:
    assert _rated(MONITORING, subject) == ("NOT-RATED", "NOT-RATED", False)


def test_a_kept_finding_keeps_a_subject_from_prudent_and_pioneering() -> None:
    # A single null comparative sample: evidence, though not enough for any rule.
    for subject in (Subject("PRACTICE", evidence_basis=("LEGAL-MANDATE",)), Subject("INITIATIVE", status="PIPELINE")):
        assert _rated([f(1, "DID", **NULL)], subject)[0] == "NOT-RATED"


def test_a_systematic_review_without_meta_analysis_is_kept_but_no_rule_rests_on_it() -> None:
    result = evaluate(RULES, Subject("INITIATIVE", status="IMPLEMENTATION"), "OFFENDING", [f(1, "SR")])
    assert (result.rating, result.contributions[0].reason) == ("NOT-RATED", "NOT-RELIED-ON")


# --- every outcome of a subject ----------------------------------------------------------------------------


def test_a_subject_gets_one_result_per_outcome_in_code_order() -> None:
    findings = [
        f(1, "DID", outcome="WELLBEING"),
        f(2, "CASE", outcome="REPORT-VOLUME", outcome_rise="CONTEXT"),
        f(3, "RCT"),
        f(4, "PREPOST", outcome="WELLBEING"),
    ]
    results = evaluate_subject(RULES, Subject("INITIATIVE", status="IMPLEMENTATION"), findings)
    assert [(r.outcome, r.rating, [c.finding_id for c in r.contributions]) for r in results] == [
        ("OFFENDING", "EFFECTIVE", [3]),
        ("REPORT-VOLUME", "PIONEERING", [2]),
        ("WELLBEING", "PROMISING", [1, 4]),
    ]
    assert all(r.ruleset_version == "1" for r in results)
