"""The page at /account/password: a person accepts an invitation with their one-time link, choosing
a password for a new account or signing in with their own."""

import logging

from fastapi import APIRouter, Request
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import HTMLResponse

from api.audit.models import AuditKind
from api.auth.principal import person
from api.auth.passwords import MAX_LENGTH, MIN_LENGTH, hash_password, password_problems, verify_password
from api.oauth import sign_in
from api.oauth.limits import GuessingLimits, source_of
from api.organisations import password_setup
from api.organisations.password_setup import PAGE_PATH, Mode, Pending, Refusal
from api.core.pages import CSRF_FIELD, csrf_problem, render

log = logging.getLogger("coplab")

router = APIRouter(include_in_schema=False)

ASK_AGAIN = "Ask an administrator of the organisation that invited you for a new link."
REFUSALS: dict[Refusal, tuple[int, str, list[str]]] = {
    Refusal.UNKNOWN: (
        404,
        "This link is not valid",
        ["coplab does not know this link. Check that you opened or copied the whole link.", ASK_AGAIN],
    ),
    Refusal.USED: (
        410,
        "This link has already been used",
        [
            "An invitation link works once, and a newer link replaces the older ones.",
            f"If you have set your password or accepted, you can sign in. Otherwise: {ASK_AGAIN.lower()}",
        ],
    ),
    Refusal.EXPIRED: (
        410,
        "This link has expired",
        [f"An invitation link is valid for {password_setup.VALIDITY.days} days.", ASK_AGAIN],
    ),
}


def _refused(request: Request, refusal: Refusal) -> HTMLResponse:
    status_code, heading, paragraphs = REFUSALS[refusal]
    return render(
        request, "password_message.html", status_code=status_code, heading=heading, paragraphs=paragraphs, refused=True
    )


def _form(
    request: Request, found: Pending, *, code: str, errors: dict[str, str] | None = None, status_code: int | None = None
) -> HTMLResponse:
    """The form the link's person fills in: a new password, or (an existing account) their own."""
    template = "password_form.html" if found.mode is Mode.SET_PASSWORD else "invitation_sign_in.html"
    return render(
        request,
        template,
        status_code=status_code or (400 if errors else 200),
        action=PAGE_PATH,
        code=code,
        email=found.user.email,
        organisation=found.organisation.name,
        errors=errors or {},
        min_length=MIN_LENGTH,
        max_length=MAX_LENGTH,
    )


def _text(value: object) -> str:
    """A form field as text; a file or a missing field counts as empty."""
    return value if isinstance(value, str) else ""


@router.get(PAGE_PATH)
async def password_page(request: Request, code: str = "") -> HTMLResponse:
    """The form, when the link is good; otherwise why it is not."""
    async with request.app.state.session_factory() as session:
        found = await password_setup.pending(session=session, code=code)
    if isinstance(found, Refusal):
        return _refused(request, found)
    return _form(request, found, code=code)


def _not_sent(request: Request) -> HTMLResponse:
    return render(
        request,
        "password_message.html",
        status_code=403,
        heading="Your password was not set",
        paragraphs=[
            "This form can only be sent from the page coplab showed you, in a browser that accepts its cookie.",
            "Open your link again and fill in the form once more.",
        ],
        refused=True,
    )


@router.post(PAGE_PATH)
async def set_password(request: Request) -> HTMLResponse:
    """Accept the invitation: a same-origin form with a good link and, for a new account, an
    acceptable new password, for an existing one its own password; or nothing changes."""
    form = await request.form()
    problem = csrf_problem(request, form.get(CSRF_FIELD))
    if problem is not None:
        log.info("refused password form: %s", problem)
        return _not_sent(request)
    code = _text(form.get("code"))
    address = request.client.host if request.client else None
    async with request.app.state.session_factory() as session:
        found = await password_setup.pending(session=session, code=code)
        if isinstance(found, Refusal):
            return _refused(request, found)
        if found.mode is Mode.SIGN_IN:
            return await _sign_in_and_accept(request, session, found, code=code, form=form, address=address)
        password, confirmation = _text(form.get("password")), _text(form.get("password_confirmation"))
        errors = {p.field[0]: p.message for p in password_problems(password)}
        if password != confirmation:
            errors["password_confirmation"] = "The two passwords differ. Type the same password twice."
        if errors:
            return _form(request, found, code=code, errors=errors)
        password_hash = await run_in_threadpool(hash_password, password)  # argon2 is slow on purpose
        if not await password_setup.use(session=session, setup=found.setup):
            await session.rollback()
            return _refused(request, Refusal.USED)  # a concurrent request used the code first
        first = await password_setup.set_password(
            session=session,
            principal=person(found.user.id),
            user=found.user,
            password_hash=password_hash,
            remote_address=address,
            invited_by=found.membership.organisation_id,
            end_unused_links=False,  # other organisations' invitations stay; they now ask for this password
        )
        if not first:  # another link of the same new account set a password a moment before
            await session.rollback()
            return _refused(request, Refusal.USED)
        return await _accepted(
            request, session, found, address, heading="Your password is set",
            next_step=f"You can now sign in to coplab as {found.user.email} with your new password.",
        )


async def _sign_in_and_accept(
    request: Request, session: AsyncSession, found: Pending, *, code: str, form: FormData, address: str | None
) -> HTMLResponse:
    """An existing account accepts with its own password, never changing it. Wrong passwords count
    against the sign-in page's limit, so the link is no way around it."""
    limits: GuessingLimits = request.app.state.sign_in_failures
    identities, source = [f"email:{found.user.email}"], source_of(address)
    engine = request.app.state.sync_engine
    wait = await run_in_threadpool(limits.retry_after, engine, identities=identities, source=source)
    if wait is not None:
        response = render(
            request,
            "password_message.html",
            status_code=429,
            heading="Too many attempts",
            paragraphs=[f"Too many failed sign-ins. Try again in {wait} seconds."],
            refused=True,
        )
        response.headers["Retry-After"] = str(wait)
        return response
    password = _text(form.get("password"))
    if not await run_in_threadpool(verify_password, password, found.user.password_hash):
        await run_in_threadpool(limits.failed, engine, identities=identities, source=source)
        await session.run_sync(
            lambda s: sign_in.record_for_person(
                s, AuditKind.SIGN_IN_FAILED, email=found.user.email, client_id=None, remote_address=address
            )
        )
        await session.commit()
        return _form(
            request,
            found,
            code=code,
            status_code=401,
            errors={"password": "This is not the password of this account. If you never chose one or have lost it, "
                    "ask the Lab's operators to set a new one."},
        )
    if not await password_setup.use(session=session, setup=found.setup):
        await session.rollback()
        return _refused(request, Refusal.USED)
    return await _accepted(
        request, session, found, address, heading="Invitation accepted",
        next_step=f"Sign in to coplab as {found.user.email} with your password, and choose {found.organisation.name}.",
    )


async def _accepted(
    request: Request, session: AsyncSession, found: Pending, address: str | None, *, heading: str, next_step: str
) -> HTMLResponse:
    """The membership accepted and committed, and the page that says so and what to do next."""
    await password_setup.accept(session=session, membership=found.membership, remote_address=address)
    await session.commit()
    return render(
        request,
        "password_message.html",
        heading=heading,
        paragraphs=[f"You are a member of {found.organisation.name}.", next_step],
        refused=False,
    )
