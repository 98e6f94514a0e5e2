"""HTTP endpoints of the authorization server: token (RFC 6749) and metadata (RFC 8414)."""

from authlib.oauth2 import OAuth2Error
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from api.auth import keys
from api.auth.scopes import Scope
from api.oauth.server import CoplabAuthorizationServer, MachineClientGrant, StarletteOAuth2Request
from api.settings import Settings

router = APIRouter(include_in_schema=False)

TOKEN_PATH = "/oauth/token"


@router.post(TOKEN_PATH)
async def token(request: Request) -> JSONResponse:
    """Issue an access token. Authlib validates the grant in a worker thread."""
    state = request.app.state
    settings: Settings = state.settings
    form = await request.form()
    async with state.session_factory() as session:
        signing_key = await keys.active_key(session=session)
        await session.commit()  # the first key ever is created here
    try:
        oauth_request = StarletteOAuth2Request(
            method=request.method,
            uri=str(request.url),
            headers=request.headers,  # case-insensitive, as Authlib reads "Authorization"
            query=list(request.query_params.multi_items()),
            form=[(k, v) for k, v in form.multi_items() if isinstance(v, str)],
            signing_key=signing_key,
        )
    except OAuth2Error as error:  # plain http to a host that is not this machine
        return JSONResponse(dict(error.get_body()), status_code=error.status_code, headers=dict(error.get_headers()))

    def respond() -> tuple[int, object, list]:
        with Session(state.sync_engine) as sync_session:
            server = CoplabAuthorizationServer(settings=settings, session=sync_session)
            return server.create_token_response(oauth_request)

    status, body, headers = await run_in_threadpool(respond)
    return JSONResponse(body, status_code=status, headers=dict(headers))


@router.get("/.well-known/oauth-authorization-server")
async def metadata(request: Request) -> dict:
    """Server metadata (RFC 8414), so client libraries configure themselves."""
    settings: Settings = request.app.state.settings
    issuer = settings.issuer.rstrip("/")
    return {
        "issuer": issuer,
        "token_endpoint": issuer + TOKEN_PATH,
        "jwks_uri": issuer + "/.well-known/jwks.json",
        "grant_types_supported": [MachineClientGrant.GRANT_TYPE],
        "token_endpoint_auth_methods_supported": MachineClientGrant.TOKEN_ENDPOINT_AUTH_METHODS,
        "scopes_supported": [s.value for s in Scope],
        # RFC 8414 requires the member; no response type is offered until the authorization endpoint is.
        "response_types_supported": [],
    }
