"""OAuth clients: an organisation's systems and apps that obtain access tokens."""

from datetime import datetime

import sqlalchemy as sa
from authlib.oauth2.rfc6749 import ClientMixin
from sqlmodel import Field, SQLModel

from api.core.db import AuditColumns, UTCDateTime, utcnow
from api.oauth import secrets


class OAuthClient(AuditColumns, ClientMixin, table=True):
    """One registered client. It acts for exactly one organisation; its secret is stored hashed."""

    __tablename__ = "oauth_client"

    id: int | None = Field(default=None, primary_key=True)
    client_id: str = Field(max_length=64, unique=True, index=True)
    secret_hash: str | None = Field(default=None, max_length=128)  # None for public clients
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    name: str = Field(max_length=200)
    scopes: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    grant_types: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    redirect_uris: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    # A Lab-wide client (the Lab's web frontend): people of any member organisation sign in through
    # it. Every other client obtains tokens for its own organisation only. Set from the CLI only.
    all_organisations: bool = Field(default=False)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    @property
    def is_public(self) -> bool:
        """A browser or native app that cannot keep a secret: it authenticates with PKCE alone."""
        return self.secret_hash is None

    # Authlib's ClientMixin: what the grants ask of a client.

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        return self.redirect_uris[0] if self.redirect_uris else None

    def get_allowed_scope(self, scope: str | None) -> str:
        """The requested scopes this client may hold; all of its scopes when none are requested."""
        if not scope:
            return " ".join(self.scopes)
        allowed = set(self.scopes)
        return " ".join(s for s in scope.split() if s in allowed)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris  # exact match, never a prefix

    def check_client_secret(self, client_secret: str) -> bool:
        return self.secret_hash is not None and secrets.matches(client_secret, self.secret_hash)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if self.is_public:
            return method == "none"
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code" and "authorization_code" in self.grant_types

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in self.grant_types


class RevokedAccessToken(SQLModel, table=True):
    """An access token revoked before it expired (RFC 7009), by its `jti`; useless once it has expired."""

    __tablename__ = "revoked_access_token"

    jti: str = Field(primary_key=True, max_length=64)
    organisation_id: int = Field(foreign_key="organisation.id")
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    revoked_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class OAuthGrant(SQLModel, table=True):
    """What a person consented to: one client acting for them in one organisation with a scope.

    Every refresh token and every access token of one sign-in belongs to one grant (the refresh
    token family). Revoking the grant stops them all: on reuse of a rotated refresh token, on reuse
    of an authorization code, on sign-out, or when the person leaves the organisation.
    """

    __tablename__ = "oauth_grant"

    id: int | None = Field(default=None, primary_key=True)
    client_id: str = Field(max_length=64, index=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    scope: str = Field(max_length=1000)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    # The absolute lifetime: no refresh token of this grant outlives it, however often it rotates.
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class AuthorizationCode(SQLModel, table=True):
    """A one-time code from the authorization endpoint, stored as a digest and bound to its client,
    redirect URI and PKCE challenge. Kept after use, so a second use is recognised (SECURITY.md 23)."""

    __tablename__ = "authorization_code"

    id: int | None = Field(default=None, primary_key=True)
    code_hash: str = Field(max_length=64, unique=True)
    client_id: str = Field(max_length=64)
    user_id: int = Field(foreign_key="user_account.id")
    organisation_id: int = Field(foreign_key="organisation.id")
    redirect_uri: str = Field(max_length=2000)
    scope: str = Field(max_length=1000)
    code_challenge: str = Field(max_length=128)
    code_challenge_method: str = Field(max_length=10)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The grant its exchange created: revoked if the code is presented again.
    grant_id: int | None = Field(default=None, foreign_key="oauth_grant.id")

    # What Authlib's grant asks of a code.

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope


class RefreshToken(SQLModel, table=True):
    """An opaque refresh token, stored as a digest. Each use rotates it: the next one replaces it,
    and presenting a rotated one again revokes the whole grant (SECURITY.md 22)."""

    __tablename__ = "refresh_token"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    grant_id: int = Field(foreign_key="oauth_grant.id", index=True)
    issued_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    # The idle lifetime, capped by the grant's absolute one.
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    rotated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ConsentTicket(SQLModel, table=True):
    """A person who has just signed in at the authorization endpoint, on their way to consent.

    The ticket travels in the consent form (not in a cookie), is bound to the one authorization
    request it was made for, lasts minutes and is used once.
    """

    __tablename__ = "consent_ticket"

    id: int | None = Field(default=None, primary_key=True)
    ticket_hash: str = Field(max_length=64, unique=True)
    user_id: int = Field(foreign_key="user_account.id")
    # The authorization request's query parameters, in order.
    request: list[list[str]] = Field(default_factory=list, sa_type=sa.JSON)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class PasswordSetup(SQLModel, table=True):
    """A one-time invitation link: with it a person accepts a membership, choosing a password when
    their account is new, or signing in with their own when it is not. Stored as a digest; the
    administrator who invited them passes the link on."""

    __tablename__ = "password_setup"

    id: int | None = Field(default=None, primary_key=True)
    code_hash: str = Field(max_length=64, unique=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    # The invitation the link answers: the person joins this membership's organisation with it.
    membership_id: int | None = Field(default=None, foreign_key="membership.id", index=True)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class FailedAttempt(SQLModel, table=True):
    """One failed authentication, counted by every API process alike (api/oauth/limits.py).

    The key it counts against (a client id or e-mail address with the source, or the source alone)
    is stored only as a SHA-256 hash. Rows older than the limiter's window are deleted as new
    failures are recorded.
    """

    __tablename__ = "failed_attempt"
    __table_args__ = (
        sa.Index("ix_failed_attempt_kind_key", "kind", "key_hash", "failed_at"),
        sa.Index("ix_failed_attempt_kind_time", "kind", "failed_at"),
    )

    # 64-bit on PostgreSQL (a sustained flood of failures outgrows 32 bits); SQLite's rowid already is.
    id: int | None = Field(
        default=None, sa_column=sa.Column(sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True)
    )
    kind: str = Field(max_length=40)  # which count: "token", "token:source", "sign_in", "sign_in:source"
    key_hash: str = Field(max_length=64)  # hex SHA-256 of the key
    failed_at: float = Field(sa_type=sa.Double)  # seconds since the epoch, from the process's wall clock
