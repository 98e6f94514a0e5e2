"""The evidence-and-gap map and the study page in Debian's chromium (headless, Playwright), on the
served registry (tests/portal/conftest.py), with JavaScript and without: the map of two axis pairs
chosen in its form draws one bubble for each cell /graphql says holds studies and a gap letter for
each gap cell; a cell opened from the keyboard lists exactly the studies and initiatives /graphql
gives for it; its study's page links the computed rating to its rule; the profile links its
studies; a missing, a non-public and another kind's id give the same 404. No policy violation or
console error. Screenshots go to $COPLAB_TEST_ARTIFACTS as in test_pages_in_the_browser.py."""

import re
from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pytest

from tests.browser import chromium, needs_browser
from tests.portal.conftest import HIDDEN_STUDY_TITLE, Portal, initiative_id, study_id
from tests.portal.test_pages_in_the_browser import INHOPE_TITLE, Watched
from tests.server import HTTP_TIMEOUT

pytestmark = [needs_browser, pytest.mark.http]

AXES = {"harm": "HARM", "study-design": "STUDY_DESIGN", "intervention-type": "INTERVENTION_TYPE"}
GAP_LETTERS = {"NO_EVIDENCE": "N", "WEAK_EVIDENCE_ONLY": "W", "SYNTHESIS_GAP": "S"}
MAP = """query($rows: MapAxis!, $columns: MapAxis!) { evidenceMap(rows: $rows, columns: $columns, layer: RATING) {
  rowTerms { code label } columnTerms { code label } cells { row column studies initiatives gap bestRating } } }"""
CELL = """query($rows: MapAxis!, $columns: MapAxis!, $row: String!, $column: String!) { evidenceMap(rows: $rows, columns: $columns) {
  cellStudies(row: $row, column: $column, first: 100) { edges { node { id title } } }
  cellInitiatives(row: $row, column: $column, first: 100) { edges { node { title } } } } }"""


def graphql(portal: Portal, query: str, variables: dict) -> dict:
    body = httpx.post(f"{portal.url}/graphql", json={"query": query, "variables": variables}, timeout=HTTP_TIMEOUT).json()
    assert "errors" not in body, body
    return body["data"]


def counted(number: int, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}"


def cell_link(page, where: str, row: str, column: str):  # noqa: ANN001, ANN201
    """The link of one cell, in the drawing (`svg`) or the table (`table`)."""
    return page.locator(f'{where} a[href*="row={row}&column={column}"]')


@pytest.fixture(params=[True, False], ids=["with-javascript", "without-javascript"])
def context(request: pytest.FixtureRequest) -> Iterator:
    with chromium(java_script_enabled=request.param) as browser_context:
        browser_context.javascript = request.param
        yield browser_context


def draw(page, rows: str, columns: str) -> None:  # noqa: ANN001
    """Choose the axes in the map's form and draw the map, as a visitor does."""
    page.select_option("#rows", rows)
    page.select_option("#columns", columns)
    page.get_by_role("button", name="Draw the map").click()
    page.wait_for_url(re.compile(rf"rows={rows}&columns={columns}"))


def test_two_maps_a_cell_from_the_keyboard_and_its_study(portal: Portal, context) -> None:  # noqa: ANN001
    watched = Watched(context)
    page = watched.page
    page.goto(f"{portal.url}/map")
    name = "with" if context.javascript else "without"
    for rows, columns in (("harm", "study-design"), ("harm", "intervention-type")):
        draw(page, rows, columns)
        expected = graphql(portal, MAP, {"rows": AXES[rows], "columns": AXES[columns]})["evidenceMap"]
        with_studies = [cell for cell in expected["cells"] if cell["studies"]]
        gaps = [cell for cell in expected["cells"] if cell["gap"] in GAP_LETTERS]
        assert with_studies and gaps
        assert page.locator("svg.evidence-map circle.bubble").count() == len(with_studies)
        assert page.locator("svg.evidence-map text.gap-mark").count() == len(gaps)
        labels = {term["code"]: term["label"] for term in expected["rowTerms"] + expected["columnTerms"]}
        for cell in gaps:  # each gap cell carries its letter, and says its class in its name
            link = cell_link(page, "svg", cell["row"], cell["column"])
            assert link.locator("text.gap-mark").text_content() == GAP_LETTERS[cell["gap"]]
            assert link.get_attribute("aria-label").startswith(
                f"{labels[cell['row']]} × {labels[cell['column']]}: {counted(cell['studies'], 'study', 'studies')}, "
                f"{counted(cell['initiatives'], 'initiative', 'initiatives')}; ")
            assert link.locator("title").text_content() == link.get_attribute("aria-label")
        assert page.locator(".map-table tbody tr").count() == len(expected["rowTerms"])
        assert page.locator(".map-table td a").count() == len([c for c in expected["cells"] if c["studies"] or c["initiatives"]])
        if columns == "intervention-type":
            assert any(cell["gap"] == "NO_EVIDENCE" for cell in gaps)  # marked where there are initiatives and no study
        page.screenshot(path=portal.artifacts / f"map-{rows}-{columns}-{name}-javascript.png", full_page=True)

    # Coloured by rating instead: the toggle is a link to the same map.
    draw(page, "harm", "study-design")
    expected = graphql(portal, MAP, {"rows": "HARM", "columns": "STUDY_DESIGN"})["evidenceMap"]
    page.get_by_role("link", name="Colour by computed rating instead").click()
    page.wait_for_url(re.compile(r"colour=rating"))
    rated = [cell for cell in expected["cells"] if cell["studies"] and cell["bestRating"]]
    assert rated
    for cell in rated:
        assert cell_link(page, "svg", cell["row"], cell["column"]).locator(f"circle.rating-{cell['bestRating']}").count() == 1

    # A cell, opened from the keyboard: exactly the studies and initiatives /graphql gives for it.
    opened = max((cell for cell in expected["cells"] if cell["studies"]), key=lambda cell: cell["studies"])
    link = cell_link(page, "svg", opened["row"], opened["column"])
    link.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"row={opened['row']}&column={opened['column']}"))
    listed = graphql(portal, CELL, {"rows": "HARM", "columns": "STUDY_DESIGN", "row": opened["row"], "column": opened["column"]})["evidenceMap"]
    studies = [edge["node"]["title"] for edge in listed["cellStudies"]["edges"]]
    assert studies and page.locator(".map-cell .cell-studies li > a").all_inner_texts() == studies
    initiatives = [edge["node"]["title"] for edge in listed["cellInitiatives"]["edges"]]
    assert page.locator(".map-cell .cell-initiatives li > a").all_inner_texts() == initiatives
    assert "colour=rating" in page.url  # the cell's address keeps the map's state
    page.screenshot(path=portal.artifacts / f"map-cell-{name}-javascript.png", full_page=True)

    # Its study: what it is, and its rating linked to the rule that gave it.
    page.locator(".map-cell .cell-studies").get_by_role("link", name=studies[0]).click()
    page.wait_for_url(re.compile(r"/studies/"))
    assert page.get_by_role("heading", level=1).inner_text() == studies[0]
    rule = page.locator("section[aria-labelledby=findings-heading] .rating a").first
    rule_id = rule.inner_text()
    assert rule_id and rule.get_attribute("href").endswith(f"#rule-{rule_id}")
    assert page.locator(".citation").inner_text().startswith(f"{studies[0]}. ")
    page.screenshot(path=portal.artifacts / f"study-{name}-javascript.png", full_page=True)
    rule.click()
    page.wait_for_url(re.compile(rf"/ratings/rules.*#rule-{re.escape(rule_id)}$"))
    assert page.locator(f"#rule-{rule_id}").count() == 1
    if context.javascript:
        assert watched.problems == [] and watched.violations() == []


def test_the_profile_links_its_studies(portal: Portal) -> None:
    with chromium() as context:
        watched = Watched(context)
        page = watched.page
        page.goto(f"{portal.url}/initiatives/{initiative_id(portal, INHOPE_TITLE)}")
        evidence = page.locator("section[aria-labelledby=evidence-heading]")
        link = evidence.locator("a[href^='/studies/']:visible").first  # not those of a closed rating trace
        title = link.inner_text()
        link.click()
        page.wait_for_url(re.compile(r"/studies/"))
        assert page.get_by_role("heading", level=1).inner_text() == title
        about = page.locator("section[aria-labelledby=initiatives-heading]")
        assert about.get_by_role("link", name=INHOPE_TITLE).count() == 1  # and back to the initiative
        assert watched.problems == [] and watched.violations() == []


def test_a_missing_a_non_public_and_another_kinds_study_give_the_same_not_found_page(portal: Portal) -> None:
    with chromium() as context:
        page = context.new_page()
        answers = {}
        for name, record in (("missing", "U3R1ZHk6OTk5OQ=="), ("non-public", portal.hidden_study_id),
                             ("an initiative", initiative_id(portal, INHOPE_TITLE))):
            response = page.goto(f"{portal.url}/studies/{record}")
            # The language switch comes back to the address asked for: the one difference allowed.
            answers[name] = (response.status, page.content().replace(quote(f"/studies/{record}", safe=""), "(address)"))
        page.screenshot(path=portal.artifacts / "study-not-found.png", full_page=True)
        assert {status for status, _ in answers.values()} == {404}
        assert len({html for _, html in answers.values()}) == 1
        assert HIDDEN_STUDY_TITLE not in answers["non-public"][1]
        assert study_id(portal, "Cross-border forwarding of reports through INHOPE within seconds")  # a public one is found
