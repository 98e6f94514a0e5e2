"""OAuth clients: an organisation's systems and apps that obtain access tokens."""

from datetime import datetime

import sqlalchemy as sa
from authlib.oauth2.rfc6749 import ClientMixin
from sqlmodel import Field, SQLModel

from api.db import AuditColumns, UTCDateTime, utcnow
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
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

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
        if self.secret_hash is None:
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
