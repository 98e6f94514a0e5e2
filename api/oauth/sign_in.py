"""People signing in at the authorization endpoint: checking a password, the organisations they
may act for through a client, and the one-time ticket that carries them from sign-in to consent.
Synchronous (argon2 is CPU work; the routes run it in a worker thread). Flushes, never commits.
"""

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from api.audit import service as audit
from api.audit.models import AuditKind
from api.auth.passwords import verify_password
from api.core.db import utcnow
from api.oauth.models import ConsentTicket, OAuthClient
from api.oauth.secrets import digest
from api.oauth.store import Member, new_secret_value
from api.organisations.models import Membership, Organisation, OrganisationStatus, User, accepted


MAX_EMAIL_LENGTH = 320  # RFC 5321's limits: 64 before the @, 255 after


def could_be_email(email: str) -> bool:
    """Whether a typed address could be someone's at all; anything else is answered as unknown
    without asking the database (PostgreSQL refuses a NUL in a string)."""
    return len(email) <= MAX_EMAIL_LENGTH and email.isprintable()


def authenticate(session: Session, *, email: str, password: str) -> User | None:
    """The person with this address and password. An unknown address costs the same argon2 work as
    a wrong password, so timing does not reveal who has an account."""
    email = email.strip().lower()
    user = session.exec(select(User).where(User.email == email)).first() if could_be_email(email) else None
    ok = verify_password(password, user.password_hash if user is not None else None)
    return user if ok else None


@dataclass(frozen=True)
class OrganisationChoice:
    """An organisation the person may act for through the client, with what they would be granted."""

    member: Member
    name: str
    granted_scope: str


def choices(session: Session, *, user_id: int, client: OAuthClient, requested_scope: str) -> list[OrganisationChoice]:
    """The person's organisations this client may act for: any of them for a Lab-wide client, the
    client's own organisation otherwise; never a suspended one, nor one whose invitation they have
    not accepted."""
    statement = (
        select(Membership.role, Organisation)
        .join(Organisation, col(Organisation.id) == Membership.organisation_id)
        .where(Membership.user_id == user_id, accepted(), Organisation.status != OrganisationStatus.SUSPENDED)
        .order_by(Organisation.name)
    )
    if not client.all_organisations:
        statement = statement.where(Membership.organisation_id == client.organisation_id)
    found = []
    for role, organisation in session.exec(statement).all():
        member = Member(
            user_id=user_id,
            organisation_id=organisation.id,
            role=role,
            organisation_is_secretariat=organisation.is_secretariat,
        )
        found.append(OrganisationChoice(member=member, name=organisation.name, granted_scope=member.allowed(requested_scope)))
    return found


def open_ticket(session: Session, *, user_id: int, request: list[tuple[str, str]], lifetime_seconds: int) -> str:
    """A ticket for the consent step of this authorization request; the value goes in the form only."""
    value = new_secret_value()
    session.add(
        ConsentTicket(
            ticket_hash=digest(value),
            user_id=user_id,
            request=[list(pair) for pair in request],
            expires_at=utcnow() + timedelta(seconds=lifetime_seconds),
        )
    )
    session.flush()
    return value


def use_ticket(session: Session, value: str) -> ConsentTicket | None:
    """The ticket, used up by this call; None when unknown, expired or already used."""
    ticket = session.exec(select(ConsentTicket).where(ConsentTicket.ticket_hash == digest(value))).first()
    if ticket is None or ticket.expires_at <= utcnow():
        return None
    claimed = session.execute(
        sa.update(ConsentTicket)
        .where(col(ConsentTicket.id) == ticket.id, col(ConsentTicket.used_at).is_(None))
        .values(used_at=utcnow())
    )
    return ticket if claimed.rowcount == 1 else None


def record_for_person(
    session: Session, kind: AuditKind, *, email: str, client_id: str | None, remote_address: str | None
) -> None:
    """An audit event about a person, visible to the admins of each organisation they belong to
    (one event without an organisation when the address is unknown). An organisation that has only
    invited the person sees nothing: its log must not tell it that the address has an account."""
    email = email.strip().lower()
    organisation_ids = (
        session.exec(
            select(Membership.organisation_id)
            .join(User, col(User.id) == Membership.user_id)
            .where(User.email == email, accepted())
        ).all()
        if could_be_email(email)
        else []
    )
    for organisation_id in organisation_ids or [None]:
        audit.record(
            session,
            kind=kind,
            organisation_id=organisation_id,
            client_id=client_id,
            subject=f"email:{email[:190]}",
            remote_address=remote_address,
        )
