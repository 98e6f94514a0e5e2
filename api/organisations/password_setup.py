"""One-time invitation links: with one, a person accepts a membership of an organisation.

Every membership an administrator adds starts as an invitation that grants nothing until its person
accepts it with the link. For a new account, the person chooses their password there; for an
account that exists, they sign in with their own password, and the link can never set or change it.
So an administrator never chooses the password of an account that can act for another
organisation, and the answer to `addMember` is the same whether the address had an account or not.

coplab sends no e-mail: the administrator sees the link once, in the answer to `addMember` (or
`issuePasswordSetupLink`), and passes it on. Only the code's SHA-256 digest is stored; the code is
256 random bits, so a fast digest is enough and nobody can guess one.
"""

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from urllib.parse import urlencode

import sqlalchemy as sa
from sqlmodel import Session, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.activity import service as activity
from api.activity.models import ActivityKind
from api.audit import service as audit
from api.audit.models import AuditKind
from api.auth.principal import USER_PREFIX, Principal, PrincipalKind
from api.core.db import utcnow
from api.oauth import service as oauth
from api.oauth.models import PasswordSetup
from api.organisations.models import Membership, Organisation, User, accepted

PAGE_PATH = "/account/password"
VALIDITY = timedelta(days=7)


def digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def link(issuer: str, code: str) -> str:
    """The page's address with the code, on this server's public base URL."""
    return f"{issuer.rstrip('/')}{PAGE_PATH}?{urlencode({'code': code})}"


async def _accepted_elsewhere(session: AsyncSession, *, user_id: int, organisation_id: int) -> bool:
    statement = select(Membership.id).where(
        Membership.user_id == user_id, Membership.organisation_id != organisation_id, accepted()
    )
    return (await session.exec(statement)).first() is not None


async def may_set_password(session: AsyncSession, *, user: User, membership: Membership) -> bool:
    """Whether a link of `membership` may choose the person's password: only while the account has
    none and acts for no other organisation. Otherwise the administrator who holds the link could
    choose the password of someone who acts for another organisation, and act for them there."""
    if user.password_hash is not None:
        return False
    return not await _accepted_elsewhere(session, user_id=user.id, organisation_id=membership.organisation_id)


async def may_issue(*, session: AsyncSession, user: User, membership: Membership) -> bool:
    """Whether a link may be issued for `membership`: always for an invitation (whatever the account,
    so that the answer does not tell whether it exists), and for an accepted membership only while
    the link would let its person choose a first password."""
    if membership.accepted_at is None:
        return True
    return await may_set_password(session, user=user, membership=membership)


def _supersede(now: datetime, *, membership_id: int | None = None, user_id: int | None = None) -> sa.Update:
    """Every unused code of the membership stops working; or, for a person, every unused code that
    is not a pending invitation (those only ask for the password, whatever it is)."""
    if membership_id is not None:
        condition = col(PasswordSetup.membership_id) == membership_id
    else:
        invitations = select(Membership.id).where(Membership.user_id == user_id, col(Membership.accepted_at).is_(None))
        condition = sa.and_(
            col(PasswordSetup.user_id) == user_id,
            sa.or_(col(PasswordSetup.membership_id).is_(None), col(PasswordSetup.membership_id).not_in(invitations)),
        )
    return sa.update(PasswordSetup).where(condition, col(PasswordSetup.used_at).is_(None)).values(used_at=now)


async def issue(*, session: AsyncSession, membership: Membership) -> str:
    """A new code for the membership, valid for `VALIDITY`; its earlier unused codes stop working
    (another organisation's invitation of the same person is left alone)."""
    now = utcnow()
    await session.exec(_supersede(now, membership_id=membership.id))
    code = secrets.token_urlsafe(32)
    session.add(
        PasswordSetup(
            code_hash=digest(code), user_id=membership.user_id, membership_id=membership.id, expires_at=now + VALIDITY
        )
    )
    await session.flush()
    return code


async def forget(*, session: AsyncSession, membership_id: int) -> None:
    """Delete the links of a membership that is ending, used or not."""
    await session.exec(sa.delete(PasswordSetup).where(col(PasswordSetup.membership_id) == membership_id))


class Refusal(StrEnum):
    """Why a code cannot be used; the page says so in words."""

    UNKNOWN = "UNKNOWN"
    USED = "USED"
    EXPIRED = "EXPIRED"


class Mode(StrEnum):
    """What the person does with a good link."""

    SET_PASSWORD = "SET_PASSWORD"  # a new account: choose a password, and join
    SIGN_IN = "SIGN_IN"  # an account that exists: sign in with its own password, and join


@dataclass(frozen=True)
class Pending:
    setup: PasswordSetup
    user: User
    membership: Membership
    organisation: Organisation
    mode: Mode


async def pending(*, session: AsyncSession, code: str) -> Pending | Refusal:
    """The unused, unexpired link for `code`, its person, membership and what they do with it, or
    why there is none. A link with nothing left to do (its membership accepted and the person's
    password set, from the command line for instance) counts as used."""
    if not code:
        return Refusal.UNKNOWN
    statement = (
        select(PasswordSetup, User, Membership, Organisation)
        .join(User, col(User.id) == PasswordSetup.user_id)
        .join(Membership, col(Membership.id) == PasswordSetup.membership_id)
        .join(Organisation, col(Organisation.id) == Membership.organisation_id)
    )
    row = (await session.exec(statement.where(PasswordSetup.code_hash == digest(code)))).first()
    if row is None:
        return Refusal.UNKNOWN
    setup, user, membership, organisation = row
    if setup.used_at is not None:
        return Refusal.USED
    if setup.expires_at <= utcnow():
        return Refusal.EXPIRED
    if await may_set_password(session, user=user, membership=membership):
        mode = Mode.SET_PASSWORD
    elif membership.accepted_at is None:
        mode = Mode.SIGN_IN
    else:
        return Refusal.USED
    return Pending(setup=setup, user=user, membership=membership, organisation=organisation, mode=mode)


async def use(*, session: AsyncSession, setup: PasswordSetup) -> bool:
    """Mark the code used; False when a concurrent request used it first (nothing to do then)."""
    result = await session.exec(
        sa.update(PasswordSetup)
        .where(col(PasswordSetup.id) == setup.id, col(PasswordSetup.used_at).is_(None))
        .values(used_at=utcnow())
    )
    return result.rowcount == 1


async def _record(
    session: AsyncSession, kind: AuditKind, organisation_ids: Iterable[int], *, user_id: int, remote_address: str | None
) -> None:
    def write(sync_session: Session) -> None:
        for organisation_id in sorted(set(organisation_ids)):
            audit.record(
                sync_session,
                kind=kind,
                organisation_id=organisation_id,
                subject=f"{USER_PREFIX}{user_id}",
                remote_address=remote_address,
            )

    await session.run_sync(write)


async def set_password(
    *,
    session: AsyncSession,
    principal: Principal,
    user: User,
    password_hash: str,
    remote_address: str | None,
    invited_by: int | None = None,
    end_unused_links: bool = True,
) -> bool:
    """Store the person's new argon2 hash and end every sign-in they have (all their grants, so
    their refresh tokens and access tokens stop at once: whoever knew the old password keeps
    nothing). One PASSWORD_SET event goes to each organisation the person acts for, and to
    `invited_by`, the organisation whose invitation link set it. `end_unused_links` also ends the
    person's unused password-setup links (an operator's reset); invitations to organisations they
    have not joined yet stay, since they ask for the account's password and never set it.

    Through a link (`invited_by`) only a first password is set: False, and nothing written, when
    the account got one meanwhile. Flushes, never commits."""
    now = utcnow()
    statement = sa.update(User).where(col(User.id) == user.id)
    if invited_by is not None:
        statement = statement.where(col(User.password_hash).is_(None))
    result = await session.exec(statement.values(password_hash=password_hash, updated_at=now, updated_by=principal.subject))
    if result.rowcount != 1:
        return False
    if end_unused_links:
        await session.exec(_supersede(now, user_id=user.id))
    await oauth.revoke_grants(session=session, user_id=user.id)
    organisation_ids = (
        await session.exec(select(Membership.organisation_id).where(Membership.user_id == user.id, accepted()))
    ).all()
    extra = [invited_by] if invited_by is not None else []
    await _record(session, AuditKind.PASSWORD_SET, [*organisation_ids, *extra], user_id=user.id, remote_address=remote_address)
    await session.flush()
    return True


async def accept(*, session: AsyncSession, membership: Membership, remote_address: str | None) -> None:
    """The person accepts the invitation: from now on the membership grants its role. Audited in
    the log of the organisation that invited them. Flushes, never commits."""
    result = await session.exec(
        sa.update(Membership)
        .where(col(Membership.id) == membership.id, col(Membership.accepted_at).is_(None))
        .values(accepted_at=utcnow())
    )
    if result.rowcount == 1:
        await _record(
            session,
            AuditKind.MEMBERSHIP_ACCEPTED,
            [membership.organisation_id],
            user_id=membership.user_id,
            remote_address=remote_address,
        )
        # The person acts for the organisation they join; the entry names their role, never them.
        person = Principal(
            kind=PrincipalKind.USER,
            subject=f"{USER_PREFIX}{membership.user_id}",
            organisation_id=membership.organisation_id,
            user_id=membership.user_id,
        )
        await activity.record(
            session=session,
            principal=person,
            kind=ActivityKind.MEMBERSHIP_CHANGED,
            subject_type="Organisation",
            subject_id=membership.organisation_id,
            detail={"change": "PERSON_JOINED", "role": membership.role.name},
        )
    await session.flush()
