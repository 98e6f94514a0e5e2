"""Queries of the published rating rule sets: public, since the rules every rating follows are published."""

import functools

import strawberry

from api.ratings.ruleset import load_ruleset, ruleset_versions
from api.ratings.types import RatingRuleset


@functools.cache
def _served(version: str) -> RatingRuleset:
    """The GraphQL value of one version (rule set files do not change while a process runs)."""
    return RatingRuleset.from_ruleset(load_ruleset(version), current=version == ruleset_versions()[-1])


@strawberry.type
class Query:
    @strawberry.field(
        description="A published version of the rules that compute outcome ratings: the current one when `version` "
        "is null; null for a version that was never published. No token is needed."
    )
    def rating_ruleset(self, version: str | None = None) -> RatingRuleset | None:
        versions = ruleset_versions()
        wanted = versions[-1] if version is None else version
        return _served(wanted) if wanted in versions else None

    @strawberry.field(description="Every published version of the rating rules, oldest first; the last is current.")
    def rating_ruleset_versions(self) -> list[str]:
        return ruleset_versions()
