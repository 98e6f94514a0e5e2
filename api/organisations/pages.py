"""The page at /account/password: a member who has no password sets one with their one-time link."""

import logging

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse

from api.auth.dependencies import USER_PREFIX
from api.auth.passwords import MAX_LENGTH, MIN_LENGTH, hash_password, password_problems
from api.organisations import password_setup
from api.organisations.password_setup import PAGE_PATH, Refusal
from api.pages import CSRF_FIELD, csrf_problem, render

log = logging.getLogger("coplab")

router = APIRouter(include_in_schema=False)

ASK_AGAIN = "Ask an administrator of your organisation for a new link."
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
            "A password-setup link works once, and a newer link replaces the older ones.",
            f"If you have set your password, you can sign in with it. Otherwise: {ASK_AGAIN.lower()}",
        ],
    ),
    Refusal.EXPIRED: (
        410,
        "This link has expired",
        [f"A password-setup link is valid for {password_setup.VALIDITY.days} days.", ASK_AGAIN],
    ),
}


def _refused(request: Request, refusal: Refusal) -> HTMLResponse:
    status_code, heading, paragraphs = REFUSALS[refusal]
    return render(
        request, "password_message.html", status_code=status_code, heading=heading, paragraphs=paragraphs, refused=True
    )


def _form(request: Request, *, code: str, email: str, errors: dict[str, str] | None = None) -> HTMLResponse:
    return render(
        request,
        "password_form.html",
        status_code=400 if errors else 200,
        action=PAGE_PATH,
        code=code,
        email=email,
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
    return _form(request, code=code, email=found.user.email)


@router.post(PAGE_PATH)
async def set_password(request: Request) -> HTMLResponse:
    """Set the password: a same-origin form with a good link and an acceptable password, or nothing changes."""
    form = await request.form()
    problem = csrf_problem(request, form.get(CSRF_FIELD))
    if problem is not None:
        log.info("refused password form: %s", problem)
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
    code, password = _text(form.get("code")), _text(form.get("password"))
    confirmation = _text(form.get("password_confirmation"))
    async with request.app.state.session_factory() as session:
        found = await password_setup.pending(session=session, code=code)
        if isinstance(found, Refusal):
            return _refused(request, found)
        errors = {p.field[0]: p.message for p in password_problems(password)}
        if password != confirmation:
            errors["password_confirmation"] = "The two passwords differ. Type the same password twice."
        if errors:
            return _form(request, code=code, email=found.user.email, errors=errors)
        password_hash = await run_in_threadpool(hash_password, password)  # argon2 is slow on purpose
        if not await password_setup.use(session=session, setup=found.setup):
            await session.rollback()
            return _refused(request, Refusal.USED)  # a concurrent request used the code first
        await password_setup.set_password(
            session=session,
            actor=f"{USER_PREFIX}{found.user.id}",
            user=found.user,
            password_hash=password_hash,
            remote_address=request.client.host if request.client else None,
        )
        await session.commit()
    return render(
        request,
        "password_message.html",
        heading="Your password is set",
        paragraphs=[f"You can now sign in to coplab as {found.user.email} with your new password."],
        refused=False,
    )
