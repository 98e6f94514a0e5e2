"""The evidence and best-practice searches, and every search's results as CSV, on the served registry
(tests/portal/conftest.py): a misspelt word found and marked, a facet, a permalink, JavaScript off,
the count /graphql gives, a non-public practice nowhere, an address that is no search explained
(400), and CSV files holding the search's hits in its order, capped, safe in a spreadsheet. The
initiative search itself: test_pages_in_the_browser.py."""

import csv
import io
import re
from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pytest

from api.portal.exports import CSV_CAP, safe_cell
from tests.browser import chromium, needs_browser
from tests.portal.conftest import HIDDEN_PRACTICE_TITLE, Portal
from tests.portal.test_pages_in_the_browser import Watched
from tests.server import HTTP_TIMEOUT

pytestmark = pytest.mark.http

PRACTICE_TITLE = "Notice and take-down at the source through the international hotline network"
COUNTED = re.compile(r"(\d+) (?:assessments?|best practices?|initiatives?) found")
SEARCHES = {  # kind → (page, GraphQL field, hit field, a facet asked for, its address parameter)
    "evidence": ("/search/evidence", "searchEvidence", "evidenceAssessment", "STUDY_DESIGN", "design"),
    "practices": ("/search/practices", "searchBestPractices", "bestPractice", "HARMS", "harm"),
    "initiatives": ("/search", "searchInitiatives", "initiative", "COUNTRIES", "country"),
}
FILTER_FIELDS = {"design": "studyDesigns", "harm": "harms", "country": "countries"}


def graphql_search(portal: Portal, kind: str, query: str = "", filter: dict | None = None, per_page: int = 100) -> dict:
    """The search as /graphql answers it, every hit in one page (the seeded registry has fewer than 100)."""
    _, field, hit_field, facet, _ = SEARCHES[kind]
    title = "study { title }" if kind == "evidence" else "title"
    text = (
        f"query($q: String!, $f: {'EvidenceSearchFilter' if kind == 'evidence' else 'BestPracticeSearchFilter' if kind == 'practices' else 'SearchFilter'}) "
        f"{{ {field}(query: $q, filter: $f, facets: [{facet}], hitsPerPage: {per_page}) "
        f"{{ totalHits facetDistribution {{ values {{ value count }} }} hits {{ {hit_field} {{ id {title} }} }} }} }}"
    )
    body = httpx.post(f"{portal.url}/graphql", json={"query": text, "variables": {"q": query, "f": filter}}, timeout=HTTP_TIMEOUT).json()
    assert "errors" not in body, body
    return body["data"][field]


def hit_title(kind: str, hit: dict) -> str:
    record = hit[SEARCHES[kind][2]]
    return record["study"]["title"] if kind == "evidence" else record["title"]


def misspelt(portal: Portal, kind: str) -> tuple[str, str]:
    """A word of a hit's title with a letter left out (a typo the search forgives), and that title."""
    if kind == "practices":
        return "hotlne", PRACTICE_TITLE
    for hit in graphql_search(portal, kind)["hits"]:
        title = hit_title(kind, hit)
        for word in re.findall(r"[A-Za-z]{6,8}", title):
            return word[:3] + word[4:], title
    raise AssertionError("no word to misspell in the seeded evidence")


def narrowest(page, param: str) -> str:  # noqa: ANN001
    """The value of the facet `param` that the fewest results have (the one that narrows most)."""
    counts = {}
    for box in page.locator(f"input[name={param}]").all():
        label = page.locator(f"label[for='{box.get_attribute('id')}'] .count").inner_text()
        counts[box.get_attribute("value")] = int(label.strip("()"))
    return min(counts, key=counts.get)


def counted(text: str) -> int:
    return int(COUNTED.search(text).group(1))


def get(portal: Portal, path: str, **kwargs: object) -> httpx.Response:
    return httpx.get(portal.url + path, timeout=HTTP_TIMEOUT, **kwargs)


@pytest.mark.parametrize("kind", ["evidence", "practices"])
def test_a_misspelt_word_is_found_marked_and_counted_as_graphql_counts_it(portal: Portal, kind: str) -> None:
    path = SEARCHES[kind][0]
    word, title = misspelt(portal, kind)
    response = get(portal, f"{path}?q={word}")
    assert response.status_code == 200
    expected = graphql_search(portal, kind, word)
    assert title in [hit_title(kind, hit) for hit in expected["hits"]]
    assert counted(response.text) == expected["totalHits"] > 0
    assert "<mark>" in response.text
    everything = get(portal, path)
    assert counted(everything.text) == graphql_search(portal, kind)["totalHits"] >= expected["totalHits"]


@pytest.mark.parametrize("kind", ["evidence", "practices"])
def test_a_facet_narrows_the_results_to_its_count(portal: Portal, kind: str) -> None:
    path, _, _, _, param = SEARCHES[kind]
    values = graphql_search(portal, kind)["facetDistribution"][0]["values"]
    assert values
    value = values[0]
    html = get(portal, f"{path}?{param}={value['value']}").text
    assert counted(html) == value["count"] == graphql_search(portal, kind, filter={FILTER_FIELDS[param]: [value["value"]]})["totalHits"]
    assert re.search(rf'name="{param}" value="{re.escape(value["value"])}" checked', html)


def test_a_non_public_practice_is_in_no_result_count_or_file(portal: Portal) -> None:
    word = HIDDEN_PRACTICE_TITLE.split()[-1]  # "pilot"
    for path in ("/search/practices", f"/search/practices?q={word}", "/search/practices?basis=CONSENSUS"):
        html = get(portal, path).text
        assert HIDDEN_PRACTICE_TITLE not in html and portal.hidden_practice_id not in html
    html = get(portal, "/search/practices").text
    assert counted(html) == graphql_search(portal, "practices")["totalHits"]
    # The hidden practice's evidence basis: its facet count, the filtered count and the file's rows agree.
    facet = re.search(r'value="CONSENSUS"[^>]*>\s*<label[^>]*>[^<]*<span class="count">\((\d+)\)', html)
    narrowed = get(portal, "/search/practices?basis=CONSENSUS").text
    _, _, consensus_rows = read_csv(get(portal, "/search/practices.csv?basis=CONSENSUS"))
    assert facet and int(facet.group(1)) == counted(narrowed) == len(consensus_rows)
    assert HIDDEN_PRACTICE_TITLE not in [row[0] for row in consensus_rows]
    whole = get(portal, "/search/practices.csv").text
    assert HIDDEN_PRACTICE_TITLE not in whole and portal.hidden_practice_id not in whole
    assert len(list(csv.reader(io.StringIO(whole)))) - 2 == graphql_search(portal, "practices")["totalHits"]


@pytest.mark.parametrize("path", [
    "/search/practices?colour=blue", "/search/evidence?design=NO-SUCH-DESIGN", "/search/practices?harm=NO-SUCH-HARM",
    "/search?harm=NO-SUCH-HARM", "/search/evidence?page=zero", "/search/practices.csv?limit=0",
    f"/search/practices.csv?limit={CSV_CAP + 1}", "/search/evidence.csv?outcome=NO-SUCH-OUTCOME",
    "/search/practices?page=1001",  # beyond the first 10,000 hits the API reaches
])
def test_an_address_that_is_no_search_is_the_page_with_what_is_wrong(portal: Portal, path: str) -> None:
    response = get(portal, path)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert '<form id="search-form"' in html and "Not a search we can run" in html
    bad = re.search(r"[?&][a-z]+=([^&]+)$", path).group(1)
    assert f"“{bad}”" in html  # the very value, said back
    assert 'class="hit"' not in html


def test_a_code_a_small_typo_away_is_suggested(portal: Portal) -> None:
    response = get(portal, "/search/practices?harm=CSAM-KNOWM")
    assert response.status_code == 400
    assert "Harm addressed: there is no value “CSAM-KNOWM”." in response.text
    assert "Did you mean “CSAM-KNOWN”?" in response.text


def test_each_search_links_to_the_others_and_a_hit_to_its_records(portal: Portal) -> None:
    for kind, (path, *_) in SEARCHES.items():
        html = get(portal, path).text
        for other, *_ in SEARCHES.values():
            assert f'href="{other}"' in html
        assert re.search(rf'<a href="{re.escape(path)}" aria-current="page">', html)
        assert f"The first {CSV_CAP} results as CSV" in html
    evidence = get(portal, "/search/evidence").text
    assert re.search(r'href="/initiatives/[^"]+"', evidence)
    study = re.search(r'href="(/studies/[^"]+)"', evidence).group(1)
    assert get(portal, study).status_code == 200  # the study's page, where its assessments are read
    practices = get(portal, "/search/practices").text
    (practice,) = re.findall(r'href="(/practices/[^"]+)"', get(portal, "/search/practices?q=hotlne").text)[:1]
    assert practice in practices and get(portal, practice).status_code == 200


def test_an_organisation_lists_the_practices_it_proposes(portal: Portal) -> None:
    query = "{ searchBestPractices(hitsPerPage: 100) { hits { bestPractice { id title organisation { slug } } } } }"
    hits = httpx.post(f"{portal.url}/graphql", json={"query": query}, timeout=HTTP_TIMEOUT).json()["data"]["searchBestPractices"]["hits"]
    practice = hits[0]["bestPractice"]
    html = get(portal, f"/organisations/{practice['organisation']['slug']}").text
    assert f'href="/practices/{quote(practice["id"])}"' in html
    assert HIDDEN_PRACTICE_TITLE not in html


def read_csv(response: httpx.Response) -> tuple[str, list[str], list[list[str]]]:
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8"), newline="")))
    return rows[0][0], rows[1], rows[2:]


@pytest.mark.parametrize("kind", ["initiatives", "evidence", "practices"])
def test_the_csv_holds_the_searchs_hits_in_order_up_to_the_cap(portal: Portal, kind: str) -> None:
    path = SEARCHES[kind][0]
    response = get(portal, f"{path}.csv?sort=title")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == f'attachment; filename="coplab-{kind}.csv"'
    assert response.headers["cache-control"] == "private, no-store"
    note, header, rows = read_csv(response)
    expected = [hit_title(kind, hit) for hit in graphql_search(portal, kind, "", None)["hits"]]
    by_title = graphql_search(portal, kind, "", None)["totalHits"]
    assert note.startswith("# coplab search results:") and f"at most {CSV_CAP}" in note and f"of {by_title}" in note
    assert header[0] in ("Title", "Study")
    assert len(rows) == by_title == len(expected)
    sorted_page = httpx.post(
        f"{portal.url}/graphql",
        json={"query": "query($s: [SearchSort!]) { %s(sort: $s, hitsPerPage: 100) { hits { %s { %s } } } }" % (
            SEARCHES[kind][1], SEARCHES[kind][2], "study { title }" if kind == "evidence" else "title"), "variables": {"s": ["TITLE_ASC"]}},
        timeout=HTTP_TIMEOUT,
    ).json()["data"][SEARCHES[kind][1]]["hits"]
    assert [row[0] for row in rows] == [safe_cell(hit_title(kind, hit)) for hit in sorted_page]
    address = rows[0][header.index("Address")]  # each row's address is a page the portal serves
    assert address.startswith(portal.url) and get(portal, address.removeprefix(portal.url)).status_code == 200

    assert by_title > 1  # so a cap of 1 leaves some out
    small = get(portal, f"{path}.csv?sort=title&limit=1")
    note, _, rows = read_csv(small)
    assert [row[0] for row in rows] == [safe_cell(hit_title(kind, hit)) for hit in sorted_page[:1]]
    assert f"the first 1 of {by_title}" in note and "at most 1" in note


def test_a_search_narrowed_by_words_and_facet_gives_the_same_rows_as_its_page(portal: Portal) -> None:
    page = get(portal, "/search/practices?q=hotlne").text
    titles = re.findall(r'<a href="/practices/[^"]+">(.*?)</a></h3>', page)
    _, _, rows = read_csv(get(portal, "/search/practices.csv?q=hotlne"))
    assert [re.sub(r"</?mark>", "", t) for t in titles] == [row[0] for row in rows] and rows


@pytest.mark.parametrize("value", ["=1+2", "+1", "-1", "@SUM(A1)", "\tx", "plain", "a=b"])
def test_a_cell_a_spreadsheet_would_run_is_neutralised(value: str) -> None:
    cell = safe_cell(value)
    assert not cell.startswith(("=", "+", "-", "@", "\t"))
    assert cell.lstrip("'") == value and (cell == value) == (value[0] not in "=+-@\t")


# In a browser ------------------------------------------------------------------------------------


@pytest.fixture
def browser() -> Iterator:
    with chromium() as context:
        yield context


@needs_browser
@pytest.mark.parametrize("kind", ["evidence", "practices"])
def test_a_misspelt_search_and_a_facet_update_in_place_as_a_permalink(portal: Portal, browser, kind: str) -> None:  # noqa: ANN001
    path, _, _, _, param = SEARCHES[kind]
    word, title = misspelt(portal, kind)
    watched = Watched(browser)
    page = watched.page
    page.goto(portal.url + path)
    everything = counted(page.locator("[role=status]").inner_text())
    page.fill("#q", word)  # typed, not submitted: htmx searches as the words change
    page.wait_for_url(re.compile(rf"q={word}"))
    page.get_by_role("link", name=title).first.wait_for()
    matching = counted(page.locator("[role=status]").inner_text())
    assert 0 < matching <= everything and matching == graphql_search(portal, kind, word)["totalHits"]
    assert page.locator(".hit mark").count() > 0

    value = narrowest(page, param)
    expected = graphql_search(portal, kind, word, {FILTER_FIELDS[param]: [value]})["totalHits"]
    assert 0 < expected <= matching
    page.check(f"input[name={param}][value='{value}']")
    page.wait_for_url(re.compile(rf"{param}="))
    page.wait_for_function(f"document.querySelector('[role=status]').textContent.startsWith('{expected} ')")
    assert page.evaluate("document.querySelectorAll('html').length") == 1
    page.screenshot(path=portal.artifacts / f"search-{kind}-with-javascript.png", full_page=True)

    permalink = page.url
    page.reload()
    assert page.url == permalink and counted(page.locator("[role=status]").inner_text()) == expected
    assert page.locator("#q").input_value() == word and page.is_checked(f"input[name={param}][value='{value}']")
    csv_link = page.get_by_role("link", name=f"The first {CSV_CAP} results as CSV")
    assert csv_link.get_attribute("href").startswith(f"{path}.csv?q={word}")
    assert watched.problems == [] and watched.violations() == []


@needs_browser
@pytest.mark.parametrize("kind", ["evidence", "practices"])
def test_the_same_search_works_without_javascript(portal: Portal, kind: str) -> None:
    path, _, _, _, param = SEARCHES[kind]
    word, title = misspelt(portal, kind)
    with chromium(java_script_enabled=False) as context:
        page = context.new_page()
        page.goto(portal.url + path)
        page.fill("#q", word)
        page.get_by_role("button", name="Search", exact=True).click()
        page.wait_for_url(re.compile(rf"q={word}"))
        assert page.get_by_role("link", name=title).count() >= 1
        value = narrowest(page, param)
        page.check(f"input[name={param}][value='{value}']")
        page.get_by_role("button", name="Apply filters").click()
        page.wait_for_url(re.compile(rf"{param}="))
        expected = graphql_search(portal, kind, word, {FILTER_FIELDS[param]: [value]})["totalHits"]
        assert counted(page.locator("[role=status]").inner_text()) == expected
        page.screenshot(path=portal.artifacts / f"search-{kind}-without-javascript.png", full_page=True)
        page.goto(page.url)
        assert page.is_checked(f"input[name={param}][value='{value}']")


@needs_browser
def test_no_search_page_breaks_the_policy_or_logs_an_error(portal: Portal, browser) -> None:  # noqa: ANN001
    for name, path in (("evidence", "/search/evidence?sort=title"), ("practices", "/search/practices?q=hotlne"),
                       ("practices-400", "/search/practices?harm=NO-SUCH-HARM")):
        watched = Watched(browser)
        watched.page.goto(portal.url + path)
        watched.page.wait_for_load_state("load")
        assert watched.page.evaluate("typeof htmx") == "object"
        watched.page.screenshot(path=portal.artifacts / f"search-{name}.png", full_page=True)
        # A 400 is logged by the browser as a failed resource; nothing else may be.
        problems = [p for p in watched.problems if not (name.endswith("400") and "400" in p)]
        assert problems == [], name
        assert watched.violations() == [], name
        watched.page.close()
