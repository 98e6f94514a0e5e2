"""GraphQL types of the published rating rule sets (seed/ratings/, api/ratings/ruleset.py)."""

from collections.abc import Sequence

import strawberry
from strawberry.scalars import JSON

from api.ratings import ruleset as published


def _machine(model: published.Model, **options: object) -> JSON:
    return model.model_dump(mode="json", exclude_none=True, **options)


@strawberry.type(description="A public scheme's criterion a rule follows, and where coplab deliberately differs.")
class RatingCriterion:
    scheme: str = strawberry.field(description="A `rating-scheme` code: CRIMESOLUTIONS, CEBC, BLUEPRINTS, WWC, EEF, GRADE or INSPIRE.")
    says: str = strawberry.field(description="What the scheme says.")
    differs: str | None = strawberry.field(description="Where coplab deliberately differs; null where it does not.")

    @classmethod
    def list_of(cls, criteria: Sequence[published.Criterion]) -> list["RatingCriterion"]:
        return [cls(scheme=c.scheme, says=c.says, differs=c.differs) for c in criteria]


@strawberry.type(description="An eligibility check: findings it matches are set aside with its code and count towards no rule.")
class RatingExclusion:
    position: int = strawberry.field(description="Its place in the order the checks run (1 first).")
    code: str = strawberry.field(description="The stable reason code a set-aside finding carries, e.g. `DESCRIPTIVE-DESIGN`.")
    words: str = strawberry.field(description="The reason in words.")
    explanation: str = strawberry.field(description="The explanation shown on a finding, with {placeholders} for its values.")
    machine: JSON = strawberry.field(description="The check as the engine applies it (`when`: a finding match; or `duplicate_sample`).")
    criteria: list[RatingCriterion] = strawberry.field(description="Public criteria it follows.")


@strawberry.type(description="A rule: the first rule (by position) that holds on the kept findings gives the rating.")
class RatingRule:
    position: int = strawberry.field(description="Its place in the evaluation order (1 first).")
    rule_id: str = strawberry.field(description="The stable id a computed rating names, e.g. `EFFECTIVE`.")
    rating: str = strawberry.field(description="The `evidence-rating` code it gives.")
    condition: str = strawberry.field(description="The condition in words.")
    rests_on: str | None = strawberry.field(description="The kept findings a rating it gives rests on; null: none.")
    independence: str | None = strawberry.field(description="What it requires of the assessors, in words; null: nothing.")
    machine: JSON = strawberry.field(description="The rule as the engine interprets it: `rests_on`, `when`, `independence`.")
    criteria: list[RatingCriterion] = strawberry.field(description="Public criteria it follows.")


@strawberry.type(description="The highest SMS level a finding with this comparison can have.")
class RatingComparisonCap:
    comparison: str = strawberry.field(description="A comparison: NONE, PRE-POST, UNMATCHED, MATCHED or RANDOMISED.")
    sms: int = strawberry.field(description="The cap (1-5).")


@strawberry.type(description="A scale effect sizes are reported on.")
class RatingEffectScale:
    name: str = strawberry.field(description="The scale, e.g. DIFFERENCE or RATIO.")
    words: str = strawberry.field(description="What it covers.")
    no_effect: float = strawberry.field(description="The value of no effect on it.")
    multiplicative: bool = strawberry.field(description="Whether `large` is a factor either way (a ratio) rather than a distance.")
    large: float | None = strawberry.field(description="How far from no effect an effect is large; null: never judged large.")


@strawberry.type(description="A certainty step: one GRADE domain, one row of a rating's certainty trace.")
class RatingCertaintyStep:
    position: int = strawberry.field(description="Its place in the trace (1 first, after START).")
    domain: str = strawberry.field(description="The domain the trace row names, e.g. RISK-OF-BIAS.")
    words: str = strawberry.field(description="When it applies and by how much, in words.")
    change: int = strawberry.field(description="Its largest change: negative for a downgrade, positive for an upgrade.")
    machine: JSON = strawberry.field(description="The step as the engine computes it.")
    criteria: list[RatingCriterion] = strawberry.field(description="Public criteria it follows.")


@strawberry.type(description="How a rating's certainty is computed (GRADE).")
class RatingCertaintyRules:
    words: str = strawberry.field(description="The approach in words.")
    levels: list[str] = strawberry.field(description="The `certainty` levels, lowest first.")
    not_assessed: str = strawberry.field(description="The certainty of a rating that rests on no finding.")
    not_assessed_for: list[str] = strawberry.field(description="The ratings whose certainty is not assessed.")
    not_assessed_words: str = strawberry.field(description="Why their certainty is not assessed.")
    start: str = strawberry.field(description="The starting level, in words.")
    start_machine: JSON = strawberry.field(description="The starting level as the engine computes it.")
    effect_scales: list[RatingEffectScale] = strawberry.field(description="The scales effect sizes are judged on.")
    other_scales: str = strawberry.field(description="How an effect on a scale not listed is read.")
    steps: list[RatingCertaintyStep] = strawberry.field(description="The steps, in trace order.")
    criteria: list[RatingCriterion] = strawberry.field(description="Public criteria it follows.")


@strawberry.type(description="How extent, sustained effect and independent replication are read.")
class RatingExtentRules:
    words: str = strawberry.field(description="Extent in words.")
    sustained_months: int = strawberry.field(description="Follow-up, in months, from which an effect is sustained.")
    sustained_words: str = strawberry.field(description="Sustained in words.")
    replication_independence: list[str] = strawberry.field(description="The independence codes an assessor of a replication must have.")
    replication_words: str = strawberry.field(description="Independent replication in words.")


@strawberry.type(description="One rating of another scheme, and how to read it in coplab's terms.")
class RatingCrosswalkRow:
    source: str = strawberry.field(description="The rating as the scheme names it.")
    rating: str | None = strawberry.field(description="The closest `evidence-rating` code; null when it maps to a certainty.")
    certainty: str | None = strawberry.field(description="The `certainty` code it maps to, for a scheme that rates certainty.")
    note: str = strawberry.field(description="What differs.")


@strawberry.type(description="A source scheme's ratings read against coplab's. For reading only: no rule uses them.")
class RatingCrosswalk:
    scheme: str = strawberry.field(description="A `rating-scheme` code.")
    name: str = strawberry.field(description="The scheme's name.")
    reference: str = strawberry.field(description="Where the scheme publishes its criteria.")
    rows: list[RatingCrosswalkRow] = strawberry.field(description="Its ratings, best first.")


@strawberry.type(description="One published version of the rules that compute outcome ratings (docs/ratings.md).")
class RatingRuleset:
    version: str = strawberry.field(description="The version, e.g. `1`; a computed rating names the version that gave it.")
    current: bool = strawberry.field(description="Whether this is the version ratings are computed by (the newest).")
    title: str = strawberry.field(description="Its title.")
    summary: str = strawberry.field(description="How a rating is computed, in a paragraph.")
    guarantees: list[str] = strawberry.field(description="What every version guarantees; the loader refuses a rule set that breaks them.")
    sms_words: str = strawberry.field(description="How a finding's SMS level is read from its design and comparison.")
    comparison_caps: list[RatingComparisonCap] = strawberry.field(description="The highest SMS level each comparison allows.")
    eligibility: list[RatingExclusion] = strawberry.field(description="The eligibility checks, in order.")
    counted_explanation: str = strawberry.field(description="The explanation shown on a counted finding, with {placeholders}.")
    not_relied_on_code: str = strawberry.field(description="The reason code of a kept finding the rating does not rest on.")
    not_relied_on_explanation: str = strawberry.field(description="The explanation shown on such a finding, with {placeholders}.")
    rules: list[RatingRule] = strawberry.field(description="The rules, in evaluation order.")
    certainty: RatingCertaintyRules = strawberry.field(description="How certainty is computed.")
    extent: RatingExtentRules = strawberry.field(description="How extent, sustained effect and replication are read.")
    crosswalk: list[RatingCrosswalk] = strawberry.field(description="Other schemes' ratings read against coplab's.")
    document: JSON = strawberry.field(description="The whole rule set, machine-readable, as the engine reads it.")

    @classmethod
    def from_ruleset(cls, ruleset: published.Ruleset, *, current: bool) -> "RatingRuleset":
        certainty = ruleset.certainty
        return cls(
            version=ruleset.version,
            current=current,
            title=ruleset.title,
            summary=ruleset.summary,
            guarantees=list(ruleset.guarantees),
            sms_words=ruleset.sms_words,
            comparison_caps=[RatingComparisonCap(comparison=c, sms=s) for c, s in ruleset.comparison_caps.items()],
            eligibility=[
                RatingExclusion(
                    position=position,
                    code=check.code,
                    words=check.words,
                    explanation=check.explanation,
                    machine=_machine(check, include={"when", "duplicate_sample"}),
                    criteria=RatingCriterion.list_of(check.criteria),
                )
                for position, check in enumerate(ruleset.eligibility, start=1)
            ],
            counted_explanation=ruleset.contributions.counted,
            not_relied_on_code=ruleset.contributions.unused_code,
            not_relied_on_explanation=ruleset.contributions.unused,
            rules=[
                RatingRule(
                    position=position,
                    rule_id=rule.id,
                    rating=rule.rating,
                    condition=rule.condition,
                    rests_on=rule.rests_on.words if rule.rests_on else None,
                    independence=rule.independence.words if rule.independence else None,
                    machine=_machine(rule, include={"rests_on", "when", "independence"}),
                    criteria=RatingCriterion.list_of(rule.criteria),
                )
                for position, rule in enumerate(ruleset.rules, start=1)
            ],
            certainty=RatingCertaintyRules(
                words=certainty.words,
                levels=list(certainty.levels),
                not_assessed=certainty.not_assessed,
                not_assessed_for=list(certainty.not_assessed_for),
                not_assessed_words=certainty.not_assessed_words,
                start=certainty.start.words,
                start_machine=_machine(certainty.start, exclude={"words"}),
                effect_scales=[
                    RatingEffectScale(
                        name=name, words=s.words, no_effect=s.no_effect, multiplicative=s.multiplicative, large=s.large
                    )
                    for name, s in certainty.effect_scales.items()
                ],
                other_scales=certainty.default_scale_words,
                steps=[
                    RatingCertaintyStep(
                        position=position,
                        domain=step.domain,
                        words=step.words,
                        change=step.change,
                        machine=_machine(step, exclude={"words", "criteria", "domain"}),
                        criteria=RatingCriterion.list_of(step.criteria),
                    )
                    for position, step in enumerate(certainty.steps, start=1)
                ],
                criteria=RatingCriterion.list_of(certainty.criteria),
            ),
            extent=RatingExtentRules(
                words=ruleset.extent.words,
                sustained_months=ruleset.extent.sustained_months,
                sustained_words=ruleset.extent.sustained_words,
                replication_independence=list(ruleset.extent.replication_independence),
                replication_words=ruleset.extent.replication_words,
            ),
            crosswalk=[
                RatingCrosswalk(
                    scheme=scheme.scheme,
                    name=scheme.name,
                    reference=scheme.reference,
                    rows=[
                        RatingCrosswalkRow(source=r.source, rating=r.rating, certainty=r.certainty, note=r.note)
                        for r in scheme.rows
                    ],
                )
                for scheme in ruleset.crosswalk
            ],
            document=ruleset.model_dump(mode="json", exclude_none=True),
        )
