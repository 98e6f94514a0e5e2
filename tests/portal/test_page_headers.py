"""Every portal page, fetched from the served registry (tests/portal/conftest.py): the strict policy
exactly, nothing cached, no inline script or style, and production serving the portal's files (and
not GraphiQL's). The pages in a browser: test_pages_in_the_browser.py."""

import hashlib
import json
import re

import httpx
import pytest
from fastapi.testclient import TestClient

from api.core.pages.vendoring import MANIFEST
from tests.portal.conftest import HIDDEN_ORGANISATION_SLUG, Portal, initiative_id, practice_id, study_id
from tests.server import HTTP_TIMEOUT

pytestmark = pytest.mark.http

POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
INHOPE_TITLE = "INHOPE hotline network notice and take-down"
PRACTICE_TITLE = "Notice and take-down at the source through the international hotline network"
STUDY_TITLE = "Cross-border forwarding of reports through INHOPE within seconds"


def pages(portal: Portal) -> dict[str, int]:
    """Each page the portal serves, with the status it answers."""
    inhope = initiative_id(portal, INHOPE_TITLE)
    return {
        "/": 200,
        "/search": 200,
        "/search?q=hotlne&country=FR&sort=title": 200,
        f"/initiatives/{inhope}": 200,
        f"/initiatives/{portal.hidden_initiative_id}": 404,
        "/initiatives/SW5pdGlhdGl2ZTo5OTk5": 404,
        "/search?harm=NO-SUCH-HARM": 400,
        "/search/evidence": 200,
        "/search/evidence?q=reprts&sort=updated&page=1": 200,
        "/search/evidence?design=NO-SUCH-DESIGN": 400,
        "/search/practices": 200,
        "/search/practices?q=hotlne&basis=CONSENSUS": 200,
        "/search/practices?colour=blue": 400,
        "/search/practices.csv?limit=0": 400,
        "/organisations/inhope": 200,
        f"/organisations/{HIDDEN_ORGANISATION_SLUG}": 404,
        "/organisations/no-such-organisation": 404,
        "/ratings/rules": 200,
        "/ratings/rules?version=1": 200,
        "/ratings/rules?version=999": 404,
        "/glossary": 200,
        f"/practices/{practice_id(portal, PRACTICE_TITLE)}": 200,
        f"/practices/{portal.hidden_practice_id}": 404,
        "/practices/QmVzdFByYWN0aWNlOjk5OTk=": 404,
        f"/practices/{inhope}": 404,  # an initiative's id is no best practice's
        "/map": 200,
        "/map?rows=harm&columns=study-design&colour=rating&harm=CSAM-KNOWN&country=fr&row=CSAM-KNOWN&column=EXPERT": 200,
        "/map?rows=no-such-axis": 400,
        "/map?rows=harm&columns=harm": 400,  # the API refuses the same axis twice
        "/map?rows=harm&columns=study-design&row=NO-SUCH-HARM&column=EXPERT": 404,  # a cell the map has not
        f"/studies/{study_id(portal, STUDY_TITLE)}": 200,
        f"/studies/{portal.hidden_study_id}": 404,
        "/studies/U3R1ZHk6OTk5OQ==": 404,
        f"/studies/{inhope}": 404,  # an initiative's id is no study's
        "/signed-in?code=forged&state=forged": 400,  # no sign-in under way in this browser
    }


def test_every_page_has_the_strict_policy_is_never_stored_and_labels_its_fields(portal: Portal) -> None:
    for path, status in pages(portal).items():
        response = httpx.get(portal.url + path, timeout=HTTP_TIMEOUT)
        assert response.status_code == status, path
        assert response.headers["content-security-policy"] == POLICY, path
        assert response.headers["cache-control"] == "private, no-store", path
        assert response.headers["x-content-type-options"] == "nosniff", path
        assert response.headers["x-frame-options"] == "DENY", path
        assert response.headers["referrer-policy"] == "same-origin", path
        html = response.text
        assert html.startswith("<!doctype html>\n<html lang=\"en\">"), path
        assert "<style" not in html and " style=" not in html, path
        assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == [], path  # every script is a file of ours
        assert "htmx-config" in html and '"historyCacheSize": 0' in html, path
        assert '<a class="skip-link" href="#content">' in html and '<main id="content"' in html, path
        fields = re.findall(r"<(?:input|select|textarea)\b[^>]*>", html)
        labelled = set(re.findall(r'<label for="([^"]+)"', html))
        for field in fields:  # every field has a label of its own
            field_id = re.search(r'\bid="([^"]+)"', field)
            assert field_id and field_id.group(1) in labelled, (path, field)


def main_part(html: str) -> str:
    """The page's <main>, its request ids made alike."""
    main = html[html.index("<main"):html.index("</main>")]
    return re.sub(r"<code>[^<]*</code>", "<code>ID</code>", main)


def test_a_browser_asking_for_an_address_nothing_serves_gets_the_portals_404_page(portal: Portal) -> None:
    missing_initiative = httpx.get(portal.url + "/initiatives/SW5pdGlhdGl2ZTo5OTk5", headers={"Accept": "text/html"}, timeout=HTTP_TIMEOUT)
    for path in ("/no-such-page", "/initiatives-of-nobody/1"):
        page = httpx.get(portal.url + path, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}, timeout=HTTP_TIMEOUT)
        assert page.status_code == 404 and page.headers["content-type"].startswith("text/html"), path
        assert page.headers["content-security-policy"] == POLICY and page.headers["cache-control"] == "private, no-store", path
        # What a record that is not there says (the page around it differs only in the switch's way back).
        assert main_part(page.text) == main_part(missing_initiative.text) and "<h1>Not found</h1>" in page.text, path
        # An API client asking the same keeps the JSON answer.
        api = httpx.get(portal.url + path, headers={"Accept": "application/json"}, timeout=HTTP_TIMEOUT)
        assert api.status_code == 404 and api.json() == {"detail": "Not Found"}, path
    # A route that says why it found nothing keeps saying it, to a browser too.
    export = httpx.get(portal.url + "/exports/no-such-file", headers={"Accept": "text/html"}, timeout=HTTP_TIMEOUT)
    assert export.status_code == 404 and "no such file in the public export" in export.json()["detail"]


@pytest.mark.parametrize("path", ["/search.csv", "/search/evidence.csv?sort=title", "/search/practices.csv?q=hotlne"])
def test_a_searchs_csv_is_an_attachment_never_stored_under_the_strict_policy(portal: Portal, path: str) -> None:
    response = httpx.get(portal.url + path, timeout=HTTP_TIMEOUT)
    assert response.status_code == 200, path
    assert response.headers["content-type"] == "text/csv; charset=utf-8", path
    assert response.headers["content-disposition"].startswith('attachment; filename="coplab-'), path
    assert response.headers["cache-control"] == "private, no-store", path
    assert response.headers["content-security-policy"] == POLICY, path
    assert response.headers["x-content-type-options"] == "nosniff", path


def test_htmx_gets_the_results_alone_and_a_browser_the_whole_page(portal: Portal) -> None:
    whole = httpx.get(f"{portal.url}/search?q=hotlne", timeout=HTTP_TIMEOUT)
    part = httpx.get(f"{portal.url}/search?q=hotlne", headers={"HX-Request": "true"}, timeout=HTTP_TIMEOUT)
    restoring = httpx.get(
        f"{portal.url}/search?q=hotlne",
        headers={"HX-Request": "true", "HX-History-Restore-Request": "true"},
        timeout=HTTP_TIMEOUT,
    )
    assert "<html" in whole.text and 'id="results"' in whole.text
    assert "<html" not in part.text and part.text.count('id="results"') == 1
    assert 'hx-swap-oob="innerHTML"' in part.text
    assert part.headers["vary"] == "HX-Request, Cookie, Accept-Language" and part.headers["cache-control"] == "private, no-store"
    assert "<html" in restoring.text  # going back in history needs the whole page
    for path in ("/search/evidence?q=reprts", "/search/practices?q=hotlne"):
        part = httpx.get(f"{portal.url}{path}", headers={"HX-Request": "true"}, timeout=HTTP_TIMEOUT)
        assert "<html" not in part.text and part.text.count('id="results"') == 1, path
        assert 'hx-swap-oob="innerHTML"' in part.text, path


def test_a_misspelt_word_is_found_and_marked_in_the_results(portal: Portal) -> None:
    html = httpx.get(f"{portal.url}/search?q=hotlne", timeout=HTTP_TIMEOUT).text
    assert f">{INHOPE_TITLE.replace('hotline', '<mark>hotlin</mark>e')}</a>" in html  # the typo's match, marked


def test_production_serves_the_portals_files_and_not_graphiqls(production: TestClient) -> None:
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    (htmx,) = [p for p in manifest["packages"] if p["name"] == "htmx.org"]
    path = f"htmx.org@{htmx['version']}/htmx.min.js"
    served = production.get(f"/assets/vendor/{path}")
    assert served.status_code == 200 and served.headers["content-type"].startswith("text/javascript")
    assert hashlib.sha256(served.content).hexdigest() == htmx["files"][path]["sha256"]
    css = production.get("/assets/portal.css")
    assert css.status_code == 200 and "@media print" in css.text
    assert production.get("/").headers["content-security-policy"] == POLICY
    # GraphiQL and its files stay development-only; nothing but the portal's listed files is under /assets.
    assert production.get("/static/vendor/graphiql@3.9.0/graphiql.min.js").status_code == 404
    assert production.get("/assets/vendor/graphiql@3.9.0/graphiql.min.js").status_code == 404
    assert production.get("/assets/../routes.py").status_code == 404


def test_the_sign_in_addresses_redirect_uncached_and_refuse_forms_without_a_session(portal: Portal) -> None:
    dashboard = httpx.get(f"{portal.url}/dashboard", timeout=HTTP_TIMEOUT)
    assert dashboard.status_code == 303 and dashboard.headers["location"] == "/sign-in?return_to=%2Fdashboard"
    assert dashboard.headers["cache-control"] == "private, no-store"
    sign_in = httpx.get(f"{portal.url}/sign-in", timeout=HTTP_TIMEOUT)
    assert sign_in.status_code == 303 and sign_in.headers["location"].startswith(f"{portal.url}/oauth/authorize?")
    assert sign_in.headers["set-cookie"].startswith("__Host-coplab-session=")
    for form in ("/sign-out", "/switch-organisation"):
        refused = httpx.post(f"{portal.url}{form}", data={"csrf_token": "forged"}, timeout=HTTP_TIMEOUT)
        assert refused.status_code == 403 and "Form refused" in refused.text, form
        assert refused.headers["content-security-policy"] == POLICY and refused.headers["cache-control"] == "private, no-store"


def test_the_contributors_forms_send_a_signed_out_visitor_to_sign_in_and_refuse_forms_without_a_session(portal: Portal) -> None:
    for path in ("/contribute/initiatives/new", "/contribute/assessments/new", f"/contribute/initiatives/{portal.hidden_initiative_id}/edit"):
        answer = httpx.get(portal.url + path, timeout=HTTP_TIMEOUT)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/sign-in?return_to=%2Fcontribute%2F"), path
        assert answer.headers["cache-control"] == "private, no-store", path
    for form in ("/contribute/initiatives/new", "/contribute/assessments/new", "/contribute/drafts/UmV2aXNpb246MQ==/submit"):
        refused = httpx.post(f"{portal.url}{form}", data={"csrf_token": "forged", "title": "Forged"}, timeout=HTTP_TIMEOUT)
        assert refused.status_code == 403 and "Form refused" in refused.text, form
        assert refused.headers["content-security-policy"] == POLICY and refused.headers["cache-control"] == "private, no-store"
