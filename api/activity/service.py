"""Recording activity. Flushes, never commits: the entry lands with the change it describes or not at all, and so
do the webhook deliveries announcing it (api/webhooks/outbox.py)."""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from api.activity.models import Activity, ActivityKind
from api.auth.principal import Principal
from api.core.db import utcnow
from api.webhooks import outbox as webhooks


async def record(
    *,
    session: AsyncSession,
    principal: Principal,
    kind: ActivityKind,
    subject_type: str,
    subject_id: int,
    version: int | None = None,
    detail: dict | None = None,
) -> Activity:
    """Append one entry for what `principal` just did to a record."""
    entry = Activity(
        kind=kind,
        subject_type=subject_type,
        subject_id=subject_id,
        organisation_id=principal.organisation_id,
        actor=principal.subject,
        version=version,
        detail=detail or {},
    )
    session.add(entry)
    await session.flush()
    await webhooks.enqueue(session=session, entry=entry)
    return entry


async def record_many(
    *,
    session: AsyncSession,
    actor: str,
    kind: ActivityKind,
    subject_type: str,
    entries: Sequence[tuple[int, dict]],
) -> None:
    """Entries the Lab's own processes write in bulk (the rating computation): one INSERT for all of them,
    no organisation, the same time. `entries` are (subject id, detail) pairs."""
    if not entries:
        return
    now = utcnow()
    if await webhooks.subscribed(session=session, kind=kind, subject_type=subject_type):
        # Deliveries name their entry: the entries need their ids, so they are written as rows.
        rows = [
            Activity(occurred_at=now, kind=kind, subject_type=subject_type, subject_id=subject_id, actor=actor, detail=detail)
            for subject_id, detail in entries
        ]
        session.add_all(rows)
        await session.flush()
        for row in rows:
            await webhooks.enqueue(session=session, entry=row)
        return
    await session.exec(
        sa.insert(Activity),
        params=[
            {
                "occurred_at": now,
                "kind": kind,
                "subject_type": subject_type,
                "subject_id": subject_id,
                "organisation_id": None,
                "actor": actor,
                "version": None,
                "detail": detail,
            }
            for subject_id, detail in entries
        ],
    )
