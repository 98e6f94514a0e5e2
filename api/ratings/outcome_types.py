"""GraphQL types for computed outcome ratings: the rating, what it rests on, its certainty trace and history."""

from datetime import datetime
import strawberry
from strawberry import relay

from api.evidence import loaders as evidence_loaders
from api.evidence.types import Finding
from api.graphql.context import Info
from api.graphql.loaders import load_nodes
from api.graphql.records import from_row
from api.initiatives.types import Initiative
from api.practices.types import BestPractice
from api.ratings import loaders
from api.ratings.models import OutcomeRating as RatingRow
from api.ratings.models import OutcomeRatingChange as ChangeRow
from api.vocabularies.cache import TermCache
from api.vocabularies.types import Term, term


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
