"""The researcher's journey of issue 18 in Debian's chromium, on the served registry of both
databases (tests/portal/conftest.py): a misspelt search, a facet, an initiative with a computed
rating, the rating's trace (what counted, each certainty step, as /graphql gives them), the rule
that gave it, then the evidence-and-gap map, a cell with studies and one of its studies. axe checks
every page on the way; no console error or policy violation anywhere; each page is saved as a
screenshot in the portal's artifacts."""

import re

import httpx
import pytest

from tests.browser import chromium, needs_browser
from tests.portal.accessibility import assert_accessible
from tests.portal.conftest import Portal
from tests.portal.test_pages_in_the_browser import Watched, facet_count, found
from tests.server import HTTP_TIMEOUT

pytestmark = [needs_browser, pytest.mark.http]

RATED_HITS = """query($q: String!) { searchInitiatives(query: $q, hitsPerPage: 100) { hits { initiative {
  id title countries { code } figures { statement } versions { number changeNote }
  outcomeRatings { outcome { label } ruleId rulesetVersion certainty { label }
    certaintyTrace { domain change explanation level { label } }
    contributions { counted explanation } } } } } }"""
MAP_CELLS = """query { evidenceMap(rows: HARM, columns: STUDY_DESIGN) { cells { row column studies } } }"""
CELL_STUDIES = """query($row: String!, $column: String!) { evidenceMap(rows: HARM, columns: STUDY_DESIGN) {
  cellStudies(row: $row, column: $column, first: 100) { edges { node { title } } } } }"""


def graphql(portal: Portal, query: str, variables: dict | None = None) -> dict:
    body = httpx.post(f"{portal.url}/graphql", json={"query": query, "variables": variables or {}}, timeout=HTTP_TIMEOUT).json()
    assert "errors" not in body, body
    return body["data"]


def visited(portal: Portal, watched: Watched, name: str) -> None:
    """What each page of the journey must pass: axe, and a screenshot kept."""
    assert_accessible(watched.page)
    watched.page.screenshot(path=portal.artifacts / f"journey-{name}.png", full_page=True)


def test_a_researcher_goes_from_a_misspelt_search_to_a_rating_trace_and_a_studys_page(portal: Portal) -> None:
    hits = graphql(portal, RATED_HITS, {"q": "hotlne"})["searchInitiatives"]["hits"]
    rated = [hit["initiative"] for hit in hits if hit["initiative"]["outcomeRatings"] and hit["initiative"]["countries"]]
    assert rated, "the seeded registry has a rated initiative that the misspelt search finds"
    chosen = rated[0]
    country = chosen["countries"][0]["code"]
    ratings = sorted(chosen["outcomeRatings"], key=lambda rating: rating["outcome"]["label"])

    with chromium() as context:
        watched = Watched(context)
        page = watched.page
        page.goto(f"{portal.url}/search")
        everything = found(page)
        page.fill("#q", "hotlne")
        page.wait_for_url(re.compile(r"q=hotlne"))
        page.get_by_role("link", name=chosen["title"]).wait_for()
        matching = found(page)
        assert 0 < matching <= everything
        in_country = facet_count(page, "country", country)
        page.check(f"input[name=country][value={country}]")
        page.wait_for_url(re.compile(rf"country={country}"))
        page.wait_for_function(f"() => document.querySelector('[role=status]').textContent.startsWith('{in_country} ')")
        assert 0 < found(page) == in_country <= matching
        visited(portal, watched, "search")

        page.get_by_role("link", name=chosen["title"]).click()
        page.wait_for_url(re.compile(r"/initiatives/"))
        assert page.get_by_role("heading", level=1).inner_text() == chosen["title"]
        # Its figures and versions, as many as /graphql gives (what changed: test_profile_rules.py).
        figures = page.locator("ul.figures > li")
        assert figures.count() == len(chosen["figures"])
        for shown, figure in zip(figures.all_inner_texts(), chosen["figures"], strict=True):
            assert figure["statement"] in shown
        assert chosen["versions"], "a published initiative has at least its first version"
        versions = page.locator("ol.versions > li")
        assert versions.count() == len(chosen["versions"])
        assert versions.last.inner_text().startswith(f"Version {min(v['number'] for v in chosen['versions'])}")
        traces = page.locator("details.trace")
        assert traces.count() == len(ratings)
        trace = traces.first
        assert not trace.locator(".certainty-trace").is_visible()  # closed until asked for
        trace.locator("summary").click()
        assert trace.locator(".certainty-trace").is_visible()
        visited(portal, watched, "profile-trace-open")

        # The trace says what /graphql says: each step's explanation and level, each finding weighed.
        expected = ratings[0]
        steps = trace.locator(".certainty-trace > li").all_inner_texts()
        assert len(steps) == len(expected["certaintyTrace"])
        for shown, step in zip(steps, expected["certaintyTrace"], strict=True):
            assert step["explanation"] in shown and step["level"]["label"] in shown
        contributions = trace.locator(".contributions > li").all_inner_texts()
        assert len(contributions) == len(expected["contributions"])
        for word, kept in (("Counted", True), ("Set aside", False)):
            shown = [text for text in contributions if text.startswith(word)]
            weighed = [c["explanation"] for c in expected["contributions"] if c["counted"] == kept]
            assert len(shown) == len(weighed)
            assert all(any(explanation in text for text in shown) for explanation in weighed)

        # The rule that gave the rating, on the rules page.
        rule = trace.get_by_role("link", name=f"Rule {expected['ruleId']}")
        rule.click()
        page.wait_for_url(re.compile(rf"/ratings/rules.*#rule-{re.escape(expected['ruleId'])}$"))
        assert page.locator(f"#rule-{expected['ruleId']}").count() == 1
        visited(portal, watched, "rating-rule")

        # The map, a cell with studies, and one of its studies.
        page.goto(f"{portal.url}/map")
        visited(portal, watched, "map")
        cells = [cell for cell in graphql(portal, MAP_CELLS)["evidenceMap"]["cells"] if cell["studies"]]
        assert cells
        cell = max(cells, key=lambda cell: cell["studies"])
        page.goto(f"{portal.url}/map?rows=harm&columns=study-design")
        page.locator(f'svg a[href*="row={cell["row"]}&column={cell["column"]}"]').click()
        page.wait_for_url(re.compile(rf"row={cell['row']}&column={cell['column']}"))
        studies = [edge["node"]["title"] for edge in graphql(portal, CELL_STUDIES, {"row": cell["row"], "column": cell["column"]})["evidenceMap"]["cellStudies"]["edges"]]
        assert studies and page.locator(".map-cell .cell-studies li > a").all_inner_texts() == studies
        visited(portal, watched, "map-cell")
        page.locator(".map-cell .cell-studies").get_by_role("link", name=studies[0]).click()
        page.wait_for_url(re.compile(r"/studies/"))
        assert page.get_by_role("heading", level=1).inner_text() == studies[0]
        visited(portal, watched, "study")

        assert watched.problems == [] and watched.violations() == []
