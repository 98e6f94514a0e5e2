"""The few server-rendered pages coplab has (sign-in and consent, setting a password): Jinja
templates with autoescaping, and CSRF protection for their forms.

CSRF: a double-submit token (a random value in a SameSite=Strict, HttpOnly cookie and the same value
in a hidden form field) plus a same-origin check on `Origin` and `Sec-Fetch-Site`. A cross-site
POST carries neither the cookie nor our origin, and is refused before anything is read or written.
"""

import hmac
import secrets
from pathlib import Path
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

CSRF_COOKIE = "coplab_csrf"
CSRF_FIELD = "csrf_token"


def template_environment(directory: Path) -> Environment:
    """Jinja templates from `directory`, every value escaped unless marked safe: coplab's own pages
    and the portal's (api/portal/) are written the same way."""
    return Environment(
        loader=FileSystemLoader(directory),
        autoescape=select_autoescape(default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


_templates = template_environment(Path(__file__).parent / "templates")

# No framing (clickjacking of the consent button), no referrer leaking the authorization request to
# another site, no caching of pages that carry one-time values, and nothing loaded from anywhere.
# The referrer policy is `same-origin`, not `no-referrer`: under `no-referrer` browsers send
# `Origin: null` with the page's own form posts, and the same-origin check would refuse them.
PAGE_HEADERS = {
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}


def content_security_policy(form_redirects_to: str | None) -> str:
    """Forms post to this server only; browsers apply `form-action` to the redirect that answers a
    form too, so a page whose form ends in a redirect to a client names that client's origin."""
    form_action = "'self'"
    if form_redirects_to:
        parts = urlsplit(form_redirects_to)
        form_action += f" {parts.scheme}://{parts.netloc}"
    return f"default-src 'none'; style-src 'unsafe-inline'; form-action {form_action}; frame-ancestors 'none'; base-uri 'none'"


def render(
    request: Request, template: str, *, status_code: int = 200, form_redirects_to: str | None = None, **context: object
) -> HTMLResponse:
    """A page with a fresh CSRF token in its forms and in the cookie that must come back with them."""
    token = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(32)
    html = _templates.get_template(template).render(csrf_token=token, **context)
    headers = {**PAGE_HEADERS, "Content-Security-Policy": content_security_policy(form_redirects_to)}
    response = HTMLResponse(html, status_code=status_code, headers=headers)
    response.set_cookie(
        CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


def cross_site_problem(request: Request) -> str | None:
    """Why a form POST must be refused as sent by another site (its `Sec-Fetch-Site` or `Origin`),
    or None. The portal's forms check this too, with a token bound to the person's session."""
    if request.headers.get("sec-fetch-site") not in (None, "same-origin", "none"):
        return "cross-site form submission"
    origin = request.headers.get("origin")
    own_origin = f"{request.url.scheme}://{request.url.netloc}"
    if origin is not None and origin != own_origin:
        return "form submitted from another origin"
    return None


def csrf_problem(request: Request, form_token: object) -> str | None:
    """Why a form POST must be refused as cross-site, or None when it came from our own page."""
    problem = cross_site_problem(request)
    if problem is not None:
        return problem
    cookie = request.cookies.get(CSRF_COOKIE)
    if not cookie or not isinstance(form_token, str) or not hmac.compare_digest(cookie, form_token):
        return "missing or mismatched CSRF token"
    return None
