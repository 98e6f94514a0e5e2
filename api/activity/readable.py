"""Who may read an activity entry: whoever may read the record it concerns. Every read path starts here.

Apart from service.py because recording is imported by the domains whose records the entries concern,
while reading builds on those domains' `readable` statements (`subjects.READABLE_IDS`)."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.activity.models import Activity
from api.activity.subjects import READABLE_IDS, readable_condition
from api.auth.principal import Principal
from api.core.db import rows_in_order
from api.core.ordering import SortKey
from api.organisations import service as organisations

NEWEST_FIRST = SortKey(col(Activity.occurred_at), True, "datetime")


def readable(principal: Principal) -> sa.Select:
    """Entries about records `principal` may read; an entry about any other record does not exist for it."""
    return select(Activity).where(
        readable_condition(
            principal, subject_type_column=col(Activity.subject_type), subject_id_column=col(Activity.subject_id)
        )
    )


async def by_ids(*, session: AsyncSession, principal: Principal, ids: Sequence[int]) -> list[Activity | None]:
    return await rows_in_order(session, readable(principal), col(Activity.id), ids)


@dataclass(frozen=True)
class ActivityFilter:
    """Conditions that combine; kinds are alternatives. `subject` is (type name, row id): one record's trail.
    `since` is included, `until` is not."""

    kinds: Sequence[str] = ()
    organisation_id: int | None = None
    subject: tuple[str, int] | None = None
    since: datetime | None = None
    until: datetime | None = None


def filtered(principal: Principal, where: ActivityFilter) -> sa.Select:
    """The readable entries `where` selects, unordered (pagination orders them newest first)."""
    if where.subject is not None:
        # One record's trail: only its own domain's readability needs asking.
        subject_type, subject_id = where.subject
        readable_ids = READABLE_IDS.get(subject_type)
        if readable_ids is None:
            return select(Activity).where(sa.false())
        statement = select(Activity).where(
            col(Activity.subject_type) == subject_type,
            col(Activity.subject_id) == subject_id,
            col(Activity.subject_id).in_(readable_ids(principal)),
        )
    else:
        statement = readable(principal)
    if where.kinds:
        statement = statement.where(col(Activity.kind).in_(where.kinds))
    if where.organisation_id is not None:
        # An organisation the caller may not read acts in nothing it sees, exactly like a missing one.
        statement = statement.where(
            col(Activity.organisation_id) == where.organisation_id,
            col(Activity.organisation_id).in_(organisations.readable_ids(principal)),
        )
    if where.since is not None:
        statement = statement.where(col(Activity.occurred_at) >= where.since)
    if where.until is not None:
        statement = statement.where(col(Activity.occurred_at) < where.until)
    return statement
