"""Every portal page meets WCAG 2.2 AA as axe-core checks it (tests/portal/accessibility.py), in
Debian's chromium on the served registry (tests/portal/conftest.py), in each state a visitor can
bring it to: the search with results, after htmx swapped new ones in, with a facet ticked, with no
result, and the pages that answer 400 and 404. The journeys a keyboard alone can make:
test_keyboard_journeys_in_the_browser.py."""

import re
from collections.abc import Iterator
from urllib.parse import quote

import pytest

from tests.browser import chromium, needs_browser
from tests.portal.accessibility import assert_accessible
from tests.portal.conftest import Portal, initiative_id, practice_id, study_id
from tests.portal.test_pages_in_the_browser import INHOPE_TITLE, Watched
from tests.portal.test_reference_pages_in_the_browser import PRACTICE_TITLE

pytestmark = [needs_browser, pytest.mark.http]

STUDY_TITLE = "Cross-border forwarding of reports through INHOPE within seconds"


@pytest.fixture
def browser() -> Iterator:
    with chromium() as context:
        yield context


def checked(portal: Portal, browser, path: str, status: int = 200, *, reflow: bool = True):  # noqa: ANN001, ANN201
    """The page at `path`, loaded, answered with `status`, and found accessible, with no policy
    violation or console error on the way (so axe ran under the page's own policy)."""
    watched = Watched(browser)
    response = watched.page.goto(portal.url + path)
    assert response.status == status, path
    assert_accessible(watched.page, reflow=reflow)
    # The browser logs an error status of the page itself; anything else is a problem.
    expected = [] if status == 200 else [f"console error: Failed to load resource: the server responded with a status of {status} ({response.status_text})"]
    assert watched.problems == expected and watched.violations() == [], path
    return watched.page


def test_axe_really_runs_and_reports_what_it_finds(portal: Portal, browser) -> None:  # noqa: ANN001
    """The check can fail: an image without a text alternative, added to a real page, is reported."""
    page = checked(portal, browser, "/")
    page.evaluate("document.querySelector('main').append(Object.assign(document.createElement('img'), {src: '/assets/favicon.svg'}))")
    with pytest.raises(AssertionError, match=r"image-alt \(critical\).*\n    at img: "):
        assert_accessible(page)
    assert_accessible(page, exclude=["main > img"])  # and only the part asked for is checked
    ran = {rule["id"] for rule in assert_accessible(page, exclude=["main > img"])["passes"]}
    assert {"color-contrast", "document-title", "html-has-lang", "label", "link-name", "target-size"} <= ran, ran


def test_the_reflow_check_finds_what_is_too_wide(portal: Portal, browser) -> None:  # noqa: ANN001
    page = checked(portal, browser, "/")
    page.evaluate("document.querySelector('main').append(Object.assign(document.createElement('pre'), {id: 'wide', textContent: 'x'.repeat(200)}))")
    with pytest.raises(AssertionError, match=r"wider than 320 CSS px \(WCAG 1.4.10\):\n(.*\n)*    pre#wide: x"):
        assert_accessible(page)


@pytest.mark.parametrize("path", [
    "/", "/search", "/search?q=hotlne&sort=title", "/search?q=zzzzqqqq", "/search/evidence?q=hotlne",
    "/search/practices", "/search/practices?q=zzzzqqqq", "/ratings/rules", "/glossary",
])
def test_a_page_is_accessible(portal: Portal, browser, path: str) -> None:  # noqa: ANN001
    checked(portal, browser, path)


def test_the_profiles_are_accessible(portal: Portal, browser) -> None:  # noqa: ANN001
    checked(portal, browser, f"/initiatives/{quote(initiative_id(portal, INHOPE_TITLE), safe='')}")
    checked(portal, browser, f"/practices/{quote(practice_id(portal, PRACTICE_TITLE), safe='')}")
    network = checked(portal, browser, "/organisations/inhope")  # a network, with its members
    member = network.locator("section[aria-labelledby=members-heading] a").first
    member.click()
    network.wait_for_url(re.compile(r"/organisations/(?!inhope$)"))
    assert_accessible(network)  # a member, with the networks it belongs to


def test_the_map_and_a_study_are_accessible(portal: Portal, browser) -> None:  # noqa: ANN001
    # The map's drawing keeps its geometry at 320 px and scrolls inside its figure (docs/portal.md,
    # "The map page"), so only the reflow check is off, for it alone.
    checked(portal, browser, "/map?rows=harm&columns=study-design&colour=rating", reflow=False)
    opened = checked(portal, browser, "/map?rows=harm&columns=study-design", reflow=False)
    opened.locator("svg a").first.click()
    opened.wait_for_url(re.compile(r"[?&]row="))
    assert_accessible(opened, reflow=False)
    checked(portal, browser, f"/studies/{quote(study_id(portal, STUDY_TITLE), safe='')}")


def test_the_error_pages_are_accessible(portal: Portal, browser) -> None:  # noqa: ANN001
    checked(portal, browser, "/search?harm=NO-SUCH-HARM", 400)
    checked(portal, browser, "/initiatives/SW5pdGlhdGl2ZTo5OTk5", 404)
    checked(portal, browser, "/organisations/no-such-organisation", 404)
    checked(portal, browser, "/no-such-page", 404)  # an address nothing serves: the same page


def test_the_search_stays_accessible_as_htmx_updates_it(portal: Portal, browser) -> None:  # noqa: ANN001
    watched = Watched(browser)
    page = watched.page
    page.goto(f"{portal.url}/search")
    page.fill("#q", "hotlne")
    page.wait_for_url(re.compile(r"q=hotlne"))
    page.get_by_role("link", name=INHOPE_TITLE).wait_for()
    assert_accessible(page)
    page.check("input[name=country][value=FR]")
    page.wait_for_url(re.compile(r"country=FR"))
    page.locator("input[name=country][value=FR]:checked").wait_for()
    assert_accessible(page)
    page.fill("#q", "zzzzqqqq")
    page.wait_for_url(re.compile(r"q=zzzzqqqq"))
    page.get_by_text("No initiative matches").wait_for()
    assert_accessible(page)
    assert watched.problems == [] and watched.violations() == []
