"""The portal's client registration and its sessions. Nothing here is registry data: the portal
still reads records only through GraphQL, with the access token a session holds."""

from datetime import datetime

from sqlmodel import Field, SQLModel

from api.core.db import UTCDateTime, utcnow


class PortalClient(SQLModel, table=True):
    """The portal's own OAuth client: one row, written by the first process that starts and read by
    every other, so all processes of a deployment present the same secret. The secret is sealed
    with COPLAB_KEY_ENCRYPTION_KEYS as the signing keys are (plain JSON without them, outside production)."""

    __tablename__ = "portal_client"

    name: str = Field(primary_key=True, max_length=40)  # always "portal": the row's fixed key
    client_id: str = Field(max_length=64)
    sealed_secret: str = Field(max_length=4000)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class PortalSession(SQLModel, table=True):
    """One browser's sign-in. The browser holds only a random session id (in the
    `__Host-coplab-session` cookie); this row holds its SHA-256 digest. Tokens are null while the
    authorization the session started is under way (its `state` digest and PKCE verifier wait here)."""

    __tablename__ = "portal_session"

    id: int | None = Field(default=None, primary_key=True)
    id_hash: str = Field(max_length=64, unique=True)
    user_id: int | None = Field(default=None, foreign_key="user_account.id", index=True)
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id")
    person_name: str | None = Field(default=None, max_length=200)
    organisation_name: str | None = Field(default=None, max_length=400)
    organisation_slug: str | None = Field(default=None, max_length=200)
    access_token: str | None = Field(default=None, max_length=4000)
    access_expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Sealed like the signing keys (a JWE naming this row's id digest, so it opens for this row only).
    sealed_refresh_token: str | None = Field(default=None, max_length=4000)
    # Even while the tokens are idle, odd while one request refreshes them (store.claim): two
    # requests of one browser never present the same (rotating) refresh token twice.
    generation: int = Field(default=0)
    # The authorization under way (sign-in or switching organisation).
    state_hash: str | None = Field(default=None, max_length=64)
    code_verifier: str | None = Field(default=None, max_length=200)
    return_to: str | None = Field(default=None, max_length=2000)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
