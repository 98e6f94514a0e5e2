"""Batch loads for vocabulary terms."""

from collections.abc import Sequence

from sqlmodel.ext.asyncio.session import AsyncSession

from api.auth.principal import Principal
from api.vocabularies import service
from api.vocabularies.models import VocabularyTerm


async def term_by_key(
    keys: Sequence[tuple[str, str]], *, session: AsyncSession, principal: Principal
) -> list[VocabularyTerm | None]:
    """Terms by (vocabulary, code); vocabularies are public."""
    return await service.terms_by_key(session=session, keys=keys)
