"""The rating engine: the outcome rating one rule set (api/ratings/ruleset.py) gives a body of findings.

Pure and deterministic: no database, no I/O, no clock; the same rule set, subject and findings always give
the same result, in the same order. The engine holds no threshold of its own: it interprets the rule set's
matches, counts and certainty steps, so another version computes differently without a change here. The
database side flattens each finding with its assessment and study into a `FindingEvidence` and stores what
`evaluate` returns.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from api.ratings.ruleset import (
    AnyOf,
    Clause,
    Count,
    DuplicateSample,
    ImprecisionStep,
    LargeEffectStep,
    Match,
    OppositeDirectionsStep,
    RiskOfBiasStep,
    Rule,
    Ruleset,
    SelfEvaluationStep,
    SubjectIs,
    SubjectMatch,
)

TRACE_START = "START"
Change = tuple[int, str]  # a certainty step's change and its explanation


@dataclass(frozen=True)
class FindingEvidence:
    """One finding, with what the rules need from its assessment and study (flattened by the caller)."""

    finding_id: int
    assessment_id: int
    assessing_organisation_id: int
    independence: str          # SELF | PARTICIPANT | INDEPENDENT
    study_id: int
    sample_key: str            # the study's sample key, or f"study:{study_id}" when it has none
    study_design: str          # a `study-design` code
    sms: int | None            # the design's Maryland SMS level from the vocabulary (None for designs without one)
    comparison: str            # NONE | PRE-POST | UNMATCHED | MATCHED | RANDOMISED
    peer_reviewed: bool | None
    outcome: str               # an `outcome` code
    outcome_rise: str          # DESIRABLE | UNDESIRABLE | CONTEXT  (the outcome vocabulary's attribute)
    effect_direction: str      # POSITIVE | NO-EFFECT | NEGATIVE | MIXED | UNCLEAR | NOT-APPLICABLE (relative to
                               # benefit: POSITIVE is always the desirable direction)
    significance: str          # YES | NO | NOT-TESTED
    effect_size: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    risk_of_bias: str | None = None        # LOW | SOME | HIGH | None (not coded)
    follow_up_months: int | None = None
    withdrawn: bool = False                # the assessment is deleted / withdrawn / a draft: never counts
    # The scale of effect_size and its interval: a key of the rule set's certainty.effect_scales (DIFFERENCE
    # for standardised differences, RATIO for odds, risk, hazard or rate ratios), or anything else for a
    # difference in natural units (no effect at 0, never judged large).
    effect_scale: str = "DIFFERENCE"


@dataclass(frozen=True)
class Subject:
    """What is rated: an initiative or a best practice."""

    kind: str                              # INITIATIVE | PRACTICE
    status: str | None = None              # an initiative's `initiative-status` code
    evidence_basis: Sequence[str] = ()     # a best practice's `evidence-basis` codes (ASSESSMENTS, CONSENSUS, LEGAL-MANDATE)
    mandated: bool = False                 # an initiative that is itself a law or treaty obligation


@dataclass(frozen=True)
class Contribution:
    finding_id: int
    counted: bool                  # True: the rating rests on it
    reason: str | None = None      # when not counted: a stable reason code from the rule set (e.g. DESCRIPTIVE-DESIGN)
    explanation: str = ""          # the reason in words, for people


@dataclass(frozen=True)
class TraceStep:
    """One row of the certainty trace, GRADE-style."""

    domain: str                    # START | RISK-OF-BIAS | INCONSISTENCY | IMPRECISION | SELF-EVALUATION | LARGE-EFFECT | ...
    change: int                    # 0 for START, negative for a downgrade, positive for an upgrade
    level: str                     # the certainty after this step (HIGH | MODERATE | LOW | VERY-LOW)
    explanation: str


@dataclass(frozen=True)
class RatingResult:
    ruleset_version: str
    outcome: str
    rating: str                    # an `evidence-rating` code
    rule_id: str                   # the id of the rule that gave it
    certainty: str                 # a `certainty` code (NOT-ASSESSED for NOT-RATED / PRUDENT / PIONEERING)
    extent: str                    # NONE | SINGLE | MULTIPLE   (distinct samples the rating rests on)
    sustained: bool                # one counted finding has follow-up >= the rule set's threshold (12 months)
    independently_replicated: bool # two counted samples from different INDEPENDENT assessors
    self_evaluated_only: bool      # EFFECTIVE was held back because only SELF/PARTICIPANT studies qualified
    contributions: list[Contribution] = field(default_factory=list)  # every input finding, in input order
    trace: list[TraceStep] = field(default_factory=list)


@dataclass(frozen=True)
class _Kept:
    """A finding that passed eligibility, with its SMS level after its comparison's cap."""

    position: int  # in the input
    finding: FindingEvidence
    sms: int | None


def effective_sms(ruleset: Ruleset, finding: FindingEvidence) -> int | None:
    """The lower of the design's SMS level and the cap of the finding's comparison (an unlisted comparison gets
    the lowest cap); None for a design without a level."""
    if finding.sms is None:
        return None
    caps = ruleset.comparison_caps
    return min(finding.sms, caps.get(finding.comparison, min(caps.values())))


def matches(match: Match, finding: FindingEvidence, sms: int | None) -> bool:
    """Whether `finding` (at SMS level `sms`) is one `match` describes."""
    coded = (
        (match.withdrawn, finding.withdrawn, False),
        (match.outcome_rise, finding.outcome_rise, True),
        (match.designs, finding.study_design, True),
        (match.comparison, finding.comparison, True),
        (match.directions, finding.effect_direction, True),
        (match.significance, finding.significance, True),
        (match.risk_of_bias, finding.risk_of_bias, True),
        (match.independence, finding.independence, True),
    )
    for wanted, value, listed in coded:
        if wanted is not None and (value not in wanted if listed else value != wanted):
            return False
    if match.min_sms is not None and (sms is None or sms < match.min_sms):
        return False
    if match.max_sms is not None and (sms is None or sms > match.max_sms):
        return False
    return match.any_of is None or any(matches(m, finding, sms) for m in match.any_of)


def subject_matches(match: SubjectMatch, subject: Subject) -> bool:
    if match.kind is not None and subject.kind != match.kind:
        return False
    if match.statuses is not None and subject.status not in match.statuses:
        return False
    if match.evidence_basis is not None and not set(subject.evidence_basis) & set(match.evidence_basis):
        return False
    if match.mandated is not None and subject.mandated != match.mandated:
        return False
    return match.any_of is None or any(subject_matches(m, subject) for m in match.any_of)


def _samples(kept: Sequence[_Kept]) -> int:
    return len({k.finding.sample_key for k in kept})


# --- eligibility -------------------------------------------------------------------------------------------


def _words(template: str, finding: FindingEvidence, sms: int | None, **more: object) -> str:
    values = {
        "finding_id": finding.finding_id,
        "assessment_id": finding.assessment_id,
        "study_id": finding.study_id,
        "sample_key": finding.sample_key,
        "study_design": finding.study_design,
        "design_sms": "none" if finding.sms is None else finding.sms,
        "sms": "none" if sms is None else sms,
        "comparison": finding.comparison,
        "outcome": finding.outcome,
        "outcome_rise": finding.outcome_rise,
        "effect_direction": finding.effect_direction,
        "significance": finding.significance,
        "independence": finding.independence,
        "risk_of_bias": finding.risk_of_bias or "not coded",
        "kept_finding_id": "",
        "rule_id": "",
        "rating": "",
        "rests_on": "",
    }
    return " ".join(template.format(**(values | more)).split())


def _preference(ruleset: Ruleset, duplicate: DuplicateSample) -> Callable[[_Kept], tuple]:
    """The sort key putting the report `duplicate` keeps first."""
    bias_rank = {code: rank for rank, code in enumerate(duplicate.risk_of_bias_order)}
    keys: dict[str, Callable[[_Kept], object]] = {
        "HIGHER-SMS": lambda k: -(k.sms if k.sms is not None else 0),
        "LOWER-RISK-OF-BIAS": lambda k: bias_rank.get(k.finding.risk_of_bias or "", len(bias_rank)),
        "INDEPENDENT-FIRST": lambda k: 0 if k.finding.independence in ruleset.extent.replication_independence else 1,
        "LOWER-FINDING-ID": lambda k: k.finding.finding_id,
    }
    chosen = [keys[name] for name in duplicate.keep]
    return lambda k: tuple(key(k) for key in chosen)


def _eligibility(
    ruleset: Ruleset, findings: Sequence[FindingEvidence]
) -> tuple[list[_Kept], dict[int, Contribution]]:
    """The findings kept (input order) and a contribution for each one set aside (by input position)."""
    in_play = [_Kept(i, f, effective_sms(ruleset, f)) for i, f in enumerate(findings)]
    set_aside: dict[int, Contribution] = {}
    for check in ruleset.eligibility:
        kept_for: dict[int, int] = {}  # position of a second report -> the finding kept for its sample
        if check.when is not None:
            out = [k for k in in_play if matches(check.when, k.finding, k.sms)]
        else:
            assert check.duplicate_sample is not None  # the model has one of the two
            best = _preference(ruleset, check.duplicate_sample)
            by_sample: dict[str, list[_Kept]] = {}
            for k in in_play:
                by_sample.setdefault(k.finding.sample_key, []).append(k)
            for reports in by_sample.values():
                first, *others = sorted(reports, key=best)
                kept_for |= {other.position: first.finding.finding_id for other in others}
            out = [k for k in in_play if k.position in kept_for]
        for k in out:
            explanation = _words(check.explanation, k.finding, k.sms, kept_finding_id=kept_for.get(k.position, ""))
            set_aside[k.position] = Contribution(k.finding.finding_id, False, check.code, explanation)
        in_play = [k for k in in_play if k.position not in set_aside]
    return in_play, set_aside


# --- rules -------------------------------------------------------------------------------------------------


def _holds(clause: Clause, subject: Subject, kept: Sequence[_Kept]) -> tuple[bool, list[_Kept]]:
    """Whether `clause` holds, and the kept findings that qualify the rule through it."""
    if isinstance(clause, Count):
        matched = [k for k in kept if matches(clause.samples, k.finding, k.sms)]
        n = _samples(matched)
        ok = (clause.at_least is None or n >= clause.at_least) and (clause.at_most is None or n <= clause.at_most)
        return ok, matched if ok and clause.at_least is not None else []
    if isinstance(clause, AnyOf):
        qualifying: list[_Kept] = []
        held = False
        for sub in clause.any_of:
            ok, found = _holds(sub, subject, kept)
            held = held or ok
            qualifying += [k for k in found if k not in qualifying]
        return held, qualifying
    assert isinstance(clause, SubjectIs)
    return subject_matches(clause.subject, subject), []


@dataclass(frozen=True)
class _Decision:
    rule: Rule
    rating: str
    self_evaluated_only: bool


def _decide(ruleset: Ruleset, subject: Subject, kept: Sequence[_Kept]) -> _Decision:
    """The first rule that holds (the last one always does), with the rating it gives."""
    for rule in ruleset.rules:
        qualifying: list[_Kept] = []
        for clause in rule.when:
            ok, found = _holds(clause, subject, kept)
            if not ok:
                break
            qualifying += [k for k in found if k not in qualifying]
        else:
            required = rule.independence
            if required is not None:
                outside = [k for k in qualifying if k.finding.independence not in required.outside]
                if _samples(outside) < required.at_least:
                    return _Decision(rule, required.otherwise, True)
            return _Decision(rule, rule.rating, False)
    raise AssertionError("the rule set's last rule holds for anything")  # Ruleset refuses any other


# --- certainty ---------------------------------------------------------------------------------------------


def _level(levels: Sequence[str], score: int) -> str:
    return levels[max(0, min(len(levels) - 1, score))]


def _ids(kept: Sequence[_Kept]) -> str:
    """Finding ids in their own order, so that a trace never depends on the order findings came in."""
    return ", ".join(str(i) for i in sorted(k.finding.finding_id for k in kept))


def _ci_holds_no_effect(ruleset: Ruleset, finding: FindingEvidence) -> bool:
    if finding.ci_low is None or finding.ci_high is None:
        return False
    scale = ruleset.certainty.effect_scales.get(finding.effect_scale)
    no_effect = scale.no_effect if scale is not None else 0.0
    return finding.ci_low <= no_effect <= finding.ci_high


def _is_large(ruleset: Ruleset, finding: FindingEvidence) -> bool:
    scale = ruleset.certainty.effect_scales.get(finding.effect_scale)
    if scale is None or scale.large is None or finding.effect_size is None:
        return False
    if scale.multiplicative:  # a ratio: as far below no effect as `large` times above it
        size = finding.effect_size / scale.no_effect
        return size >= scale.large or 0 < size <= 1 / scale.large
    return abs(finding.effect_size - scale.no_effect) >= scale.large


def _risk_of_bias(ruleset: Ruleset, step: RiskOfBiasStep, rating: str, counted: Sequence[_Kept], start: str) -> Change:
    if not counted:
        return 0, "No counted finding."
    coded = [(k.finding.risk_of_bias or step.uncoded_as, k) for k in counted]
    worst_code, worst = min(coded, key=lambda pair: (step.changes.get(pair[0], 0), pair[1].finding.finding_id))
    uncoded = [k for k in counted if k.finding.risk_of_bias is None]
    note = f"; not coded for finding {_ids(uncoded)}, which counts as {step.uncoded_as}" if uncoded else ""
    return step.changes.get(worst_code, 0), (
        f"Worst risk of bias among the counted findings: {worst_code} (finding {worst.finding.finding_id}){note}."
    )


def _inconsistency(ruleset: Ruleset, step: OppositeDirectionsStep, rating: str, counted: Sequence[_Kept], start: str) -> Change:
    one, other = step.directions
    first = [k for k in counted if k.finding.effect_direction == one]
    second = [k for k in counted if k.finding.effect_direction == other]
    if first and second:
        return step.change, f"Counted findings point both ways: {one} (finding {_ids(first)}), {other} (finding {_ids(second)})."
    return 0, f"No counted findings point in opposite directions ({one} and {other})."


def _imprecision(ruleset: Ruleset, step: ImprecisionStep, rating: str, counted: Sequence[_Kept], start: str) -> Change:
    reasons = []
    if step.single_sample and _samples(counted) == 1:
        reasons.append("the rating rests on a single sample")
    if rating in step.ci_ratings:
        wide = [k for k in counted if _ci_holds_no_effect(ruleset, k.finding)]
        if wide:
            reasons.append(f"the confidence interval of finding {_ids(wide)} holds no effect")
    if reasons:
        return step.change, "Imprecise: " + "; ".join(reasons) + "."
    checked = "no counted confidence interval holds no effect" if rating in step.ci_ratings else "intervals not judged"
    return 0, f"Not imprecise: {_samples(counted)} samples; {checked}."


def _self_evaluation(ruleset: Ruleset, step: SelfEvaluationStep, rating: str, counted: Sequence[_Kept], start: str) -> Change:
    outside = [k for k in counted if k.finding.independence not in step.only]
    if not outside:
        return step.change, f"Every counted finding was assessed {' or '.join(step.only)}."
    return 0, f"Finding {_ids(outside)} was assessed by an organisation that is neither {' nor '.join(step.only)}."


def _large_effect(ruleset: Ruleset, step: LargeEffectStep, rating: str, counted: Sequence[_Kept], start: str) -> Change | None:
    if rating not in step.directions:
        return None
    if start != step.from_level:
        return 0, f"The body started at {start}, not {step.from_level}: no upgrade for a large effect."
    randomised = ruleset.certainty.start.randomised_comparisons
    large = [
        k for k in counted
        if k.finding.significance in step.significance and k.finding.effect_direction in step.directions[rating]
        and k.finding.comparison not in randomised and _is_large(ruleset, k.finding)
    ]  # fmt: skip
    if large:
        return step.change, f"Large significant effect from a non-randomised sample (finding {_ids(large)})."
    return 0, "No counted non-randomised finding has a large significant effect in the rating's direction."


# How each kind of certainty step is computed: the change it makes and why, or None when it does not apply to
# the rating.
STEPS: dict[type, Callable[..., Change | None]] = {
    RiskOfBiasStep: _risk_of_bias,
    OppositeDirectionsStep: _inconsistency,
    ImprecisionStep: _imprecision,
    SelfEvaluationStep: _self_evaluation,
    LargeEffectStep: _large_effect,
}


def _certainty(ruleset: Ruleset, rating: str, counted: Sequence[_Kept]) -> tuple[str, list[TraceStep]]:
    rules = ruleset.certainty
    if rating in rules.not_assessed_for:
        return rules.not_assessed, [TraceStep(TRACE_START, 0, rules.not_assessed, rules.not_assessed_words)]
    levels = rules.levels
    randomised = [k.finding.comparison in rules.start.randomised_comparisons for k in counted]
    is_randomised = all(randomised) if rules.start.when == "ALL" else any(randomised)
    start = rules.start.randomised_level if counted and is_randomised else rules.start.otherwise_level
    kinds = "randomised" if counted and is_randomised else "not all randomised" if any(randomised) else "not randomised"
    score = levels.index(start)
    trace = [TraceStep(TRACE_START, 0, start, f"Counted samples: {_samples(counted)}, {kinds}; start at {start}.")]
    for step in rules.steps:
        outcome = STEPS[type(step)](ruleset, step, rating, counted, start)
        if outcome is None:
            continue
        change, explanation = outcome
        score += change
        level = _level(levels, score)
        if score < 0 or score >= len(levels):
            explanation += f" (shown as {level}: the scale ends there)"
        trace.append(TraceStep(step.domain, change, level, explanation))
    return _level(levels, score), trace


# --- the result --------------------------------------------------------------------------------------------


def _extent(counted: Sequence[_Kept]) -> str:
    n = _samples(counted)
    return "NONE" if n == 0 else "SINGLE" if n == 1 else "MULTIPLE"


def _replicated(ruleset: Ruleset, counted: Sequence[_Kept]) -> bool:
    independent = [k.finding for k in counted if k.finding.independence in ruleset.extent.replication_independence]
    return any(
        a.sample_key != b.sample_key and a.assessing_organisation_id != b.assessing_organisation_id
        for i, a in enumerate(independent)
        for b in independent[i + 1 :]
    )


def evaluate(ruleset: Ruleset, subject: Subject, outcome: str, findings: Sequence[FindingEvidence]) -> RatingResult:
    """The rating `ruleset` gives `subject` on `outcome` from `findings` (all of them on that outcome: a finding
    on another outcome is a caller's mistake and raises ValueError). Pure: no database, no I/O."""
    strays = [f.finding_id for f in findings if f.outcome != outcome]
    if strays:
        raise ValueError(f"findings {strays} are not on outcome {outcome}")
    kept, set_aside = _eligibility(ruleset, findings)
    decision = _decide(ruleset, subject, kept)
    rule = decision.rule
    basis = rule.rests_on
    counted = [k for k in kept if basis is not None and matches(basis.samples, k.finding, k.sms)]
    counted_at = {k.position for k in counted}
    certainty, trace = _certainty(ruleset, decision.rating, counted)
    words = ruleset.contributions
    described = {"rule_id": rule.id, "rating": decision.rating, "rests_on": basis.words if basis else "no finding"}
    contributions = dict(set_aside)
    for k in kept:
        if k.position in counted_at:
            explanation = _words(words.counted, k.finding, k.sms, **described)
            contributions[k.position] = Contribution(k.finding.finding_id, True, None, explanation)
        else:
            explanation = _words(words.unused, k.finding, k.sms, **described)
            contributions[k.position] = Contribution(k.finding.finding_id, False, words.unused_code, explanation)
    return RatingResult(
        ruleset_version=ruleset.version,
        outcome=outcome,
        rating=decision.rating,
        rule_id=rule.id,
        certainty=certainty,
        extent=_extent(counted),
        sustained=any((k.finding.follow_up_months or 0) >= ruleset.extent.sustained_months for k in counted),
        independently_replicated=_replicated(ruleset, counted),
        self_evaluated_only=decision.self_evaluated_only,
        contributions=[contributions[i] for i in range(len(findings))],
        trace=trace,
    )


def evaluate_subject(ruleset: Ruleset, subject: Subject, findings: Sequence[FindingEvidence]) -> list[RatingResult]:
    """One result per outcome present among `findings`, ordered by outcome code."""
    by_outcome: dict[str, list[FindingEvidence]] = {}
    for finding in findings:
        by_outcome.setdefault(finding.outcome, []).append(finding)
    return [evaluate(ruleset, subject, outcome, by_outcome[outcome]) for outcome in sorted(by_outcome)]
