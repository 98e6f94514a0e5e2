"""Vocabulary queries."""

import strawberry

from api.graphql.context import Info
from api.vocabularies import service
from api.vocabularies.types import Vocabulary


@strawberry.type
class Query:
    @strawberry.field(description="The controlled vocabularies (all of them, or those with the given codes).")
    async def vocabularies(self, info: Info, codes: list[str] | None = None) -> list[Vocabulary]:
        session = info.context.session
        async with info.context.loaders.lock:
            rows = await service.list_vocabularies(session=session, codes=codes)
            all_terms = await service.terms_of(session=session, vocabularies=[r.code for r in rows])
        by_vocabulary: dict[str, list] = {}
        for t in all_terms:
            by_vocabulary.setdefault(t.vocabulary, []).append(t)
        return [Vocabulary.from_model(r, by_vocabulary.get(r.code, [])) for r in rows]
