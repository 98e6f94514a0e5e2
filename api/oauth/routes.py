"""HTTP endpoints of the authorization server: token (RFC 6749), revocation (RFC 7009),
introspection (RFC 7662) and metadata (RFC 8414)."""

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749.errors import InvalidClientError, InvalidRequestError
from authlib.oauth2.rfc6749.util import extract_basic_authorization
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from joserfc.jwk import ECKey
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from api.audit import service as audit_service
from api.audit.models import AuditKind
from api.auth import keys, tokens
from api.graphql.bearer import standing_token
from api.auth.scopes import Scope
from api.oauth import authorize
from api.oauth import service as oauth_service
from api.oauth.authorize import AUTHORIZATION_PATH
from api.oauth.limits import GuessingLimits, source_of
from api.oauth.grants import MachineClientGrant, PersonCodeGrant, RotatingRefreshGrant, S256Required
from api.oauth.server import (
    CoplabAuthorizationServer,
    OwnTokensIntrospection,
    OwnTokensRevocation,
    StandingToken,
    StarletteOAuth2Request,
)
from api.core.settings import Settings

router = APIRouter(include_in_schema=False)
router.include_router(authorize.router)

TOKEN_PATH = "/oauth/token"
INTROSPECTION_PATH = "/oauth/introspect"
REVOCATION_PATH = "/oauth/revoke"

Respond = Callable[[CoplabAuthorizationServer, StarletteOAuth2Request], tuple[int, dict, list]]


@dataclass(frozen=True)
class PresentedClient:
    """Who a request says it is: the client id it authenticates as, every client id it names, and
    what is wrong with how it names them (RFC 6749 §2.3 and §3.2: one authentication method, each
    parameter once), so that a guess always counts against the client it is a guess for."""

    client_id: str | None
    named: tuple[str, ...]
    problem: str | None


def presented_client(headers: Mapping[str, str], form: list[tuple[str, str]]) -> PresentedClient:
    """The client id as Authlib will read it: the Basic header's (percent-decoded) user name, else
    the form's `client_id`. A request that could make Authlib check a secret for a client other
    than the one it names first (a Basic header with a user name and no secret, then a secret in
    the form; a repeated `client_id`) is refused before any secret is checked."""
    words = (headers.get("authorization") or "").split(None, 1)  # split as Authlib splits it
    uses_basic = bool(words) and words[0].lower() == "basic"
    basic_id = extract_basic_authorization(headers)[0] if uses_basic else None
    form_ids = [value for key, value in form if key == "client_id"]
    named = tuple(dict.fromkeys([basic_id, *form_ids] if basic_id else form_ids))[:MAX_NAMED_CLIENT_IDS]
    problem = None
    if uses_basic and not basic_id:
        problem = "The Authorization header does not hold Basic client credentials."
    elif len(form_ids) > 1:
        problem = "The client_id parameter is given more than once."
    elif basic_id and form_ids and form_ids[0] != basic_id:
        problem = "The client_id parameter differs from the client in the Authorization header."
    elif uses_basic and any(key == "client_secret" for key, _ in form):
        problem = "The client authenticates in the Authorization header and in the form; use one."
    client_id = basic_id or (form_ids[0] if form_ids else None)
    return PresentedClient(client_id=client_id, named=named, problem=problem)


# The most client ids of one request that are counted and audited (each distinct one costs a lookup).
MAX_NAMED_CLIENT_IDS = 4

# One answer for every failed client authentication, whether the client id names no client, a
# revoked one, or a client whose secret was wrong: the answer does not tell which ids exist.
CLIENT_AUTHENTICATION_FAILED = InvalidClientError(status_code=401, description="Client authentication failed.")


def _error_response(error: OAuth2Error) -> JSONResponse:
    return JSONResponse(
        dict(error.get_body()), status_code=error.status_code, headers={**dict(error.get_headers()), "Cache-Control": "no-store"}
    )


async def _client_authenticated(
    request: Request, respond: Respond, *, signing_key: ECKey | None = None, standing: StandingToken | None = None
) -> JSONResponse:
    """Run one client-authenticated Authlib endpoint in a worker thread.

    The grants and endpoints audit what they issue and revoke; failed client authentications are
    audited here, in the log of the organisation owning each client id the request names, and
    counted per client id and source together and per source; past the limits the answer is 429
    for a while (SECURITY.md 38, docs/auth.md). The session is committed whatever the answer: a
    refused request may still have used up a code or revoked a grant, and that must stand.
    """
    state = request.app.state
    settings: Settings = state.settings
    form = await request.form()
    fields = [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
    presented = presented_client(request.headers, fields)
    address = request.client.host if request.client else None
    source = source_of(address)
    limits: GuessingLimits = state.token_failures

    def identities(client_ids: Iterable[str]) -> list[str]:
        return [f"client:{client_id}" for client_id in client_ids]

    def audit_failure(sync_session: Session, kind: AuditKind, client_ids: Sequence[str]) -> None:
        """One event in the log of each organisation owning one of the ids; one without an
        organisation when none names a client."""
        owners = oauth_service.owners(sync_session, client_ids)
        events = owners.items() if owners else [(presented.client_id, None)]
        for client_id, organisation_id in events:
            audit_service.record(
                sync_session,
                kind=kind,
                organisation_id=organisation_id,
                client_id=client_id,
                remote_address=address,
            )

    def audited(kind: AuditKind, client_ids: Sequence[str]) -> None:
        with Session(state.sync_engine) as sync_session:
            audit_failure(sync_session, kind, client_ids)
            sync_session.commit()

    wait = await run_in_threadpool(
        limits.retry_after, state.sync_engine, identities=identities(presented.named), source=source
    )
    if wait is not None:
        await run_in_threadpool(audited, AuditKind.RATE_LIMITED, presented.named)
        return JSONResponse(
            {"error": "too_many_requests", "error_description": "Too many failed attempts; try again later."},
            status_code=429,
            headers={"Retry-After": str(wait), "Cache-Control": "no-store"},
        )

    if presented.problem is not None:
        await run_in_threadpool(audited, AuditKind.CLIENT_AUTHENTICATION_FAILED, presented.named)
        await run_in_threadpool(limits.failed, state.sync_engine, identities=identities(presented.named), source=source)
        return _error_response(InvalidRequestError(description=presented.problem))

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
        return _error_response(error)

    def run() -> tuple[int, dict, list, list[str]]:
        with Session(state.sync_engine) as sync_session:
            server = CoplabAuthorizationServer(settings=settings, session=sync_session, standing=standing)
            status, body, headers = respond(server, oauth_request)
            tried = list(dict.fromkeys([*presented.named, *server.looked_up_client_ids[:MAX_NAMED_CLIENT_IDS]]))
            if body.get("error") == "invalid_client":
                audit_failure(sync_session, AuditKind.CLIENT_AUTHENTICATION_FAILED, tried)
            sync_session.commit()
        return status, body, headers, tried

    status, body, headers, tried = await run_in_threadpool(run)
    if body.get("error") == "invalid_client":
        await run_in_threadpool(limits.failed, state.sync_engine, identities=identities(tried), source=source)
        return _error_response(CLIENT_AUTHENTICATION_FAILED)
    return JSONResponse(body, status_code=status, headers=dict(headers))


@router.post(TOKEN_PATH)
async def token(request: Request) -> JSONResponse:
    """Issue an access token."""
    async with request.app.state.session_factory() as session:
        signing_key = await keys.active_key(session=session, encryption=request.app.state.key_encryption)
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
