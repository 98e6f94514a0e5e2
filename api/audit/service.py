"""Recording audit events, and reading those an organisation's administrators may see."""

import sqlalchemy as sa
from sqlmodel import Session, col, select

from api.audit.models import LAB_WIDE_KINDS, AuditEvent, AuditKind
from api.auth.principal import Principal, Role
from api.auth.scopes import Scope


def record(
    session: Session,
    *,
    kind: AuditKind,
    organisation_id: int | None,
    client_id: str | None = None,
    subject: str | None = None,
    scope: str | None = None,
    remote_address: str | None = None,
) -> None:
    """Add one event (synchronous: the token endpoint's worker thread writes it). Flushes, never commits."""
    session.add(
        AuditEvent(
            kind=kind,
            organisation_id=organisation_id,
            client_id=client_id,
            subject=subject,
            scope=scope,
            remote_address=remote_address,
        )
    )
    session.flush()


def readable(principal: Principal) -> sa.Select:
    """The events of the caller's own organisation and the server-wide ones (key rotations), for its
    administrators holding `audit:read`."""
    if (
        principal.organisation_id is None
        or not principal.has_scope(Scope.AUDIT_READ)
        or not principal.has_role(Role.ADMIN)
    ):
        return select(AuditEvent).where(sa.false())
    return select(AuditEvent).where(
        sa.or_(
            AuditEvent.organisation_id == principal.organisation_id,
            sa.and_(col(AuditEvent.organisation_id).is_(None), col(AuditEvent.kind).in_(LAB_WIDE_KINDS)),
        )
    )
