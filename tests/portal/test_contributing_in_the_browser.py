"""Contributing through the portal in Debian's chromium (docs/portal.md, "Contributing through the
portal"): a member drafts an evidence assessment with a mistake, sees the error by its field with
everything typed kept and nothing stored, fixes it, saves, continues the draft and submits it; registers
an initiative the same way and edits it. Forms without this session's token are refused with nothing
changed, and another organisation's member gets the 404 of a missing draft."""

import base64
import re
from collections.abc import Iterator

import pytest
from sqlmodel import Session, func, select

from api.initiatives.models import Initiative
from api.portal_sessions.models import PortalSession
from api.reviews.models import Revision
from tests.browser import needs_browser
from tests.portal.conftest import DRAFT_TITLE, HIDDEN_TITLE, MEMBER_EMAIL, OUTSIDER_EMAIL, Portal
from tests.portal.accessibility import assert_accessible
from tests.portal.test_pages_in_the_browser import Watched
from tests.portal.test_sign_in_in_the_browser import answer_sign_in_pages, browser, database, sign_in  # noqa: F401

pytestmark = needs_browser
STUDY_TITLE = "Classifier pilot in twelve schools"
INITIATIVE_TITLE = "Grooming classifier for school chat"
UNPROCESSABLE = "console error: Failed to load resource: the server responded with a status of 422 (Unprocessable Entity)"


@pytest.fixture(autouse=True)
def signed_out_after(database: Session) -> Iterator[None]:  # noqa: F811
    """The sign-in tests count the sessions: these leave none behind."""
    yield
    database.expire_all()
    for row in database.exec(select(PortalSession)).all():
        database.delete(row)
    database.commit()


def count(database: Session, model: type) -> int:  # noqa: F811
    database.expire_all()
    return database.exec(select(func.count()).select_from(model)).one()


def revision_gid(row_id: int) -> str:
    return base64.b64encode(f"Revision:{row_id}".encode()).decode()


def well_formed(html: str) -> None:
    """Every visible field labelled by its own label, and no inline style (the page headers test's rules,
    for pages only a signed-in person sees), in the page as the server sent it."""
    assert "<style" not in html and " style=" not in html
    labelled = set(re.findall(r'<label for="([^"]+)"', html))
    for field in re.findall(r"<(?:input|select|textarea)\b[^>]*>", html):
        if 'type="hidden"' not in field:
            field_id = re.search(r'\bid="([^"]+)"', field)
            assert field_id and field_id.group(1) in labelled, field


def section(page, heading: str):  # noqa: ANN001, ANN201
    return page.locator("section", has=page.get_by_role("heading", name=heading))


def test_a_contributor_drafts_an_assessment_fixes_a_mistake_and_submits_it(portal: Portal, browser, database) -> None:  # noqa: ANN001, F811
    lead, _, _ = portal.organisations
    watched = Watched(browser)
    page = watched.page
    sign_in(page, portal, MEMBER_EMAIL, lead)
    page.goto(f"{portal.url}/dashboard")
    page.get_by_role("link", name="Draft an evidence assessment").click()
    page.wait_for_url(f"{portal.url}/contribute/assessments/new")
    assert_accessible(page)

    # A new study and one finding, typed in the second fieldset, without its effect direction.
    page.get_by_label("Initiative assessed").select_option(portal.hidden_initiative_id)
    page.get_by_label("Study title").fill(STUDY_TITLE)
    page.get_by_label("Study design").select_option("RCT")
    page.get_by_label("Sample size").fill("480")
    page.get_by_label("Independence").select_option("SELF")
    page.get_by_label("Who may read it once published").select_option("ORGANISATION")
    page.get_by_label("Limitations").fill("Twelve schools of one region.")
    page.locator("#field-findings-1-outcome").select_option("PREVALENCE")
    page.locator("#field-findings-1-effectSize").fill("0.3")
    revisions = count(database, Revision)
    with page.expect_response(f"{portal.url}/contribute/assessments/new") as answer:
        page.get_by_role("button", name="Save the draft").click()
    assert answer.value.status == 422
    page.screenshot(path=portal.artifacts / "assessment-with-an-error.png", full_page=True)
    well_formed(answer.value.text())
    assert_accessible(page)  # the error summary and the invalid fields

    # The error is by the field, which says so; the summary has the focus and links to it.
    field = page.locator("#field-findings-1-effectDirection")
    assert field.get_attribute("aria-invalid") == "true"
    assert "field-findings-1-effectDirection-error" in field.get_attribute("aria-describedby").split()
    message = page.locator("#field-findings-1-effectDirection-error").inner_text()
    assert message.strip() and page.locator("#field-findings-0-effectDirection").get_attribute("aria-invalid") is None
    assert page.evaluate("document.activeElement.id") == "error-summary"
    assert page.locator("#error-summary a[href='#field-findings-1-effectDirection']").inner_text() == message.strip()
    # Everything typed is kept, and nothing was stored.
    assert page.get_by_label("Study title").input_value() == STUDY_TITLE
    assert page.get_by_label("Sample size").input_value() == "480"
    assert page.get_by_label("Limitations").input_value() == "Twelve schools of one region."
    assert page.get_by_label("Initiative assessed").input_value() == portal.hidden_initiative_id
    assert page.locator("#field-findings-1-outcome").input_value() == "PREVALENCE"
    assert page.locator("#field-findings-1-effectSize").input_value() == "0.3"
    assert count(database, Revision) == revisions

    # Fixed and saved: a draft, on its own page.
    field.select_option("POSITIVE")
    page.get_by_role("button", name="Save the draft").click()
    page.wait_for_url(f"{portal.url}/contribute/drafts/**?done=saved")
    assert page.get_by_role("status").inner_text().startswith("The draft was saved.")
    assert count(database, Revision) == revisions + 1
    draft_url = page.url.split("?")[0]
    assert page.locator(".draft-state").inner_text() == "Draft" and STUDY_TITLE in page.locator("main").inner_text()
    assert_accessible(page)  # the draft's page, with its status message

    # Continued: the form holds the draft; saving changes the same draft.
    page.get_by_role("link", name="Continue editing").click()
    assert page.get_by_label("Study title").input_value() == STUDY_TITLE
    assert page.locator("#field-findings-0-effectDirection").input_value() == "POSITIVE"
    page.get_by_label("Limitations").fill("Twelve schools of one region; no control for term.")
    page.get_by_role("button", name="Save the draft").click()
    page.wait_for_url(draft_url + "?done=saved")
    assert count(database, Revision) == revisions + 1
    (row,) = database.exec(select(Revision).order_by(Revision.id.desc()).limit(1)).all()
    assert row.content["data"]["limitations"] == "Twelve schools of one region; no control for term."

    # The dashboard lists it among the drafts, with its actions; submitted from there, it is locked.
    page.goto(f"{portal.url}/dashboard")
    drafts = section(page, "Drafts")
    item = drafts.locator("li", has=page.locator(f"a[href='{draft_url.removeprefix(portal.url)}/edit']"))
    assert item.get_by_role("link", name="Continue editing").is_visible()
    assert STUDY_TITLE in item.inner_text()  # named by the study it describes (the draft's input is under `data`)
    page.screenshot(path=portal.artifacts / "dashboard-with-a-draft.png", full_page=True)
    assert_accessible(page)
    item.get_by_role("button", name="Submit for review").click()
    page.wait_for_url(draft_url + "?done=submitted")
    assert page.locator(".draft-state").inner_text() == "Submitted"
    assert page.get_by_role("link", name="Continue editing").count() == 0
    page.goto(f"{portal.url}/dashboard")
    assert section(page, "Submitted for review").locator(f"a[href='{draft_url.removeprefix(portal.url)}']").is_visible()
    assert section(page, "Drafts").locator(f"a[href='{draft_url.removeprefix(portal.url)}']").count() == 0
    # A submitted draft's form is no longer there to open.
    assert page.goto(draft_url + "/edit").status == 404
    assert watched.problems == [UNPROCESSABLE, "console error: Failed to load resource: the server responded with a status of 404 (Not Found)"]
    assert watched.violations() == []


def test_a_contributor_registers_an_initiative_after_a_mistake_and_edits_it(portal: Portal, browser, database) -> None:  # noqa: ANN001, F811
    lead, _, _ = portal.organisations
    watched = Watched(browser)
    page = watched.page
    sign_in(page, portal, MEMBER_EMAIL, lead)
    page.goto(f"{portal.url}/dashboard")
    page.get_by_role("link", name="Register an initiative").click()
    page.wait_for_url(f"{portal.url}/contribute/initiatives/new")
    assert_accessible(page)
    initiatives = count(database, Initiative)

    # No title: refused by the title, the rest kept.
    page.get_by_label("Status").select_option("PIPELINE")
    page.get_by_label("Summary").fill("Flags grooming in school chat for a trained adult.")
    page.get_by_label("Who may read it").select_option("ORGANISATION")
    page.get_by_label("Harms addressed").select_option(index=0)
    page.get_by_label("Countries").fill("gb, ie")
    with page.expect_response(f"{portal.url}/contribute/initiatives/new") as answer:
        page.get_by_role("button", name="Register the initiative").click()
    assert answer.value.status == 422
    page.screenshot(path=portal.artifacts / "initiative-with-an-error.png", full_page=True)
    well_formed(answer.value.text())
    assert_accessible(page)
    title = page.locator("#field-title")
    assert title.get_attribute("aria-invalid") == "true" and title.get_attribute("aria-describedby") == "field-title-error"
    assert page.locator("#field-title-error").inner_text().strip()
    assert page.evaluate("document.activeElement.id") == "error-summary"
    assert page.get_by_label("Summary").input_value() == "Flags grooming in school chat for a trained adult."
    assert page.get_by_label("Countries").input_value() == "gb, ie"
    assert page.get_by_label("Status").input_value() == "PIPELINE"
    assert len(page.get_by_label("Harms addressed").evaluate("s => [...s.selectedOptions]")) == 1
    assert count(database, Initiative) == initiatives

    page.get_by_label("Title").fill(INITIATIVE_TITLE)
    page.get_by_role("button", name="Register the initiative").click()
    page.wait_for_url(f"{portal.url}/contribute/initiatives/**/edit?done=created")
    assert page.get_by_role("status").inner_text().startswith("The initiative was registered.")
    assert count(database, Initiative) == initiatives + 1
    assert page.get_by_label("Title").input_value() == INITIATIVE_TITLE
    assert page.get_by_label("Countries").input_value() == "GB, IE"
    assert_accessible(page)  # the edit form, with its status message

    # Edited: a new title, shown on its page and in the dashboard's list of the organisation's own.
    page.get_by_label("Title").fill(INITIATIVE_TITLE + " (pilot)")
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_url("**/edit?done=saved")
    page.get_by_role("link", name="See its page").click()
    assert page.get_by_role("heading", name=INITIATIVE_TITLE + " (pilot)").is_visible()
    page.goto(f"{portal.url}/dashboard")
    assert section(page, "Initiatives only your organisation reads").get_by_role("link", name=INITIATIVE_TITLE + " (pilot)").is_visible()
    assert count(database, Initiative) == initiatives + 1
    assert watched.problems == [UNPROCESSABLE]
    assert watched.violations() == []


def test_a_form_without_the_session_s_token_is_refused_and_changes_nothing(portal: Portal, browser, database) -> None:  # noqa: ANN001, F811
    lead, _, _ = portal.organisations
    page = browser.new_page()
    sign_in(page, portal, MEMBER_EMAIL, lead)
    initiatives = count(database, Initiative)
    for tamper in ("input.value = input.value.slice(0, -1) + (input.value.endsWith('a') ? 'b' : 'a')", "input.remove()"):
        page.goto(f"{portal.url}/contribute/initiatives/new")
        page.get_by_label("Title").fill("Never registered")
        page.get_by_label("Status").select_option("PIPELINE")
        page.evaluate(f"() => {{ const input = document.querySelector('form.contribute-form input[name=csrf_token]'); {tamper}; }}")
        with page.expect_response(f"{portal.url}/contribute/initiatives/new") as answer:
            page.get_by_role("button", name="Register the initiative").click()
        assert answer.value.status == 403 and page.get_by_role("heading", name="Form refused").is_visible()
        assert count(database, Initiative) == initiatives

    # Nor may a draft be submitted without it.
    draft = database.exec(select(Revision).where(Revision.state == "DRAFT").order_by(Revision.id)).first()
    page.goto(f"{portal.url}/contribute/drafts/{revision_gid(draft.id)}")
    page.evaluate("() => document.querySelector('.draft-actions input[name=csrf_token]').remove()")
    with page.expect_response(lambda response: response.url.endswith("/submit")) as answer:
        page.get_by_role("button", name="Submit for review").click()
    assert answer.value.status == 403 and page.get_by_role("heading", name="Form refused").is_visible()
    database.refresh(draft)
    assert draft.state == "DRAFT"


def test_another_organisation_s_member_gets_the_404_of_a_missing_draft(portal: Portal, browser, database) -> None:  # noqa: ANN001, F811
    lead, _, third = portal.organisations
    (draft,) = [r for r in database.exec(select(Revision)).all() if r.content.get("title") == DRAFT_TITLE]
    address = f"{portal.url}/contribute/drafts/{revision_gid(draft.id)}"
    page = browser.new_page()
    sign_in(page, portal, MEMBER_EMAIL, lead)
    assert page.goto(address).status == 200 and page.get_by_role("button", name="Submit for review").is_visible()
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, portal, OUTSIDER_EMAIL, third)
    answers = {}
    for name, url in [("draft", address), ("form", address + "/edit"), ("missing", f"{portal.url}/contribute/drafts/{revision_gid(999999)}")]:
        answers[name] = (page.goto(url).status, page.locator("main").inner_html())
    assert answers["draft"] == answers["missing"] and answers["draft"][0] == 404
    assert answers["form"] == answers["missing"]
    assert DRAFT_TITLE not in page.content()
    # Nor another organisation's initiative's form.
    assert page.goto(f"{portal.url}/contribute/initiatives/{portal.hidden_initiative_id}/edit").status == 404
    assert HIDDEN_TITLE not in page.content()


def test_a_signed_out_visitor_signs_in_and_comes_back_to_the_form(portal: Portal, browser) -> None:  # noqa: ANN001, F811
    lead, _, _ = portal.organisations
    page = browser.new_page()
    page.goto(f"{portal.url}/contribute/assessments/new")
    answer_sign_in_pages(page, MEMBER_EMAIL, lead)
    page.wait_for_url(f"{portal.url}/contribute/assessments/new")
    assert page.get_by_role("heading", name="New evidence assessment").is_visible()


# Every control a keyboard reaches in a form, in the order the page lays them out (checkboxes each;
# a group of radio buttons once, by its checked or first button).
TABBABLE = """form => [...form.querySelectorAll('input:not([type=hidden]), select, textarea, button')]
  .filter(e => !e.disabled && e.getClientRects().length > 0)
  .filter(e => e.type !== 'radio' || e === (form.querySelector(`input[type=radio][name="${e.name}"]:checked`) || form.querySelector(`input[type=radio][name="${e.name}"]`)))
  .map(e => e.id || e.name || e.textContent.trim())"""
FOCUSED = "() => { const e = document.activeElement; return e.id || e.name || e.textContent.trim(); }"


def tabbed_through(page, form) -> list[str]:  # noqa: ANN001
    """Focus the page's main landmark, then press Tab until the form's last control has the focus,
    recording each control of the form reached on the way."""
    expected = form.evaluate(TABBABLE)
    page.locator("main").focus()
    reached: list[str] = []
    for _ in range(len(expected) + 40):  # bounded: the header's and the page's other links come first
        page.keyboard.press("Tab")
        if form.evaluate("(form) => form.contains(document.activeElement)"):
            focused = page.evaluate(FOCUSED)
            if not reached or reached[-1] != focused:  # a date field takes a Tab for each of its parts
                reached.append(focused)
            if focused == expected[-1]:
                break
    return reached


def test_a_keyboard_alone_fills_the_form_and_follows_the_error_summary_to_the_field(portal: Portal, browser) -> None:  # noqa: ANN001, F811
    """Tab reaches every field in order; after a refused submission the summary has the focus, and its
    link, followed from the keyboard, puts the focus in the field it names."""
    lead, _, _ = portal.organisations
    page = browser.new_page()
    sign_in(page, portal, MEMBER_EMAIL, lead)
    for path in ("/contribute/initiatives/new", "/contribute/assessments/new"):
        page.goto(portal.url + path)
        form = page.locator("form.contribute-form")
        expected = form.evaluate(TABBABLE)
        assert len(expected) > 5
        assert tabbed_through(page, form) == expected, path

    page.goto(f"{portal.url}/contribute/initiatives/new")
    page.get_by_label("Status").select_option("PIPELINE")
    page.get_by_role("button", name="Register the initiative").press("Enter")
    page.wait_for_selector("#error-summary")
    assert page.evaluate("document.activeElement.id") == "error-summary"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('href')") == "#field-title"
    page.keyboard.press("Enter")
    page.wait_for_function("document.activeElement.id === 'field-title'")
    page.keyboard.type(INITIATIVE_TITLE)
    assert page.get_by_label("Title").input_value() == INITIATIVE_TITLE
