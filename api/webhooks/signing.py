"""Signing secrets and signatures as the Standard Webhooks specification describes them.

A secret is `whsec_` + base64 of 32 random bytes; the signature of a delivery is
`v1,` + base64(HMAC-SHA256(key = those bytes, message = "{webhook-id}.{webhook-timestamp}.{body}")).
Secrets are stored sealed with the signing keys' encryption (auth/key_encryption.py): a JSON object naming
the secret's row, so a sealed value moved to another row does not open."""

import base64
import hashlib
import hmac
import json
import secrets

from api.auth.key_encryption import KeyEncryption

PREFIX = "whsec_"
SECRET_BYTES = 32


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def _kid(secret_id: int) -> str:
    return f"webhook-secret-{secret_id}"


def seal(encryption: KeyEncryption, *, secret_id: int, secret: str) -> str:
    return encryption.seal(json.dumps({"kid": _kid(secret_id), "secret": secret}))


def open_secret(encryption: KeyEncryption, *, secret_id: int, sealed: str) -> str:
    """The secret stored as `sealed` (ConfigurationError when no configured key opens it)."""
    return json.loads(encryption.open(sealed, kid=_kid(secret_id)))["secret"]


def signature(secret: str, *, message_id: str, timestamp: int, body: str) -> str:
    key = base64.b64decode(secret.removeprefix(PREFIX))
    digest = hmac.new(key, f"{message_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(secrets_: list[str], *, message_id: str, timestamp: int, body: str) -> dict[str, str]:
    """The three Standard Webhooks headers; one signature per secret, space-separated."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(signature(s, message_id=message_id, timestamp=timestamp, body=body) for s in secrets_),
    }
