"""People's passwords: argon2id hashes (argon2-cffi), never stored or logged in clear."""

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from api.core.errors import DomainError, ErrorCode, Problem

MIN_LENGTH = 12
MAX_LENGTH = 256

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters

# Verified against when the e-mail address is unknown, so a wrong address costs as much time as a
# wrong password and response times do not tell which addresses have accounts.
_DECOY_HASH = _hasher.hash("coplab decoy password, never assigned")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, stored_hash: str | None) -> bool:
    """Whether `password` matches; False for an account without a password (after the same work)."""
    try:
        return _hasher.verify(stored_hash or _DECOY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def password_problems(password: str, *, field: str = "password") -> list[Problem]:
    """What is wrong with a new password: length only, as current guidance advises (no composition rules)."""
    if len(password) < MIN_LENGTH:
        return [Problem((field,), ErrorCode.TOO_SHORT, f"A password has at least {MIN_LENGTH} characters.")]
    if len(password) > MAX_LENGTH:
        return [Problem((field,), ErrorCode.TOO_LONG, f"A password has at most {MAX_LENGTH} characters.")]
    return []


def check_new_password(password: str, *, field: str = "password") -> str:
    """The password, or `DomainError` naming what is wrong with it."""
    problems = password_problems(password, field=field)
    if problems:
        raise DomainError(problems)
    return password
