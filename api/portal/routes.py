"""The portal's pages: home, the three searches (initiatives, evidence, best practices, each also as
CSV), the profiles of an initiative, an organisation and a best
practice, the rating rules and the glossary, each rendered from the data of its GraphQL operation
(operations.py), and the few files they load (portal.css, htmx), served in every environment.
Every page works without JavaScript; htmx only swaps the search results in place."""

import functools
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import quote

from fastapi import APIRouter, Depends
from fastapi.exception_handlers import http_exception_handler
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from api.core.pages import CSRF_FIELD, PAGE_HEADERS, template_environment
from api.core.pages.vendoring import PACKAGES, VENDOR_DIR
from api.portal import evidence_map, exports, languages, rendering, signin
from api.portal.operations import PageProblem, run

STATIC_DIR = Path(__file__).parent / "static"
HTMX = next(spec for spec in PACKAGES if spec.startswith("htmx.org@"))

# Only what the portal's pages load: production serves these and nothing else of the vendored files
# (GraphiQL's stay development-only, under /static).
ASSETS = {
    "portal.css": STATIC_DIR / "portal.css",
    "favicon.svg": STATIC_DIR / "favicon.svg",  # linked from every page, so browsers do not ask for /favicon.ico
    f"vendor/{HTMX}/htmx.min.js": VENDOR_DIR / HTMX / "htmx.min.js",
    f"vendor/{HTMX}/LICENSE": VENDOR_DIR / HTMX / "LICENSE",
}
MEDIA_TYPES = {".css": "text/css", ".js": "text/javascript", ".svg": "image/svg+xml"}

# Scripts, styles, images and requests from this server only; no inline script or style anywhere
# (htmx's own indicator style is turned off in its configuration, base.html).
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
# `private, no-store` on every page: today they are public, but once people sign in a page may hold
# what only they may read, and no cache (shared or the browser's) may keep it.
HEADERS = {
    **PAGE_HEADERS,
    "Cache-Control": "private, no-store",
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    # The search page answers htmx with its results alone; every page is in the language the cookie
    # or, without it, the browser asks for.
    "Vary": "HX-Request, Cookie, Accept-Language",
}

templates = template_environment(Path(__file__).parent / "templates")
# Every string a person reads goes through gettext (`{{ _("…") }}`, `{% trans %}`), translated into
# the language of the request being answered (languages.py: a context variable, so no shared state).
templates.add_extension("jinja2.ext.i18n")
templates.install_gettext_callables(languages.gettext, languages.ngettext, newstyle=True)  # type: ignore[attr-defined]
templates.globals.update(
    page_language=languages.current,
    record_language=languages.RECORD_LANGUAGE,
    language_switch=languages.switch,
    htmx=f"/assets/vendor/{HTMX}/htmx.min.js",
    stylesheet="/assets/portal.css",
    icon="/assets/favicon.svg",
    day=rendering.day,
    web_address=rendering.web_address,
    figure_period=rendering.figure_period,
    figure_value=rendering.figure_value,
    highlight_of=rendering.highlight_of,
    label_highlight_of=rendering.label_highlight_of,
    revision_state=rendering.revision_state,
    cross_references=rendering.cross_references,
    glossary_anchor=rendering.glossary_anchor,
    sorts=rendering.SORTS,
    search_kinds=rendering.SEARCH_KINDS,
    visitor=signin.visitor,  # the header: "Sign in", or the person, their organisation and sign-out
    csrf_field=CSRF_FIELD,
)

templates.filters.update(country_name=languages.country_name, language_name=languages.language_name)

# Every page first takes its language, then finds the browser's session (refreshing its tokens if
# they are about to lapse).
router = APIRouter(include_in_schema=False, dependencies=[Depends(languages.use_language), Depends(signin.resolve)])


def page(template: str, *, status_code: int = 200, **context: object) -> HTMLResponse:
    response = HTMLResponse(templates.get_template(template).render(**context), status_code=status_code, headers=HEADERS)
    if signin.visitor().forget_cookie:  # a cookie that opens no session (ended, or tampered with)
        signin.forget_session_cookie(response)
    return response


def problem_page(problem: PageProblem) -> HTMLResponse:
    """The error page. A record that is missing and one the visitor may not read give the same 404."""
    return page("error.html", status_code=problem.status_code, status=problem.status_code, request_id=problem.request_id)


async def unknown_address(request: Request, error: HTTPException) -> Response:
    """An address nothing serves (the router's own 404, "Not Found"), asked for by a browser (it
    accepts HTML): the portal's 404 page, in the visitor's language, with the portal's headers. API
    clients keep the JSON answer, and so does a route that said why it found nothing."""
    if error.status_code == 404 and error.detail == "Not Found" and "text/html" in request.headers.get("accept", ""):
        await languages.use_language(request)
        return problem_page(PageProblem(404, request.scope.get("state", {}).get("request_id") or "-"))
    return await http_exception_handler(request, error)


def answers_problems(handler: Callable[..., Awaitable[Response]]) -> Callable[..., Awaitable[Response]]:
    """A page handler whose operation's problems (and a record that is not there) become the error page."""

    @functools.wraps(handler)
    async def handle(*args: object, **kwargs: object) -> Response:
        try:
            return await handler(*args, **kwargs)
        except PageProblem as problem:
            return problem_page(problem)

    return handle


async def run_record(request: Request, name: str, variables: dict, field: str) -> tuple[dict, dict]:
    """The record operation `name` gives in `field`, and all its data; a record that is missing, not
    readable or of another kind is the same PageProblem 404."""
    data = await run(request, name, variables)
    if not data.get(field):
        raise PageProblem(404, "-")
    return data[field], data


def permalink(request: Request, path: str, key: str) -> str:
    return f"{str(request.base_url).rstrip('/')}/{path}/{quote(key, safe='')}"


PAGE_LINKS = ("previous-page", "next-page")  # the ids of the results' page links (results.html)


def wants_fragment(request: Request) -> bool:
    """htmx swapping the results in place, not restoring a page from history (which needs it whole)."""
    return request.headers.get("hx-request") == "true" and request.headers.get("hx-history-restore-request") != "true"


@router.get("/", name="portal_home")
@answers_problems
async def home(request: Request) -> Response:
    return page("home.html", data=await run(request, "home"))


async def search_page(request: Request, kind: rendering.SearchKind) -> Response:
    """A search of `kind` as its address says it; an address that is not one of its searches (a
    parameter it does not have, a code its vocabulary does not know) is the page again, with what
    is wrong said, answering 400."""
    problems = rendering.address_problems(request.query_params, kind)
    state = rendering.SearchState.as_far_as_readable(request.query_params, kind)
    if problems:
        return search_problem_page(request, state, problems)
    try:
        result = (await run(request, kind.operation, state.variables()))[kind.result_field]
    except PageProblem as problem:
        if problem.status_code == 400:
            return search_problem_page(request, state, rendering.code_problems(state, problem.problems))
        if not wants_fragment(request):
            raise
        # htmx swaps this in place of the results (its responseHandling, base.html), which would
        # otherwise stay as they were under an address that no longer gives them.
        return page("search_problem.html", status_code=problem.status_code, status=problem.status_code,
                    request_id=problem.request_id, state=state, problems=[], csv_cap=exports.CSV_CAP)
    context = {
        "state": state,
        "result": result,
        "facets": rendering.facet_values(state, result["facetDistribution"]),
        "previous_url": state.url(page=state.page - 1) if state.page > 1 else None,
        "next_url": state.url(page=state.page + 1) if state.page < result["totalPages"] else None,
        "csv_cap": exports.CSV_CAP,
        # htmx names the element that asked (HX-Trigger, its id): a page link's answer moves the focus.
        "turned_page": wants_fragment(request) and request.headers.get("hx-trigger") in PAGE_LINKS,
    }
    return page("search_results.html" if wants_fragment(request) else "search.html", **context)


def search_problem_page(request: Request, state: rendering.SearchState, problems: list[dict]) -> Response:
    """The search page with no results and the address's problems listed, answering 400; for htmx,
    the problems alone, swapped in place of the results (base.html's responseHandling)."""
    template = "search_problem.html" if wants_fragment(request) else "search.html"
    return page(template, status_code=400, status=400, state=state, problems=problems, result=None, facets=[], csv_cap=exports.CSV_CAP)


@router.get("/search", name="portal_search")
@answers_problems
async def search(request: Request) -> Response:
    return await search_page(request, rendering.INITIATIVES)


@router.get("/search/evidence", name="portal_search_evidence")
@answers_problems
async def search_evidence(request: Request) -> Response:
    return await search_page(request, rendering.EVIDENCE)


@router.get("/search/practices", name="portal_search_practices")
@answers_problems
async def search_practices(request: Request) -> Response:
    return await search_page(request, rendering.PRACTICES)


async def search_csv(request: Request, kind: rendering.SearchKind) -> Response:
    """The search's results as CSV, page after page of its own operation, up to the cap (or the
    smaller `limit` the address asks for)."""
    params = request.query_params
    problems = rendering.address_problems(params, kind, allowed=frozenset({"limit"}))
    limit = params.get("limit") or str(exports.CSV_CAP)
    if not limit.isdigit() or not 1 <= int(limit) <= exports.CSV_CAP:
        problems.append({"param": "limit", "value": limit})
    state = rendering.SearchState.as_far_as_readable(params, kind)
    if problems:
        return search_problem_page(request, state, problems)
    cap, hits, total, number = int(limit), [], 0, 1
    try:
        while len(hits) < cap:
            result = (await run(request, kind.operation, state.variables(page=number, hits_per_page=exports.CSV_PAGE_SIZE)))[kind.result_field]
            total = result["totalHits"]
            hits += result["hits"]
            if number >= result["totalPages"] or not result["hits"]:
                break
            number += 1
    except PageProblem as problem:
        if problem.status_code != 400:
            raise
        return search_problem_page(request, state, rendering.code_problems(state, problem.problems))
    base = str(request.base_url).rstrip("/")
    text = exports.csv_text(
        state, hits[:cap], total, cap, base + state.url(page=1),
        lambda path, key: permalink(request, path, key),
    )
    headers = {
        **HEADERS,
        "Content-Disposition": f'attachment; filename="coplab-{kind.name}.csv"',
    }
    return Response(text.encode("utf-8"), media_type="text/csv; charset=utf-8", headers=headers)


@router.get("/search.csv", name="portal_search_csv")
@answers_problems
async def search_initiatives_csv(request: Request) -> Response:
    return await search_csv(request, rendering.INITIATIVES)


@router.get("/search/evidence.csv", name="portal_search_evidence_csv")
@answers_problems
async def search_evidence_csv(request: Request) -> Response:
    return await search_csv(request, rendering.EVIDENCE)


@router.get("/search/practices.csv", name="portal_search_practices_csv")
@answers_problems
async def search_practices_csv(request: Request) -> Response:
    return await search_csv(request, rendering.PRACTICES)


@router.get("/initiatives/{initiative_id:path}", name="portal_initiative")
@answers_problems
async def initiative(request: Request, initiative_id: str) -> Response:
    record, _ = await run_record(request, "initiative", {"id": initiative_id}, "initiative")
    url = permalink(request, "initiatives", record["id"])
    changed = {}  # one diff per pair of versions: the API answers one pair a call
    for earlier, later in rendering.version_pairs(record["versions"]):
        diff = (await run(request, "initiative_diff", {"id": record["id"], "from": earlier, "to": later}))["initiative"]
        changed[later] = rendering.changes((diff or {}).get("diff") or [])
    return page(
        "initiative.html",
        initiative=record,
        partners=[p for p in record["participations"] if p["confirmedAt"]],
        outcomes=rendering.findings_by_outcome(record),
        versions=sorted(record["versions"], key=lambda version: version["number"], reverse=True),
        changed=changed,
        versions_compared=rendering.VERSIONS_COMPARED,
        citation=rendering.citation(record, url),
        permalink=url,
    )


@router.get("/organisations/{slug}", name="portal_organisation")
@answers_problems
async def organisation(request: Request, slug: str) -> Response:
    record, _ = await run_record(request, "organisation", {"slug": slug}, "organisation")
    url = permalink(request, "organisations", record["slug"])
    leads, takes_part_in = rendering.initiatives_of(record)
    practices = (await run(request, "organisation_practices", {"id": record["id"]}))["bestPractices"]
    return page(
        "organisation.html",
        organisation=record,
        practices=practices,
        leads=leads,
        takes_part_in=takes_part_in,
        status_words=rendering.ORGANISATION_STATUSES.get(record["status"], record["status"]),
        citation=rendering.organisation_citation(record, url),
    )


@router.get("/ratings/rules", name="portal_rating_rules")
@answers_problems
async def rating_rules(request: Request, version: str | None = None) -> Response:
    ruleset, data = await run_record(request, "rating_rules", {"version": version or None}, "ratingRuleset")
    return page("rating_rules.html", ruleset=ruleset, versions=data["ratingRulesetVersions"])


@router.get("/glossary", name="portal_glossary")
@answers_problems
async def glossary(request: Request) -> Response:
    return page("glossary.html", vocabularies=(await run(request, "glossary"))["vocabularies"])


@router.get("/practices/{practice_id:path}", name="portal_practice")
@answers_problems
async def practice(request: Request, practice_id: str) -> Response:
    # `node` is null, or has no field for the id of another kind of record (`... on BestPractice`): both 404.
    record, _ = await run_record(request, "practice", {"id": practice_id}, "node")
    url = permalink(request, "practices", record["id"])
    return page("practice.html", practice=record, citation=rendering.practice_citation(record, url))


@router.get("/map", name="portal_map")
@answers_problems
async def evidence_gap_map(request: Request) -> Response:
    state = evidence_map.MapState.from_params(request.query_params)
    if state is None:
        raise PageProblem(400, request.scope.get("state", {}).get("request_id") or "-")
    data = await run(request, "map", state.variables())
    the_map = evidence_map.in_page_language(data["evidenceMap"], state, data["vocabularies"])
    cells = evidence_map.cell_lookup(the_map)
    opened = cells.get((state.row, state.column)) if state.cell_opened else None
    if state.cell_opened and opened is None:
        raise PageProblem(404, "-")  # a cell the map does not have
    labels = {vocabulary["code"]: {t["code"]: t["label"] for t in vocabulary["terms"]} for vocabulary in data["vocabularies"]}
    return page(
        "map.html",
        state=state,
        map=the_map,
        drawing=evidence_map.drawing(the_map, state.colour),
        cells=cells,
        opened=opened,
        axes=evidence_map.AXES,
        filters=evidence_map.filter_options(state, data["vocabularies"]),
        rating_labels=labels.get("evidence-rating", {}),
        design_classes=evidence_map.DESIGN_CLASSES,
        ratings=evidence_map.RATINGS,
    )


@router.get("/studies/{study_id:path}", name="portal_study")
@answers_problems
async def study(request: Request, study_id: str) -> Response:
    # `node` is null, or has no field for the id of another kind of record (`... on Study`): both 404.
    record, data = await run_record(request, "study", {"id": study_id}, "node")
    url = permalink(request, "studies", record["id"])
    assessments = [edge["node"] for edge in data["evidenceAssessments"]["edges"]]
    return page(
        "study.html",
        study=record,
        assessments=rendering.rated_findings(assessments),
        initiatives=rendering.initiatives_studied(assessments),
        citation=rendering.study_citation(record, url),
    )


@router.get("/language/{code}", name="portal_language")
async def choose_language(request: Request, code: str, next: str | None = None) -> Response:  # noqa: A002
    """The language switch: remembers the choice in a cookie and goes back to the page it was made on
    (a path of this site only). A GET link, so it works without JavaScript and needs no form."""
    if code not in languages.LANGUAGES:
        return problem_page(PageProblem(404, request.scope.get("state", {}).get("request_id") or "-"))
    response = RedirectResponse(languages.same_site_path(next), status_code=303, headers=HEADERS)
    response.set_cookie(
        languages.COOKIE, code, max_age=languages.COOKIE_MAX_AGE, path="/", httponly=True, samesite="lax",
        secure=request.url.scheme == "https",
    )
    return response


@router.get("/assets/{name:path}", name="portal_asset")
async def asset(name: str) -> Response:
    path = ASSETS.get(name)
    if path is None:
        return Response(status_code=404, headers={"X-Content-Type-Options": "nosniff"})
    media_type = MEDIA_TYPES.get(path.suffix, "text/plain; charset=utf-8")
    return FileResponse(path, media_type=media_type, headers={"X-Content-Type-Options": "nosniff"})
