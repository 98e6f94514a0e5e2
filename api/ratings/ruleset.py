"""The published rating rule sets: one file a version under seed/ratings/ (`<version>.yaml`), read into the
pydantic models below, which refuse anything the engine could not apply and any rule set that breaks the
guarantees every version keeps (`Ruleset._keeps_the_guarantees`).

A rule set is data the engine (`api/ratings/engine.py`) interprets: the findings a rule counts, the thresholds
and the certainty steps are parameters here, never code, so a new version computes differently without a
change to the engine. The files are part of coplab's published contract, like `schema/schema.graphql`: they
are read from the project's `seed/ratings/`, never from a directory a deployment chooses.
"""

import functools
import re
import string
from pathlib import Path
from typing import Annotated, Literal, Union

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from api.core.settings import PROJECT_ROOT

RATINGS_DIR = PROJECT_ROOT / "seed" / "ratings"
VERSION = re.compile(r"^[1-9][0-9]{0,5}$")

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Code = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]+(?:-[A-Z0-9]+)*$")]
Codes = tuple[Code, ...]

# What the guarantees of every version rest on (the issue's words: "a CASE / SELF / NEGATIVE finding can
# never produce EFFECTIVE, descriptive counts never qualify for EMERGING, EFFECTIVE needs at least one study
# that is neither self-evaluated nor by a participant").
EFFECTIVE = "EFFECTIVE"
MONITORING_DESIGN = "CASE"
NOT_INDEPENDENT = frozenset({"SELF", "PARTICIPANT"})
DESIRABLE_DIRECTION = "POSITIVE"
SIGNIFICANT = "YES"

# The placeholders a contribution's explanation may use (engine.py fills them).
EXPLANATION_FIELDS = frozenset(
    {
        "finding_id", "assessment_id", "study_id", "sample_key", "study_design", "design_sms", "sms", "comparison",
        "outcome", "outcome_rise", "effect_direction", "significance", "independence", "risk_of_bias",
        "kept_finding_id", "rule_id", "rating", "rests_on",
    }
)  # fmt: skip


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _template(text: str) -> str:
    """`text` when each of its placeholders is one EXPLANATION_FIELDS names."""
    names = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    unknown = names - EXPLANATION_FIELDS
    if unknown:
        raise ValueError(f"unknown placeholders {sorted(unknown)}; known: {sorted(EXPLANATION_FIELDS)}")
    return text


Template = Annotated[Text, Field(description="Words for people, with {placeholders} the engine fills.")]


class Match(Model):
    """Which findings: every field given must hold (a list: the finding's code is one of them); `any_of`: at
    least one of the sub-matches holds. No field at all matches every finding. `min_sms`/`max_sms` compare the
    finding's SMS level after its comparison's cap; a finding without a level meets neither bound."""

    withdrawn: bool | None = None
    outcome_rise: Codes | None = None
    designs: Codes | None = None
    comparison: Codes | None = None
    directions: Codes | None = None
    significance: Codes | None = None
    risk_of_bias: tuple[Code | None, ...] | None = None
    independence: Codes | None = None
    min_sms: Annotated[int, Field(ge=1, le=5)] | None = None
    max_sms: Annotated[int, Field(ge=1, le=5)] | None = None
    any_of: Annotated[tuple["Match", ...], Field(min_length=1)] | None = None


class Count(Model):
    """Holds when the number of distinct samples among the kept findings that `samples` matches is within the
    bounds. A count with `at_least` names the samples that qualify a rule (see Independence)."""

    samples: Match
    at_least: Annotated[int, Field(ge=1)] | None = None
    at_most: Annotated[int, Field(ge=0)] | None = None

    @model_validator(mode="after")
    def _bounded(self) -> "Count":
        if self.at_least is None and self.at_most is None:
            raise ValueError("a count needs at_least, at_most or both")
        if self.at_least is not None and self.at_most is not None and self.at_most < self.at_least:
            raise ValueError("at_most is below at_least: the count could never hold")
        return self


class SubjectMatch(Model):
    """Which subjects: every field given must hold; `evidence_basis`: one of the subject's bases is listed."""

    kind: Literal["INITIATIVE", "PRACTICE"] | None = None
    statuses: Codes | None = None
    evidence_basis: Codes | None = None
    mandated: bool | None = None
    any_of: Annotated[tuple["SubjectMatch", ...], Field(min_length=1)] | None = None


class SubjectIs(Model):
    subject: SubjectMatch


class AnyOf(Model):
    """Holds when one of its clauses holds; the samples qualifying the rule are those of every clause that holds."""

    any_of: Annotated[tuple["Clause", ...], Field(min_length=1)]


Clause = Union[Count, AnyOf, SubjectIs]  # noqa: UP007 (a forward reference: the | form cannot hold it)


class Basis(Model):
    """The kept findings a rating rests on (its counted findings): their certainty, extent and flags are assessed."""

    words: Text
    samples: Match


class Independence(Model):
    """The rule gives its rating only when at least `at_least` of the samples that qualify it come from
    assessments whose independence is not in `outside`; otherwise it gives `otherwise`, flagged
    self-evaluated only."""

    words: Text
    outside: Codes
    at_least: Annotated[int, Field(ge=1)] = 1
    otherwise: Code


Scheme = Literal["CRIMESOLUTIONS", "CEBC", "BLUEPRINTS", "WWC", "EEF", "GRADE", "INSPIRE"]


class Criterion(Model):
    """A public scheme's criterion a rule follows: what the scheme says, and where coplab deliberately differs."""

    scheme: Scheme
    says: Text
    differs: Text | None = None


class Rule(Model):
    id: Code
    rating: Code
    condition: Text
    rests_on: Basis | None = None
    when: tuple[Clause, ...] = ()
    independence: Independence | None = None
    criteria: tuple[Criterion, ...] = ()


class DuplicateSample(Model):
    """Of the findings left that report one sample, the first by these keys is kept."""

    keep: Annotated[
        tuple[Literal["HIGHER-SMS", "LOWER-RISK-OF-BIAS", "INDEPENDENT-FIRST", "LOWER-FINDING-ID"], ...],
        Field(min_length=1),
    ]
    risk_of_bias_order: Codes = ("LOW", "SOME", "HIGH")

    @model_validator(mode="after")
    def _total(self) -> "DuplicateSample":
        if self.keep[-1] != "LOWER-FINDING-ID":
            raise ValueError("the last key must be LOWER-FINDING-ID, so that one finding is always kept")
        return self


class Exclusion(Model):
    """An eligibility check: the findings still in play that `when` matches (or, for `duplicate_sample`, the
    second reports of a sample) are set aside with this code."""

    code: Code
    words: Text
    explanation: Template
    when: Match | None = None
    duplicate_sample: DuplicateSample | None = None
    criteria: tuple[Criterion, ...] = ()

    @model_validator(mode="after")
    def _one_test(self) -> "Exclusion":
        if (self.when is None) == (self.duplicate_sample is None):
            raise ValueError("an eligibility check has exactly one of `when` and `duplicate_sample`")
        _template(self.explanation)
        return self


class Contributions(Model):
    """How a kept finding is described: counted (the rating rests on it), or kept but not among the findings
    the rule that gave the rating rests on (`unused_code`)."""

    counted: Template
    unused_code: Code
    unused: Template

    @model_validator(mode="after")
    def _templates(self) -> "Contributions":
        _template(self.counted)
        _template(self.unused)
        return self


class EffectScale(Model):
    """A scale effect sizes are reported on: its no-effect value, and from how far off it an effect is large (a
    distance for a difference; a factor, either way, for a `multiplicative` scale such as a ratio)."""

    words: Text
    no_effect: float
    multiplicative: bool = False
    large: Annotated[float, Field(gt=0)] | None = None

    @model_validator(mode="after")
    def _factor(self) -> "EffectScale":
        if self.multiplicative and (self.no_effect <= 0 or (self.large is not None and self.large <= 1)):
            raise ValueError("a multiplicative scale needs a positive no-effect value and a large factor above 1")
        return self


class Start(Model):
    """The starting certainty: `randomised_level` when the counted samples are randomised (`when`: ALL of
    them, or ANY), else `otherwise_level`."""

    words: Text
    randomised_comparisons: Codes
    when: Literal["ALL", "ANY"]
    randomised_level: Code
    otherwise_level: Code


class Step(Model):
    domain: Code
    words: Text
    change: int
    criteria: tuple[Criterion, ...] = ()


class RiskOfBiasStep(Step):
    """The worst risk of bias among the counted findings gives the change (`changes`); an uncoded one counts
    as `uncoded_as`. `change` is the largest downgrade, for the documentation."""

    kind: Literal["RISK-OF-BIAS"]
    changes: dict[Code, int]
    uncoded_as: Code

    @model_validator(mode="after")
    def _documented(self) -> "RiskOfBiasStep":
        if self.uncoded_as not in self.changes:
            raise ValueError(f"uncoded_as {self.uncoded_as} is not one of {list(self.changes)}")
        if self.change != min(self.changes.values()):
            raise ValueError("change must be the largest downgrade of `changes`")
        return self


class OppositeDirectionsStep(Step):
    """`change` when the counted findings include both of `directions`."""

    kind: Literal["OPPOSITE-DIRECTIONS"]
    directions: Annotated[Codes, Field(min_length=2, max_length=2)]


class ImprecisionStep(Step):
    """`change` once when the rating rests on a single sample (`single_sample`), or, for the ratings in
    `ci_ratings`, when a counted finding's confidence interval holds the no-effect value of its scale."""

    kind: Literal["IMPRECISION"]
    single_sample: bool
    ci_ratings: Codes


class SelfEvaluationStep(Step):
    """`change` when every counted finding's independence is in `only`."""

    kind: Literal["SELF-EVALUATION"]
    only: Codes


class LargeEffectStep(Step):
    """`change` when the body started at `from_level` (it is not randomised) and a counted finding with
    significance in `significance`, a direction `directions` lists for the rating, and a comparison outside
    the randomised ones has an effect at least as large as its scale's `large`."""

    kind: Literal["LARGE-EFFECT"]
    from_level: Code
    significance: Codes
    directions: dict[Code, Codes]


CertaintyStep = Annotated[
    RiskOfBiasStep | OppositeDirectionsStep | ImprecisionStep | SelfEvaluationStep | LargeEffectStep,
    Field(discriminator="kind"),
]


class Certainty(Model):
    words: Text
    levels: Annotated[Codes, Field(min_length=2)]  # lowest first
    not_assessed: Code
    not_assessed_for: Codes
    not_assessed_words: Text
    start: Start
    effect_scales: dict[Code, EffectScale]
    default_scale_words: Text
    steps: tuple[CertaintyStep, ...]
    criteria: tuple[Criterion, ...] = ()

    @model_validator(mode="after")
    def _levels_known(self) -> "Certainty":
        for level in (self.start.randomised_level, self.start.otherwise_level, *self._step_levels()):
            if level not in self.levels:
                raise ValueError(f"{level} is not one of the levels {list(self.levels)}")
        domains = [s.domain for s in self.steps]
        if len(set(domains)) != len(domains) or "START" in domains:
            raise ValueError("each certainty step needs a domain of its own, other than START")
        return self

    def _step_levels(self) -> list[str]:
        return [s.from_level for s in self.steps if isinstance(s, LargeEffectStep)]


class Extent(Model):
    words: Text
    sustained_months: Annotated[int, Field(ge=1)]
    sustained_words: Text
    replication_independence: Codes
    replication_words: Text


class CrosswalkRow(Model):
    source: Text
    rating: Code | None = None
    certainty: Code | None = None
    note: Text


class CrosswalkScheme(Model):
    scheme: Scheme
    name: Text
    reference: Text
    rows: Annotated[tuple[CrosswalkRow, ...], Field(min_length=1)]


class Ruleset(Model):
    """One version of the rule set, as published in seed/ratings/<version>.yaml."""

    version: Annotated[str, StringConstraints(pattern=VERSION.pattern)]
    title: Text
    summary: Text
    sms_words: Text
    comparison_caps: dict[Code, Annotated[int, Field(ge=1, le=5)]]
    eligibility: Annotated[tuple[Exclusion, ...], Field(min_length=1)]
    contributions: Contributions
    rules: Annotated[tuple[Rule, ...], Field(min_length=1)]
    certainty: Certainty
    extent: Extent
    guarantees: tuple[Text, ...]
    crosswalk: tuple[CrosswalkScheme, ...]

    def rule(self, rule_id: str) -> Rule:
        return next(r for r in self.rules if r.id == rule_id)

    @model_validator(mode="after")
    def _keeps_the_guarantees(self) -> "Ruleset":
        codes = [e.code for e in self.eligibility] + [self.contributions.unused_code]
        if len(set(codes)) != len(codes):
            raise ValueError("each eligibility check and the unused reason need a code of their own")
        if len({r.id for r in self.rules}) != len(self.rules):
            raise ValueError("each rule needs an id of its own")
        last = self.rules[-1]
        if last.when or last.independence is not None:
            raise ValueError(f"the last rule ({last.id}) must hold for anything, so that every outcome is rated")
        for rule in self.rules:
            assessed = rule.rating not in self.certainty.not_assessed_for
            if assessed != (rule.rests_on is not None):
                raise ValueError(
                    f"rule {rule.id}: a rating whose certainty is assessed rests on findings (rests_on), "
                    "and a rating whose certainty is not assessed rests on none"
                )
            if rule.rating == EFFECTIVE:
                _effective_needs_independent_desirable_effects(rule)
        if not any(
            e.when is not None and e.when.designs and MONITORING_DESIGN in e.when.designs
            and e.when.model_dump(exclude_none=True).keys() == {"designs"}
            for e in self.eligibility
        ):  # fmt: skip
            raise ValueError(f"{MONITORING_DESIGN} findings (monitoring data) must always be set aside")
        return self


def _positive_counts(clauses: tuple[Clause, ...]) -> list[Count]:
    found: list[Count] = []
    for clause in clauses:
        if isinstance(clause, Count) and clause.at_least is not None:
            found.append(clause)
        elif isinstance(clause, AnyOf):
            found.extend(_positive_counts(clause.any_of))
    return found


def _needs_findings(clause: Clause) -> bool:
    """Whether `clause` can only hold when some kept finding qualifies."""
    if isinstance(clause, Count):
        return clause.at_least is not None
    if isinstance(clause, AnyOf):
        return all(_needs_findings(c) for c in clause.any_of)
    return False


def _effective_needs_independent_desirable_effects(rule: Rule) -> None:
    """An EFFECTIVE rule qualifies only on significant desirable effects, and needs an independent sample."""
    if not any(_needs_findings(c) for c in rule.when):
        raise ValueError(f"rule {rule.id}: EFFECTIVE must need findings that qualify it")
    for count in _positive_counts(rule.when):
        directions, significance = count.samples.directions, count.samples.significance
        if not directions or set(directions) != {DESIRABLE_DIRECTION} or not significance or set(significance) != {SIGNIFICANT}:
            raise ValueError(
                f"rule {rule.id}: EFFECTIVE qualifies only on {DESIRABLE_DIRECTION} effects of significance {SIGNIFICANT}"
            )
    independence = rule.independence
    if independence is None or not NOT_INDEPENDENT <= set(independence.outside) or independence.otherwise == EFFECTIVE:
        raise ValueError(f"rule {rule.id}: EFFECTIVE needs a sample assessed by neither the lead nor a participant")


Match.model_rebuild()
SubjectMatch.model_rebuild()
AnyOf.model_rebuild()
Rule.model_rebuild()


def _version_key(version: str) -> int:
    return int(version)


def ruleset_versions(directory: Path | None = None) -> list[str]:
    """Every version under seed/ratings/, oldest first."""
    directory = directory or RATINGS_DIR
    return sorted((p.stem for p in directory.glob("*.yaml") if VERSION.match(p.stem)), key=_version_key)


def read_document(version: str, directory: Path | None = None) -> dict:
    """The parsed file of one version, before validation (for tests and tools that derive a rule set from it)."""
    directory = directory or RATINGS_DIR
    return yaml.safe_load((directory / f"{version}.yaml").read_text(encoding="utf-8"))


@functools.cache
def _load(version: str, directory: Path) -> Ruleset:
    ruleset = Ruleset.model_validate(read_document(version, directory))
    if ruleset.version != version:
        raise ValueError(f"{directory / f'{version}.yaml'} holds version {ruleset.version!r}")
    return ruleset


def load_ruleset(version: str | None = None, directory: Path | None = None) -> Ruleset:
    """One version (None: the newest). Raises LookupError for a version that is not published."""
    directory = directory or RATINGS_DIR
    versions = ruleset_versions(directory)
    if version is None:
        if not versions:
            raise LookupError(f"no rule set under {directory}")
        version = versions[-1]
    if version not in versions:
        raise LookupError(f"no rule set version {version!r}; published: {versions}")
    return _load(version, directory)
