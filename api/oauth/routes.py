"""HTTP endpoints of the authorization server: token (RFC 6749), revocation (RFC 7009),
introspection (RFC 7662) and metadata (RFC 8414)."""

from collections.abc import Callable

from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749.util import extract_basic_authorization
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from joserfc.jwk import ECKey
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from api.audit import service as audit_service
from api.audit.models import AuditKind
from api.auth import keys, tokens
from api.auth.dependencies import standing_token
from api.auth.scopes import Scope
from api.oauth import authorize
from api.oauth import service as oauth_service
from api.oauth.authorize import AUTHORIZATION_PATH
from api.oauth.limits import FailureLimiter
from api.oauth.grants import MachineClientGrant, PersonCodeGrant, RotatingRefreshGrant, S256Required
from api.oauth.server import (
    CoplabAuthorizationServer,
    OwnTokensIntrospection,
    OwnTokensRevocation,
    StandingToken,
    StarletteOAuth2Request,
)
from api.settings import Settings

router = APIRouter(include_in_schema=False)
router.include_router(authorize.router)

TOKEN_PATH = "/oauth/token"
INTROSPECTION_PATH = "/oauth/introspect"
REVOCATION_PATH = "/oauth/revoke"

Respond = Callable[[CoplabAuthorizationServer, StarletteOAuth2Request], tuple[int, dict, list]]


async def _client_authenticated(
    request: Request, respond: Respond, *, signing_key: ECKey | None = None, standing: StandingToken | None = None
) -> JSONResponse:
    """Run one client-authenticated Authlib endpoint in a worker thread.

    The grants and endpoints audit what they issue and revoke; failed client authentications are
    audited here, and repeated failures for one client id or from one address are refused for a
    while with 429 (SECURITY.md 38). The session is committed whatever the answer: a refused
    request may still have used up a code or revoked a grant, and that must stand.
    """
    state = request.app.state
    settings: Settings = state.settings
    form = await request.form()
    fields = [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
    client_id = extract_basic_authorization(request.headers)[0] or dict(fields).get("client_id")
    address = request.client.host if request.client else None
    limited_keys = [f"client:{client_id}"] if client_id else []
    if address:
        limited_keys.append(f"address:{address}")
    limiter: FailureLimiter = state.token_failures

    def audit_failure(sync_session: Session, kind: AuditKind) -> None:
        audit_service.record(
            sync_session,
            kind=kind,
            organisation_id=oauth_service.organisation_of(sync_session, client_id) if client_id else None,
            client_id=client_id,
            remote_address=address,
        )

    def refuse() -> None:
        with Session(state.sync_engine) as sync_session:
            audit_failure(sync_session, AuditKind.RATE_LIMITED)
            sync_session.commit()

    wait = limiter.retry_after(*limited_keys)
    if wait is not None:
        await run_in_threadpool(refuse)
        return JSONResponse(
            {"error": "too_many_requests", "error_description": "Too many failed attempts; try again later."},
            status_code=429,
            headers={"Retry-After": str(wait), "Cache-Control": "no-store"},
        )

    try:
        oauth_request = StarletteOAuth2Request(
            method=request.method,
            uri=str(request.url),
            headers=request.headers,  # case-insensitive, as Authlib reads "Authorization"
            query=list(request.query_params.multi_items()),
            form=fields,
            signing_key=signing_key,
            remote_address=address,
        )
    except OAuth2Error as error:  # plain http to a host that is not this machine
        return JSONResponse(dict(error.get_body()), status_code=error.status_code, headers=dict(error.get_headers()))

    def run() -> tuple[int, dict, list]:
        with Session(state.sync_engine) as sync_session:
            server = CoplabAuthorizationServer(settings=settings, session=sync_session, standing=standing)
            status, body, headers = respond(server, oauth_request)
            if body.get("error") == "invalid_client":
                audit_failure(sync_session, AuditKind.CLIENT_AUTHENTICATION_FAILED)
            sync_session.commit()
        return status, body, headers

    status, body, headers = await run_in_threadpool(run)
    if body.get("error") == "invalid_client":
        limiter.failed(*limited_keys)
    return JSONResponse(body, status_code=status, headers=dict(headers))


@router.post(TOKEN_PATH)
async def token(request: Request) -> JSONResponse:
    """Issue an access token."""
    async with request.app.state.session_factory() as session:
        signing_key = await keys.active_key(session=session)
        await session.commit()  # the first key ever is created here
    return await _client_authenticated(
        request, lambda server, oauth_request: server.create_token_response(oauth_request), signing_key=signing_key
    )


async def _standing(request: Request) -> StandingToken | None:
    """The submitted `token`, if the API would accept it now: judged by the same code as every API
    request, before Authlib authenticates the client."""
    state = request.app.state
    token_string = (await request.form()).get("token")
    if not isinstance(token_string, str) or not token_string:
        return None
    async with state.session_factory() as session:
        try:
            claims, _ = await standing_token(token_string, session=session, keys=state.key_cache, settings=state.settings)
        except tokens.InvalidToken:
            return None
    return StandingToken(token=token_string, claims=claims, settings=state.settings)


@router.post(INTROSPECTION_PATH)
async def introspect(request: Request) -> JSONResponse:
    """Whether a token is active, for clients of the organisation it was issued for (RFC 7662);
    `{"active": false}` for another organisation's token, exactly as for an unknown one."""
    return await _client_authenticated(
        request,
        lambda server, oauth_request: server.create_endpoint_response(OwnTokensIntrospection.ENDPOINT_NAME, oauth_request),
        standing=await _standing(request),
    )


@router.post(REVOCATION_PATH)
async def revoke(request: Request) -> JSONResponse:
    """Revoke an access token of the client's organisation (RFC 7009); it stops working at once.
    Another organisation's token is left alone and answered like an unknown one: 200."""
    return await _client_authenticated(
        request,
        lambda server, oauth_request: server.create_endpoint_response(OwnTokensRevocation.ENDPOINT_NAME, oauth_request),
        standing=await _standing(request),
    )


@router.get("/.well-known/oauth-authorization-server")
async def metadata(request: Request) -> dict:
    """Server metadata (RFC 8414), so client libraries configure themselves."""
    settings: Settings = request.app.state.settings
    issuer = settings.issuer.rstrip("/")
    return {
        "issuer": issuer,
        "authorization_endpoint": issuer + AUTHORIZATION_PATH,
        "token_endpoint": issuer + TOKEN_PATH,
        "introspection_endpoint": issuer + INTROSPECTION_PATH,
        "revocation_endpoint": issuer + REVOCATION_PATH,
        "jwks_uri": issuer + "/.well-known/jwks.json",
        "response_types_supported": sorted(PersonCodeGrant.RESPONSE_TYPES),
        "response_modes_supported": ["query"],
        "grant_types_supported": [
            MachineClientGrant.GRANT_TYPE,
            PersonCodeGrant.GRANT_TYPE,
            RotatingRefreshGrant.GRANT_TYPE,
        ],
        "code_challenge_methods_supported": S256Required.SUPPORTED_CODE_CHALLENGE_METHOD,
        "authorization_response_iss_parameter_supported": True,
        "token_endpoint_auth_methods_supported": PersonCodeGrant.TOKEN_ENDPOINT_AUTH_METHODS,
        "introspection_endpoint_auth_methods_supported": OwnTokensIntrospection.CLIENT_AUTH_METHODS,
        "revocation_endpoint_auth_methods_supported": OwnTokensRevocation.CLIENT_AUTH_METHODS,
        "scopes_supported": [s.value for s in Scope],
    }
