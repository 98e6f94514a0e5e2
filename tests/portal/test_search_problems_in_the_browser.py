"""A search the registry cannot run, in Debian's chromium: as a whole page (an address edited by
hand), and through htmx in place of the results, which would otherwise stay as they were under an
address that no longer gives them.

No input a visitor types makes the search form ask something the registry refuses (docs/portal.md,
"When a search cannot be run"); what can is a form holding a facet code the registry no longer knows
(a term retired while the page was open). The in-place test makes a ticked facet carry such a code
in the browser, the way that form would."""

import re

import pytest

from tests.browser import needs_browser
from tests.portal.conftest import Portal
from tests.portal.test_pages_in_the_browser import Watched, browser, found  # noqa: F401  (browser: a fixture)

pytestmark = [needs_browser, pytest.mark.http]

EXPLANATION = "Not a search we can run"


def test_an_address_edited_by_hand_gives_the_explanation_as_a_page(portal: Portal, browser) -> None:  # noqa: ANN001, F811
    watched = Watched(browser)
    response = watched.page.goto(f"{portal.url}/search?q=hotline&harm=NO-SUCH-HARM")
    assert response.status == 400
    # The search page itself, its form kept, with what is wrong in place of the results.
    assert watched.page.locator("#q").input_value() == "hotline"
    assert watched.page.locator("#results h2").inner_text() == EXPLANATION
    assert "NO-SUCH-HARM" in watched.page.locator("#results").inner_text()
    assert watched.violations() == []
    watched.page.screenshot(path=portal.artifacts / "search-400-page.png", full_page=True)


def test_a_search_the_registry_refuses_replaces_the_results_in_place(portal: Portal, browser) -> None:  # noqa: ANN001, F811
    watched = Watched(browser)
    page = watched.page
    page.goto(f"{portal.url}/search?q=hotline")
    assert found(page) > 0
    box = page.locator("input[name=harm]").first
    # What a term retired since the page was made amounts to: a ticked box the registry no longer knows.
    box.evaluate("box => { box.value = 'NO-SUCH-HARM'; }")
    box.check()

    page.wait_for_url(re.compile(r"harm=NO-SUCH-HARM"))  # the address says what was asked
    page.locator("#results h2", has_text=EXPLANATION).wait_for()
    assert page.locator(".hit").count() == 0  # the old results are gone
    assert page.locator("[role=status]").inner_text() == "No results: this search could not be run."
    assert "NO-SUCH-HARM" in page.locator("#results").inner_text()  # the refused code, named
    assert page.locator("#q").input_value() == "hotline"  # what was typed stays, to search again
    assert watched.violations() == []
    page.screenshot(path=portal.artifacts / "search-400-in-place.png", full_page=True)

    page.fill("#q", "hotlne")  # the refused box went with the results: the next search runs
    page.wait_for_url(re.compile(r"q=hotlne"))
    page.locator(".hit").first.wait_for()
    assert "NO-SUCH-HARM" not in page.url
    assert found(page) > 0
