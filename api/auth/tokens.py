"""RFC 9068 JWT access tokens: minting and verification with joserfc."""

import time
import uuid
from dataclasses import dataclass

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet
from joserfc.jws import JWSRegistry
from joserfc.jwt import JWTClaimsRegistry

from api.auth.keys import ALGORITHM

TOKEN_TYPE = "at+jwt"


class InvalidToken(Exception):
    """The bearer token cannot be trusted; the reason is logged, never returned."""


@dataclass(frozen=True)
class AccessTokenClaims:
    subject: str
    client_id: str
    organisation_id: int
    scope: str
    token_id: str
    expires_at: int
    # The person's grant (refresh-token family) the token was issued under; None for machine clients.
    grant_id: int | None = None


def mint(
    *,
    key: ECKey,
    issuer: str,
    audience: str,
    subject: str,
    client_id: str,
    organisation_id: int,
    scope: str,
    lifetime_seconds: int,
    grant_id: int | None = None,
    now: int | None = None,
) -> str:
    """A signed access token for one organisation and a set of scopes. A person's token names the
    grant it was issued under (`sid`), so revoking the grant stops it."""
    issued_at = int(time.time()) if now is None else now
    claims = {
        "iss": issuer,
        "aud": audience,
        "sub": subject,
        "client_id": client_id,
        "org": organisation_id,
        "scope": scope,
        "jti": uuid.uuid4().hex,
        "iat": issued_at,
        "nbf": issued_at,
        "exp": issued_at + lifetime_seconds,
    }
    if grant_id is not None:
        claims["sid"] = str(grant_id)
    header = {"alg": ALGORITHM, "kid": key.kid, "typ": TOKEN_TYPE}
    return jwt.encode(header, claims, key, algorithms=[ALGORITHM])


def unverified_kid(token: str) -> str:
    """The `kid` header, read before choosing the key; nothing else is trusted yet."""
    import base64
    import json

    try:
        header_b64 = token.split(".", 1)[0]
        header = json.loads(base64.urlsafe_b64decode(header_b64 + "=" * (-len(header_b64) % 4)))
    except (ValueError, UnicodeDecodeError) as error:
        raise InvalidToken("malformed header") from error
    kid = header.get("kid") if isinstance(header, dict) else None
    if not isinstance(kid, str):
        raise InvalidToken("no kid")
    return kid


def verify(token: str, *, keys: KeySet, issuer: str, audience: str, leeway: int = 30) -> AccessTokenClaims:
    """Check signature (ES256 only), `typ`, `iss`, `aud`, `exp` and `nbf`; return the claims."""
    try:
        decoded = jwt.decode(token, keys, algorithms=[ALGORITHM], registry=JWSRegistry(algorithms=[ALGORITHM]))
    except (JoseError, ValueError) as error:
        raise InvalidToken(f"signature: {error}") from error
    if str(decoded.header.get("typ", "")).lower() not in {TOKEN_TYPE, f"application/{TOKEN_TYPE}"}:
        raise InvalidToken("typ is not at+jwt")
    registry = JWTClaimsRegistry(
        leeway=leeway,
        iss={"essential": True, "value": issuer},
        aud={"essential": True, "value": audience},
        exp={"essential": True},
        sub={"essential": True},
        jti={"essential": True},
        client_id={"essential": True},
        org={"essential": True},
    )
    try:
        registry.validate(decoded.claims)
    except JoseError as error:
        raise InvalidToken(f"claims: {error}") from error
    claims = decoded.claims
    if not isinstance(claims.get("org"), int) or not isinstance(claims.get("scope", ""), str):
        raise InvalidToken("bad org or scope claim")
    grant_id = claims.get("sid")
    if grant_id is not None and not (isinstance(grant_id, str) and grant_id.isdigit()):
        raise InvalidToken("bad sid claim")
    return AccessTokenClaims(
        subject=claims["sub"],
        client_id=claims["client_id"],
        organisation_id=claims["org"],
        scope=claims.get("scope", ""),
        token_id=claims["jti"],
        expires_at=claims["exp"],
        grant_id=int(grant_id) if grant_id is not None else None,
    )
