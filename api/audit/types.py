"""GraphQL types for the audit log."""

from datetime import datetime

import strawberry

from api.audit.models import AuditEvent as AuditEventRow
from api.audit.models import AuditKind


@strawberry.type(description="Something that happened to your organisation's credentials.")
class AuditEvent:
    occurred_at: datetime = strawberry.field(description="When it happened.")
    kind: AuditKind = strawberry.field(description="What happened.")
    client_id: str | None = strawberry.field(description="The OAuth client involved, if any.")
    subject: str | None = strawberry.field(description="Who the token was for (`client:…` or `user:…`).")
    scope: str | None = strawberry.field(description="The scopes granted or asked for.")
    remote_address: str | None = strawberry.field(description="Where the request came from.")

    @classmethod
    def from_model(cls, row: AuditEventRow) -> "AuditEvent":
        return cls(
            occurred_at=row.occurred_at,
            kind=row.kind,
            client_id=row.client_id,
            subject=row.subject,
            scope=row.scope,
            remote_address=row.remote_address,
        )
