"""A visitor with a keyboard alone (Tab, Shift+Tab, Enter, Space, typing; no mouse, no `fill` or
`check`), in Debian's chromium on the served registry (tests/portal/conftest.py): the skip link to
the main content; a search as you type, the focus staying in the words while htmx swaps the
results and the live count changes; a facet ticked with Space, the focus staying on it after the
swap; a page of results turned with Enter; a result followed with Enter to its profile. Every
element the keyboard reaches, on every page, shows where the focus is (WCAG 2.4.7)."""

import re
from collections.abc import Iterator
from urllib.parse import quote

import pytest

from tests.browser import chromium, needs_browser
from tests.portal.conftest import Portal, initiative_id, practice_id
from tests.portal.test_pages_in_the_browser import INHOPE_TITLE, Watched, found
from tests.portal.test_reference_pages_in_the_browser import PRACTICE_TITLE

pytestmark = [needs_browser, pytest.mark.http]

# Enough presses to cross the search page's header, form and facets; a journey that needs more is lost.
MOST_TABS = 80

# The focused element, and whether the page draws an indicator around it: an outline or a shadow.
FOCUSED = """() => {
  const element = document.activeElement, style = getComputedStyle(element);
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
  return {
    tag: element.tagName.toLowerCase(), id: element.id, name: element.getAttribute('name'), value: element.value ?? null,
    text: element.textContent.trim(), href: element.getAttribute('href'), checked: element.checked ?? null,
    indicated: outline || style.boxShadow !== 'none',
  };
}"""


@pytest.fixture
def browser() -> Iterator:
    with chromium() as context:
        yield context


def focused(page) -> dict:  # noqa: ANN001
    return page.evaluate(FOCUSED)


def press(page, key: str) -> dict:  # noqa: ANN001
    """Press `key`; the element it focused, which must show that it has the focus."""
    page.keyboard.press(key)
    now = focused(page)
    assert now["tag"] == "body" or now["indicated"], f"no visible focus on {now} after {key}"
    return now


def tab_to(page, wanted, key: str = "Tab") -> dict:  # noqa: ANN001
    """Press Tab (or `key`) until the focused element is the one `wanted` accepts."""
    for _ in range(MOST_TABS):
        now = press(page, key)
        if wanted(now):
            return now
    raise AssertionError(f"{MOST_TABS} presses of {key} never reached it; focus is on {focused(page)}")


def test_search_tick_a_facet_and_open_a_result_with_the_keyboard_alone(portal: Portal, browser) -> None:  # noqa: ANN001
    watched = Watched(browser)
    page = watched.page
    page.goto(f"{portal.url}/search")
    everything = found(page)

    # The first Tab reaches the skip link, which takes the focus to the main content.
    skip = press(page, "Tab")
    assert (skip["tag"], skip["href"], skip["text"]) == ("a", "#content", "Skip to main content")
    page.keyboard.press("Enter")
    assert focused(page)["id"] == "content"

    # Past the tabs to the other searches, into the words, typed: htmx searches as they change; the
    # focus stays where the typing is.
    assert [press(page, "Tab")["text"] for _ in range(3)] == ["Initiatives", "Evidence", "Best practices"]
    assert press(page, "Tab")["id"] == "q"
    page.keyboard.type("hotlne")
    page.wait_for_url(re.compile(r"q=hotlne"))
    page.wait_for_function(f"() => !document.querySelector('[role=status]').textContent.startsWith('{everything} ')")
    assert 0 < found(page) < everything
    assert focused(page)["id"] == "q"
    assert press(page, "Tab")["id"] == "sort"  # and back again
    assert press(page, "Shift+Tab")["id"] == "q"

    # A facet, ticked with Space: the results are swapped, the focus stays on that box, ticked.
    matching = found(page)
    france = tab_to(page, lambda now: now["name"] == "country" and now["value"] == "FR")
    assert france["checked"] is False
    page.keyboard.press("Space")
    page.wait_for_url(re.compile(r"country=FR"))
    page.wait_for_function(f"() => !document.querySelector('[role=status]').textContent.startsWith('{matching} ')")
    page.locator("input[name=country][value=FR]:checked").wait_for()
    now = focused(page)
    assert (now["name"], now["value"], now["checked"], now["indicated"]) == ("country", "FR", True, True)
    assert found(page) < matching
    page.keyboard.press("Space")  # and untick it: the same
    page.wait_for_url(re.compile(r"q=hotlne(?!.*country)"))
    page.locator("input[name=country][value=FR]:not(:checked)").wait_for()
    now = focused(page)
    assert (now["name"], now["value"], now["checked"], now["indicated"]) == ("country", "FR", False, True)
    page.keyboard.press("Space")
    page.locator("input[name=country][value=FR]:checked").wait_for()
    assert focused(page)["value"] == "FR"

    # On to the first result, followed with Enter.
    result = tab_to(page, lambda now: now["tag"] == "a" and (now["href"] or "").startswith("/initiatives/"))
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/initiatives/"))
    assert page.get_by_role("heading", level=1).inner_text() == result["text"]
    assert press(page, "Tab")["text"] == "Skip to main content"
    assert watched.problems == [] and watched.violations() == []


def test_a_page_turned_with_the_keyboard_focuses_the_new_results(portal: Portal, browser) -> None:  # noqa: ANN001
    """The link that was pressed is gone (or is another) once htmx swaps the next page in: the
    focus goes to the results' heading, the next Tab to the results' CSV link under it, and the
    one after to the first result of that page."""
    page = browser.new_page()
    page.goto(f"{portal.url}/search?sort=title")
    tab_to(page, lambda now: now["text"] == "Next page")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"page=2"))
    page.get_by_role("link", name="Previous page").wait_for()
    page.wait_for_function("() => document.activeElement.id === 'hits-heading'")
    assert focused(page)["indicated"]
    assert press(page, "Tab")["text"] == page.locator(".export a").inner_text()
    first = press(page, "Tab")
    assert first["text"] == page.locator(".hit h3 a").first.inner_text()
    tab_to(page, lambda now: now["text"] == "Previous page")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"page=1|sort=title$"))
    page.get_by_role("link", name="Next page").wait_for()
    page.wait_for_function("() => document.activeElement.id === 'hits-heading'")


@pytest.mark.parametrize("path", ["/", "/search?q=hotlne", "/initiatives/", "/organisations/inhope", "/practices/", "/ratings/rules", "/glossary"])
def test_every_link_and_control_of_a_page_shows_its_focus(portal: Portal, browser, path: str) -> None:  # noqa: ANN001
    """Round the whole page with Tab, back to where it started: every stop shows the focus."""
    if path == "/initiatives/":
        path += quote(initiative_id(portal, INHOPE_TITLE), safe="")
    elif path == "/practices/":
        path += quote(practice_id(portal, PRACTICE_TITLE), safe="")
    page = browser.new_page()
    page.goto(portal.url + path)
    first = press(page, "Tab")
    stops = 1
    while True:
        now = press(page, "Tab")
        if now["tag"] == "body" or now == first:
            break
        stops += 1
        assert stops < 2000, "Tab never came round"
    assert stops > 5  # the header's links, the page's own, the footer's
