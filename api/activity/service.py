"""Recording activity. Flushes, never commits: the entry lands with the change it describes or not at all, and so
do the webhook deliveries announcing it (api/webhooks/outbox.py)."""

from sqlmodel.ext.asyncio.session import AsyncSession

from api.activity.models import Activity, ActivityKind
from api.auth.principal import Principal
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
