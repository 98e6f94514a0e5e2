"""The server's own signing keys: creation, the active key, and the published JWKS."""

import json
import time

from joserfc.jwk import ECKey, KeySet
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.auth.models import SigningKey

ALGORITHM = "ES256"


def _new_key() -> ECKey:
    key = ECKey.generate_key("P-256", parameters={"alg": ALGORITHM, "use": "sig"}, auto_kid=True)
    return key


async def active_key(*, session: AsyncSession) -> ECKey:
    """The key that signs new tokens; created on first use. Flushes, never commits."""
    row = (
        await session.exec(
            select(SigningKey).where(col(SigningKey.retired_at).is_(None)).order_by(col(SigningKey.created_at).desc())
        )
    ).first()
    if row is None:
        key = _new_key()
        row = SigningKey(
            kid=key.kid,
            private_jwk=json.dumps(key.as_dict(private=True)),
            public_jwk=json.dumps(key.as_dict(private=False)),
        )
        session.add(row)
        await session.flush()
    return ECKey.import_key(json.loads(row.private_jwk))


async def public_key_set(*, session: AsyncSession) -> KeySet:
    """Every key that may have signed an unexpired token."""
    rows = (await session.exec(select(SigningKey))).all()
    return KeySet([ECKey.import_key(json.loads(r.public_jwk)) for r in rows])


class KeyCache:
    """Per-process cache of the public keys, refreshed when an unknown `kid` shows up."""

    REFRESH_INTERVAL_SECONDS = 30.0

    def __init__(self) -> None:
        self._keys: KeySet = KeySet([])
        self._loaded_at = float("-inf")

    def knows(self, kid: str) -> bool:
        return any(k.kid == kid for k in self._keys)

    async def get(self, *, session: AsyncSession, kid: str) -> KeySet:
        stale = time.monotonic() - self._loaded_at > self.REFRESH_INTERVAL_SECONDS
        if not self.knows(kid) and stale:
            self._keys = await public_key_set(session=session)
            self._loaded_at = time.monotonic()
        return self._keys
