"""GraphiQL in development, from files shipped in the package (static/vendor, see vendoring.py):
it works on a network without internet access, and its page runs under a strict Content Security
Policy, with no inline script or style. Production serves neither the page nor its files."""

from pathlib import Path

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

from api.core.pages import PAGE_HEADERS, _templates

STATIC_DIR = Path(__file__).parent / "static"
STATIC_PATH = "/static"

# Scripts, styles and requests only from this server; GraphiQL's fonts are data: URLs in its CSS.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; font-src data:; img-src 'self' data:; "
    "connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
)


def page(request: Request) -> HTMLResponse:
    """The GraphiQL page for the GraphQL endpoint at the request's path."""
    html = _templates.get_template("graphiql.html").render(
        endpoint=request.url.path, static=request.scope.get("root_path", "").rstrip("/") + STATIC_PATH
    )
    return HTMLResponse(html, headers={**PAGE_HEADERS, "Content-Security-Policy": CONTENT_SECURITY_POLICY})


def mount_assets(app: FastAPI) -> None:
    """Serve GraphiQL's scripts and styles under /static."""
    app.mount(STATIC_PATH, StaticFiles(directory=STATIC_DIR), name="static")
