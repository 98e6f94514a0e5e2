"""The few server-rendered pages coplab has (sign-in and consent, setting a password): Jinja
templates with autoescaping, and CSRF protection for their forms.

CSRF: a double-submit token (a random value in a SameSite=Strict, HttpOnly cookie and the same value
in a hidden form field) plus a same-origin check on `Origin` and `Sec-Fetch-Site`. A cross-site
POST carries neither the cookie nor our origin, and is refused before anything is read or written.
"""

import hmac
import secrets
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

CSRF_COOKIE = "coplab_csrf"
CSRF_FIELD = "csrf_token"

_templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)

# No framing (clickjacking of the consent button), no referrer leaking the authorization request,
# no caching of pages that carry one-time values, and nothing loaded from anywhere.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self' 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}


def render(request: Request, template: str, *, status_code: int = 200, **context: object) -> HTMLResponse:
    """A page with a fresh CSRF token in its forms and in the cookie that must come back with them."""
    token = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(32)
    html = _templates.get_template(template).render(csrf_token=token, **context)
    response = HTMLResponse(html, status_code=status_code, headers=PAGE_HEADERS)
    response.set_cookie(
        CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


def csrf_problem(request: Request, form_token: object) -> str | None:
    """Why a form POST must be refused as cross-site, or None when it came from our own page."""
    if request.headers.get("sec-fetch-site") not in (None, "same-origin", "none"):
        return "cross-site form submission"
    origin = request.headers.get("origin")
    own_origin = f"{request.url.scheme}://{request.url.netloc}"
    if origin is not None and origin != own_origin:
        return "form submitted from another origin"
    cookie = request.cookies.get(CSRF_COOKIE)
    if not cookie or not isinstance(form_token, str) or not hmac.compare_digest(cookie, form_token):
        return "missing or mismatched CSRF token"
    return None
