"""One-time links with which a person who has no password sets one.

coplab sends no e-mail: the administrator who adds a member sees the link once, in the answer to
`addMember` (or `issuePasswordSetupLink`), and passes it on. Only the code's SHA-256 digest is
stored; the code is 256 random bits, so a fast digest is enough and nobody can guess one.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from urllib.parse import urlencode

import sqlalchemy as sa
from sqlmodel import Session, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.audit import service as audit
from api.audit.models import AuditKind
from api.auth.dependencies import USER_PREFIX
from api.auth.principal import Principal
from api.db import utcnow
from api.oauth.models import PasswordSetup
from api.organisations.models import Membership, User

PAGE_PATH = "/account/password"
VALIDITY = timedelta(days=7)


def digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def link(issuer: str, code: str) -> str:
    """The page's address with the code, on this server's public base URL."""
    return f"{issuer.rstrip('/')}{PAGE_PATH}?{urlencode({'code': code})}"


async def may_issue(*, session: AsyncSession, principal: Principal, user: User, organisation_id: int) -> bool:
    """Whether `principal` may receive a link for `user`: only while the person has no password, and,
    unless the principal is the secretariat, only while every membership of theirs is in the
    administered organisation. Otherwise an administrator of one organisation could choose the
    password of a member of another and act for them there."""
    if user.password_hash is not None:
        return False
    if principal.is_lab_admin:
        return True
    elsewhere = select(Membership.id).where(
        Membership.user_id == user.id, Membership.organisation_id != organisation_id
    )
    return (await session.exec(elsewhere)).first() is None


def _supersede(user_id: int, now: datetime) -> sa.Update:
    """Every unused code of the person stops working."""
    return (
        sa.update(PasswordSetup)
        .where(col(PasswordSetup.user_id) == user_id, col(PasswordSetup.used_at).is_(None))
        .values(used_at=now)
    )


async def issue(*, session: AsyncSession, user_id: int) -> str:
    """A new code for the person, valid for `VALIDITY`; their earlier unused codes stop working."""
    now = utcnow()
    await session.exec(_supersede(user_id, now))
    code = secrets.token_urlsafe(32)
    session.add(PasswordSetup(code_hash=digest(code), user_id=user_id, expires_at=now + VALIDITY))
    await session.flush()
    return code


class Refusal(StrEnum):
    """Why a code cannot be used; the page says so in words."""

    UNKNOWN = "UNKNOWN"
    USED = "USED"
    EXPIRED = "EXPIRED"


@dataclass(frozen=True)
class Pending:
    setup: PasswordSetup
    user: User


async def pending(*, session: AsyncSession, code: str) -> Pending | Refusal:
    """The unused, unexpired setup for `code` and its person, or why there is none. A code whose
    person has meanwhile set a password (from the command line) counts as used."""
    if not code:
        return Refusal.UNKNOWN
    statement = select(PasswordSetup, User).join(User, col(User.id) == PasswordSetup.user_id)
    row = (await session.exec(statement.where(PasswordSetup.code_hash == digest(code)))).first()
    if row is None:
        return Refusal.UNKNOWN
    setup, user = row
    if setup.used_at is not None or user.password_hash is not None:
        return Refusal.USED
    if setup.expires_at <= utcnow():
        return Refusal.EXPIRED
    return Pending(setup=setup, user=user)


async def use(*, session: AsyncSession, setup: PasswordSetup) -> bool:
    """Mark the code used; False when a concurrent request used it first (nothing to do then)."""
    result = await session.exec(
        sa.update(PasswordSetup)
        .where(col(PasswordSetup.id) == setup.id, col(PasswordSetup.used_at).is_(None))
        .values(used_at=utcnow())
    )
    return result.rowcount == 1


async def set_password(
    *, session: AsyncSession, actor: str, user: User, password_hash: str, remote_address: str | None
) -> None:
    """Store the person's new argon2 hash, end their unused codes, and write one PASSWORD_SET event
    per organisation they belong to. Flushes, never commits."""
    now = utcnow()
    user.password_hash = password_hash
    user.updated_at = now
    user.updated_by = actor
    session.add(user)
    await session.exec(_supersede(user.id, now))
    organisation_ids = (
        await session.exec(select(Membership.organisation_id).where(Membership.user_id == user.id))
    ).all()

    def record(sync_session: Session) -> None:
        for organisation_id in sorted(organisation_ids):
            audit.record(
                sync_session,
                kind=AuditKind.PASSWORD_SET,
                organisation_id=organisation_id,
                subject=f"{USER_PREFIX}{user.id}",
                remote_address=remote_address,
            )

    await session.run_sync(record)
    await session.flush()
