"""Withdrawing a published record reviewed before publication: the rules an evidence assessment's and a best
practice's withdrawal follow.

A withdrawal is never reviewed (a retraction must never wait): the record leaves every list, search and
rating at once, keeps its reason, and stays resolvable by id as a tombstone. Its trail gets a WITHDRAWN
entry (webhooks send `record.withdrawn`)."""

from datetime import datetime
from typing import Protocol

from sqlmodel.ext.asyncio.session import AsyncSession

from api.activity import service as activity
from api.activity.models import ActivityKind
from api.auth.principal import Principal
from api.core import validation
from api.core.db import utcnow
from api.core.errors import Problems

REASON_LENGTH = 2000


class Withdrawable(Protocol):
    id: int | None
    deleted_at: datetime | None
    withdrawn_reason: str | None


def checked_reason(reason: str | None) -> str:
    """The reason, trimmed; a userError at ["reason"] when missing, blank or longer than REASON_LENGTH."""
    problems = Problems()
    text = validation.text(problems, ["reason"], reason, max_length=REASON_LENGTH, multiline=True, required=True)
    problems.raise_if_any()
    return text


async def withdraw(
    *, session: AsyncSession, principal: Principal, record: Withdrawable, subject_type: str, reason: str
) -> None:
    """Mark `record` withdrawn with a `reason` already checked (checked_reason), and record it on its trail.
    Flushes, never commits; the caller checked who may withdraw it and recomputes what depends on it."""
    record.deleted_at, record.withdrawn_reason = utcnow(), reason
    await session.flush()
    await activity.record(
        session=session,
        principal=principal,
        kind=ActivityKind.WITHDRAWN,
        subject_type=subject_type,
        subject_id=record.id,
        detail={"reason": reason},
    )
