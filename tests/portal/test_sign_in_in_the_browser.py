"""Signing in to the portal in Debian's chromium, through the real sign-in and consent pages of
coplab's authorization server: the session cookie and nothing else in the browser, the person's own
organisation's non-public initiative and drafts, another organisation's member refused it exactly as
a missing one, switching organisation, transparent refresh, sign-out revoking the grant, and forms
and cookies that were tampered with refused with nothing changed (docs/portal.md, "Signing in")."""

import hashlib
import html
import json
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote
from collections.abc import Iterator

import httpx
import pytest
from sqlmodel import Session, col, select

from api.core.db import create_sync_engine
from api.oauth.models import OAuthGrant
from api.portal_sessions.models import PortalClient, PortalSession
from tests.browser import chromium, needs_browser
from tests.portal.conftest import (
    DRAFT_TITLE, HIDDEN_TITLE, MEMBER_EMAIL, OUTSIDER_EMAIL, PASSWORD, Portal,
)
from tests.portal.accessibility import assert_accessible
from tests.portal.test_pages_in_the_browser import Watched
from tests.server import HTTP_TIMEOUT

pytestmark = needs_browser
COOKIE = "__Host-coplab-session"


@pytest.fixture
def browser() -> Iterator:
    with chromium() as context:
        yield context


@pytest.fixture
def database(portal: Portal) -> Iterator[Session]:
    engine = create_sync_engine(portal.database_url)
    with Session(engine) as session:
        yield session
    engine.dispose()


def sign_in(page, portal: Portal, email: str, organisation: str, *, checked: bool = False) -> None:  # noqa: ANN001
    """Through the header's link, the authorization server's pages, and back; `checked` runs the
    accessibility checks on each of those pages too."""
    page.goto(portal.url + "/")
    page.get_by_role("link", name="Sign in").click()
    answer_sign_in_pages(page, email, organisation, checked=checked)
    page.wait_for_url(portal.url + "/")


def answer_sign_in_pages(page, email: str, organisation: str, *, checked: bool = False) -> None:  # noqa: ANN001
    if checked:
        assert_accessible(page)
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    if checked:
        page.get_by_label(f"{organisation} (your role: editor)").wait_for()
        assert_accessible(page)
    page.get_by_label(f"{organisation} (your role: editor)").check()
    page.get_by_role("button", name="Allow").click()


def session_rows(database: Session) -> list[PortalSession]:
    database.expire_all()
    return list(database.exec(select(PortalSession).where(col(PortalSession.access_token).is_not(None))).all())


def stored_refresh_token(row: PortalSession) -> str:
    """Without COPLAB_KEY_ENCRYPTION_KEYS (as in tests) the sealed value is plain JSON."""
    return json.loads(row.sealed_refresh_token or "{}")["refresh_token"]


def portal_client(database: Session) -> PortalClient:
    row = database.exec(select(PortalClient)).one()
    return row


def refresh_answer(portal: Portal, database: Session, refresh_token: str) -> httpx.Response:
    client = portal_client(database)
    secret = json.loads(client.sealed_secret)["secret"]
    return httpx.post(
        f"{portal.url}/oauth/token", data={"grant_type": "refresh_token", "refresh_token": refresh_token},
        auth=(client.client_id, secret), timeout=HTTP_TIMEOUT,
    )


def graphql_status(portal: Portal, access_token: str) -> int:
    return httpx.post(
        f"{portal.url}/graphql", json={"query": "{ viewer { kind } }"},
        headers={"Authorization": f"Bearer {access_token}"}, timeout=HTTP_TIMEOUT,
    ).status_code


def test_a_member_signs_in_reads_their_organisation_s_records_switches_and_signs_out(portal: Portal, browser, database) -> None:  # noqa: ANN001
    lead, second, _ = portal.organisations
    watched = Watched(browser)
    page = watched.page
    sign_in(page, portal, MEMBER_EMAIL, lead, checked=True)
    page.screenshot(path=portal.artifacts / "signed-in-home.png", full_page=True)
    assert page.locator(".account-who").inner_text() == f"Signed in as alex for {lead}"
    assert_accessible(page)  # the header's account controls: who, switch, sign out

    # Only the session cookie, exactly as stated; the tokens stay on the server.
    (cookie,) = [c for c in browser.cookies() if c["name"] == COOKIE]
    assert {k: cookie[k] for k in ("domain", "path", "secure", "httpOnly", "sameSite")} == {
        "domain": "127.0.0.1", "path": "/", "secure": True, "httpOnly": True, "sameSite": "Lax",
    }
    (row,) = session_rows(database)
    assert row.access_token not in json.dumps(browser.cookies()) and stored_refresh_token(row) not in json.dumps(browser.cookies())

    # The organisation's non-public initiative, as /graphql shows it to the person.
    answer = page.goto(f"{portal.url}/initiatives/{portal.hidden_initiative_id}")
    assert answer.status == 200 and page.get_by_role("heading", name=HIDDEN_TITLE).is_visible()
    assert answer.headers["cache-control"] == "private, no-store"

    # The dashboard lists the organisation's draft and its non-public initiative, with a link to it.
    (row,) = session_rows(database)
    before = (row.access_token, stored_refresh_token(row))
    answer = page.goto(f"{portal.url}/dashboard")
    assert answer.status == 200 and answer.headers["cache-control"] == "private, no-store"
    page.screenshot(path=portal.artifacts / "dashboard.png", full_page=True)
    assert_accessible(page)
    assert DRAFT_TITLE in page.locator("section", has=page.get_by_role("heading", name="Drafts")).inner_text()
    assert page.get_by_role("link", name=HIDDEN_TITLE).get_attribute("href") == f"/initiatives/{quote(portal.hidden_initiative_id, safe='')}"

    # The access token lapses within the refresh margin (conftest): the page refreshed it first, and
    # the refresh token it used has rotated (presenting it again would end the sign-in).
    (row,) = session_rows(database)
    assert row.access_token != before[0] and stored_refresh_token(row) != before[1]

    # Switching: the consent page again, the other organisation chosen; the first sign-in is revoked.
    first_grant = database.exec(select(OAuthGrant).order_by(col(OAuthGrant.id).desc())).first()
    page.get_by_role("button", name="Switch organisation").click()
    answer_sign_in_pages(page, MEMBER_EMAIL, second)
    page.wait_for_url(f"{portal.url}/dashboard")
    assert page.locator(".account-who").inner_text() == f"Signed in as alex for {second}"
    database.refresh(first_grant)
    assert first_grant.revoked_at is not None
    assert page.goto(f"{portal.url}/initiatives/{portal.hidden_initiative_id}").status == 404

    # Signing out deletes the session and revokes the grant: its refresh and access tokens are refused.
    page.goto(f"{portal.url}/dashboard")
    (row,) = session_rows(database)
    refresh_token, access_token = stored_refresh_token(row), row.access_token
    assert graphql_status(portal, access_token) == 200
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(portal.url + "/")
    assert page.get_by_role("link", name="Sign in").is_visible()
    assert session_rows(database) == [] and [c for c in browser.cookies() if c["name"] == COOKIE] == []
    refused = refresh_answer(portal, database, refresh_token)
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"
    assert graphql_status(portal, access_token) == 401
    # The one problem is the browser reporting the 404 asked for after switching.
    assert watched.problems == ["console error: Failed to load resource: the server responded with a status of 404 (Not Found)"]
    assert watched.violations() == []


def test_another_organisation_s_member_gets_the_404_of_a_missing_initiative(portal: Portal, browser) -> None:  # noqa: ANN001
    _, _, third = portal.organisations
    page = browser.new_page()
    sign_in(page, portal, OUTSIDER_EMAIL, third)
    hidden = page.goto(f"{portal.url}/initiatives/{portal.hidden_initiative_id}")
    hidden_page = page.locator("main").inner_html()
    missing = page.goto(f"{portal.url}/initiatives/{portal.hidden_initiative_id[:-2]}AA")
    assert hidden.status == missing.status == 404
    assert hidden_page == page.locator("main").inner_html() and HIDDEN_TITLE not in page.content()
    page.goto(f"{portal.url}/dashboard")
    assert HIDDEN_TITLE not in page.content() and DRAFT_TITLE not in page.content()


def test_a_signed_out_visitor_is_sent_to_sign_in_from_the_dashboard(portal: Portal, browser) -> None:  # noqa: ANN001
    page = browser.new_page()
    page.goto(f"{portal.url}/dashboard")
    assert page.title() == "Sign in · coplab"
    # A wrong password: the sign-in page again, its error by the fields.
    page.get_by_label("E-mail address").fill(MEMBER_EMAIL)
    page.get_by_label("Password").fill(PASSWORD + "-wrong")
    page.get_by_role("button", name="Sign in").click()
    page.locator("#sign-in-error").wait_for()
    assert page.get_by_label("Password").get_attribute("aria-invalid") == "true"
    assert_accessible(page)


def test_a_sign_in_that_comes_back_without_its_state_gets_an_accessible_refusal(portal: Portal, browser) -> None:  # noqa: ANN001
    page = browser.new_page()
    answer = page.goto(f"{portal.url}/signed-in?code=forged&state=forged")
    assert answer.status == 400
    assert_accessible(page)
    # The authorization server's own problem page, for a client it does not know.
    answer = page.goto(f"{portal.url}/oauth/authorize?response_type=code&client_id=no-such-client")
    assert answer.status >= 400 and page.locator("h1").inner_text().strip()
    assert_accessible(page)


def test_a_tampered_form_or_cookie_is_refused_and_changes_nothing(portal: Portal, browser, database) -> None:  # noqa: ANN001
    lead, _, _ = portal.organisations
    page = browser.new_page()
    sign_in(page, portal, MEMBER_EMAIL, lead)
    sessions = {r.id for r in session_rows(database)}

    for tamper in (
        "input.value = input.value.slice(0, -1) + (input.value.endsWith('a') ? 'b' : 'a')",
        "input.value = input.value.slice(0, -1) + 'é'",  # not ASCII: refused like any other, not a 500
        "input.remove()",
    ):
        page.goto(portal.url + "/")
        page.evaluate(f"() => {{ const input = document.querySelector('form[action=\"/sign-out\"] input[name=csrf_token]'); {tamper}; }}")
        with page.expect_response(f"{portal.url}/sign-out") as answer:
            page.get_by_role("button", name="Sign out").click()
        assert answer.value.status == 403 and page.get_by_role("heading", name="Form refused").is_visible()
        assert_accessible(page)
        assert {r.id for r in session_rows(database)} == sessions  # still signed in, nothing revoked
    page.goto(portal.url + "/")
    assert page.locator(".account-who").inner_text() == f"Signed in as alex for {lead}"

    (cookie,) = [c for c in browser.cookies() if c["name"] == COOKIE]
    browser.add_cookies([{**cookie, "value": cookie["value"][:-1] + ("b" if cookie["value"].endswith("a") else "a")}])
    answer = page.goto(portal.url + "/")
    assert answer.status == 200 and page.get_by_role("link", name="Sign in").is_visible()
    assert "alex" not in page.content() and lead not in page.locator("header").inner_text()
    assert page.goto(f"{portal.url}/initiatives/{portal.hidden_initiative_id}").status == 404
    assert {r.id for r in session_rows(database)} == sessions


def test_pages_asked_for_at_once_share_one_refresh_and_the_sign_in_stands(portal: Portal, browser, database) -> None:  # noqa: ANN001
    """Every signed-in page refreshes here (conftest): requests of one browser at once must not each
    present the rotating refresh token, or the second presentation would end the whole sign-in."""
    lead, _, _ = portal.organisations
    page = browser.new_page()
    sign_in(page, portal, MEMBER_EMAIL, lead)
    (cookie,) = [c for c in browser.cookies() if c["name"] == COOKIE]
    headers = {"Cookie": f"{COOKIE}={cookie['value']}"}

    def home(_: int) -> httpx.Response:
        return httpx.get(f"{portal.url}/", headers=headers, timeout=HTTP_TIMEOUT)

    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(home, range(4)))
    assert [a.status_code for a in answers] == [200] * 4
    assert all(f"Signed in as <strong>alex</strong> for {html.escape(lead)}" in a.text for a in answers)
    page.goto(f"{portal.url}/dashboard")
    assert page.locator(".account-who").inner_text() == f"Signed in as alex for {lead}"
    (row,) = [r for r in session_rows(database) if r.id_hash == hashlib.sha256(cookie["value"].encode()).hexdigest()]
    assert graphql_status(portal, row.access_token) == 200  # the sign-in's grant still stands
