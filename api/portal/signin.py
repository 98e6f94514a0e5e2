"""Signing people in to the portal, as a backend for frontend (docs/portal.md, "Signing in").

The portal is a confidential client of coplab's own authorization server (code + PKCE S256, with
`state`), and talks to its token and revocation endpoints in-process, through the app itself
(`httpx.ASGITransport`): the same endpoints, limits and audit as any client, without a trip out
through a proxy the server may not be able to reach by its public address. The tokens stay in the
database (api/portal_sessions/); the browser holds only the `__Host-coplab-session` cookie. Every
page's operation runs with the session's access token, refreshed first when it is about to lapse."""

import asyncio
import hashlib
import hmac
import logging
import warnings
from contextvars import ContextVar
from dataclasses import dataclass
from urllib.parse import urlencode

import httpx
from authlib.deprecate import AuthlibDeprecationWarning
from authlib.integrations.base_client.errors import OAuthError

# Authlib's httpx client prefers the httpx2 fork and, without it, warns once on import that it falls
# back to httpx. coplab uses httpx itself (the in-process ASGITransport below) and pins Authlib's
# version in its lock, so the warning says nothing about this process; left alone it would be a raw
# line on stderr among the JSON log lines (docs/operations.md).
with warnings.catch_warnings():
    warnings.simplefilter("ignore", AuthlibDeprecationWarning)
    from authlib.integrations.httpx_client import AsyncOAuth2Client
from starlette.requests import Request
from starlette.responses import Response

from api.auth.principal import Principal
from api.core.pages import CSRF_FIELD, cross_site_problem
from api.graphql.bearer import standing_token
from api.portal_sessions import store

log = logging.getLogger("coplab")
SESSION_COOKIE = "__Host-coplab-session"
AUTHORIZE_PATH = "/oauth/authorize"
TOKEN_PATH = "/oauth/token"
REVOKE_PATH = "/oauth/revoke"
# A request that finds another one of the same browser refreshing waits this many times 50 ms for it.
REFRESH_WAITS = 100


@dataclass
class Visitor:
    """Who is asking: `session_id` is the cookie's value when it opens a session, `row` that session."""

    session_id: str | None = None
    row: store.PortalSession | None = None
    forget_cookie: bool = False  # the browser sent a cookie that opens nothing: it is told to drop it

    @property
    def signed_in(self) -> bool:
        return self.row is not None and self.row.access_token is not None

    @property
    def access_token(self) -> str | None:
        return self.row.access_token if self.signed_in and self.row else None

    @property
    def csrf_token(self) -> str:
        """The token every form of this session carries: derived from the session id, which only this
        browser holds, so it is bound to the session and needs no storage."""
        if not self.session_id:
            return ""
        return hmac.new(self.session_id.encode(), b"coplab portal form", hashlib.sha256).hexdigest()


_visitor: ContextVar[Visitor] = ContextVar("portal_visitor", default=Visitor())
IN_PROCESS_SOURCE = "coplab-portal-in-process"


def visitor() -> Visitor:
    """This request's visitor (set by `resolve`, which every page depends on)."""
    return _visitor.get()


def signed_out() -> None:
    """The session's token was refused (its grant revoked elsewhere): this request goes on anonymous."""
    _visitor.set(Visitor(forget_cookie=True))


def oauth_client(request: Request, credentials: store.Credentials, *, scope: str | None = None) -> AsyncOAuth2Client:
    """Authlib's client for the portal, talking to this very app in-process. Only the authorization
    request names a scope: a refresh asks for the grant's own (Authlib would send this one again,
    and the server refuses more than the person's role granted)."""
    issuer = request.app.state.settings.issuer.rstrip("/")
    return AsyncOAuth2Client(
        client_id=credentials.client_id,
        client_secret=credentials.client_secret,
        token_endpoint_auth_method="client_secret_basic",
        redirect_uri=credentials.redirect_uri,
        scope=scope,
        code_challenge_method="S256",
        # Its own source name: the token endpoint's guessing limits count per source, and the portal's
        # calls must not share a count with outside traffic that reaches the server as 127.0.0.1.
        transport=httpx.ASGITransport(app=request.app, client=(IN_PROCESS_SOURCE, 0)),
        base_url=issuer,
        timeout=30,
    )


async def credentials(request: Request) -> store.Credentials | None:
    """The portal's client: registered at startup, or now if the secretariat has appeared since."""
    state = request.app.state
    found = getattr(state, "portal_credentials", None)
    if found is None:
        async with state.session_factory() as db:
            found = await store.credentials(db, encryption=state.key_encryption, issuer=state.settings.issuer)
            await db.commit()
        state.portal_credentials = found
    return found


async def resolve(request: Request) -> None:
    """Find the browser's session (a dependency of every page), refreshing its tokens first when the
    access token lapses within COPLAB_PORTAL_REFRESH_MARGIN_SECONDS."""
    if request.url.path.startswith("/assets/"):
        return
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie is None:
        _visitor.set(Visitor())
        return
    state = request.app.state
    async with state.session_factory() as db:
        row = await store.find(db, cookie)
        if row is None:
            _visitor.set(Visitor(forget_cookie=True))
            return
        ended = False
        if row.access_token is not None:
            if store.expiring(row, margin_seconds=state.settings.portal_refresh_margin_seconds):
                row, ended = await _refreshed(request, db, row)
            else:
                await store.seen(db, row)
        await db.commit()
    if row is not None:
        _visitor.set(Visitor(session_id=cookie, row=row))
    else:  # ended: the cookie goes; not refreshed this time: this request alone is anonymous
        _visitor.set(Visitor(forget_cookie=True) if ended else Visitor())


async def _refreshed(request: Request, db: store.AsyncSession, row: store.PortalSession) -> tuple[store.PortalSession | None, bool]:
    """The session with fresh tokens, and whether the sign-in has ended (its refresh token refused):
    (row, False) refreshed; (None, True) ended; (None, False) not refreshed this time (another
    request's refresh still under way, or the token endpoint unavailable), the session kept. One
    request of the browser refreshes; any other at the same moment waits for its result, since a
    rotating refresh token presented twice ends the whole sign-in."""
    state = request.app.state
    if not await store.claim(db, row):
        stale = row.access_token
        for _ in range(REFRESH_WAITS):
            await asyncio.sleep(0.05)
            found_now = await store.reread(db, row)
            if found_now is None:
                return None, True  # ended by the other request
            if found_now.access_token != stale:
                return found_now, False  # refreshed by the other request
        return (None, False) if store.expiring(row, margin_seconds=0) else (row, False)
    found = await credentials(request)
    refresh_token = store.refresh_token(row, encryption=state.key_encryption)
    if found is None or refresh_token is None:
        await store.forget(db, row)
        return None, True
    async with oauth_client(request, found) as client:
        try:
            token = await client.refresh_token(TOKEN_PATH, refresh_token=refresh_token)
        except OAuthError as error:
            if error.error == "invalid_grant":  # the sign-in was ended (revoked, lapsed): the session goes with it
                log.info("portal session ended: its refresh token was refused (%s)", error)
                await store.forget(db, row)
                return None, True
            # Anything else (too many requests, unavailable) says nothing of the sign-in: it is kept,
            # unclaimed, for the next request to refresh.
            log.warning("portal session not refreshed this time: the token endpoint answered %s", error.error)
            store.release(row)
            await store.seen(db, row)
            return None, False
    store.refreshed(row, encryption=state.key_encryption, token=dict(token))
    await store.seen(db, row)
    return row, False


async def principal_of(request: Request, access_token: str) -> Principal:
    """Who a token the token endpoint just gave acts as, checked as /graphql checks it."""
    state = request.app.state
    async with state.session_factory() as db:
        _, principal = await standing_token(access_token, session=db, keys=state.key_cache, settings=state.settings)
    return principal


async def revoke(request: Request, refresh_token: str | None) -> None:
    """Revoke a sign-in at the authorization server: revoking its refresh token ends its grant, and
    every access token of it stops working at once (docs/auth.md)."""
    found = await credentials(request)
    if found is None or refresh_token is None:
        return
    async with oauth_client(request, found) as client:
        await client.revoke_token(REVOKE_PATH, token=refresh_token, token_type_hint="refresh_token")


def authorization_url(request: Request, credentials: store.Credentials, authorization: store.Authorization) -> str:
    issuer = request.app.state.settings.issuer.rstrip("/")
    client = oauth_client(request, credentials, scope=" ".join(store.SCOPES))
    url, _ = client.create_authorization_url(
        issuer + AUTHORIZE_PATH, state=authorization.state, code_verifier=authorization.code_verifier
    )
    return url


def safe_return(path: str | None) -> str:
    """Only a path of this site: never another host (`//host`, `/\\host`), never a full address."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path or len(path) > 2000:
        return "/"
    return path


def form_problem(request: Request, fields: dict[str, str]) -> str | None:
    """Why a portal form must be refused: sent by another site, or without this session's token."""
    problem = cross_site_problem(request)
    if problem is not None:
        return problem
    current = visitor()
    sent = fields.get(CSRF_FIELD, "")
    # Bytes, not str: compare_digest refuses a str with other than ASCII characters (a forged field may have them).
    if not current.signed_in or not hmac.compare_digest(current.csrf_token.encode(), sent.encode()):
        return "missing or mismatched CSRF token"
    return None


def set_session_cookie(response: Response, session_id: str, max_age: int) -> None:
    # __Host-: Secure, Path=/ and no Domain, so no other host (a sibling subdomain) can set or shadow it.
    response.set_cookie(SESSION_COOKIE, session_id, max_age=max_age, path="/", secure=True, httponly=True, samesite="lax")


def forget_session_cookie(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", secure=True, httponly=True, samesite="lax")


def return_query(path: str) -> str:
    return "/sign-in?" + urlencode({"return_to": path})
