"""What the authorization server keeps about people's sign-ins: authorization codes, grants and
their refresh tokens. Synchronous, because Authlib's grants call it from a worker thread; flushes,
and commits only where a refusal must still leave a trace (a revoked grant after a reuse).

Codes and refresh tokens are stored as SHA-256 digests: they are 256-bit random values, so a fast
digest resists guessing as well as a password hash would, and a leaked table yields nothing usable.
"""

import secrets as _random
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from api.auth.principal import Role, scopes_for_role
from api.core.db import utcnow
from api.oauth.models import AuthorizationCode, OAuthGrant, RefreshToken
from api.oauth.secrets import digest
from api.organisations.models import Membership, Organisation, OrganisationStatus, accepted


@dataclass(frozen=True)
class Member:
    """A person acting for one organisation, with the role they hold there now."""

    user_id: int
    organisation_id: int
    role: Role
    organisation_is_secretariat: bool

    @property
    def subject(self) -> str:
        return f"user:{self.user_id}"

    def allowed(self, scope: str) -> str:
        """The part of `scope` the person's role allows, in the order asked."""
        ceiling = {s.value for s in scopes_for_role(self.role, secretariat=self.organisation_is_secretariat)}
        return " ".join(s for s in scope.split() if s in ceiling)


def current_member(session: Session, *, user_id: int, organisation_id: int) -> Member | None:
    """The person's membership, if it was accepted and still stands in an organisation that is not suspended."""
    found = session.exec(
        select(Membership.role, Organisation.is_secretariat)
        .join(Organisation, col(Organisation.id) == Membership.organisation_id)
        .where(
            Membership.user_id == user_id,
            Membership.organisation_id == organisation_id,
            accepted(),
            Organisation.status != OrganisationStatus.SUSPENDED,
        )
    ).first()
    if found is None:
        return None
    role, secretariat = found
    return Member(user_id=user_id, organisation_id=organisation_id, role=role, organisation_is_secretariat=secretariat)


def new_secret_value() -> str:
    return _random.token_urlsafe(32)


# Authorization codes


def save_code(
    session: Session,
    *,
    code: str,
    client_id: str,
    member: Member,
    redirect_uri: str,
    scope: str,
    code_challenge: str,
    code_challenge_method: str,
    lifetime_seconds: int,
) -> None:
    session.add(
        AuthorizationCode(
            code_hash=digest(code),
            client_id=client_id,
            user_id=member.user_id,
            organisation_id=member.organisation_id,
            redirect_uri=redirect_uri,
            scope=scope,
            code_challenge=code_challenge,
            code_challenge_method=code_challenge_method,
            expires_at=utcnow() + timedelta(seconds=lifetime_seconds),
        )
    )
    session.flush()


@dataclass(frozen=True)
class CodeRedemption:
    """The outcome of presenting a code: the code to exchange, or the code presented again."""

    code: AuthorizationCode | None
    reused: AuthorizationCode | None = None


def redeem_code(session: Session, *, code: str, client_id: str) -> CodeRedemption:
    """Claim a code for one exchange. The claim is a single conditional UPDATE, so of two concurrent
    presentations exactly one wins; every later one is a reuse (SECURITY.md 23)."""
    row = session.exec(
        select(AuthorizationCode).where(
            AuthorizationCode.code_hash == digest(code), AuthorizationCode.client_id == client_id
        )
    ).first()
    if row is None:
        return CodeRedemption(code=None)
    if row.expires_at <= utcnow() and row.used_at is None:
        return CodeRedemption(code=None)
    claimed = session.execute(
        sa.update(AuthorizationCode)
        .where(col(AuthorizationCode.id) == row.id, col(AuthorizationCode.used_at).is_(None))
        .values(used_at=utcnow())
    )
    if claimed.rowcount != 1:
        session.refresh(row)
        return CodeRedemption(code=None, reused=row)
    session.refresh(row)
    return CodeRedemption(code=row)


# Grants and refresh tokens


def open_grant(
    session: Session, *, client_id: str, member: Member, scope: str, absolute_lifetime_seconds: int
) -> OAuthGrant:
    grant = OAuthGrant(
        client_id=client_id,
        user_id=member.user_id,
        organisation_id=member.organisation_id,
        scope=scope,
        expires_at=utcnow() + timedelta(seconds=absolute_lifetime_seconds),
    )
    session.add(grant)
    session.flush()
    return grant


def issue_refresh_token(session: Session, *, grant: OAuthGrant, idle_lifetime_seconds: int) -> str:
    """A new refresh token of the grant: idle lifetime from now, never past the grant's absolute one."""
    value = new_secret_value()
    session.add(
        RefreshToken(
            token_hash=digest(value),
            grant_id=grant.id,
            expires_at=min(utcnow() + timedelta(seconds=idle_lifetime_seconds), grant.expires_at),
        )
    )
    session.flush()
    return value


@dataclass(frozen=True)
class PresentedRefreshToken:
    """A refresh token found by its value, with its grant: what Authlib's refresh grant works with."""

    row: RefreshToken
    grant: OAuthGrant

    def check_client(self, client: object) -> bool:
        return self.grant.client_id == getattr(client, "client_id", None)

    def get_scope(self) -> str:
        return self.grant.scope

    def is_usable(self, now: datetime) -> bool:
        return (
            self.row.rotated_at is None
            and self.row.expires_at > now
            and self.grant.revoked_at is None
            and self.grant.expires_at > now
        )


def find_refresh_token(session: Session, value: str) -> PresentedRefreshToken | None:
    found = session.exec(
        select(RefreshToken, OAuthGrant)
        .join(OAuthGrant, col(OAuthGrant.id) == RefreshToken.grant_id)
        .where(RefreshToken.token_hash == digest(value))
    ).first()
    return PresentedRefreshToken(row=found[0], grant=found[1]) if found is not None else None


def rotate_refresh_token(session: Session, token: PresentedRefreshToken) -> bool:
    """Mark the token used; False when another request already did (a reuse)."""
    claimed = session.execute(
        sa.update(RefreshToken)
        .where(col(RefreshToken.id) == token.row.id, col(RefreshToken.rotated_at).is_(None))
        .values(rotated_at=utcnow())
    )
    return claimed.rowcount == 1


def revoke_grant(session: Session, grant_id: int) -> None:
    """Stop every refresh token of the grant and every access token issued under it."""
    session.execute(
        sa.update(OAuthGrant)
        .where(col(OAuthGrant.id) == grant_id, col(OAuthGrant.revoked_at).is_(None))
        .values(revoked_at=utcnow())
    )
    session.flush()
