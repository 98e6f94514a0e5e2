"""The portal's organisation, rating rules, glossary and best practice pages in Debian's chromium
(headless, Playwright), on the served registry (tests/portal/conftest.py): each reached by the links
of the pages a visitor comes from, with its key content; no policy violation or console error; a
missing and a non-public record alike. Screenshots go to $COPLAB_TEST_ARTIFACTS as in
test_pages_in_the_browser.py; the headers: test_page_headers.py."""

import re
from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pytest
import yaml

from api.core.settings import PROJECT_ROOT
from tests.browser import chromium, needs_browser
from tests.portal.conftest import (
    HIDDEN_ORGANISATION_NAME,
    HIDDEN_ORGANISATION_SLUG,
    HIDDEN_PRACTICE_TITLE,
    Portal,
    initiative_id,
    practice_id,
)
from tests.portal.test_pages_in_the_browser import INHOPE_TITLE, Watched
from tests.server import HTTP_TIMEOUT

pytestmark = [needs_browser, pytest.mark.http]

REGISTRY = PROJECT_ROOT / "seed" / "registry"
PRACTICE_TITLE = "Notice and take-down at the source through the international hotline network"


def graphql(portal: Portal, query: str, variables: dict | None = None) -> dict:
    return httpx.post(f"{portal.url}/graphql", json={"query": query, "variables": variables or {}}, timeout=HTTP_TIMEOUT).json()["data"]


def seeded_members_of(network: str) -> set[str]:
    """The names of the organisations the seed's networks.yaml makes members of `network`."""
    organisations = {o["key"]: o["name"] for o in yaml.safe_load((REGISTRY / "organisations.yaml").read_text(encoding="utf-8"))}
    memberships = yaml.safe_load((REGISTRY / "networks.yaml").read_text(encoding="utf-8"))
    return {organisations[m["member"]] for m in memberships if m["network"] == network}


@pytest.fixture
def browser() -> Iterator:
    with chromium() as context:
        yield context


def test_an_organisation_shows_what_it_leads_and_its_networks_members_both_ways(portal: Portal, browser) -> None:  # noqa: ANN001
    watched = Watched(browser)
    page = watched.page
    page.goto(f"{portal.url}/initiatives/{initiative_id(portal, INHOPE_TITLE)}")
    page.locator("section[aria-labelledby=who-heading]").get_by_role("link", name="INHOPE - Association of Internet Hotline Providers").click()
    page.wait_for_url(re.compile(r"/organisations/inhope$"))
    assert page.get_by_role("heading", level=1).inner_text() == "INHOPE - Association of Internet Hotline Providers (INHOPE)"
    assert page.locator("section[aria-labelledby=leads-heading]").get_by_role("link", name=INHOPE_TITLE).count() == 1

    members = page.locator("section[aria-labelledby=members-heading]")
    assert members.get_by_role("heading").inner_text() == "Members of INHOPE"
    listed = set(members.locator("li > a").all_inner_texts())
    expected = seeded_members_of("inhope")
    assert len(expected) >= 5 and listed == expected  # the hotlines, and no member the sources do not state
    assert "Internet Watch Foundation" in listed
    citation = page.locator(".citation").inner_text()
    assert citation.startswith("INHOPE - Association of Internet Hotline Providers (INHOPE). ") and citation.endswith(page.url)
    page.screenshot(path=portal.artifacts / "organisation-network.png", full_page=True)

    # The other direction: a member's page names the network it belongs to, and links back.
    members.get_by_role("link", name="Internet Watch Foundation").click()
    page.wait_for_url(re.compile(r"/organisations/iwf$"))
    networks = page.locator("section[aria-labelledby=networks-heading]")
    networks.get_by_role("link", name="INHOPE - Association of Internet Hotline Providers").click()
    page.wait_for_url(re.compile(r"/organisations/inhope$"))
    assert watched.problems == [] and watched.violations() == []


def test_a_search_result_links_its_lead_organisation(portal: Portal, browser) -> None:  # noqa: ANN001
    page = browser.new_page()
    page.goto(f"{portal.url}/search?q=hotlne")
    hit = page.locator(".hit", has=page.get_by_role("link", name=INHOPE_TITLE))
    hit.get_by_role("link", name="INHOPE - Association of Internet Hotline Providers").click()
    page.wait_for_url(re.compile(r"/organisations/inhope$"))
    assert page.get_by_role("heading", level=1).inner_text().startswith("INHOPE")


def test_a_ratings_rule_links_to_its_entry_in_the_published_rules(portal: Portal, browser) -> None:  # noqa: ANN001
    watched = Watched(browser)
    page = watched.page
    page.goto(f"{portal.url}/initiatives/{initiative_id(portal, INHOPE_TITLE)}")
    rule_link = page.locator(".rating a[href^='/ratings/rules']").first
    rule_id = rule_link.inner_text()
    rule_link.click()
    page.wait_for_url(re.compile(rf"/ratings/rules\?version=1#rule-{rule_id}$"))
    entry = page.locator(f"#rule-{rule_id}")
    assert entry.is_visible() and entry.get_by_role("heading").inner_text().startswith(rule_id)
    assert page.evaluate("document.querySelector(':target').id") == f"rule-{rule_id}"

    ruleset = graphql(portal, "{ ratingRuleset { version rules { ruleId condition } crosswalk { name } } }")["ratingRuleset"]
    page.goto(f"{portal.url}/ratings/rules")
    effective = page.locator("#rule-EFFECTIVE")
    assert effective.get_by_role("heading").inner_text() == "EFFECTIVE gives EFFECTIVE"
    (condition,) = [rule["condition"] for rule in ruleset["rules"] if rule["ruleId"] == "EFFECTIVE"]
    assert condition in effective.inner_text()
    assert page.locator(".rule-list").nth(1).locator(":scope > li").count() == len(ruleset["rules"])
    effective.locator("summary").click()  # its public criteria, folded until asked for
    assert effective.locator(".criteria dt").first.is_visible()
    for scheme in ruleset["crosswalk"]:
        assert page.locator("table caption", has_text=scheme["name"]).count() == 1
    page.screenshot(path=portal.artifacts / "rating-rules.png", full_page=True)
    assert watched.problems == [] and watched.violations() == []


def test_the_glossary_lists_every_vocabulary_and_the_profile_links_its_labels_to_it(portal: Portal, browser) -> None:  # noqa: ANN001
    watched = Watched(browser)
    page = watched.page
    vocabularies = graphql(portal, "{ vocabularies { code label terms { code label } } }")["vocabularies"]
    (known,) = [t for v in vocabularies if v["code"] == "harm" for t in v["terms"] if t["code"] == "CSAM-KNOWN"]
    page.goto(f"{portal.url}/glossary")
    assert page.locator("main h2").count() == len(vocabularies)
    assert page.locator("main dt[id]").count() == sum(len(v["terms"]) for v in vocabularies)
    assert page.locator("#harm-CSAM-KNOWN").inner_text().startswith(known["label"])
    page.screenshot(path=portal.artifacts / "glossary.png", full_page=True)

    page.goto(f"{portal.url}/initiatives/{initiative_id(portal, INHOPE_TITLE)}")
    page.locator("section[aria-labelledby=classifications-heading]").get_by_role("link", name=known["label"]).click()
    page.wait_for_url(re.compile(r"/glossary#harm-CSAM-KNOWN$"))
    assert page.evaluate("document.querySelector(':target').id") == "harm-CSAM-KNOWN"
    assert watched.problems == [] and watched.violations() == []


def test_a_best_practice_shows_its_statement_evidence_endorsers_and_citation(portal: Portal, browser) -> None:  # noqa: ANN001
    watched = Watched(browser)
    page = watched.page
    query = """query($id: ID!) { node(id: $id) { ... on BestPractice { title statement organisation { name }
      endorsements { organisation { name } } evidence { study { title } } outcomeRatings { ruleId } } } }"""
    expected = graphql(portal, query, {"id": practice_id(portal, PRACTICE_TITLE)})["node"]
    assert expected["endorsements"] and expected["evidence"]
    page.goto(f"{portal.url}/practices/{quote(practice_id(portal, PRACTICE_TITLE), safe='')}")  # as the pages link it
    assert page.get_by_role("heading", level=1).inner_text() == PRACTICE_TITLE
    assert page.locator(".lede").inner_text() == expected["statement"]
    endorsers = page.locator("section[aria-labelledby=endorsers-heading] li > a").all_inner_texts()
    assert endorsers == [e["organisation"]["name"] for e in expected["endorsements"]]
    evidence = page.locator("section[aria-labelledby=evidence-heading]").inner_text()
    for assessment in expected["evidence"]:
        assert assessment["study"]["title"] in evidence
    ratings = page.locator("section[aria-labelledby=ratings-heading] a").all_inner_texts()
    assert ratings == [r["ruleId"] for r in expected["outcomeRatings"]]
    citation = page.locator(".citation").inner_text()
    assert citation.startswith(f"{expected['organisation']['name']}. {PRACTICE_TITLE}.") and citation.endswith(page.url)
    page.screenshot(path=portal.artifacts / "practice.png", full_page=True)
    assert watched.problems == [] and watched.violations() == []


@pytest.mark.parametrize("kind", ["organisation", "practice"])
def test_a_missing_and_a_non_public_record_give_the_same_not_found_page(portal: Portal, browser, kind: str) -> None:  # noqa: ANN001
    addresses, hidden_text = {
        "organisation": (
            {"missing": "/organisations/no-such-organisation", "non-public": f"/organisations/{HIDDEN_ORGANISATION_SLUG}"},
            HIDDEN_ORGANISATION_NAME,
        ),
        "practice": (
            {"missing": "/practices/QmVzdFByYWN0aWNlOjk5OTk=", "non-public": f"/practices/{portal.hidden_practice_id}"},
            HIDDEN_PRACTICE_TITLE,
        ),
    }[kind]
    page = browser.new_page()
    answers = {}
    for name, path in addresses.items():
        response = page.goto(portal.url + path)
        # The language switch comes back to the address asked for: the one difference allowed.
        answers[name] = (response.status, page.content().replace(quote(path, safe=""), "(address)"))
        page.screenshot(path=portal.artifacts / f"not-found-{kind}-{name}.png", full_page=True)
    assert answers["missing"][0] == answers["non-public"][0] == 404
    assert answers["missing"][1] == answers["non-public"][1]
    assert hidden_text not in answers["non-public"][1]
    assert page.get_by_role("heading", level=1).inner_text() == "Not found"
