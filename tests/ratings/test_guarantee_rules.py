"""What every rating of rule set version 1 guarantees, checked on generated bodies of findings (hypothesis), and
the loader refusing a rule set that would break a guarantee. The probe from issue 15 (a self-reported
monitoring finding with a negative effect, claimed EFFECTIVE / HIGH) is pinned as a plain case. Called on the
engine directly; tests/ratings/test_published_rules.py serves the guarantees through GraphQL."""

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from api.ratings.engine import FindingEvidence, Subject, evaluate
from api.ratings.ruleset import Ruleset, load_ruleset, read_document
from tests.factories import DESIGN_COMPARISON, design_levels, finding_evidence

RULES = load_ruleset("1")
DESIGNS = sorted(design_levels())
DESCRIPTIVE = ["CASE", "XSEC", "TECH-BENCH", "MODEL", "EXPERT", "LEGAL", "EGM"]
NOT_INDEPENDENT = ("SELF", "PARTICIPANT")
EXAMPLES = settings(max_examples=400, deadline=None, derandomize=True)

subjects = st.one_of(
    st.builds(Subject, kind=st.just("INITIATIVE"), status=st.sampled_from(["PIPELINE", "IMPLEMENTATION", "CLOSED", None]),
              mandated=st.booleans()),
    st.builds(Subject, kind=st.just("PRACTICE"),
              evidence_basis=st.lists(st.sampled_from(["ASSESSMENTS", "CONSENSUS", "LEGAL-MANDATE"]), max_size=2).map(tuple)),
)


@st.composite
def findings(draw: st.DrawFn, designs: list[str] = DESIGNS, independence: tuple = ("SELF", "PARTICIPANT", "INDEPENDENT"),
             directions: tuple = ("POSITIVE", "NO-EFFECT", "NEGATIVE", "MIXED", "UNCLEAR", "NOT-APPLICABLE")) -> list[FindingEvidence]:
    """Up to 8 findings on one outcome, a few of them sharing samples and assessors; weighted towards what the
    rules count (comparative designs, clear directions, significant effects), so that every rating turns up."""
    count = draw(st.integers(0, 8))
    designs = designs + [d for d in designs if (design_levels()[d] or 0) >= 3 or d == "SR-MA"] * 3
    directions = directions + tuple(d for d in directions if d in ("POSITIVE", "NEGATIVE")) * 3
    found = []
    for i in range(count):
        design = draw(st.sampled_from(designs))
        low = draw(st.one_of(st.none(), st.floats(-2, 2)))
        found.append(
            finding_evidence(
                i + 1,
                design,
                sample_key=draw(st.sampled_from(["a", "b", "c", f"study:{i}"])),
                assessing_organisation_id=draw(st.integers(1, 3)),
                independence=draw(st.sampled_from(independence)),
                comparison=draw(st.sampled_from([DESIGN_COMPARISON.get(design, "NONE")] * 4 + ["NONE", "PRE-POST", "RANDOMISED"])),
                outcome_rise=draw(st.sampled_from(["DESIRABLE", "UNDESIRABLE"] * 3 + ["CONTEXT"])),
                effect_direction=draw(st.sampled_from(directions)),
                significance=draw(st.sampled_from(["YES"] * 3 + ["NO", "NOT-TESTED"])),
                risk_of_bias=draw(st.sampled_from(["LOW", "SOME", "HIGH", None])),
                effect_size=draw(st.one_of(st.none(), st.floats(-3, 3))),
                ci_low=low,
                ci_high=None if low is None else low + draw(st.floats(0, 2)),
                follow_up_months=draw(st.one_of(st.none(), st.integers(0, 48))),
                withdrawn=draw(st.sampled_from([False] * 6 + [True])),
            )
        )
    return found


@EXAMPLES
@given(subjects, findings())
def test_effective_always_rests_on_an_independent_significant_desirable_effect(subject: Subject, body: list) -> None:
    result = evaluate(RULES, subject, "OFFENDING", body)
    if result.rating == "EFFECTIVE":
        counted = {c.finding_id for c in result.contributions if c.counted}
        assert any(
            f.finding_id in counted and f.independence not in NOT_INDEPENDENT
            and (f.effect_direction, f.significance) == ("POSITIVE", "YES")
            for f in body
        )  # fmt: skip


@EXAMPLES
@given(subjects, findings(independence=NOT_INDEPENDENT))
def test_the_lead_and_participants_alone_never_make_anything_effective(subject: Subject, body: list) -> None:
    assert evaluate(RULES, subject, "OFFENDING", body).rating != "EFFECTIVE"


@EXAMPLES
@given(subjects, findings(directions=("NO-EFFECT", "NEGATIVE", "MIXED", "UNCLEAR", "NOT-APPLICABLE")))
def test_without_a_desirable_direction_nothing_is_effective_promising_or_emerging(subject: Subject, body: list) -> None:
    assert evaluate(RULES, subject, "OFFENDING", body).rating not in ("EFFECTIVE", "PROMISING", "EMERGING")


@EXAMPLES
@given(subjects, findings(designs=DESCRIPTIVE))
def test_descriptive_findings_alone_never_count_nor_qualify_for_a_rating_that_rests_on_findings(subject: Subject, body: list) -> None:
    result = evaluate(RULES, subject, "OFFENDING", body)
    assert result.rating in ("PRUDENT", "PIONEERING", "NOT-RATED")
    assert result.certainty == "NOT-ASSESSED"
    assert not any(c.counted for c in result.contributions)


@EXAMPLES
@given(subjects, findings(), findings(designs=["CASE"]), st.randoms(use_true_random=False))
def test_adding_monitoring_findings_changes_nothing_but_the_list_of_findings_set_aside(
    subject: Subject, body: list, monitoring: list, shuffle: random.Random
) -> None:
    # Monitoring findings get ids and samples of their own, so they cannot stand in for a report of the body.
    monitoring = [
        finding_evidence(100 + i, "CASE", **{k: getattr(m, k) for k in ("independence", "effect_direction", "significance")},
                         sample_key=f"monitoring:{i}")
        for i, m in enumerate(monitoring)
    ]
    mixed = body + monitoring
    shuffle.shuffle(mixed)
    alone, together = evaluate(RULES, subject, "OFFENDING", body), evaluate(RULES, subject, "OFFENDING", mixed)
    assert (together.rating, together.rule_id, together.certainty, together.trace) == (
        alone.rating, alone.rule_id, alone.certainty, alone.trace)
    assert (together.extent, together.sustained, together.independently_replicated, together.self_evaluated_only) == (
        alone.extent, alone.sustained, alone.independently_replicated, alone.self_evaluated_only)
    monitoring_ids = {m.finding_id for m in monitoring}
    # Set aside as descriptive, or by an earlier check (a direction that says nothing).
    reasons = {c.reason for c in together.contributions if c.finding_id in monitoring_ids}
    assert reasons <= {"DESCRIPTIVE-DESIGN", "NO-DIRECTION"}


@EXAMPLES
@given(subjects, findings(), st.randoms(use_true_random=False))
def test_the_order_of_the_findings_never_changes_the_rating(subject: Subject, body: list, shuffle: random.Random) -> None:
    shuffled = list(body)
    shuffle.shuffle(shuffled)
    first, second = evaluate(RULES, subject, "OFFENDING", body), evaluate(RULES, subject, "OFFENDING", shuffled)
    assert (first.rating, first.rule_id, first.certainty, first.extent, first.sustained, first.independently_replicated) == (
        second.rating, second.rule_id, second.certainty, second.extent, second.sustained, second.independently_replicated)
    assert first.trace == second.trace
    assert sorted(first.contributions, key=lambda c: c.finding_id) == sorted(second.contributions, key=lambda c: c.finding_id)
    assert [c.finding_id for c in second.contributions] == [f.finding_id for f in shuffled]
    # Same inputs, same result.
    assert evaluate(RULES, subject, "OFFENDING", body) == first


@EXAMPLES
@given(subjects, findings())
def test_every_result_is_complete_and_within_the_vocabularies(subject: Subject, body: list) -> None:
    result = evaluate(RULES, subject, "OFFENDING", body)
    assert [c.finding_id for c in result.contributions] == [f.finding_id for f in body]
    assert all((c.reason is None) == c.counted and c.explanation for c in result.contributions)
    assert result.rating in {r.rating for r in RULES.rules} | {"PROMISING"}
    assert result.trace[0].domain == "START" and result.trace[-1].level == result.certainty
    if result.rating in RULES.certainty.not_assessed_for:
        assert result.certainty == "NOT-ASSESSED" and len(result.trace) == 1
    else:
        assert result.certainty in RULES.certainty.levels
    counted = {c.finding_id for c in result.contributions if c.counted}
    samples = len({f.sample_key for f in body if f.finding_id in counted})
    assert result.extent == {0: "NONE", 1: "SINGLE"}.get(samples, "MULTIPLE")


# --- the probe ---------------------------------------------------------------------------------------------


def test_a_self_reported_monitoring_finding_with_a_negative_effect_is_never_effective() -> None:
    # Issue 15: a contributor claimed EFFECTIVE with HIGH certainty for this finding.
    probe = finding_evidence(1, "CASE", outcome="RE-UPLOAD", independence="SELF", effect_direction="NEGATIVE",
                             significance="NOT-TESTED", risk_of_bias=None)
    for subject, rating in [
        (Subject("INITIATIVE", status="IMPLEMENTATION"), "PIONEERING"),
        (Subject("INITIATIVE", status="CLOSED"), "NOT-RATED"),
    ]:
        result = evaluate(RULES, subject, "RE-UPLOAD", [probe])
        assert (result.rating, result.certainty) == (rating, "NOT-ASSESSED")
        assert [(c.counted, c.reason) for c in result.contributions] == [(False, "DESCRIPTIVE-DESIGN")]


# --- the loader keeps the guarantees -----------------------------------------------------------------------


def _effective(document: dict) -> dict:
    return next(rule for rule in document["rules"] if rule["rating"] == "EFFECTIVE")


def _without_independence(document: dict) -> None:
    del _effective(document)["independence"]


def _allowing_participants(document: dict) -> None:
    _effective(document)["independence"]["outside"] = ["SELF"]


def _qualifying_on_any_direction(document: dict) -> None:
    del _effective(document)["when"][0]["any_of"][0]["samples"]["directions"]


def _qualifying_on_negative_effects(document: dict) -> None:
    _effective(document)["when"][0]["any_of"][1]["samples"]["directions"] = ["POSITIVE", "NEGATIVE"]


def _qualifying_on_untested_effects(document: dict) -> None:
    _effective(document)["when"][0]["any_of"][2]["samples"]["significance"] = ["YES", "NOT-TESTED"]


def _effective_for_a_mandate(document: dict) -> None:
    _effective(document)["when"] = [{"subject": {"kind": "INITIATIVE", "mandated": True}}]


def _counting_monitoring_data(document: dict) -> None:
    check = next(c for c in document["eligibility"] if c["code"] == "DESCRIPTIVE-DESIGN")
    check["when"]["designs"].remove("CASE")


def _monitoring_set_aside_only_when_self_reported(document: dict) -> None:
    check = next(c for c in document["eligibility"] if c["code"] == "DESCRIPTIVE-DESIGN")
    check["when"]["independence"] = ["SELF"]


def _a_last_rule_that_may_not_hold(document: dict) -> None:
    document["rules"][-1]["when"] = [{"samples": {}, "at_least": 1}]


def _an_assessed_rating_resting_on_nothing(document: dict) -> None:
    del _effective(document)["rests_on"]


def _an_unknown_placeholder(document: dict) -> None:
    document["eligibility"][0]["explanation"] = "Set aside: {assessor_name}."


def _a_risk_of_bias_step_misdocumented(document: dict) -> None:
    next(s for s in document["certainty"]["steps"] if s["kind"] == "RISK-OF-BIAS")["changes"]["HIGH"] = -3


BROKEN = [
    _without_independence, _allowing_participants, _qualifying_on_any_direction, _qualifying_on_negative_effects,
    _qualifying_on_untested_effects, _effective_for_a_mandate, _counting_monitoring_data,
    _monitoring_set_aside_only_when_self_reported, _a_last_rule_that_may_not_hold, _an_assessed_rating_resting_on_nothing,
    _an_unknown_placeholder, _a_risk_of_bias_step_misdocumented,
]  # fmt: skip


@pytest.mark.parametrize("breaking", BROKEN, ids=[b.__name__.strip("_") for b in BROKEN])
def test_the_loader_refuses_a_rule_set_that_breaks_a_guarantee_or_contradicts_itself(breaking) -> None:  # noqa: ANN001
    document = read_document("1")
    Ruleset.model_validate(document)  # the published one is accepted
    breaking(document)
    with pytest.raises(ValidationError):
        Ruleset.model_validate(document)
