"""The portal in English and French (docs/portal.md, "Languages"), on the served registry
(tests/portal/conftest.py): the language from the switch's cookie, else the browser's preference, else
English; the switch's answer and its refusal of other sites; the vocabularies' French labels; concurrent
requests each in their own language; and in chromium, a choice that sticks from page to page."""

import asyncio
import re
from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pytest

from api.portal.languages import COOKIE
from tests.browser import chromium, needs_browser
from tests.portal.conftest import Portal, initiative_id, study_id
from tests.portal.test_page_headers import INHOPE_TITLE, POLICY, pages
from tests.server import HTTP_TIMEOUT

pytestmark = pytest.mark.http

FRENCH_NAV = ["Accueil", "Rechercher des initiatives", "Carte des données probantes", "Comment fonctionnent les notes", "Glossaire"]
ENGLISH_NAV = ["Home", "Search initiatives", "Evidence map", "How ratings work", "Glossary"]


def nav(html: str) -> list[str]:
    """The main navigation's link texts."""
    block = re.search(r'<nav aria-label="[^"]+">\s*<ul>(.*?)</ul>', html, re.S).group(1)
    return re.findall(r"<a [^>]*>([^<]+)</a>", block)


def html_lang(html: str) -> str:
    return re.match(r'<!doctype html>\n<html lang="([^"]+)">', html).group(1)


def test_english_by_default_and_french_when_the_browser_prefers_it(portal: Portal) -> None:
    english = httpx.get(f"{portal.url}/", headers={"Accept-Language": "de-DE,de;q=0.9"}, timeout=HTTP_TIMEOUT)
    assert html_lang(english.text) == "en" and nav(english.text) == ENGLISH_NAV
    french = httpx.get(f"{portal.url}/", headers={"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"}, timeout=HTTP_TIMEOUT)
    assert french.status_code == 200
    assert html_lang(french.text) == "fr" and nav(french.text) == FRENCH_NAV
    assert "Ce que contient le registre" in french.text
    # The switch offers the other language in its own words, marked as that language.
    assert '<a href="/language/en?next=%2F" lang="en" hreflang="en">English</a>' in french.text
    assert '<a href="/language/fr?next=%2F" lang="fr" hreflang="fr">Français</a>' in english.text


def test_every_page_answers_in_french_as_it_does_in_english(portal: Portal) -> None:
    for path, status in pages(portal).items():
        response = httpx.get(portal.url + path, headers={"Cookie": f"{COOKIE}=fr"}, timeout=HTTP_TIMEOUT)
        assert response.status_code == status, path
        assert html_lang(response.text) == "fr" and nav(response.text) == FRENCH_NAV, path
        assert response.headers["content-security-policy"] == POLICY, path
        assert response.headers["vary"] == "HX-Request, Cookie, Accept-Language", path
        assert "Skip to main content" not in response.text and "Aller au contenu principal" in response.text, path


def test_the_cookie_wins_over_the_browsers_preference(portal: Portal) -> None:
    response = httpx.get(
        f"{portal.url}/glossary", headers={"Accept-Language": "fr", "Cookie": f"{COOKIE}=en"}, timeout=HTTP_TIMEOUT
    )
    assert html_lang(response.text) == "en" and nav(response.text) == ENGLISH_NAV
    unknown = httpx.get(f"{portal.url}/", headers={"Accept-Language": "fr", "Cookie": f"{COOKIE}=de"}, timeout=HTTP_TIMEOUT)
    assert html_lang(unknown.text) == "fr"  # a cookie naming no language of ours is ignored


def test_the_switch_sets_the_cookie_and_goes_back_to_the_page(portal: Portal) -> None:
    back = "/search?q=hotline&harm=CSAM-KNOWN"
    response = httpx.get(f"{portal.url}/language/fr?next={quote(back, safe='')}", timeout=HTTP_TIMEOUT)
    assert response.status_code == 303
    assert response.headers["location"] == back
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=fr;")
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "path", "samesite", "max-age"} <= attributes
    assert "Path=/" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie  # plain http here
    assert response.headers["cache-control"] == "private, no-store"
    assert response.headers["content-security-policy"] == POLICY
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)"])
def test_the_switch_never_sends_the_visitor_to_another_site(portal: Portal, target: str) -> None:
    response = httpx.get(f"{portal.url}/language/en", params={"next": target}, timeout=HTTP_TIMEOUT)
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    assert response.headers["set-cookie"].startswith(f"{COOKIE}=en;")


def test_a_language_we_do_not_have_is_not_found(portal: Portal) -> None:
    response = httpx.get(f"{portal.url}/language/de?next=/", timeout=HTTP_TIMEOUT)
    assert response.status_code == 404
    assert "set-cookie" not in response.headers
    assert response.headers["content-security-policy"] == POLICY


def test_french_pages_show_the_vocabularies_french_labels(portal: Portal) -> None:
    french = {"headers": {"Cookie": f"{COOKIE}=fr"}, "timeout": HTTP_TIMEOUT}
    glossary = httpx.get(f"{portal.url}/glossary", **french).text
    assert "Matériel d’abus sexuels sur enfants déjà connu" in glossary and "Type d’intervention" in glossary
    assert "Known child sexual abuse material" not in glossary
    profile = httpx.get(f"{portal.url}/initiatives/{initiative_id(portal, INHOPE_TITLE)}", **french).text
    assert "Signalement à une hotline et retrait sur notification" in profile  # its intervention type
    assert "Hotline reporting and notice and take-down" not in profile
    assert "Corée du Sud" in profile and "Korea, Republic of" not in profile  # countries named from the CLDR
    # The record's own words stay English, marked and labelled as such.
    assert re.search(rf'<h1 id="title"><span lang="en">{INHOPE_TITLE}</span> <span class="written-in">\(en anglais\)</span></h1>', profile)
    search = httpx.get(f"{portal.url}/search", params={"q": "hotline"}, **french).text
    assert "<legend>Préjudice visé</legend>" in search
    facets = re.findall(r'<label for="facet-harm-[^"]+">([^<]+) <span', search)
    assert facets and all("child sexual abuse" not in label for label in facets)
    assert any("enfants" in label for label in facets)
    countries = re.findall(r'<label for="facet-country-[^"]+">([^<]+) <span', search)
    assert "Corée du Sud" in countries and "Korea, Republic of" not in countries


STUDY_TITLE = "Cross-border forwarding of reports through INHOPE within seconds"


def test_the_map_searches_and_study_pages_show_french_labels(portal: Portal) -> None:
    french = {"headers": {"Cookie": f"{COOKIE}=fr"}, "timeout": HTTP_TIMEOUT}
    the_map = httpx.get(f"{portal.url}/map", **french).text
    assert html_lang(the_map) == "fr" and "<h1>Carte des données probantes et des lacunes</h1>" in the_map
    # The axes' terms (the map's own labels are English) and the filters' vocabularies, in French.
    assert "Signalement à une hotline et retrait sur notification" in the_map
    assert "Hotline reporting and notice and take-down" not in the_map
    evidence = httpx.get(f"{portal.url}/search/evidence", params={"q": "reports"}, **french).text
    assert html_lang(evidence) == "fr" and "<h1>Rechercher des données probantes</h1>" in evidence
    designs = re.findall(r'<label for="facet-design-[^"]+">([^<]+) <span', evidence)
    assert designs and all(label.strip() != "Randomised controlled trial" for label in designs)
    # An assessment's study keeps its English title, marked and labelled as such.
    assert re.search(r'<a href="/studies/[^"]+" lang="en">.*?</a> <span class="written-in">\(en anglais\)</span></h3>', evidence)
    practices = httpx.get(f"{portal.url}/search/practices", **french).text
    assert html_lang(practices) == "fr" and "<legend>Fondement</legend>" in practices
    study = httpx.get(f"{portal.url}/studies/{study_id(portal, STUDY_TITLE)}", **french).text
    assert re.search(rf'<h1 id="title"><span lang="en">{STUDY_TITLE}</span> <span class="written-in">\(en anglais\)</span></h1>', study)
    assert "<h2 id=\"findings-heading\">Résultats par critère</h2>" in study
    english = httpx.get(f"{portal.url}/studies/{study_id(portal, STUDY_TITLE)}", timeout=HTTP_TIMEOUT).text
    assert f'<h1 id="title"><span>{STUDY_TITLE}</span></h1>' in english and "written-in" not in english


def test_concurrent_requests_each_get_their_own_language(portal: Portal) -> None:
    async def fetch(client: httpx.AsyncClient, language: str) -> tuple[str, str]:
        response = await client.get(f"{portal.url}/glossary", headers={"Cookie": f"{COOKIE}={language}"})
        return language, html_lang(response.text) + ":" + nav(response.text)[0]

    async def many() -> list[tuple[str, str]]:
        async with httpx.AsyncClient(timeout=HTTP_TIMEOUT) as client:
            return await asyncio.gather(*(fetch(client, ("en", "fr")[i % 2]) for i in range(24)))

    for language, got in asyncio.run(many()):
        assert got == {"en": "en:Home", "fr": "fr:Accueil"}[language]


@pytest.fixture
def browser() -> Iterator:
    with chromium(locale="en-GB") as context:
        yield context


@needs_browser
def test_the_choice_of_french_sticks_from_page_to_page(portal: Portal, browser) -> None:  # noqa: ANN001
    page = browser.new_page()
    page.goto(f"{portal.url}/search?q=hotline")
    assert page.locator("html").get_attribute("lang") == "en"
    page.get_by_role("link", name="Français").click()
    page.wait_for_load_state("load")
    assert page.url == f"{portal.url}/search?q=hotline"  # back on the same page, now in French
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.get_by_role("heading", level=1).inner_text() == "Rechercher des initiatives"
    page.screenshot(path=portal.artifacts / "french-search.png", full_page=True)

    page.get_by_role("link", name="Glossaire").click()
    page.wait_for_load_state("load")
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.get_by_role("navigation", name="Navigation principale").get_by_role("link").all_inner_texts() == FRENCH_NAV
    assert page.locator("#harm-CSAM-KNOWN").inner_text().startswith("Matériel d’abus sexuels sur enfants déjà connu")
    page.screenshot(path=portal.artifacts / "french-glossary.png", full_page=True)

    page.goto(f"{portal.url}/initiatives/{quote(initiative_id(portal, INHOPE_TITLE), safe='')}")
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.get_by_role("heading", level=2, name="Classification").is_visible()
    classifications = page.locator("dl.classifications").inner_text()
    assert "Signalement à une hotline et retrait sur notification" in classifications
    assert page.locator("h1 span[lang=en]").inner_text() == INHOPE_TITLE
    page.screenshot(path=portal.artifacts / "french-initiative.png", full_page=True)

    page.get_by_role("link", name="English").click()
    page.wait_for_load_state("load")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", level=2, name="Classifications").is_visible()
