"""The portal's sign-in, sign-out and organisation switch (api/portal/signin.py does the OAuth), and
the members' first page, the dashboard. Every form here is a POST with the session's CSRF token."""

import logging

from authlib.integrations.base_client.errors import OAuthError
from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from api.core.pages import CSRF_FIELD
from api.portal import languages, rendering, signin
from api.portal.routes import answers_problems, page, run
from api.portal_sessions import store

log = logging.getLogger("coplab")
router = APIRouter(include_in_schema=False, dependencies=[Depends(languages.use_language), Depends(signin.resolve)])


def redirect(location: str) -> RedirectResponse:
    return RedirectResponse(location, status_code=303, headers={"Cache-Control": "private, no-store"})


def refused(request: Request, problem: str) -> Response:
    """A form that did not come from this session's own page: nothing was changed."""
    log.info("portal form refused: %s", problem)
    return page("refused.html", status_code=403)


async def posted(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v for k, v in form.multi_items() if isinstance(v, str)}


async def start_authorization(request: Request, return_to: str) -> Response:
    """Send the browser to the authorization server's sign-in page; its session remembers the
    `state` and PKCE verifier of this one authorization."""
    credentials = await signin.credentials(request)
    if credentials is None:
        return page("sign_in_unavailable.html", status_code=503)
    current = signin.visitor()
    async with request.app.state.session_factory() as db:
        row = current.row if current.signed_in else None
        if row is not None:
            row = await db.merge(row)
        authorization = await store.begin(db, row, return_to=signin.safe_return(return_to))
        await db.commit()
    response = redirect(signin.authorization_url(request, credentials, authorization))
    if authorization.session_id:
        signin.set_session_cookie(response, authorization.session_id, max_age=store.PENDING_SECONDS)
    return response


@router.get("/sign-in", name="portal_sign_in")
async def sign_in(request: Request, return_to: str = "/") -> Response:
    """Start signing in (a link in the header; nothing here changes what the person has)."""
    if signin.visitor().signed_in:
        return redirect(signin.safe_return(return_to))
    return await start_authorization(request, return_to)


@router.post("/switch-organisation", name="portal_switch_organisation")
async def switch_organisation(request: Request) -> Response:
    """Authorize again, to choose another of the person's organisations on the consent page; the
    current sign-in stands until the new one is complete, then it is revoked."""
    fields = await posted(request)
    problem = signin.form_problem(request, fields)
    if problem is not None:
        return refused(request, problem)
    return await start_authorization(request, fields.get("return_to") or "/dashboard")


@router.get("/signed-in", name="portal_signed_in")
async def signed_in(request: Request) -> Response:
    """Where the authorization server sends the browser back: check `state` (and `iss`), exchange the
    code with the PKCE verifier, keep the tokens under a new session id."""
    state = request.app.state
    params = request.query_params
    cookie = request.cookies.get(signin.SESSION_COOKIE)
    async with state.session_factory() as db:
        row = await store.find(db, cookie)
        if row is None or not store.state_matches(row, params.get("state")) or params.get("iss") != state.settings.issuer:
            return page("sign_in_failed.html", status_code=400)
        return_to, verifier = row.return_to or "/", row.code_verifier
        if "code" not in params:  # the person denied, or the server refused the request
            row.state_hash = row.code_verifier = None
            await db.commit()
            return redirect(return_to if signin.visitor().signed_in else "/")
        credentials = await signin.credentials(request)
        if credentials is None:
            return page("sign_in_unavailable.html", status_code=503)
        async with signin.oauth_client(request, credentials) as client:
            try:
                token = await client.fetch_token(
                    signin.TOKEN_PATH, authorization_response=str(request.url), code_verifier=verifier, state=params["state"]
                )
            except OAuthError as error:
                log.info("portal sign-in: the code was refused: %s", error)
                row.state_hash = row.code_verifier = None  # this state answers once, refused or not
                await db.commit()
                return page("sign_in_failed.html", status_code=400)
        principal = await signin.principal_of(request, token["access_token"])
        previous = store.refresh_token(row, encryption=state.key_encryption)
        session_id = await store.complete(
            db, row, encryption=state.key_encryption, token=dict(token), user_id=principal.user_id or 0,
            organisation_id=principal.organisation_id or 0, lifetime_seconds=state.settings.refresh_token_absolute_seconds,
        )
        await db.commit()
    if previous is not None:  # switched organisation: the sign-in for the other one ends
        await signin.revoke(request, previous)
    response = redirect(return_to)
    signin.set_session_cookie(response, session_id, max_age=state.settings.refresh_token_absolute_seconds)
    return response


@router.post("/sign-out", name="portal_sign_out")
async def sign_out(request: Request) -> Response:
    """End the sign-in: its grant is revoked at the authorization server, the session deleted."""
    fields = await posted(request)
    problem = signin.form_problem(request, fields)
    if problem is not None:
        return refused(request, problem)
    current = signin.visitor()
    state = request.app.state
    async with state.session_factory() as db:
        row = await db.merge(current.row)
        refresh_token = store.refresh_token(row, encryption=state.key_encryption)
        await store.forget(db, row)
        await db.commit()
    await signin.revoke(request, refresh_token)
    response = redirect("/")
    signin.forget_session_cookie(response)
    return response


@router.get("/dashboard", name="portal_dashboard")
@answers_problems
async def dashboard(request: Request) -> Response:
    """The organisation's drafts, its submitted records, the records awaiting the person's review,
    and its non-public initiatives; signed-out visitors are sent to sign in first."""
    if not signin.visitor().signed_in:
        return redirect(signin.return_query("/dashboard"))
    data = await run(request, "dashboard")
    return page("dashboard.html", **rendering.dashboard(data), csrf_token=signin.visitor().csrf_token, csrf_field=CSRF_FIELD)
