"""Queries of the published rating rule sets (public: the rules every rating follows are published) and of
the outcome ratings they compute (as readable as what they rate)."""

import functools
from enum import Enum
from functools import partial

import strawberry
from sqlmodel import col

from api.core.ordering import SortKey
from api.graphql.context import Info
from api.graphql.filter_codes import FilterCodes
from api.graphql.ids import decode_arguments
from api.graphql.pagination import Connection, paginate
from api.initiatives import service as initiatives
from api.practices import service as practices
from api.practices.models import BestPractice as BestPracticeRow
from api.ratings import readable, service
from api.ratings.models import OutcomeRating as RatingRow
from api.ratings.ruleset import load_ruleset, ruleset_versions
from api.ratings.types import OutcomeRating, RatingRuleset, RatingRulesetDiff, RatingShadowChange
from api.vocabularies.types import term


@functools.cache
def served(version: str, current: str) -> RatingRuleset:
    """The GraphQL value of one version (rule set files do not change while a process runs)."""
    return RatingRuleset.from_ruleset(load_ruleset(version), current=version == current)


class RatingOrder(Enum):
    COMPUTED_AT_DESC = "COMPUTED_AT_DESC"
    OUTCOME_ASC = "OUTCOME_ASC"


SORT_KEYS = {
    RatingOrder.COMPUTED_AT_DESC: SortKey(RatingRow.computed_at, True, "datetime"),
    RatingOrder.OUTCOME_ASC: SortKey(RatingRow.outcome, False, "str"),
}

OutcomeRatingOrder = strawberry.enum(RatingOrder, name="OutcomeRatingOrder", description="Orderings for outcome ratings.")


@strawberry.input(description="Filters for outcome ratings; values within one filter are alternatives.")
class OutcomeRatingFilter:
    initiatives: list[strawberry.relay.GlobalID] | None = strawberry.field(default=None, description="Of these initiatives.")
    best_practices: list[strawberry.relay.GlobalID] | None = strawberry.field(
        default=None, description="Of these best practices."
    )
    outcomes: list[str] | None = strawberry.field(default=None, description="`outcome` codes.")
    ratings: list[str] | None = strawberry.field(default=None, description="`evidence-rating` codes.")
    certainties: list[str] | None = strawberry.field(default=None, description="`certainty` codes.")
    self_evaluated_only: bool | None = strawberry.field(
        default=None, description="Ratings held back from EFFECTIVE for want of an independent study, or not."
    )


@strawberry.type
class Query:
    @strawberry.field(
        description="A published version of the rules that compute outcome ratings: the current one when `version` "
        "is null; null for a version that was never published. No token is needed."
    )
    async def rating_ruleset(self, info: Info, version: str | None = None) -> RatingRuleset | None:
        async with info.context.loaders.lock:
            current = await service.current_version(info.context.session)
        wanted = current if version is None else version
        return served(wanted, current) if wanted in ruleset_versions() else None

    @strawberry.field(description="Every published version of the rating rules, oldest first; the last is current.")
    def rating_ruleset_versions(self) -> list[str]:
        return ruleset_versions()

    @strawberry.field(description="Computed outcome ratings of initiatives and best practices you may read.")
    async def outcome_ratings(
        self,
        info: Info,
        first: int | None = 20,
        after: str | None = None,
        filter: OutcomeRatingFilter | None = None,  # noqa: A002
        order_by: OutcomeRatingOrder = RatingOrder.COMPUTED_AT_DESC,
    ) -> Connection[OutcomeRating]:
        f = filter or OutcomeRatingFilter()
        check = FilterCodes(session=info.context.session, lock=info.context.loaders.lock)
        outcomes = await check.vocabulary("outcomes", "outcome", f.outcomes)
        ratings = await check.vocabulary("ratings", "evidence-rating", f.ratings)
        certainties = await check.vocabulary("certainties", "certainty", f.certainties)
        check.raise_if_any()
        statement = readable.readable(info.context.principal)
        if f.initiatives:
            ids = decode_arguments(f.initiatives, "Initiative", ["filter", "initiatives"])
            statement = statement.where(col(RatingRow.initiative_id).in_(ids))
        if f.best_practices:
            ids = decode_arguments(f.best_practices, "BestPractice", ["filter", "bestPractices"])
            statement = statement.where(col(RatingRow.practice_id).in_(ids))
        for column, codes in ((RatingRow.outcome, outcomes), (RatingRow.rating, ratings), (RatingRow.certainty, certainties)):
            if codes:
                statement = statement.where(col(column).in_(codes))
        if f.self_evaluated_only is not None:
            statement = statement.where(RatingRow.self_evaluated_only == f.self_evaluated_only)
        return await paginate(
            info,
            statement=statement,
            id_column=RatingRow.id,
            key=SORT_KEYS[order_by],
            first=first,
            after=after,
            to_node=partial(OutcomeRating.from_model, term_cache=info.context.terms),
        )

    @strawberry.field(
        description="What adopting a rule set version would change: every rating (of what you may read) it would "
        "compute differently, and the rule that decides. Computed in shadow; nothing changes until the secretariat "
        "adopts the version (`adoptRatingRuleset`). Null for a version that was never published."
    )
    async def rating_ruleset_diff(self, info: Info, version: str) -> RatingRulesetDiff | None:
        if version not in ruleset_versions():
            return None
        principal = info.context.principal
        async with info.context.loaders.lock:
            current = await service.current_version(info.context.session)
            changes = await service.shadow_changes(
                session=info.context.session,
                version=version,
                initiative_ids=initiatives.readable_ids(principal),
                practice_ids=practices.readable(principal).with_only_columns(BestPracticeRow.id),
            )
        terms = info.context.terms
        rules = {rule.id: rule for rule in load_ruleset(version).rules}
        return RatingRulesetDiff(
            from_version=current,
            to_version=version,
            change_count=len(changes),
            changes=[
                RatingShadowChange(
                    outcome=term(terms, "outcome", change.outcome),
                    from_rating=term(terms, "evidence-rating", change.rating.rating) if change.rating else None,
                    from_certainty=term(terms, "certainty", change.rating.certainty) if change.rating else None,
                    to_rating=term(terms, "evidence-rating", change.result.rating),
                    to_certainty=term(terms, "certainty", change.result.certainty),
                    rule_id=change.result.rule_id,
                    why=rules[change.result.rule_id].condition,
                    _change=change,
                )
                for change in changes
            ],
        )
