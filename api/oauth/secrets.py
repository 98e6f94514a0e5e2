"""Client secrets: shown once, stored as a SHA-256 digest.

A client secret is 256 random bits, not a password a person chose, so a fast digest resists
guessing as well as a slow password hash would, and keeps the token endpoint cheap.
"""

import hashlib
import hmac
import secrets as _random

CLIENT_ID_PREFIX = "cpl_"


def new_client_id() -> str:
    return CLIENT_ID_PREFIX + _random.token_urlsafe(16)


def new_secret() -> str:
    return _random.token_urlsafe(32)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def matches(secret: str, stored_digest: str) -> bool:
    return hmac.compare_digest(digest(secret), stored_digest)
