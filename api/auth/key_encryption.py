"""The signing keys' private parts at rest: sealed as a JWE (`dir`, A256GCM) under the first key of
COPLAB_KEY_ENCRYPTION_KEYS, opened with whichever of them sealed it (the JWE's `kid` names it by a
fingerprint). Without a key (development, test) they are stored as plain JSON (docs/operations.md)."""

import base64
import hashlib
import json
from dataclasses import dataclass

from joserfc import jwe
from joserfc.errors import JoseError
from joserfc.jwk import OctKey

from api.core.settings import ConfigurationError, decode_encryption_key

ALGORITHMS = ["dir", "A256GCM"]
SETTING = "COPLAB_KEY_ENCRYPTION_KEYS"


def fingerprint(raw: bytes) -> str:
    """A key's public name in the sealed values and in messages: it reveals nothing of the key."""
    return hashlib.sha256(b"coplab key encryption key " + raw).hexdigest()[:16]


def _is_plain(stored: str) -> bool:
    return stored.lstrip().startswith("{")


def _sealed_by(stored: str) -> str | None:
    """The `kid` of a compact JWE's protected header: which encryption key sealed it."""
    header = stored.split(".", 1)[0]
    try:
        kid = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4))).get("kid")
    except (ValueError, AttributeError):
        return None
    return kid if isinstance(kid, str) else None


@dataclass(frozen=True)
class KeyEncryption:
    """The encryption keys, first to seal, every one to open; none: stored plain."""

    keys: tuple[tuple[str, OctKey], ...] = ()

    @classmethod
    def of(cls, encoded: list[str]) -> "KeyEncryption":
        """From the setting's values (base64, checked by the settings)."""
        raws = [decode_encryption_key(text) for text in encoded]
        return cls(tuple((fingerprint(raw), OctKey.import_key(raw)) for raw in raws))

    def seal(self, private_jwk: str) -> str:
        """What to store for `private_jwk` (a JWK as JSON)."""
        if not self.keys:
            return private_jwk
        kid, key = self.keys[0]
        return jwe.encrypt_compact({"alg": "dir", "enc": "A256GCM", "kid": kid}, private_jwk, key, algorithms=ALGORITHMS)

    def is_current(self, stored: str) -> bool:
        """Stored as this configuration would store it now: sealed with the first key, or plain without keys."""
        return _is_plain(stored) if not self.keys else _sealed_by(stored) == self.keys[0][0]

    def open(self, stored: str, *, kid: str) -> str:
        """The private JWK (JSON) of signing key `kid` from what is stored; ConfigurationError when no
        configured key opens it."""
        if _is_plain(stored):
            opened = stored
        else:
            sealed_by = _sealed_by(stored)
            key = dict(self.keys).get(sealed_by or "")
            if key is None:
                configured = ", ".join(name for name, _ in self.keys) or "none"
                raise ConfigurationError(
                    f"{SETTING}: signing key {kid} is stored encrypted with the key whose id is {sealed_by}, which is "
                    f"not among the configured keys (ids: {configured}); set that key (after the new one, to rotate)"
                )
            try:
                opened = jwe.decrypt_compact(stored, key, algorithms=ALGORITHMS).plaintext.decode()
            except (JoseError, ValueError):
                opened = ""
        try:
            same_key = json.loads(opened).get("kid") == kid
        except ValueError:
            same_key = False
        if not same_key:
            raise ConfigurationError(
                f"{SETTING}: the stored private part of signing key {kid} does not open as that key's JWK "
                "(altered, or moved from another row)"
            )
        return opened
