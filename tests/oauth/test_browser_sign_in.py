"""The sign-in and consent pages in a real browser (Debian's chromium, headless, driven by
Playwright): a person of a second organisation signs in through the Lab's web app with PKCE, picks
the organisation by its label, and the web app's token then works on /graphql; a form posted from
another site is refused.

Runs when COPLAB_TEST_BROWSER names the chromium binary (`.ci/run` installs it and sets it);
otherwise it is skipped and says so.
"""

from collections.abc import Iterator

import httpx
import pytest
from authlib.common.security import generate_token
from authlib.integrations.httpx_client import OAuth2Client
from sqlmodel import select

from api.audit.models import AuditEvent
from api.auth.principal import Role
from api.oauth.models import ConsentTicket
from api.core.settings import Settings
from tests.oauth.sign_in import query
from tests.browser import chromium, needs_browser
from tests.server import running_server
from tests.server import HTTP_TIMEOUT

PASSWORD = "correct horse battery staple"
APP = "http://localhost:9/registry/callback"  # the web app's page; the browser never reaches it (intercepted)
FOREIGN_PAGE = "http://foreign.example/page"

pytestmark = needs_browser


@pytest.fixture
def base_url(settings: Settings) -> Iterator[str]:
    with running_server(settings) as url:
        yield url


@pytest.fixture
def page():  # noqa: ANN201
    with chromium() as context:
        yield context.new_page()


def test_a_person_of_the_second_organisation_signs_in_through_the_browser(base_url, page, make) -> None:  # noqa: ANN001
    first = make.organisation("first")
    second = make.organisation("second")
    lab = make.organisation("lab")
    make.member(first, "sam@example.org", Role.VIEWER, password=PASSWORD)
    make.member(second, "sam@example.org", Role.EDITOR)
    app, _ = make.web_client(lab, ["initiatives:read", "initiatives:write"], [APP], all_organisations=True)

    callbacks: list[str] = []

    def web_app(route) -> None:  # noqa: ANN001
        callbacks.append(route.request.url)
        route.fulfill(status=200, content_type="text/html", body="<p>signed in</p>")

    page.route(APP + "**", web_app)
    verifier = generate_token(48)
    oauth = OAuth2Client(
        client_id=app.client_id, redirect_uri=APP, scope="initiatives:read initiatives:write", code_challenge_method="S256",
        token_endpoint_auth_method="none", timeout=HTTP_TIMEOUT
    )
    url, state = oauth.create_authorization_url(f"{base_url}/oauth/authorize", code_verifier=verifier)

    page.goto(url)
    assert page.title() == "Sign in · coplab"
    page.get_by_label("E-mail address").fill("sam@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Allow Registry web app to act for you?").wait_for()
    page.get_by_label("second (your role: editor)").check()
    page.get_by_role("button", name="Allow").click()
    page.wait_for_url(APP + "**")

    assert len(callbacks) == 1 and query(callbacks[0])["state"] == state
    token = oauth.fetch_token(f"{base_url}/oauth/token", authorization_response=callbacks[0], code_verifier=verifier)
    oauth.close()
    viewer = httpx.post(
        f"{base_url}/graphql",
        json={"query": "{ viewer { organisation { slug } role scopes } }"},
        headers={"Authorization": f"Bearer {token['access_token']}"}, timeout=HTTP_TIMEOUT
    ).json()["data"]["viewer"]
    assert viewer == {"organisation": {"slug": "second"}, "role": "EDITOR", "scopes": ["initiatives:read", "initiatives:write"]}


def test_a_sign_in_form_posted_from_another_site_is_refused(base_url, page, make, db) -> None:  # noqa: ANN001
    organisation = make.organisation("first")
    make.member(organisation, "sam@example.org", Role.ADMIN, password=PASSWORD)
    app, _ = make.web_client(organisation, ["initiatives:read"], [APP])
    oauth = OAuth2Client(client_id=app.client_id, redirect_uri=APP, scope="initiatives:read", code_challenge_method="S256", timeout=HTTP_TIMEOUT)
    url, _ = oauth.create_authorization_url(f"{base_url}/oauth/authorize", code_verifier=generate_token(48))
    oauth.close()
    page.goto(url)  # the person has our CSRF cookie now; a foreign page tries to ride on it
    fields = {name: page.locator(f"input[name={name}]").get_attribute("value") for name in ("csrf_token", "authorization_request")}
    inputs = "".join(f'<input type="hidden" name="{k}" value="{v}">' for k, v in fields.items())
    page.route(
        FOREIGN_PAGE,
        lambda route: route.fulfill(
            status=200,
            content_type="text/html",
            body=f'<form id="f" method="post" action="{base_url}/oauth/authorize/sign-in">{inputs}'
            f'<input name="email" value="sam@example.org"><input name="password" value="{PASSWORD}"></form>'
            '<script>document.getElementById("f").submit()</script>',
        ),
    )
    with page.expect_response(f"{base_url}/oauth/authorize/sign-in") as answer:
        page.goto(FOREIGN_PAGE)
    assert answer.value.status == 403
    page.get_by_role("heading", name="Form refused").wait_for()
    db.expire_all()
    assert db.exec(select(ConsentTicket)).all() == [] and db.exec(select(AuditEvent)).all() == []
