"""RFC 9068 JWT access tokens: minting and verification with joserfc."""

import base64
import json
import time
import uuid
from dataclasses import dataclass
from enum import StrEnum

from joserfc import jwt
from joserfc.errors import BadSignatureError, ClaimError, DecodeError, ExpiredTokenError, JoseError, MissingClaimError
from joserfc.jwk import ECKey, KeySet
from joserfc.jws import JWSRegistry
from joserfc.jwt import JWTClaimsRegistry

from api.auth.keys import ALGORITHM

TOKEN_TYPE = "at+jwt"


# How far the clocks of this server and of whoever minted a token may disagree, for `exp`, `nbf`
# and `iat` (docs/auth.md).
LEEWAY_SECONDS = 30


class TokenProblem(StrEnum):
    """Why a bearer token was refused: a stable code and a short description a person can act on
    (RFC 6750 `error_description`; the list is in docs/auth.md)."""

    description: str

    def __new__(cls, code: str, description: str) -> "TokenProblem":
        member = str.__new__(cls, code)
        member._value_ = code
        member.description = description
        return member

    MALFORMED_HEADER = "MALFORMED_HEADER", "The Authorization header must be the word Bearer, a space and the access token."
    MALFORMED_TOKEN = "MALFORMED_TOKEN", "The access token is not a signed JWT with a kid."
    UNKNOWN_KEY = "UNKNOWN_KEY", (
        "The access token is signed with a key this server does not publish: it is from another server, "
        "or its key was retired."
    )
    BAD_SIGNATURE = "BAD_SIGNATURE", "The access token's signature does not verify (ES256 with this server's key)."
    NOT_AN_ACCESS_TOKEN = "NOT_AN_ACCESS_TOKEN", "The token is not an access token (typ must be at+jwt)."
    EXPIRED = "EXPIRED", "The access token has expired."
    NOT_YET_VALID = "NOT_YET_VALID", "The access token is not valid yet (nbf or iat is in the future)."
    WRONG_ISSUER = "WRONG_ISSUER", "The access token was issued by another server."
    WRONG_AUDIENCE = "WRONG_AUDIENCE", "The access token is for another API (aud)."
    MISSING_CLAIM = "MISSING_CLAIM", "The access token lacks a claim this server's tokens carry."
    INVALID_CLAIMS = "INVALID_CLAIMS", "The access token's claims are not ones this server issues."
    REVOKED = "REVOKED", "The access token has been revoked."
    ORGANISATION_INACTIVE = "ORGANISATION_INACTIVE", "The organisation the access token acts for is suspended or gone."
    NOT_A_MEMBER = "NOT_A_MEMBER", "The person is no longer a member of the organisation the access token acts for."


class InvalidToken(Exception):
    """The bearer token cannot be trusted. `problem` and `description` are for the client; `detail`
    (str of the exception) is for the operators' log."""

    def __init__(self, problem: TokenProblem, detail: str = "", *, description: str | None = None) -> None:
        super().__init__(f"{problem}: {detail}" if detail else str(problem))
        self.problem = problem
        # Quoted in the `WWW-Authenticate` header, where a quote or a line break would end it.
        self.description = _printable(description or problem.description, limit=400)


def _printable(value: object, limit: int = 100) -> str:
    """Text safe inside a quoted header parameter: printable ASCII without quote or backslash (RFC 6750)."""
    text = "".join(c for c in str(value) if " " <= c <= "~" and c not in '"\\')
    return text if len(text) <= limit else text[: limit - 3] + "..."


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
    try:
        header_b64 = token.split(".", 1)[0]
        header = json.loads(base64.urlsafe_b64decode(header_b64 + "=" * (-len(header_b64) % 4)))
    except (ValueError, UnicodeDecodeError) as error:
        raise InvalidToken(TokenProblem.MALFORMED_TOKEN, "header not base64url JSON") from error
    kid = header.get("kid") if isinstance(header, dict) else None
    if not isinstance(kid, str):
        raise InvalidToken(TokenProblem.MALFORMED_TOKEN, "no kid")
    return kid


def _claims_problem(error: ClaimError, claims: dict, *, issuer: str, audience: str) -> InvalidToken:
    if isinstance(error, ExpiredTokenError):
        return InvalidToken(TokenProblem.EXPIRED, str(error))
    if isinstance(error, MissingClaimError):
        return InvalidToken(
            TokenProblem.MISSING_CLAIM,
            str(error),
            description=f"The access token lacks the claim {_printable(error.claim)}, which this server's tokens carry.",
        )
    if error.claim in {"nbf", "iat"} and isinstance(claims.get(error.claim), int | float):  # a date, in the future
        return InvalidToken(TokenProblem.NOT_YET_VALID, str(error))
    if error.claim == "iss":
        return InvalidToken(
            TokenProblem.WRONG_ISSUER,
            str(error),
            description=(
                f"The access token was issued by {_printable(claims.get('iss'))}, not by this server ({issuer}): "
                "get a token from this server (coplab token mint --issuer, or COPLAB_ISSUER)."
            ),
        )
    if error.claim == "aud":
        return InvalidToken(
            TokenProblem.WRONG_AUDIENCE, str(error), description=f"The access token is not for this API (aud must be {audience})."
        )
    return InvalidToken(TokenProblem.INVALID_CLAIMS, str(error))


def verify(token: str, *, keys: KeySet, issuer: str, audience: str, leeway: int = LEEWAY_SECONDS) -> AccessTokenClaims:
    """Check signature (ES256 only), `typ`, `iss`, `aud`, `exp` and `nbf`; return the claims."""
    kid = unverified_kid(token)
    if not any(key.kid == kid for key in keys):
        raise InvalidToken(TokenProblem.UNKNOWN_KEY, f"kid {kid[:80]!r}")
    try:
        decoded = jwt.decode(token, keys, algorithms=[ALGORITHM], registry=JWSRegistry(algorithms=[ALGORITHM]))
    except (DecodeError, ValueError) as error:
        raise InvalidToken(TokenProblem.MALFORMED_TOKEN, f"signature: {error}") from error
    except (BadSignatureError, JoseError) as error:
        raise InvalidToken(TokenProblem.BAD_SIGNATURE, f"signature: {error!r}") from error
    if str(decoded.header.get("typ", "")).lower() not in {TOKEN_TYPE, f"application/{TOKEN_TYPE}"}:
        raise InvalidToken(TokenProblem.NOT_AN_ACCESS_TOKEN, "typ is not at+jwt")
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
    except ClaimError as error:
        raise _claims_problem(error, decoded.claims, issuer=issuer, audience=audience) from error
    except JoseError as error:
        raise InvalidToken(TokenProblem.INVALID_CLAIMS, f"claims: {error}") from error
    claims = decoded.claims
    if not isinstance(claims.get("org"), int) or not isinstance(claims.get("scope", ""), str):
        raise InvalidToken(TokenProblem.INVALID_CLAIMS, "bad org or scope claim")
    grant_id = claims.get("sid")
    if grant_id is not None and not (isinstance(grant_id, str) and grant_id.isdigit()):
        raise InvalidToken(TokenProblem.INVALID_CLAIMS, "bad sid claim")
    return AccessTokenClaims(
        subject=claims["sub"],
        client_id=claims["client_id"],
        organisation_id=claims["org"],
        scope=claims.get("scope", ""),
        token_id=claims["jti"],
        expires_at=claims["exp"],
        grant_id=int(grant_id) if grant_id is not None else None,
    )
