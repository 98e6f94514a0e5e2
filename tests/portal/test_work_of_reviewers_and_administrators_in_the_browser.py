"""The reviewer's and the administrator's pages in Debian's chromium (docs/portal.md, "Reviewing and
administering through the portal"), on the served registry of tests/portal/conftest.py: a best
practice in review coded by its two reviewers, blind until both are in; the disagreement in the
reconciliation view, settled by the third reviewer; an administrator inviting a member (a wrong
address refused by its field with what was typed kept and nothing stored, then the invitation),
registering an OAuth client and a webhook; the 404 of a missing page for everyone else, and for
another organisation's people; forms without the session's CSRF token refused with nothing changed.
(Named to run after test_sign_in_in_the_browser.py, which counts the portal's sessions.)"""

from collections.abc import Iterator
from urllib.parse import quote, urlencode

import httpx

import pytest
from sqlmodel import Session, select

from api.core.db import create_sync_engine
from api.oauth.models import OAuthClient
from api.organisations.models import Membership, Organisation, User
from api.portal_sessions.models import PortalSession
from api.reviews.models import Disagreement, ReviewAssignment, Revision
from playwright.sync_api import expect

from tests.browser import chromium, needs_browser
from tests.factories import gid
from tests.portal.conftest import (
    ADMIN_EMAIL, ASSESSMENT_LIMITATIONS, MEMBER_EMAIL, OTHER_ADMIN_EMAIL, OUTSIDER_EMAIL, PASSWORD, REVIEW_TITLE, REVIEWER_EMAILS, Portal,
)
from tests.portal.accessibility import assert_accessible
from tests.portal.test_pages_in_the_browser import Watched
from tests.server import HTTP_TIMEOUT

pytestmark = needs_browser
NEW_MEMBER = "new.member@example.org"
CLIENT_NAME = "Hotline case system"
WEBHOOK_URL = "https://203.0.113.10/coplab-hooks"


@pytest.fixture
def database(portal: Portal) -> Iterator[Session]:
    engine = create_sync_engine(portal.database_url)
    with Session(engine) as session:
        yield session
    engine.dispose()


@pytest.fixture(autouse=True)
def no_session_left(database: Session) -> Iterator[None]:
    """test_sign_in_in_the_browser.py counts the portal's sessions: a test here that fails before
    signing out leaves none behind either."""
    yield
    database.rollback()
    for row in database.exec(select(PortalSession)).all():
        database.delete(row)
    database.commit()


def home_of(database: Session, email: str) -> str:
    """The name of the one organisation `email` belongs to (what the consent page offers)."""
    (name,) = database.exec(
        select(Organisation.name).join(Membership, Membership.organisation_id == Organisation.id)
        .join(User, User.id == Membership.user_id).where(User.email == email)
    ).all()
    return name


def sign_in_as(page, portal: Portal, email: str, organisation: str, role: str = "editor") -> None:  # noqa: ANN001
    """Through the header's link and the authorization server's pages, as test_sign_in_in_the_browser does."""
    page.goto(portal.url + "/")
    page.get_by_role("link", name="Sign in").click()
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label(f"{organisation} (your role: {role})").check()
    page.get_by_role("button", name="Allow").click()
    page.wait_for_url(portal.url + "/")


def sign_out(page) -> None:  # noqa: ANN001
    page.get_by_role("button", name="Sign out").click()


def without_token(page, action: str) -> None:  # noqa: ANN001
    """Take the CSRF token out of the form posting to `action`, as a forged form would lack it."""
    page.evaluate(f"() => document.querySelector('form[action=\"{action}\"] input[name=csrf_token]').remove()")


def unexpected(watched: Watched) -> list[str]:
    """The page's problems, less the browser's note of the refusals the test asked for (422, 403)."""
    expected = ("status of 422", "status of 403")
    return [p for p in watched.problems if not any(e in p for e in expected)] + watched.violations()


def review_revision(database: Session) -> Revision:
    database.expire_all()
    (found,) = [r for r in database.exec(select(Revision)).all() if (r.content.get("data") or {}).get("title") == REVIEW_TITLE]
    return found


def code(portal: Portal, database: Session, email: str, basis: str, shot: str) -> Watched:  # noqa: ANN001
    """One reviewer codes the revision in the browser (first forgetting the decision, then fixing it)."""
    with chromium() as context:
        watched = Watched(context)
        page = watched.page
        sign_in_as(page, portal, email, home_of(database, email))
        page.goto(portal.url + "/dashboard")
        page.get_by_role("link", name="Open your reviews").click()
        page.wait_for_url(portal.url + "/reviews")
        checked = shot == "first"  # the pages are the same for the second reviewer: checked once
        if checked:
            assert_accessible(page)
        page.get_by_role("link", name=REVIEW_TITLE).click()
        expect(page.get_by_role("heading", name="The authors' proposal")).to_be_visible()
        if checked:
            assert_accessible(page)
        assert "Say who reads a report and when." in page.locator(".review-proposal").inner_text()
        # The authors' evidence basis is where the form starts; the other reviewer's coding is not shown.
        assert page.get_by_label("Evidence basis").input_value() == "CONSENSUS"
        assert page.get_by_role("heading", name="Reconciliation").count() == 0
        page.get_by_label("Evidence basis").select_option(basis)
        page.get_by_label("Notes for the secretariat and, later, the authors").fill(f"Coded by {email}")
        with page.expect_response(lambda r: r.request.method == "POST") as answer:
            page.get_by_role("button", name="Submit your review").click()
        assert answer.value.status == 422
        assert page.locator("#field-decision-error").inner_text().strip().startswith("One of ACCEPT")
        assert page.get_by_label("Decision").get_attribute("aria-invalid") == "true"
        assert page.get_by_label("Evidence basis").input_value() == basis  # what was typed is kept
        assert page.get_by_label("Notes for the secretariat and, later, the authors").input_value() == f"Coded by {email}"
        page.screenshot(path=portal.artifacts / f"review-coding-error-{shot}.png", full_page=True)
        if checked:
            assert_accessible(page)
        database.expire_all()
        assert all(a.submitted_at is None for a in database.exec(select(ReviewAssignment).join(User, User.id == ReviewAssignment.user_id).where(User.email == email)))
        page.get_by_label("Decision").select_option("ACCEPT")
        page.get_by_role("button", name="Submit your review").click()
        expect(page.get_by_text("Your review is in")).to_be_visible()
        page.screenshot(path=portal.artifacts / f"review-coded-{shot}.png", full_page=True)
        assert unexpected(watched) == []
        sign_out(page)
    return watched


def test_a_reviewer_s_journey_two_codings_a_disagreement_and_its_resolution(portal: Portal, database) -> None:  # noqa: ANN001
    first, second, third = REVIEWER_EMAILS
    revision_id = gid("Revision", review_revision(database).id)
    address = f"{portal.url}/reviews/{quote(revision_id, safe='')}"

    code(portal, database, first, "CONSENSUS", "first")
    # Blind: after the first coding, nothing to reconcile yet.
    database.expire_all()
    assert database.exec(select(Disagreement).where(Disagreement.revision_id == review_revision(database).id)).all() == []
    code(portal, database, second, "LEGAL-MANDATE", "second")
    assert review_revision(database).state == "RECONCILIATION"

    with chromium() as context:
        watched = Watched(context)
        page = watched.page
        sign_in_as(page, portal, third, home_of(database, third))
        page.goto(portal.url + "/reviews")
        assert "disagreements for you to resolve" in page.locator(".dashboard-list").inner_text()
        page.get_by_role("link", name=REVIEW_TITLE).click()
        expect(page.get_by_role("heading", name="Reconciliation")).to_be_visible()
        disagreements = page.locator("table.disagreements")
        row = disagreements.get_by_role("row", name="Evidence basis")
        assert "CONSENSUS" in row.inner_text() and "LEGAL-MANDATE" in row.inner_text()
        # Fields the two agree on are not disagreements; both codings are shown in full.
        assert disagreements.get_by_role("row", name="Decision").count() == 0
        page.screenshot(path=portal.artifacts / "review-reconciliation.png", full_page=True)
        assert_accessible(page)

        # A form without the session's token is refused, and the disagreement stays open.
        without_token(page, "/reviews/resolve")
        with page.expect_response(lambda r: r.request.method == "POST") as answer:
            row.get_by_role("button", name="Resolve Evidence basis").click()
        assert answer.value.status == 403 and page.get_by_role("heading", name="Form refused").is_visible()
        database.expire_all()
        (open_one,) = database.exec(select(Disagreement).where(Disagreement.revision_id == review_revision(database).id)).all()
        assert open_one.field == "/evidenceBasis" and open_one.resolved_at is None

        page.goto(address)
        row = page.locator("table.disagreements").get_by_role("row", name="Evidence basis")
        row.get_by_label("LEGAL-MANDATE").check()
        row.get_by_role("button", name="Resolve Evidence basis").click()
        page.wait_for_url(address)
        row = page.locator("table.disagreements").get_by_role("row", name="Evidence basis")
        assert row.get_by_role("button").count() == 0 and "LEGAL-MANDATE" in row.locator("td").last.inner_text()
        page.screenshot(path=portal.artifacts / "review-resolved.png", full_page=True)
        assert_accessible(page)
        database.expire_all()
        (settled,) = database.exec(select(Disagreement).where(Disagreement.revision_id == review_revision(database).id)).all()
        assert settled.resolution == "LEGAL-MANDATE" and settled.resolved_at is not None
        assert unexpected(watched) == []
        sign_out(page)

    # A coding reviewer sees the reconciliation but may not settle it; someone of another
    # organisation, and a member of the authors' organisation, get the 404 of a missing page.
    for email, visible in ((first, True), (OUTSIDER_EMAIL, False), (MEMBER_EMAIL, False)):
        with chromium() as context:
            page = context.new_page()
            organisation = home_of(database, email) if email != MEMBER_EMAIL else portal.organisations[0]
            sign_in_as(page, portal, email, organisation)
            answer = page.goto(address)
            if visible:
                assert answer.status == 200 and page.get_by_role("heading", name="Reconciliation").is_visible()
                assert page.locator("form[action='/reviews/resolve']").count() == 0
            else:
                assert answer.status == 404 and REVIEW_TITLE not in page.content()
                page.goto(portal.url + "/reviews")
                assert REVIEW_TITLE not in page.content()
            sign_out(page)


def test_an_administrator_invites_a_member_and_registers_a_client_and_a_webhook(portal: Portal, database) -> None:  # noqa: ANN001
    lead, _, outsiders = portal.organisations
    with chromium() as context:
        watched = Watched(context)
        page = watched.page
        sign_in_as(page, portal, ADMIN_EMAIL, lead, role="admin")
        page.goto(portal.url + "/dashboard")
        page.get_by_role("link", name="Members and invitations").click()
        page.wait_for_url(portal.url + "/admin/members")
        assert page.get_by_role("cell", name=MEMBER_EMAIL).is_visible()
        assert_accessible(page)

        # A wrong address: refused by its field, what was typed kept, nothing stored.
        page.get_by_label("E-mail address").fill("new.member-at-example.org")
        page.get_by_label("Name", exact=False).first.fill("New Member")
        page.get_by_label("Role").select_option("CONTRIBUTOR")
        with page.expect_response(lambda r: r.request.method == "POST") as answer:
            page.get_by_role("button", name="Invite").click()
        assert answer.value.status == 422
        assert page.locator("#field-email-error").inner_text().strip() == "Not an e-mail address."
        assert page.get_by_label("E-mail address").get_attribute("aria-invalid") == "true"
        assert page.get_by_label("E-mail address").input_value() == "new.member-at-example.org"
        assert page.get_by_label("Role").input_value() == "CONTRIBUTOR"
        page.screenshot(path=portal.artifacts / "admin-invite-error.png", full_page=True)
        assert_accessible(page)
        database.expire_all()
        assert database.exec(select(User).where(User.email.in_(["new.member-at-example.org", NEW_MEMBER]))).all() == []

        # Without the session's token: refused, nothing stored.
        page.get_by_label("E-mail address").fill(NEW_MEMBER)
        without_token(page, "/admin/members")
        with page.expect_response(lambda r: r.request.method == "POST") as answer:
            page.get_by_role("button", name="Invite").click()
        assert answer.value.status == 403 and page.get_by_role("heading", name="Form refused").is_visible()
        database.expire_all()
        assert database.exec(select(User).where(User.email == NEW_MEMBER)).all() == []

        page.goto(portal.url + "/admin/members")
        page.get_by_label("E-mail address").fill(NEW_MEMBER)
        page.get_by_label("Role").select_option("CONTRIBUTOR")
        page.get_by_role("button", name="Invite").click()
        expect(page.get_by_role("heading", name=f"{NEW_MEMBER} is invited")).to_be_visible()
        assert "/invitation" in page.locator(".notice code").inner_text() or page.locator(".notice code").inner_text().startswith("http")
        invitations = page.locator("section", has=page.get_by_role("heading", name="Invitations not yet accepted"))
        assert NEW_MEMBER in invitations.inner_text()
        page.screenshot(path=portal.artifacts / "admin-invited.png", full_page=True)
        assert_accessible(page)
        # The link is shown once: the list page does not show it again.
        page.goto(portal.url + "/admin/members")
        assert page.locator(".notice").count() == 0 and NEW_MEMBER in page.locator("section", has=page.get_by_role("heading", name="Invitations not yet accepted")).inner_text()

        # An OAuth client: its secret once; then revoked.
        page.get_by_role("link", name="OAuth clients").click()
        page.wait_for_url(portal.url + "/admin/clients")
        assert_accessible(page)
        page.get_by_label("Name").fill(CLIENT_NAME)
        page.get_by_label("initiatives:read").check()
        page.get_by_role("button", name="Register the client").click()
        expect(page.get_by_role("heading", name=f"The client {CLIENT_NAME} is registered")).to_be_visible()
        secret = page.locator(".notice code.secret").inner_text()
        assert len(secret) > 20
        page.screenshot(path=portal.artifacts / "admin-client-created.png", full_page=True)
        assert_accessible(page)
        page.goto(portal.url + "/admin/clients")
        assert secret not in page.content() and page.get_by_role("cell", name=CLIENT_NAME, exact=True).is_visible()
        page.get_by_role("button", name=f"Revoke {CLIENT_NAME}").click()
        expect(page.get_by_role("row", name=CLIENT_NAME).get_by_text("Revoked")).to_be_visible()
        database.expire_all()
        assert database.exec(select(OAuthClient).where(OAuthClient.name == CLIENT_NAME)).one().revoked_at is not None

        # A webhook endpoint: a missing event type by its field, then registered with its secret once.
        page.get_by_role("link", name="Webhooks").click()
        page.wait_for_url(portal.url + "/admin/webhooks")
        assert_accessible(page)
        page.get_by_label("Address").fill(WEBHOOK_URL)
        with page.expect_response(lambda r: r.request.method == "POST") as answer:
            page.get_by_role("button", name="Add the endpoint").click()
        assert answer.value.status == 422 and page.get_by_label("Address").input_value() == WEBHOOK_URL
        assert_accessible(page)
        page.get_by_label("record.published").check()
        page.get_by_role("button", name="Add the endpoint").click()
        expect(page.get_by_role("heading", name=f"Deliveries will go to {WEBHOOK_URL}")).to_be_visible()
        assert page.locator(".notice code.secret").inner_text().startswith("whsec_")
        page.screenshot(path=portal.artifacts / "admin-webhook-created.png", full_page=True)
        assert_accessible(page)
        assert unexpected(watched) == []
        sign_out(page)

    # Someone who does not administer the organisation gets the 404 of a missing page for each;
    # another organisation's administrator sees only their own organisation's.
    with chromium() as context:
        page = context.new_page()
        sign_in_as(page, portal, MEMBER_EMAIL, lead)
        for path in ("/admin/members", "/admin/clients", "/admin/webhooks"):
            answer = page.goto(portal.url + path)
            assert answer.status == 404 and page.get_by_role("heading", name="Not found").is_visible()
        assert page.goto(portal.url + "/dashboard").status == 200 and page.get_by_role("link", name="Members and invitations").count() == 0
        sign_out(page)
    with chromium() as context:
        page = context.new_page()
        sign_in_as(page, portal, OTHER_ADMIN_EMAIL, outsiders, role="admin")
        page.goto(portal.url + "/admin/members")
        assert OUTSIDER_EMAIL in page.content()
        for path, secret_of_lead in (("/admin/members", NEW_MEMBER), ("/admin/members", ADMIN_EMAIL), ("/admin/clients", CLIENT_NAME), ("/admin/webhooks", WEBHOOK_URL)):
            assert page.goto(portal.url + path).status == 200
            assert secret_of_lead not in page.content()
        sign_out(page)

    # Finally the invitation is revoked by the first organisation's administrator.
    with chromium() as context:
        page = context.new_page()
        sign_in_as(page, portal, ADMIN_EMAIL, lead, role="admin")
        page.goto(portal.url + "/admin/members")
        page.get_by_role("button", name=f"Revoke the invitation of {NEW_MEMBER}").click()
        page.wait_for_url(portal.url + "/admin/members")
        assert NEW_MEMBER not in page.content()
        sign_out(page)


def test_signed_out_the_pages_send_to_sign_in_and_their_forms_are_refused(portal: Portal) -> None:
    for path in ("/reviews", "/admin/members", "/admin/clients", "/admin/webhooks", "/reviews/UmV2aXNpb246MQ%3D%3D"):
        answer = httpx.get(portal.url + path, timeout=HTTP_TIMEOUT)
        assert answer.status_code == 303 and answer.headers["location"] == "/sign-in?" + urlencode({"return_to": path}), path
        assert answer.headers["cache-control"] == "private, no-store", path
    for path in ("/reviews/UmV2aXNpb246MQ==", "/reviews/resolve", "/admin/members", "/admin/members/revoke",
                 "/admin/clients", "/admin/clients/revoke", "/admin/webhooks", "/admin/webhooks/delete"):
        refused = httpx.post(portal.url + path, data={"csrf_token": "forged", "email": "x@example.org"}, timeout=HTTP_TIMEOUT)
        assert refused.status_code == 403 and "Form refused" in refused.text, path
        assert refused.headers["cache-control"] == "private, no-store", path


def test_an_evidence_assessment_s_coding_form_starts_from_the_authors_codes_and_places_errors_by_field(portal: Portal, database) -> None:  # noqa: ANN001
    first = REVIEWER_EMAILS[0]
    with chromium() as context:
        watched = Watched(context)
        page = watched.page
        sign_in_as(page, portal, first, home_of(database, first))
        page.goto(portal.url + "/reviews")
        page.get_by_role("link", name="Evidence assessment").click()
        expect(page.get_by_role("heading", name="Review: Evidence assessment")).to_be_visible()
        assert ASSESSMENT_LIMITATIONS in page.locator(".review-proposal").inner_text()
        # The finding's codes start from the authors' proposal.
        assert page.get_by_label("Finding 1: outcome").input_value() == "OFFENDING"
        assert page.get_by_label("Finding 1: comparison").input_value() == "PRE-POST"
        assert page.get_by_label("Finding 1: significance").input_value() == "YES"
        page.get_by_label("Certainty: imprecision").select_option("SERIOUS")
        # No study design and no decision: the API's errors (under `coding`) beside those two fields.
        with page.expect_response(lambda r: r.request.method == "POST") as answer:
            page.get_by_role("button", name="Submit your review").click()
        assert answer.value.status == 422
        assert page.get_by_label("Study design").get_attribute("aria-invalid") == "true"
        assert page.get_by_label("Decision").get_attribute("aria-invalid") == "true"
        assert page.get_by_label("Certainty: imprecision").input_value() == "SERIOUS"
        page.screenshot(path=portal.artifacts / "review-assessment-coding-error.png", full_page=True)
        database.expire_all()
        (assessment,) = [r for r in database.exec(select(Revision)).all() if (r.content.get("data") or {}).get("limitations") == ASSESSMENT_LIMITATIONS]
        assert [a.submitted_at for a in database.exec(select(ReviewAssignment).where(ReviewAssignment.revision_id == assessment.id))] == [None, None]
        assert unexpected(watched) == []
        sign_out(page)


def test_a_member_s_pages_follow_the_language_switch(portal: Portal, database) -> None:  # noqa: ANN001
    """The dashboard, the reviews and the administration pages are made in the visitor's language, as
    the public pages are (docs/portal.md, "Languages"), and the forged form's refusal too."""
    with chromium() as context:
        watched = Watched(context)
        page = watched.page
        sign_in_as(page, portal, ADMIN_EMAIL, home_of(database, ADMIN_EMAIL), role="admin")
        page.get_by_role("link", name="Français").click()
        page.wait_for_url(portal.url + "/")
        for path, heading in (("/dashboard", "Tableau de bord de "), ("/reviews", "Vos relectures"),
                              ("/admin/members", "Membres et invitations de ")):
            page.goto(portal.url + path)
            assert page.locator("html").get_attribute("lang") == "fr", path
            assert page.get_by_role("heading", level=1).inner_text().startswith(heading), path
        page.screenshot(path=portal.artifacts / "admin-members-in-french.png", full_page=True)
        page.get_by_role("button", name="Se déconnecter").click()
        assert unexpected(watched) == []
    refused = httpx.post(portal.url + "/admin/members", data={"csrf_token": "forged"}, headers={"Cookie": "coplab-lang=fr"},
                         timeout=HTTP_TIMEOUT)
    assert refused.status_code == 403 and "Formulaire refusé" in refused.text and '<html lang="fr">' in refused.text
