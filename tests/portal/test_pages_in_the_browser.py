"""The portal's pages in Debian's chromium (headless, Playwright), on the served registry
(tests/portal/conftest.py): a researcher's misspelt search with a facet, as a permalink, with
JavaScript and without; an initiative's profile; no policy violation or console error anywhere; a
missing and a non-public initiative alike; nothing kept in the browser's storage by htmx. Each page
is saved as a screenshot in $COPLAB_TEST_ARTIFACTS (pytest's temporary directory by default).
The headers, without a browser: test_page_headers.py."""

import re
from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pytest

from tests.browser import chromium, needs_browser
from api.portal.rendering import HITS_PER_PAGE
from tests.portal.conftest import HIDDEN_TITLE, Portal, initiative_id
from tests.server import HTTP_TIMEOUT

pytestmark = [needs_browser, pytest.mark.http]

INHOPE_TITLE = "INHOPE hotline network notice and take-down"
# Collects what the page's policy refused (the browser also says it on the console).
WATCH_POLICY = """window.__violations = [];
document.addEventListener('securitypolicyviolation', e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));"""


class Watched:
    """A page whose console errors, uncaught errors and policy violations are kept."""

    def __init__(self, context) -> None:  # noqa: ANN001
        self.page = context.new_page()
        self.problems: list[str] = []
        self.page.add_init_script(WATCH_POLICY)
        self.page.on("console", lambda message: self.problems.append(f"console {message.type}: {message.text}") if message.type in ("error", "warning") else None)
        self.page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))

    def violations(self) -> list[str]:
        return self.page.evaluate("window.__violations")


@pytest.fixture
def browser() -> Iterator:
    with chromium() as context:
        yield context


@pytest.fixture
def no_script_browser() -> Iterator:
    with chromium(java_script_enabled=False) as context:
        yield context


def found(page) -> int:  # noqa: ANN001
    """The number the results' status line gives."""
    text = page.locator("[role=status]").inner_text()
    return int(re.match(r"(\d+) initiatives? found", text).group(1))


def facet_count(page, param: str, code: str) -> int:  # noqa: ANN001
    box = page.locator(f"input[name={param}][value={code}]")
    label = page.locator(f"label[for='{box.get_attribute('id')}'] .count").inner_text()
    return int(label.strip("()"))


def test_a_misspelt_search_and_a_facet_update_in_place_as_a_permalink(portal: Portal, browser) -> None:  # noqa: ANN001
    watched = Watched(browser)
    page = watched.page
    page.goto(f"{portal.url}/search")
    everything = found(page)
    page.fill("#q", "hotlne")  # typed, not submitted: htmx searches as the words change
    page.wait_for_url(re.compile(r"q=hotlne"))
    page.get_by_role("link", name=INHOPE_TITLE).wait_for()
    matching = found(page)
    assert 0 < matching < everything
    assert page.locator("mark", has_text="hotlin").count() > 0

    france = facet_count(page, "country", "FR")
    assert france < matching
    page.check("input[name=country][value=FR]")
    page.wait_for_url(re.compile(r"country=FR"))
    page.wait_for_function(f"() => document.querySelector('[role=status]').textContent.startsWith('{france} ')")
    assert found(page) == france
    assert page.evaluate("document.querySelectorAll('html').length") == 1  # swapped in place, not nested
    page.screenshot(path=portal.artifacts / "search-with-javascript.png", full_page=True)

    permalink = page.url
    page.reload()
    assert page.url == permalink and found(page) == france
    assert page.locator("#q").input_value() == "hotlne" and page.is_checked("input[name=country][value=FR]")
    assert watched.problems == [] and watched.violations() == []


def test_the_same_search_works_without_javascript(portal: Portal, no_script_browser) -> None:  # noqa: ANN001
    page = no_script_browser.new_page()
    page.goto(f"{portal.url}/search")
    everything = found(page)
    page.fill("#q", "hotlne")
    page.get_by_role("button", name="Search", exact=True).click()
    page.wait_for_url(re.compile(r"q=hotlne"))
    matching = found(page)
    assert 0 < matching < everything
    assert page.get_by_role("link", name=INHOPE_TITLE).count() == 1

    france = facet_count(page, "country", "FR")
    page.check("input[name=country][value=FR]")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url(re.compile(r"country=FR"))
    assert found(page) == france < matching
    page.screenshot(path=portal.artifacts / "search-without-javascript.png", full_page=True)

    permalink = page.url
    page.goto(permalink)
    assert found(page) == france and page.is_checked("input[name=country][value=FR]")


@pytest.mark.parametrize("javascript", [True, False], ids=["with-javascript", "without-javascript"])
def test_the_profile_shows_its_classifications_labels_and_a_citation(portal: Portal, javascript: bool) -> None:
    inhope = initiative_id(portal, INHOPE_TITLE)
    query = "query($id: ID!) { initiative(id: $id) { title harms { label } interventionTypes { label } leadOrganisation { name } } }"
    expected = httpx.post(f"{portal.url}/graphql", json={"query": query, "variables": {"id": inhope}}, timeout=HTTP_TIMEOUT).json()["data"]["initiative"]
    labels = [term["label"] for term in expected["harms"] + expected["interventionTypes"]]
    assert labels
    with chromium(java_script_enabled=javascript) as context:
        page = context.new_page()
        page.goto(f"{portal.url}/search?q=hotlne")
        page.get_by_role("link", name=INHOPE_TITLE).click()
        page.wait_for_url(re.compile(r"/initiatives/"))
        assert page.get_by_role("heading", level=1).inner_text() == expected["title"]
        classifications = page.locator("section[aria-labelledby=classifications-heading]").inner_text()
        for label in labels:
            assert label in classifications
        citation = page.locator(".citation").inner_text()
        assert citation.startswith(f"{expected['leadOrganisation']['name']}. {expected['title']}.")
        assert citation.endswith(page.url)
        page.screenshot(path=portal.artifacts / f"profile-{'with' if javascript else 'without'}-javascript.png", full_page=True)
        # Printed: the record alone, without the site's navigation or footer.
        page.emulate_media(media="print")
        assert page.get_by_role("navigation", name="Main").is_hidden() and page.locator("footer").is_hidden()
        assert page.locator(".citation").is_visible()
        page.screenshot(path=portal.artifacts / f"profile-printed-{'with' if javascript else 'without'}-javascript.png", full_page=True)


@pytest.mark.parametrize("javascript", [True, False], ids=["with-javascript", "without-javascript"])
def test_the_next_page_of_results_has_its_own_address(portal: Portal, javascript: bool) -> None:
    with chromium(java_script_enabled=javascript) as context:
        page = context.new_page()
        page.goto(f"{portal.url}/search?sort=title")
        first_titles = page.locator(".hit h3").all_inner_texts()
        assert len(first_titles) == HITS_PER_PAGE < found(page)
        page.get_by_role("link", name="Next page").click()
        page.wait_for_url(re.compile(r"page=2"))
        page.get_by_role("link", name="Previous page").wait_for()
        second_titles = page.locator(".hit h3").all_inner_texts()
        assert second_titles and not set(second_titles) & set(first_titles)
        assert sorted(first_titles + second_titles, key=str.casefold) == first_titles + second_titles  # still by title
        page.reload()
        assert page.locator(".hit h3").all_inner_texts() == second_titles


def test_no_page_breaks_the_policy_or_logs_an_error(portal: Portal, browser) -> None:  # noqa: ANN001
    inhope = initiative_id(portal, INHOPE_TITLE)
    for name, path in (("home", "/"), ("search", "/search?q=hotlne&sort=title"), ("profile", f"/initiatives/{inhope}")):
        watched = Watched(browser)
        watched.page.goto(portal.url + path)
        watched.page.wait_for_load_state("load")
        assert watched.page.evaluate("typeof htmx") == "object"  # the vendored script ran under the policy
        watched.page.screenshot(path=portal.artifacts / f"{name}.png", full_page=True)
        assert watched.problems == [], name
        assert watched.violations() == [], name
        watched.page.close()


def test_a_missing_and_a_non_public_initiative_give_the_same_not_found_page(portal: Portal, browser) -> None:  # noqa: ANN001
    page = browser.new_page()
    answers = {}
    for name, initiative in (("missing", "SW5pdGlhdGl2ZTo5OTk5"), ("non-public", portal.hidden_initiative_id)):
        response = page.goto(f"{portal.url}/initiatives/{initiative}")
        # The language switch comes back to the address asked for: the one difference allowed.
        answers[name] = (response.status, page.content().replace(quote(f"/initiatives/{initiative}", safe=""), "(address)"))
        page.screenshot(path=portal.artifacts / f"not-found-{name}.png", full_page=True)
    assert answers["missing"][0] == answers["non-public"][0] == 404
    assert answers["missing"][1] == answers["non-public"][1]
    assert HIDDEN_TITLE not in answers["non-public"][1]
    assert page.get_by_role("heading", level=1).inner_text() == "Not found"


def test_htmx_keeps_no_page_in_the_browsers_storage(portal: Portal, browser) -> None:  # noqa: ANN001
    page = browser.new_page()
    page.goto(f"{portal.url}/search")
    # Where htmx's default configuration would keep the pages it leaves (sessionStorage in htmx 2.0.11;
    # earlier 2.x releases used localStorage): ours must clear it, and write no page anywhere.
    page.evaluate("sessionStorage.setItem('htmx-history-cache', '[]')")
    page.fill("#q", "hotlne")
    page.wait_for_url(re.compile(r"q=hotlne"))
    page.check("input[name=country][value=FR]")
    page.wait_for_url(re.compile(r"country=FR"))
    page.go_back()
    page.wait_for_url(re.compile(r"q=hotlne(?!.*country)"))
    page.get_by_role("link", name=INHOPE_TITLE).wait_for()
    # htmx keeps the current address, and nothing of any page.
    assert page.evaluate("Object.keys(sessionStorage)") == ["htmx-current-path-for-history"]
    assert page.evaluate("Object.keys(localStorage)") == []
