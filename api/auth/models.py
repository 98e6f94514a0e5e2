"""Signing keys for access tokens."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from api.core.db import UTCDateTime, utcnow


class SigningKey(SQLModel, table=True):
    """An ES256 key pair. The newest unretired key whose activation has come signs; every unretired
    key is published and verifies (`coplab keys rotate`)."""

    __tablename__ = "signing_key"

    kid: str = Field(primary_key=True, max_length=64)
    private_jwk: str = Field(sa_type=sa.Text)
    public_jwk: str = Field(sa_type=sa.Text)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # When it starts signing; published in the JWKS from `created_at` on, so verifiers that cache
    # the key set know it before the first token it signs. None: from creation.
    activates_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # No longer published nor trusted: every token it signed has expired.
    retired_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
