"""The authorization endpoint: a server-rendered sign-in page, then a consent page where a person
in several organisations picks the one the token is for (authorization code with PKCE).

Three steps, each re-validating the authorization request with Authlib:
1. `GET /oauth/authorize?...`: the request is checked; an error that may go back to the client is
   redirected there (with `iss`), any other (unknown client, unregistered redirect URI) is shown
   here and never redirected (SECURITY.md 25). Otherwise the sign-in form.
2. `POST /oauth/authorize/sign-in`: CSRF, rate limit (per e-mail address and source), e-mail and password. On success a one-time
   consent ticket bound to this request, and the consent form.
3. `POST /oauth/authorize/consent`: CSRF and the ticket; allow gives a code for the chosen
   organisation with scope = requested ∩ what the client may request ∩ what the role allows.
No sign-in cookie is kept: every authorization asks for the password, so there is no session to
steal or to ride.
"""

from collections.abc import Callable
from typing import TypeVar
from urllib.parse import parse_qsl, urlencode

from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749.grants import AuthorizationCodeGrant
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from api.audit.models import AuditKind
from api.oauth import sign_in, store
from api.oauth.grants import record
from api.oauth.limits import GuessingLimits, source_of
from api.oauth.server import CoplabAuthorizationServer, StarletteOAuth2Request
from api.core.pages import CSRF_FIELD, csrf_problem, render
from api.core.settings import Settings

router = APIRouter(include_in_schema=False)

AUTHORIZATION_PATH = "/oauth/authorize"
SIGN_IN_PATH = AUTHORIZATION_PATH + "/sign-in"
CONSENT_PATH = AUTHORIZATION_PATH + "/consent"
MAX_FIELD_LENGTH = 4096  # an e-mail address, a password or an authorization request never needs more

T = TypeVar("T")
Pairs = list[tuple[str, str]]


class Refusal(Exception):
    """The authorization request cannot go on; `response` says so (a redirect or a page)."""

    def __init__(self, response: Response) -> None:
        self.response = response


def _page(request: Request, template: str, status_code: int = 200, **context: object) -> Response:
    return render(request, template, status_code=status_code, sign_in_path=SIGN_IN_PATH, consent_path=CONSENT_PATH, **context)


def _problem_page(request: Request, status_code: int, title: str, message: str) -> Response:
    return _page(request, "authorize_problem.html", status_code=status_code, title=title, message=message)


def _oauth_request(request: Request, pairs: Pairs) -> StarletteOAuth2Request:
    return StarletteOAuth2Request(
        method="GET",
        uri=str(request.url),
        headers=request.headers,
        query=pairs,
        form=[],
        remote_address=request.client.host if request.client else None,
    )


def _redirect(answer: tuple[int, object, list]) -> RedirectResponse:
    """Authlib's redirect answer, which already names this server (`iss`, RFC 9207)."""
    location = dict(answer[2])["Location"]
    return RedirectResponse(location, status_code=302, headers={"Cache-Control": "no-store"})


async def _with_server(
    request: Request, pairs: Pairs, work: Callable[[CoplabAuthorizationServer, AuthorizationCodeGrant, Session], T]
) -> T:
    """Validate the authorization request and run `work` with it in a worker thread, then commit.

    Raises `Refusal` when the request is invalid: redirected to the client when Authlib has checked
    the redirect URI against the client, shown here otherwise.
    """
    state = request.app.state
    try:
        oauth_request = _oauth_request(request, pairs)
    except OAuth2Error as error:  # plain http to a host that is not this machine
        raise Refusal(_problem_page(request, 400, "Insecure connection", error.get_error_description())) from None

    def run() -> T:
        with Session(state.sync_engine) as session:
            server = CoplabAuthorizationServer(settings=state.settings, session=session)
            try:
                grant = server.get_consent_grant(oauth_request)
            except OAuth2Error as error:
                if not error.redirect_uri:
                    raise Refusal(
                        _problem_page(request, 400, "This sign-in link is not valid", error.description or error.error)
                    ) from None
                answer = server.handle_error_response(oauth_request, error)
                server.issuer_parameter.add_issuer_parameter(server, answer)  # Authlib adds it on its own path only
                raise Refusal(_redirect(answer)) from None
            result = work(server, grant, session)
            session.commit()
            return result

    return await run_in_threadpool(run)


def _authorization_request(request: Request) -> Pairs:
    return [(k, v) for k, v in request.query_params.multi_items()]


@router.get(AUTHORIZATION_PATH)
async def authorize(request: Request) -> Response:
    """The sign-in page for an authorization request."""
    pairs = _authorization_request(request)
    try:
        client_name, redirect_uri = await _with_server(
            request, pairs, lambda server, grant, session: (grant.request.client.name, grant.redirect_uri)
        )
    except Refusal as refusal:
        return refusal.response
    return _page(
        request,
        "sign_in.html",
        form_redirects_to=redirect_uri,
        client_name=client_name,
        authorization_request=urlencode(pairs),
        email="",
    )


async def _form(request: Request) -> dict[str, str] | Response:
    """The posted form, after the CSRF check; a 403 page for a cross-site or forged submission."""
    form = await request.form()
    fields = {k: v for k, v in form.multi_items() if isinstance(v, str) and len(v) <= MAX_FIELD_LENGTH}
    problem = csrf_problem(request, fields.get(CSRF_FIELD))
    if problem is not None:
        return _problem_page(
            request, 403, "Form refused", "This form was not sent from coplab's own sign-in page. Start again from the application."
        )
    return fields


@router.post(SIGN_IN_PATH)
async def sign_in_step(request: Request) -> Response:
    """Check the e-mail address and password, then show the consent page."""
    fields = await _form(request)
    if isinstance(fields, Response):
        return fields
    settings: Settings = request.app.state.settings
    # Counted per e-mail address and source together, and per source: failures elsewhere never
    # lock the person out of signing in from where they are (docs/auth.md).
    limits: GuessingLimits = request.app.state.sign_in_failures
    email = fields.get("email", "").strip().lower()
    address = request.client.host if request.client else None
    identities, source = [f"email:{email}"], source_of(address)
    pairs = parse_qsl(fields.get("authorization_request", ""), keep_blank_values=True)

    def audit(session: Session, kind: AuditKind, grant: AuthorizationCodeGrant) -> None:
        sign_in.record_for_person(
            session, kind, email=email, client_id=grant.request.client.client_id, remote_address=address
        )

    engine = request.app.state.sync_engine
    wait = await run_in_threadpool(limits.retry_after, engine, identities=identities, source=source)
    if wait is not None:
        try:
            await _with_server(request, pairs, lambda server, grant, session: audit(session, AuditKind.RATE_LIMITED, grant))
        except Refusal as refusal:
            return refusal.response
        response = _problem_page(
            request, 429, "Too many attempts", f"Too many failed sign-ins. Try again in {wait} seconds."
        )
        response.headers["Retry-After"] = str(wait)
        return response

    def check(server: CoplabAuthorizationServer, grant: AuthorizationCodeGrant, session: Session) -> Response:
        user = sign_in.authenticate(session, email=email, password=fields.get("password", ""))
        if user is None:
            audit(session, AuditKind.SIGN_IN_FAILED, grant)
            return _page(
                request,
                "sign_in.html",
                status_code=401,
                form_redirects_to=grant.redirect_uri,
                client_name=grant.request.client.name,
                authorization_request=urlencode(pairs),
                email=email,
                error="The e-mail address or the password is not right.",
            )
        options = sign_in.choices(
            session, user_id=user.id, client=grant.request.client, requested_scope=grant.request.scope or ""
        )
        if not options:  # a member of none of the organisations this client may act for
            return _redirect(server.create_authorization_response(grant.request, None, grant))
        ticket = sign_in.open_ticket(
            session, user_id=user.id, request=pairs, lifetime_seconds=settings.consent_ticket_seconds
        )
        return _page(
            request,
            "consent.html",
            form_redirects_to=grant.redirect_uri,
            client_name=grant.request.client.name,
            person=user.name,
            options=options,
            ticket=ticket,
        )

    try:
        response = await _with_server(request, pairs, check)
    except Refusal as refusal:
        return refusal.response
    if response.status_code == 401:
        await run_in_threadpool(limits.failed, engine, identities=identities, source=source)
    return response


@router.post(CONSENT_PATH)
async def consent_step(request: Request) -> Response:
    """Allow or deny: a code for the chosen organisation, or `access_denied`, sent back to the client."""
    fields = await _form(request)
    if isinstance(fields, Response):
        return fields
    state = request.app.state

    def take_ticket() -> tuple[int, list[list[str]]] | None:
        with Session(state.sync_engine) as session:
            ticket = sign_in.use_ticket(session, fields.get("ticket", ""))
            session.commit()
            return None if ticket is None else (ticket.user_id, ticket.request)

    taken = await run_in_threadpool(take_ticket)
    if taken is None:
        return _problem_page(
            request, 400, "This sign-in has expired", "Sign-in pages work once and for a few minutes. Start again from the application."
        )
    user_id, stored = taken
    pairs = [(k, v) for k, v in stored]
    allow = fields.get("decision") == "allow"

    def decide(server: CoplabAuthorizationServer, grant: AuthorizationCodeGrant, session: Session) -> Response:
        if not allow:
            return _redirect(server.create_authorization_response(grant.request, None, grant))
        options = sign_in.choices(
            session, user_id=user_id, client=grant.request.client, requested_scope=grant.request.scope or ""
        )
        chosen = next((o for o in options if str(o.member.organisation_id) == fields.get("organisation")), None)
        if chosen is None:
            return _problem_page(request, 400, "No organisation chosen", "Choose one of your organisations. Start again from the application.")
        member: store.Member = chosen.member
        answer = server.create_authorization_response(grant.request, member, grant)
        record(
            server,
            AuditKind.AUTHORIZATION_GRANTED,
            organisation_id=member.organisation_id,
            subject=member.subject,
            scope=chosen.granted_scope,
        )
        return _redirect(answer)

    try:
        return await _with_server(request, pairs, decide)
    except Refusal as refusal:
        return refusal.response
