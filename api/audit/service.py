"""Recording audit events, and reading those an organisation's administrators may see."""

import sqlalchemy as sa
from sqlmodel import Session, col, select

from api.audit.models import LAB_WIDE_KINDS, AuditEvent, AuditKind
from api.auth.principal import Principal, Role
from api.auth.scopes import Scope


def _loggable(text: str | None, length: int) -> str | None:
    """What a caller typed (an unknown client id, an e-mail address), fit for its column: control
    characters, which PostgreSQL may refuse (NUL), shown as U+FFFD, and cut to the column's length."""
    if text is None:
        return None
    return "".join(c if c.isprintable() else "\ufffd" for c in text[:length])


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
    """Add one event (synchronous: the token endpoint's worker thread writes it). Flushes, never
    commits. Ids and subjects may be what a caller typed, so they are made to fit their columns."""
    session.add(
        AuditEvent(
            kind=kind,
            organisation_id=organisation_id,
            client_id=_loggable(client_id, 64),
            subject=_loggable(subject, 200),
            scope=scope,
            remote_address=_loggable(remote_address, 64),
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
