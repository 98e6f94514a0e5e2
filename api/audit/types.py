"""GraphQL types for the audit log."""

from datetime import datetime

import strawberry

from api.audit.models import AuditEvent as AuditEventRow
from api.audit.models import AuditKind
from api.graphql.records import from_row


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
        return from_row(cls, row)
