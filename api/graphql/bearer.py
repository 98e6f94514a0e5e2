"""The principal of a request, from its `Authorization: Bearer` header and the database.

The edge's work, not auth's: a token stands only while its client, grant, organisation and (for a
person) membership do, and those belong to the oauth and organisations domains, above auth."""

import logging

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse

from api.auth import tokens
from api.auth.keys import KeyCache
from api.auth.principal import ANONYMOUS, CLIENT_PREFIX, USER_PREFIX, Principal, PrincipalKind, Role
from api.auth.scopes import parse_scopes
from api.auth.tokens import TokenProblem
from api.oauth import service as oauth
from api.organisations.models import Membership, Organisation, OrganisationStatus, accepted
from api.core.settings import Settings

log = logging.getLogger("coplab.auth")


def bearer_token(request: Request) -> str | None:
    """The bearer token from the header only: `?access_token=` is never read (RFC 9700)."""
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise tokens.InvalidToken(TokenProblem.MALFORMED_HEADER, f"scheme {scheme[:20]!r}")
    return value.strip()


async def invalid_token_response(_request: Request, error: tokens.InvalidToken) -> JSONResponse:
    """The 401 for a refused bearer token: RFC 6750's challenge with a short description, and a body
    shaped like every other GraphQL error, with a stable code and the reason."""
    challenge = f'Bearer error="invalid_token", error_description="{error.description}"'
    body = {
        "errors": [
            {
                "message": error.description,
                "extensions": {"code": "UNAUTHENTICATED", "reason": error.problem.value},
            }
        ]
    }
    return JSONResponse(body, status_code=401, headers={"WWW-Authenticate": challenge})


async def principal_from_token(
    token: str | None, *, session: AsyncSession, keys: KeyCache, settings: Settings
) -> Principal:
    """Verify the token, then check the organisation and membership it names still stand."""
    if token is None:
        return ANONYMOUS
    _, principal = await standing_token(token, session=session, keys=keys, settings=settings)
    return principal


async def standing_token(
    token: str, *, session: AsyncSession, keys: KeyCache, settings: Settings
) -> tuple[tokens.AccessTokenClaims, Principal]:
    """The token's claims and principal, if it verifies and its client, organisation and (for a
    person) membership still stand; `InvalidToken` otherwise. Requests and introspection share it."""
    kid = tokens.unverified_kid(token)
    claims = tokens.verify(
        token, keys=await keys.get(session=session, kid=kid), issuer=settings.issuer, audience=settings.audience
    )
    found = (
        await session.exec(
            select(Organisation, oauth.token_stands(client_id=claims.client_id, jti=claims.token_id, grant_id=claims.grant_id)).where(
                Organisation.id == claims.organisation_id
            )
        )
    ).first()
    organisation, stands = found if found is not None else (None, False)
    if organisation is None or organisation.status is OrganisationStatus.SUSPENDED:
        raise tokens.InvalidToken(TokenProblem.ORGANISATION_INACTIVE, "organisation missing or suspended")
    if not stands:
        raise tokens.InvalidToken(TokenProblem.REVOKED, "token, grant or client revoked, or client unknown")
    role: Role | None
    user_id: int | None = None
    if claims.subject.startswith(USER_PREFIX):
        try:
            user_id = int(claims.subject.removeprefix(USER_PREFIX))
        except ValueError as error:
            raise tokens.InvalidToken(TokenProblem.INVALID_CLAIMS, "bad subject") from error
        membership = (
            await session.exec(
                select(Membership).where(
                    Membership.user_id == user_id, Membership.organisation_id == organisation.id, accepted()
                )
            )
        ).first()
        if membership is None:
            raise tokens.InvalidToken(TokenProblem.NOT_A_MEMBER, "no longer a member")
        role, kind = membership.role, PrincipalKind.USER
    elif claims.subject.startswith(CLIENT_PREFIX):
        # An organisation's machine client acts with every role; its scopes are what limit it.
        role, kind = Role.ADMIN, PrincipalKind.CLIENT
    else:
        raise tokens.InvalidToken(TokenProblem.INVALID_CLAIMS, "unknown subject kind")
    return claims, Principal(
        kind=kind,
        subject=claims.subject,
        organisation_id=organisation.id,
        organisation_is_member=organisation.status is OrganisationStatus.MEMBER,
        organisation_is_secretariat=organisation.is_secretariat,
        role=role,
        user_id=user_id,
        scopes=parse_scopes(claims.scope),
        token_id=claims.token_id,
    )
