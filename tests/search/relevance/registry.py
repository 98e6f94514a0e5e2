"""The seeded registry's search documents, and the seed key of each, for the relevance set."""

import asyncio

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from api.core.db import async_url
from api.search import documents


def seeded_documents(database_url: str) -> tuple[list[dict], dict[str, str]]:
    """Every initiative's document (as the indexer builds it) and document id → seed key."""

    async def read() -> tuple[list[dict], dict[str, str]]:
        engine = create_async_engine(async_url(database_url))
        try:
            async with AsyncSession(engine) as session:
                ids = [i async for batch in documents.every_initiative_id(session=session) for i in batch]
                built, _ = await documents.build(session=session, initiative_ids=ids)
                keys = (
                    await session.exec(  # type: ignore[call-overload]
                        sa.text("SELECT record_id, key FROM seed_record WHERE kind = 'initiative'")
                    )
                ).all()
        finally:
            await engine.dispose()
        return built, {documents.document_id(record_id): key for record_id, key in keys}

    return asyncio.run(read())
