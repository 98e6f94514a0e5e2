"""The principal of a request, from its `Authorization: Bearer` header and the database."""

import logging

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request

from api.auth import tokens
from api.auth.keys import KeyCache
from api.auth.principal import ANONYMOUS, Principal, PrincipalKind, Role
from api.auth.scopes import parse_scopes
from api.oauth import service as oauth
from api.organisations.models import Membership, Organisation, OrganisationStatus, accepted
from api.settings import Settings

log = logging.getLogger("coplab.auth")

USER_PREFIX = "user:"
CLIENT_PREFIX = "client:"


def bearer_token(request: Request) -> str | None:
    """The bearer token from the header only: `?access_token=` is never read (RFC 9700)."""
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise tokens.InvalidToken("not a bearer token")
    return value.strip()


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
        raise tokens.InvalidToken("organisation missing or suspended")
    if not stands:
        raise tokens.InvalidToken("token or client revoked, or client unknown")
    role: Role | None
    user_id: int | None = None
    if claims.subject.startswith(USER_PREFIX):
        try:
            user_id = int(claims.subject.removeprefix(USER_PREFIX))
        except ValueError as error:
            raise tokens.InvalidToken("bad subject") from error
        membership = (
            await session.exec(
                select(Membership).where(
                    Membership.user_id == user_id, Membership.organisation_id == organisation.id, accepted()
                )
            )
        ).first()
        if membership is None:
            raise tokens.InvalidToken("no longer a member")
        role, kind = membership.role, PrincipalKind.USER
    elif claims.subject.startswith(CLIENT_PREFIX):
        # An organisation's machine client acts with every role; its scopes are what limit it.
        role, kind = Role.ADMIN, PrincipalKind.CLIENT
    else:
        raise tokens.InvalidToken("unknown subject kind")
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
