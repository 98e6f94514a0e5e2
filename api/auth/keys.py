"""The server's own signing keys: the active key, rotation, retirement and the published JWKS."""

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from joserfc.jwk import ECKey, KeySet
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.auth.key_encryption import KeyEncryption
from api.auth.models import SigningKey
from api.core.db import utcnow

ALGORITHM = "ES256"


class KeyState(StrEnum):
    NEXT = "next"  # published, signs once its activation time has passed
    ACTIVE = "active"  # signs new tokens
    VERIFYING = "verifying-only"  # superseded; published until the tokens it signed have expired
    RETIRED = "retired"  # neither published nor trusted


@dataclass(frozen=True)
class KeyStatus:
    kid: str
    state: KeyState
    created_at: datetime
    activates_at: datetime  # `created_at` for a key that signed from its creation
    retired_at: datetime | None


@dataclass(frozen=True)
class Rotation:
    next_kid: str
    activates_at: datetime
    retired: list[str]


def _new_key() -> ECKey:
    key = ECKey.generate_key("P-256", parameters={"alg": ALGORITHM, "use": "sig"}, auto_kid=True)
    return key


def _row(key: ECKey, encryption: KeyEncryption, activates_at: datetime | None = None) -> SigningKey:
    return SigningKey(
        kid=key.kid,
        private_jwk=encryption.seal(json.dumps(key.as_dict(private=True))),
        public_jwk=json.dumps(key.as_dict(private=False)),
        activates_at=activates_at,
    )


def _activation(row: SigningKey) -> datetime:
    return row.activates_at or row.created_at


def _newest_first(rows: list[SigningKey]) -> list[SigningKey]:
    return sorted(rows, key=lambda r: (r.created_at, r.kid), reverse=True)


def _signing(rows: list[SigningKey], now: datetime) -> SigningKey | None:
    """The newest unretired key whose activation time has passed."""
    return next((r for r in _newest_first(rows) if r.retired_at is None and _activation(r) <= now), None)


def _stopped_signing(row: SigningKey, rows: list[SigningKey], now: datetime) -> datetime | None:
    """When a newer key activated, ending this one's signing; None while nothing newer has."""
    newer = [_activation(r) for r in rows if (r.created_at, r.kid) > (row.created_at, row.kid)]
    return min((at for at in newer if at <= now), default=None)


async def _all(session: AsyncSession) -> list[SigningKey]:
    return list((await session.exec(select(SigningKey))).all())


async def active_key(*, session: AsyncSession, encryption: KeyEncryption) -> ECKey:
    """The key that signs new tokens; created on first use. Flushes, never commits. ConfigurationError
    when `encryption` does not open it."""
    unretired = (await session.exec(select(SigningKey).where(col(SigningKey.retired_at).is_(None)))).all()
    row = _signing(list(unretired), utcnow())
    if row is None:
        row = _row(_new_key(), encryption)
        session.add(row)
        await session.flush()
    return ECKey.import_key(json.loads(encryption.open(row.private_jwk, kid=row.kid)))


async def encrypt_stored(*, session: AsyncSession, encryption: KeyEncryption, write: bool = True) -> list[str]:
    """Store every key's private part as `encryption` would now: encrypt plain ones, encrypt again
    those an older encryption key sealed. Idempotent; the kids rewritten (`write=False`: to rewrite).
    Flushes, never commits. ConfigurationError, before anything changes, when a key does not open."""
    rows = _newest_first(await _all(session))
    opened = {row.kid: encryption.open(row.private_jwk, kid=row.kid) for row in rows}
    stale = [row for row in rows if not encryption.is_current(row.private_jwk)]
    for row in stale if write else []:
        row.private_jwk = encryption.seal(opened[row.kid])
        session.add(row)
    await session.flush()
    return [row.kid for row in stale]


async def public_key_set(*, session: AsyncSession) -> KeySet:
    """Every unretired key: the active one, the next one, and those whose tokens may not have expired."""
    rows = (
        await session.exec(
            select(SigningKey).where(col(SigningKey.retired_at).is_(None)).order_by(col(SigningKey.created_at))
        )
    ).all()
    return KeySet([ECKey.import_key(json.loads(r.public_jwk)) for r in rows])


async def rotate(
    *, session: AsyncSession, encryption: KeyEncryption, activate_in_seconds: int, retire_after_seconds: int
) -> Rotation:
    """Retire the keys that stopped signing more than `retire_after_seconds` ago, then create the next
    key, published now and signing `activate_in_seconds` from now. Flushes, never commits.

    Whoever rotates records it in the audit log, in the same transaction: audit reads principals,
    so it sits above auth, and auth imports no other domain."""
    now = utcnow()
    rows = await _all(session)
    retired: list[str] = []
    for row in rows:
        stopped = _stopped_signing(row, rows, now)
        if row.retired_at is None and stopped is not None and now - stopped > timedelta(seconds=retire_after_seconds):
            row.retired_at = now
            session.add(row)
            retired.append(row.kid)
    # With no key signing yet there is nothing for verifiers to learn first: the new key signs at once.
    activates_at = now + timedelta(seconds=activate_in_seconds) if _signing(rows, now) is not None else None
    next_row = _row(_new_key(), encryption, activates_at)
    session.add(next_row)
    await session.flush()
    return Rotation(next_kid=next_row.kid, activates_at=_activation(next_row), retired=sorted(retired))


async def statuses(*, session: AsyncSession) -> list[KeyStatus]:
    """Every key with its state, newest first."""
    now = utcnow()
    rows = _newest_first(await _all(session))
    signing = _signing(rows, now)

    def state(row: SigningKey) -> KeyState:
        if row.retired_at is not None:
            return KeyState.RETIRED
        if row is signing:
            return KeyState.ACTIVE
        newer = signing is None or (row.created_at, row.kid) > (signing.created_at, signing.kid)
        if _activation(row) > now and newer:
            return KeyState.NEXT
        return KeyState.VERIFYING

    return [KeyStatus(r.kid, state(r), r.created_at, _activation(r), r.retired_at) for r in rows]


class KeyCache:
    """Per-process cache of the public keys: reloaded every `refresh_interval_seconds`, so retired
    keys stop verifying, and asked for an unknown `kid` at once, so a key that activated since the
    last load verifies the first token it signs."""

    REFRESH_INTERVAL_SECONDS = 30.0

    def __init__(
        self, *, refresh_interval_seconds: float = REFRESH_INTERVAL_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._keys: KeySet = KeySet([])
        self._loaded_at = float("-inf")
        self._interval = refresh_interval_seconds
        self._clock = clock

    def knows(self, kid: str) -> bool:
        return any(k.kid == kid for k in self._keys)

    async def get(self, *, session: AsyncSession, kid: str) -> KeySet:
        if self._clock() - self._loaded_at > self._interval:
            self._keys = await public_key_set(session=session)
            self._loaded_at = self._clock()
        elif not self.knows(kid):
            # One primary-key lookup: no more than the organisation lookup every valid token costs.
            row = (
                await session.exec(
                    select(SigningKey).where(SigningKey.kid == kid, col(SigningKey.retired_at).is_(None))
                )
            ).first()
            if row is not None:
                self._keys = KeySet([*self._keys, ECKey.import_key(json.loads(row.public_jwk))])
        return self._keys
