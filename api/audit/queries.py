"""Audit queries."""

import strawberry

from api.audit import service
from api.audit.models import AuditEvent as AuditEventRow
from api.audit.types import AuditEvent
from api.graphql.permissions import requires
from api.auth.scopes import Scope
from api.graphql.context import Info
from api.core.ordering import SortKey
from api.graphql.pagination import Connection, paginate

NEWEST_FIRST = SortKey(AuditEventRow.occurred_at, True, "datetime")


@strawberry.type
class Query:
    @strawberry.field(
        description="Your organisation's audit events, newest first (administrators, with `audit:read`).",
        extensions=[requires(Scope.AUDIT_READ)],
    )
    async def audit_events(
        self, info: Info, first: int | None = 20, after: str | None = None
    ) -> Connection[AuditEvent]:
        return await paginate(
            info,
            statement=service.readable(info.context.principal),
            id_column=AuditEventRow.id,
            key=NEWEST_FIRST,
            first=first,
            after=after,
            to_node=AuditEvent.from_model,
        )
