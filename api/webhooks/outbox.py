"""The webhook outbox: deliveries written with the activity entry they announce, in the same transaction.

`api.activity.service.record` calls `enqueue` for every entry. An entry becomes one delivery per enabled
endpoint subscribed to its event type whose organisation may read the entry's record, asked of the
record's own domain (`api.activity.subjects.READABLE_IDS`) for a principal standing for that organisation.
Those domains record activity themselves, so this module cannot import them: `api.activity.subjects`
hands its table over when it is imported (`read_subjects_with`), and `enqueue` refuses to guess without it."""

import base64
import json
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.activity.models import Activity, shown_detail
from api.auth.principal import ROLE_SCOPES, Principal, PrincipalKind, Role
from api.organisations.models import Organisation, OrganisationStatus
from api.webhooks import events
from api.webhooks.models import WebhookDelivery, WebhookEndpoint

ReadableIds = Callable[[Principal], sa.Select]
_readable_ids: Mapping[str, ReadableIds] | None = None


def read_subjects_with(readable_ids: Mapping[str, ReadableIds]) -> None:
    """Which records of each subject type a principal may read (called by api.activity.subjects)."""
    global _readable_ids  # noqa: PLW0603  (set once, at import)
    _readable_ids = readable_ids


def readable_ids() -> Mapping[str, ReadableIds]:
    if _readable_ids is None:
        raise RuntimeError("webhook deliveries need api.activity.subjects imported (it says who may read what)")
    return _readable_ids


def organisation_reader(organisation_id: int, *, status: OrganisationStatus, endpoint_id: int) -> Principal:
    """A principal standing for an endpoint's organisation: what a viewer of it may read, no more."""
    return Principal(
        kind=PrincipalKind.CLIENT,
        subject=f"webhook:{endpoint_id}",
        organisation_id=organisation_id,
        organisation_is_member=status is OrganisationStatus.MEMBER,
        role=Role.VIEWER,
        scopes=ROLE_SCOPES[Role.VIEWER],
    )


async def may_read(session: AsyncSession, principal: Principal, *, subject_type: str, subject_id: int) -> bool:
    reader = readable_ids().get(subject_type)
    if reader is None:
        return False
    statement = select(sa.literal(True)).where(sa.literal(subject_id).in_(reader(principal)))
    return (await session.exec(statement)).first() is not None


def _time(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def global_id(type_name: str, row_id: int) -> str:
    """The Relay global id clients know the record by."""
    return base64.b64encode(f"{type_name}:{row_id}".encode()).decode()


def body(entry: Activity, event_type: str) -> str:
    """The delivery's JSON body, in the Standard Webhooks shape: type, timestamp, data."""
    payload = {
        "type": event_type,
        "timestamp": _time(entry.occurred_at),
        "data": {
            "activityId": entry.id,
            "id": global_id(entry.subject_type, entry.subject_id),
            "type": entry.subject_type,
            "version": entry.version,
            "kind": str(entry.kind),
            "occurredAt": _time(entry.occurred_at),
            "detail": shown_detail(entry.detail),
        },
    }
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


async def subscribed(*, session: AsyncSession, kind: str, subject_type: str) -> bool:
    """Whether any enabled endpoint subscribes to the event entries of this kind and subject make."""
    event_type = events.event_type(kind, subject_type)
    if event_type is None:
        return False
    statement = select(WebhookEndpoint.event_types).where(col(WebhookEndpoint.enabled).is_(True))
    return any(event_type in event_types for event_types in (await session.exec(statement)).all())


async def enqueue(*, session: AsyncSession, entry: Activity) -> list[WebhookDelivery]:
    """Write the deliveries of `entry` (flushes, never commits)."""
    event_type = events.event_type(entry.kind, entry.subject_type)
    if event_type is None:
        return []
    candidates = (
        await session.exec(
            select(WebhookEndpoint.id, WebhookEndpoint.organisation_id, WebhookEndpoint.event_types, Organisation.status)
            .join(Organisation, col(Organisation.id) == WebhookEndpoint.organisation_id)
            .where(col(WebhookEndpoint.enabled).is_(True), Organisation.status != OrganisationStatus.SUSPENDED)
            .order_by(col(WebhookEndpoint.id))
        )
    ).all()
    subscribed = [row for row in candidates if event_type in row.event_types]
    readable: dict[int, bool] = {}
    deliveries = []
    for endpoint_id, organisation_id, _, status in subscribed:
        if organisation_id not in readable:
            principal = organisation_reader(organisation_id, status=OrganisationStatus(status), endpoint_id=endpoint_id)
            readable[organisation_id] = await may_read(
                session, principal, subject_type=entry.subject_type, subject_id=entry.subject_id
            )
        if readable[organisation_id]:
            deliveries.append(
                WebhookDelivery(
                    endpoint_id=endpoint_id,
                    activity_id=entry.id,
                    event_type=event_type,
                    message_id=f"msg_{uuid.uuid4().hex}",
                    body=body(entry, event_type),
                )
            )
    if deliveries:
        session.add_all(deliveries)
        await session.flush()
    return deliveries
