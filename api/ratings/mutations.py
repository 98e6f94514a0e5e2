"""Rule set mutations: the secretariat adopts a published version, and every rating is recomputed under it."""

import strawberry

from api.auth.scopes import Scope
from api.graphql.context import Info
from api.graphql.errors import UserError, user_errors_field
from api.graphql.mutations import mutation
from api.ratings import service
from api.ratings.queries import served
from api.ratings.types import RatingRuleset


@strawberry.input(description="The rule set version to adopt.")
class AdoptRatingRulesetInput:
    version: str = strawberry.field(description="A published version (`ratingRulesetVersions`).")
    note: str | None = strawberry.field(default=None, description="Why, recorded in every changed rating's history.")


@strawberry.type(description="The rule set now current and how many ratings it recomputed, or why nothing changed.")
class AdoptRatingRulesetPayload:
    ruleset: RatingRuleset | None = strawberry.field(description="The adopted version.")
    recomputed: int | None = strawberry.field(description="How many ratings were recomputed under it.")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type
class Mutation:
    @mutation(
        scope=Scope.LAB_ADMIN,
        description="Make a published rule set version current and recompute every rating under it; each rating "
        "keeps its earlier values in its history (`lab:admin`, the secretariat). See `ratingRulesetDiff` first.",
    )
    async def adopt_rating_ruleset(self, info: Info, input: AdoptRatingRulesetInput) -> AdoptRatingRulesetPayload:  # noqa: A002
        recomputed = await service.adopt(**info.context.acting, version=input.version, note=input.note)
        return AdoptRatingRulesetPayload(ruleset=served(input.version, input.version), recomputed=recomputed)
