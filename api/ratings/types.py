"""GraphQL types of the published rating rule sets (seed/ratings/, api/ratings/ruleset.py) and of the outcome
ratings they compute: the rating, what it rests on, its certainty trace and its history."""

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from api.activity.types import trail
from api.evidence import loaders as evidence_loaders
from api.evidence.types import Finding
from api.graphql.context import Info
from api.graphql.lazy_types import schema_type
from api.graphql.loaders import load_nodes
from api.graphql.records import from_row
from api.initiatives.types import Initiative
from api.inquiries import loaders as inquiry_loaders
from api.practices.types import BestPractice
from api.ratings import loaders
from api.ratings import ruleset as published
from api.ratings.models import OutcomeRating as RatingRow
from api.ratings.models import OutcomeRatingChange as ChangeRow
from api.vocabularies.cache import TermCache
from api.vocabularies.types import Term, term


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
    current: bool = strawberry.field(
        description="Whether this is the version ratings are computed by: the one the secretariat adopted last."
    )
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


@strawberry.type(description="One finding the rating weighed: counted, or set aside with the reason.")
class RatingContribution:
    finding_id: int = strawberry.field(description="The finding's id (`Finding.findingId`).")
    counted: bool = strawberry.field(description="Whether the rating rests on this finding.")
    reason: str | None = strawberry.field(
        description="Why it was set aside: a stable code of the rule set's eligibility checks."
    )
    explanation: str = strawberry.field(description="The reason in words.")

    @strawberry.field(description="The finding, where you may read it.")
    def finding(self, info: Info) -> Finding | None:
        return info.context.loaders.resolve(
            evidence_loaders.finding_by_id,
            self.finding_id,
            lambda row: Finding.from_model(row, info.context.terms) if row is not None else None,
        )


@strawberry.type(description="One step of the certainty trace, GRADE-style: the start, or a downgrade or upgrade.")
class CertaintyStep:
    domain: str = strawberry.field(description="START, or the GRADE domain of the step (e.g. RISK-OF-BIAS).")
    change: int = strawberry.field(description="Levels moved: 0 for the start, negative down, positive up.")
    level: Term = strawberry.field(description="The certainty after this step (vocabulary `certainty`).")
    explanation: str = strawberry.field(description="Why, in words.")


@strawberry.type(description="One entry of a rating's history.")
class RatingChange:
    rating: Term = strawberry.field(description="What the rating became (vocabulary `evidence-rating`).")
    certainty: Term = strawberry.field(description="Its certainty (vocabulary `certainty`).")
    ruleset_version: str = strawberry.field(description="The rule set version that computed it.")
    rule_id: str = strawberry.field(description="The rule that gave the rating.")
    reason: str = strawberry.field(
        description="Why it changed: NEW-EVIDENCE, CORRECTION, WITHDRAWAL, SUBJECT, RULESET or APPEAL."
    )
    note: str | None = strawberry.field(description="A note on the change, where one was given.")
    changed_at: datetime = strawberry.field(description="When.")
    _row: strawberry.Private[ChangeRow]

    @classmethod
    def from_model(cls, row: ChangeRow, term_cache: TermCache) -> "RatingChange":
        return from_row(
            cls,
            row,
            rating=term(term_cache, "evidence-rating", row.rating),
            certainty=term(term_cache, "certainty", row.certainty),
        )


@strawberry.type(
    description="The rating of the body of public evidence for one outcome of an initiative or best practice, "
    "computed by the published rule set (`ratingRuleset`)."
)
class OutcomeRating(relay.Node):
    id: relay.NodeID[int]
    outcome: Term = strawberry.field(description="The outcome rated (vocabulary `outcome`).")
    rating: Term = strawberry.field(description="The computed rating (vocabulary `evidence-rating`).")
    certainty: Term = strawberry.field(description="The computed GRADE certainty (vocabulary `certainty`).")
    extent: str = strawberry.field(description="NONE, SINGLE or MULTIPLE: distinct samples the rating rests on.")
    sustained: bool = strawberry.field(description="A counted finding followed up for at least 12 months.")
    independently_replicated: bool = strawberry.field(
        description="Counted samples from two different independent assessors."
    )
    self_evaluated_only: bool = strawberry.field(
        description="EFFECTIVE was held back: only self- or participant-evaluated studies would qualify."
    )
    ruleset_version: str = strawberry.field(description="The rule set version that computed it.")
    rule_id: str = strawberry.field(description="The id of the rule that gave the rating.")
    computed_at: datetime = strawberry.field(description="When it was last computed.")
    _row: strawberry.Private[RatingRow]

    @classmethod
    def from_model(cls, row: RatingRow, term_cache: TermCache) -> "OutcomeRating":
        return from_row(
            cls,
            row,
            outcome=term(term_cache, "outcome", row.outcome),
            rating=term(term_cache, "evidence-rating", row.rating),
            certainty=term(term_cache, "certainty", row.certainty),
        )

    activity = trail("OutcomeRating")

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids, required: bool = False):  # noqa: ANN001, ANN206
        return await load_nodes(info, node_ids, loaders.rating_by_id, cls.from_model)

    @strawberry.field(description="Every finding weighed, counted or set aside with the reason.")
    def contributions(self) -> list[RatingContribution]:
        return [RatingContribution(**c) for c in self._row.contributions]

    @strawberry.field(description="The certainty trace: the starting level, then each downgrade or upgrade.")
    def certainty_trace(self, info: Info) -> list[CertaintyStep]:
        return [
            CertaintyStep(
                domain=step["domain"],
                change=step["change"],
                level=term(info.context.terms, "certainty", step["level"]),
                explanation=step["explanation"],
            )
            for step in self._row.trace
        ]

    @strawberry.field(description="How the rating came to be what it is, oldest first.")
    def history(self, info: Info) -> list[RatingChange]:
        return info.context.loaders.resolve(
            loaders.history_of, self.id, lambda rows: [RatingChange.from_model(r, info.context.terms) for r in rows]
        )

    @strawberry.field(description="The initiative rated, when an initiative is.")
    def initiative(self, info: Info) -> Initiative | None:
        return Initiative.loaded(info, self._row.initiative_id) if self._row.initiative_id is not None else None

    @strawberry.field(description="The best practice rated, when a best practice is.")
    def best_practice(self, info: Info) -> BestPractice | None:
        return BestPractice.loaded(info, self._row.practice_id) if self._row.practice_id is not None else None

    @strawberry.field(
        description="Published inquiries on this rating, oldest first, with their rulings and appeals: readable by "
        "everyone who may read the rating (one under review is a revision, seen by its authors and reviewers)."
    )
    def inquiries(self, info: Info) -> list[Annotated["RatingInquiry", strawberry.lazy("api.inquiries.types")]]:
        # Inquiries build on ratings: their type comes from the schema, not from an import.
        inquiry = schema_type(info, "RatingInquiry")
        return info.context.loaders.resolve(
            inquiry_loaders.inquiries_of, self.id, lambda rows: [inquiry.from_model(r, info.context.terms) for r in rows]
        )


@strawberry.type(description="A rating a rule set version would change, and to what.")
class RatingShadowChange:
    outcome: Term = strawberry.field(description="The outcome (vocabulary `outcome`).")
    from_rating: Term | None = strawberry.field(description="The current rating; null when there is none yet.")
    from_certainty: Term | None = strawberry.field(description="The current certainty.")
    to_rating: Term = strawberry.field(description="What the version computes (vocabulary `evidence-rating`).")
    to_certainty: Term = strawberry.field(description="Its certainty (vocabulary `certainty`).")
    rule_id: str = strawberry.field(description="The version's rule that gives the new rating.")
    why: str = strawberry.field(description="That rule's condition, in words.")
    _change: strawberry.Private[object]

    @strawberry.field(description="The current rating, where there is one.")
    def rating(self, info: Info) -> OutcomeRating | None:
        row = self._change.rating
        return OutcomeRating.from_model(row, info.context.terms) if row is not None else None

    @strawberry.field(description="The initiative rated, when an initiative is.")
    def initiative(self, info: Info) -> Initiative | None:
        return Initiative.loaded(info, self._change.initiative_id) if self._change.initiative_id else None

    @strawberry.field(description="The best practice rated, when a best practice is.")
    def best_practice(self, info: Info) -> BestPractice | None:
        return BestPractice.loaded(info, self._change.practice_id) if self._change.practice_id else None


@strawberry.type(
    description="What adopting a rule set version would change, computed in shadow beside the current ratings "
    "(only ratings of what you may read)."
)
class RatingRulesetDiff:
    from_version: str = strawberry.field(description="The current version.")
    to_version: str = strawberry.field(description="The version compared.")
    change_count: int = strawberry.field(description="How many ratings would change.")
    changes: list[RatingShadowChange] = strawberry.field(description="Each rating that would change.")
