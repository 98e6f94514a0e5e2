"""Producing activity entries for the webhook tests: `api.activity.service.record` in a committed transaction,
as every write that records activity does."""

import asyncio

from api.activity.models import ActivityKind
from api.activity.service import record
from api.auth.principal import OPERATOR
from api.core.db import create_engine, session_factory, transaction
from api.core.settings import Settings


def record_event(
    settings: Settings,
    *,
    kind: ActivityKind,
    subject_type: str,
    subject_id: int,
    version: int | None = None,
    detail: dict | None = None,
) -> int:
    """Record one entry and commit; its id."""

    async def main() -> int:
        engine = create_engine(settings.database_url)
        try:
            async with transaction(session_factory(engine)) as session:
                entry = await record(
                    session=session,
                    principal=OPERATOR,
                    kind=kind,
                    subject_type=subject_type,
                    subject_id=subject_id,
                    version=version,
                    detail=detail,
                )
                return entry.id
        finally:
            await engine.dispose()

    return asyncio.run(main())
