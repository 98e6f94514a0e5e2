"""Evidence mutations."""

import strawberry


@strawberry.type
class Mutation:
    pass
