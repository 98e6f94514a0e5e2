"""`searchInitiatives` through the real app: words, typos and prefixes, highlights, facets, access,
literal metacharacters, clear errors for bad filters and pages, and hits' initiatives loaded in one batch."""

import time
from collections import Counter
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from sqlmodel import select
from strawberry.relay import from_base64

from api.initiatives.models import Initiative
from api.organisations.models import OrganisationStatus
from api.search.backend import LIST_SEPARATOR
from api.search.documents import build
from tests.factories import classify, gid, graphql, set_columns, sql_statements

DESCRIPTION = (
    "Members of the public report material they come across online to their national hotline, which "
    "assesses it against national law and, where it is hosted abroad, passes it to the partner hotline "
    "in the hosting country. Cases that need urgent action follow an escalation path agreed with the "
    "police, so that a child in danger is identified quickly. Analysts then confirm with the hosting "
    "provider that the material has been removed and record how long removal took for the annual report."
)

# title: (lead, visibility, status, harms, countries, partners, summary)
REGISTRY = {
    "Notice and take-down through the hotline network": (
        "inhope", "PUBLIC", "IMPLEMENTATION", ["CSAM-KNOWN"], ["NL", "FR"], [],
        "Reports of abuse material go to the hotline of the hosting country.",
    ),
    "Hash sharing for known material": (
        "thorn", "PUBLIC", "IMPLEMENTATION", ["CSAM-KNOWN", "CSAM-NEW"], ["US"], [],
        "Platforms exchange hashes of verified hotline reports.",
    ),
    "Grooming classifier": ("thorn", "PUBLIC", "PIPELINE", ["SOLICITATION"], ["US", "GB"], [], None),
    "Confidential hotline escalation": (
        "inhope", "ORGANISATION", "PIPELINE", ["CSAM-NEW"], ["NL"], ["iwf"], None,
    ),
    "Members hotline study": ("inhope", "MEMBERS", "CLOSED", ["EXTORTION"], ["BE"], [], None),
    "Thorn hotline tooling": ("thorn", "ORGANISATION", "IMPLEMENTATION", ["CSAM-SG"], ["BR"], [], None),
    "Pending hotline pilot": ("pending", "PUBLIC", "IMPLEMENTATION", ["CSAM-AI"], ["DE"], [], None),
}
STAKEHOLDER_TYPES = {"inhope": "HOTLINE", "iwf": "HOTLINE", "thorn": "IND-TECH", "observer": "NGO", "pending": "NGO"}
HOTLINE = {title for title in REGISTRY if "hotline" in title.lower() or "hotline" in (REGISTRY[title][6] or "")}
PUBLIC = {"Notice and take-down through the hotline network", "Hash sharing for known material", "Grooming classifier"}
INHOPE_SEES = PUBLIC | {"Confidential hotline escalation", "Members hotline study"}

# Who calls, and which initiatives they may see (access.md; SECURITY.md 13).
CALLERS: dict[str, set[str]] = {
    "anonymous": PUBLIC,
    "other organisation without initiatives:read": PUBLIC,
    "observer (not a member) with initiatives:read": PUBLIC,
    "other member organisation": PUBLIC | {"Members hotline study", "Thorn hotline tooling"},
    "owner": INHOPE_SEES,
    "partner with initiatives:read": INHOPE_SEES,
    "partner without initiatives:read": PUBLIC,
    "pending organisation (its own)": PUBLIC | {"Pending hotline pilot"},
}

SEARCH = """
query($query: String!, $filter: SearchFilter, $facets: [SearchFacet!], $sort: [SearchSort!], $page: Int!,
      $hitsPerPage: Int!, $matchingStrategy: MatchingStrategy!) {
  searchInitiatives(query: $query, filter: $filter, facets: $facets, sort: $sort, page: $page,
                    hitsPerPage: $hitsPerPage, matchingStrategy: $matchingStrategy) {
    totalHits totalPages page hitsPerPage processingTimeMs
    facetDistribution { facet values { value label count } }
    hits { initiative { %s } highlights { field text matches { start length } } }
  }
}
"""


def search(client, token: str | None = None, *, select: str = "id title", **arguments) -> dict:  # noqa: ANN001, A002
    """The whole response body of one `searchInitiatives` call."""
    variables = {"query": "", "page": 1, "hitsPerPage": 20, "matchingStrategy": "LAST", **arguments}
    return graphql(client, SEARCH % select, variables, token)


def found(client, token: str | None = None, **arguments) -> dict:  # noqa: ANN001
    """The `searchInitiatives` result, asserting there were no errors."""
    body = search(client, token, **arguments)
    assert "errors" not in body, body
    return body["data"]["searchInitiatives"]


def titles(result: dict) -> list[str]:
    return [hit["initiative"]["title"] for hit in result["hits"]]


def facet_counts(result: dict) -> dict[str, dict[str, int]]:
    return {f["facet"]: {v["value"]: v["count"] for v in f["values"]} for f in result["facetDistribution"]}


def expected_facets(visible: set[str]) -> dict[str, dict[str, int]]:
    """The facet counts the registry itself gives over `visible` (the oracle)."""
    harms, statuses, stakeholders = Counter(), Counter(), Counter()
    for title in visible:
        lead, _, status, initiative_harms, _, partners, _ = REGISTRY[title]
        harms.update(initiative_harms)
        statuses[status] += 1
        stakeholders.update({STAKEHOLDER_TYPES[o] for o in [lead, *partners]})
    return {"HARMS": dict(harms), "STATUS": dict(statuses), "STAKEHOLDER_TYPES": dict(stakeholders)}


def index_everything(client) -> None:  # noqa: ANN001
    """Put every initiative in the app's search index, built from the database as the indexer builds them,
    once the app's own indexer has built the index (until then searches answer SEARCH_UNAVAILABLE, and
    its build would replace what is put in before it)."""
    app = client.app
    deadline = time.monotonic() + 60
    while not app.state.search_progress.built:
        assert time.monotonic() < deadline, "the app's search index was never built"
        time.sleep(0.02)

    async def documents() -> list[dict]:
        async with app.state.session_factory() as session:
            ids = list((await session.exec(select(Initiative.id))).all())
            built, _ = await build(session=session, initiative_ids=ids)
            return built

    app.state.search.upsert(client.portal.call(documents))
    app.state.search.wait()


@pytest.fixture
def registry(make, db) -> dict:  # noqa: ANN001
    organisations = {
        slug: make.organisation(
            slug,
            stakeholder_type=STAKEHOLDER_TYPES[slug],
            status={"observer": OrganisationStatus.OBSERVER, "pending": OrganisationStatus.PENDING}.get(
                slug, OrganisationStatus.MEMBER
            ),
        )
        for slug in STAKEHOLDER_TYPES
    }
    set_columns(db, organisations["iwf"], name="Internet Watch Foundation")
    set_columns(db, organisations["inhope"], name="INHOPE")
    initiatives = {}
    for title, (lead, visibility, status, harms, countries, partners, summary) in REGISTRY.items():
        initiative = make.initiative(
            organisations[lead],
            title,
            visibility=visibility,
            status=status,
            harms=harms,
            partners=[(organisations[p], "IMPLEMENTING") for p in partners],
        )
        classify(db, initiative, "country", *countries)
        initiatives[title] = set_columns(db, initiative, summary=summary)
    set_columns(db, initiatives["Notice and take-down through the hotline network"], description=DESCRIPTION)
    # Ratings rest on public evidence only: an organisation-only assessment rates nothing.
    make.assessment(initiatives["Notice and take-down through the hotline network"], organisations["iwf"], ratings=["PROMISING"])
    make.assessment(initiatives["Hash sharing for known material"], organisations["thorn"], visibility="ORGANISATION", ratings=["HARMFUL"])
    return {"organisations": organisations, "initiatives": initiatives}


@pytest.fixture
def tokens(make, registry) -> dict[str, str | None]:  # noqa: ANN001
    orgs = registry["organisations"]
    return {
        "anonymous": None,
        "other organisation without initiatives:read": make.token(orgs["thorn"], "practices:read"),
        "observer (not a member) with initiatives:read": make.token(orgs["observer"]),
        "other member organisation": make.token(orgs["thorn"]),
        "owner": make.token(orgs["inhope"]),
        "partner with initiatives:read": make.token(orgs["iwf"]),
        "partner without initiatives:read": make.token(orgs["iwf"], "assessments:read"),
        "pending organisation (its own)": make.token(orgs["pending"]),
    }


@pytest.fixture
def indexed(client, registry) -> dict:  # noqa: ANN001
    index_everything(client)
    return registry


def test_words_with_a_typo_and_a_half_typed_word_find_the_initiative_with_its_matches(client, indexed) -> None:  # noqa: ANN001
    result = found(client, query="hotlne netw", matchingStrategy="ALL")
    title = "Notice and take-down through the hotline network"
    assert titles(result) == [title]
    assert result["totalHits"] == 1
    highlights = {h["field"]: h for h in result["hits"][0]["highlights"]}
    assert list(highlights) == ["title", "summary", "organisations", "description"]
    assert highlights["title"]["text"] == title
    # The typo matches the whole word; the half-typed last word matches the part typed.
    assert highlights["title"]["matches"] == [
        {"start": title.index("hotline"), "length": len("hotline")},
        {"start": title.index("network"), "length": len("netw")},
    ]
    summary = REGISTRY[title][6]
    assert highlights["summary"] == {
        "field": "summary",
        "text": summary,
        "matches": [{"start": summary.index("hotline"), "length": len("hotline")}],
    }


def test_a_hit_found_through_a_synonym_shows_it_beside_the_label_it_stands_for(client, indexed) -> None:  # noqa: ANN001
    """"luring" is in no text of the initiative, only among the synonyms of its harm: the highlight of
    `classifications` shows that code alone (not its status or countries), the synonym marked."""
    result = found(client, query="luring")
    assert titles(result) == ["Grooming classifier"]
    highlights = {h["field"]: h for h in result["hits"][0]["highlights"]}
    assert list(highlights) == ["title", "organisations", "classifications"]  # last, only when matched
    assert highlights["title"]["matches"] == []
    shown = highlights["classifications"]
    assert shown["text"] == (
        "Online solicitation of children for sexual purposes (grooming): grooming, online grooming, solicitation, "
        "child luring, pédopiégeage, sollicitation sexuelle"
    )
    assert [shown["text"][m["start"] : m["start"] + m["length"]] for m in shown["matches"]] == ["luring"]


def test_ranking_puts_a_title_match_before_a_summary_match(client, indexed) -> None:  # noqa: ANN001
    result = found(client, query="hotline")
    assert titles(result) == ["Notice and take-down through the hotline network", "Hash sharing for known material"]


def test_the_description_is_cropped_around_the_match(client, indexed) -> None:  # noqa: ANN001
    result = found(client, query="escalation")
    assert titles(result) == ["Notice and take-down through the hotline network"]  # the other one is not public
    description = next(h for h in result["hits"][0]["highlights"] if h["field"] == "description")
    text = description["text"]
    assert text.startswith("…") and text.endswith("…") and len(text) < len(DESCRIPTION)
    assert text.strip("…") in DESCRIPTION
    [match] = description["matches"]
    assert text[match["start"] : match["start"] + match["length"]] == "escalation"


def test_organisation_names_are_highlighted_lead_first(client, indexed, tokens) -> None:  # noqa: ANN001
    result = found(client, tokens["owner"], query="foundation")
    assert titles(result) == ["Confidential hotline escalation"]
    organisations = next(h for h in result["hits"][0]["highlights"] if h["field"] == "organisations")
    assert organisations["text"] == f"INHOPE{LIST_SEPARATOR}Internet Watch Foundation"
    assert organisations["matches"] == [{"start": organisations["text"].index("Foundation"), "length": 10}]
    assert found(client, query="foundation")["totalHits"] == 0  # the same search, anonymously


def test_highlights_are_plain_text_never_markup(client, db, indexed) -> None:  # noqa: ANN001
    initiative = indexed["initiatives"]["Grooming classifier"]
    set_columns(db, initiative, title="Grooming <b>classifier</b> & <script>x</script>")
    index_everything(client)
    result = found(client, query="classifier")
    [title] = [h for h in result["hits"][0]["highlights"] if h["field"] == "title"]
    assert title["text"] == "Grooming <b>classifier</b> & <script>x</script>"
    assert title["matches"] == [{"start": title["text"].index("classifier"), "length": len("classifier")}]


def test_facets_are_counted_over_every_match_not_just_the_page(client, indexed, tokens) -> None:  # noqa: ANN001
    result = found(
        client, tokens["owner"], query="hotline", hitsPerPage=1, facets=["HARMS", "STATUS", "STAKEHOLDER_TYPES"]
    )
    visible = HOTLINE & INHOPE_SEES
    assert len(result["hits"]) == 1
    assert (result["totalHits"], result["totalPages"]) == (len(visible), len(visible))
    assert facet_counts(result) == expected_facets(visible)
    assert [f["facet"] for f in result["facetDistribution"]] == ["HARMS", "STATUS", "STAKEHOLDER_TYPES"]
    harms = next(f for f in result["facetDistribution"] if f["facet"] == "HARMS")
    assert {v["value"]: v["label"] for v in harms["values"]}["CSAM-KNOWN"] == "Known child sexual abuse material"


def test_pages_walk_every_hit_once(client, indexed, tokens) -> None:  # noqa: ANN001
    pages = [found(client, tokens["owner"], sort=["TITLE_ASC"], page=p, hitsPerPage=2) for p in (1, 2, 3)]
    assert [titles(p) for p in pages] == [sorted(INHOPE_SEES)[0:2], sorted(INHOPE_SEES)[2:4], sorted(INHOPE_SEES)[4:]]
    assert {p["totalPages"] for p in pages} == {3}
    assert [p["page"] for p in pages] == [1, 2, 3]


def test_no_words_with_filters_lists_and_facets_everything_visible(client, indexed, tokens) -> None:  # noqa: ANN001
    everything = found(client, tokens["owner"], sort=["TITLE_ASC"], facets=["HARMS", "STATUS", "STAKEHOLDER_TYPES"])
    assert titles(everything) == sorted(INHOPE_SEES)
    assert facet_counts(everything) == expected_facets(INHOPE_SEES)

    filtered = found(
        client,
        tokens["owner"],
        filter={"harms": ["CSAM-NEW", "EXTORTION"], "countries": ["nl", "BE", "US"]},
        facets=["COUNTRIES"],
        sort=["TITLE_DESC"],
    )
    assert titles(filtered) == ["Members hotline study", "Hash sharing for known material", "Confidential hotline escalation"]
    countries = filtered["facetDistribution"][0]["values"]
    assert countries == [
        {"value": "BE", "label": "Belgium", "count": 1},
        {"value": "NL", "label": "Netherlands", "count": 1},
        {"value": "US", "label": "United States", "count": 1},
    ]


@pytest.mark.parametrize(
    ("filter", "expected"),
    [
        pytest.param({"statuses": ["PIPELINE"]}, {"Grooming classifier", "Confidential hotline escalation"}, id="status"),
        pytest.param({"interventionTypes": []}, set(), id="an empty list matches nothing"),
        pytest.param({"stakeholderTypes": ["IND-TECH"]}, {"Hash sharing for known material", "Grooming classifier"}, id="stakeholder type"),
        pytest.param({"ratings": ["PROMISING"]}, {"Notice and take-down through the hotline network"}, id="public rating"),
        pytest.param({"ratings": ["HARMFUL"]}, set(), id="a non-public assessment's rating is not indexed"),
        pytest.param({"hasEvidence": True}, {"Notice and take-down through the hotline network"}, id="public evidence"),
        pytest.param(
            {"hasEvidence": False},
            INHOPE_SEES - {"Notice and take-down through the hotline network"},
            id="no public evidence (an organisation-only assessment is none)",
        ),
        pytest.param(
            lambda orgs: {"leadOrganisation": [gid("Organisation", orgs["thorn"].id)]},
            {"Hash sharing for known material", "Grooming classifier"},
            id="lead organisation",
        ),
        pytest.param(
            {"statuses": ["IMPLEMENTATION"], "harms": ["CSAM-KNOWN"]},
            {"Notice and take-down through the hotline network", "Hash sharing for known material"},
            id="filters combine",
        ),
    ],
)
def test_each_filter(client, indexed, tokens, filter, expected) -> None:  # noqa: ANN001, A002
    given = filter(indexed["organisations"]) if callable(filter) else filter
    result = found(client, tokens["owner"], filter=given)
    assert set(titles(result)) == expected
    assert result["totalHits"] == len(expected)


@pytest.mark.parametrize("caller", list(CALLERS))
@pytest.mark.parametrize("query", ["hotline", ""])
def test_hits_totals_and_facets_only_cover_what_the_caller_may_see(client, indexed, tokens, caller, query) -> None:  # noqa: ANN001
    visible = CALLERS[caller] & (HOTLINE if query else set(REGISTRY))
    result = found(client, tokens[caller], query=query, facets=["HARMS", "STATUS", "STAKEHOLDER_TYPES"])
    assert set(titles(result)) == visible
    assert result["totalHits"] == len(visible)
    assert facet_counts(result) == expected_facets(visible)


def test_a_filter_cannot_reach_past_the_access_filter(client, indexed, tokens) -> None:  # noqa: ANN001
    inhope = gid("Organisation", indexed["organisations"]["inhope"].id)
    result = found(
        client, tokens["other member organisation"], filter={"leadOrganisation": [inhope], "harms": ["CSAM-NEW"]}, facets=["HARMS"]
    )
    assert (result["hits"], result["totalHits"], facet_counts(result)) == ([], 0, {"HARMS": {}})


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param("' OR '1'='1", set(), id="SQL"),
        pytest.param("x'; DROP TABLE initiative; --", set(), id="SQL statement"),
        pytest.param('hotline" OR visibility = "ORGANISATION', {"Notice and take-down through the hotline network", "Hash sharing for known material"}, id="filter syntax"),
        pytest.param("100% hotline_", set(), id="LIKE wildcards"),
        pytest.param("hotline\x00", {"Notice and take-down through the hotline network", "Hash sharing for known material"}, id="NUL"),
    ],
)
def test_metacharacters_in_the_query_are_literal_text(client, db, indexed, query, expected) -> None:  # noqa: ANN001
    result = found(client, query=query)
    assert set(titles(result)) == expected
    assert result["totalHits"] == len(expected)
    assert db.exec(select(sa.func.count()).select_from(Initiative)).one() == len(REGISTRY)


def _problems(body: dict) -> list[tuple[list[str], str]]:
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    return [(p["field"], p["code"]) for p in error["extensions"]["problems"]]


def test_unknown_codes_and_bad_ids_in_the_filter_are_a_clear_error(client, indexed, tokens) -> None:  # noqa: ANN001
    body = search(
        client,
        tokens["owner"],
        query="hotline",
        filter={
            "harms": ["CSAM-KNOWN", "NOT-A-HARM"],
            "statuses": ["RUNNING"],
            "interventionTypes": ['RPT-HOT" OR visibility = "ORGANISATION'],
            "stakeholderTypes": ["HOTLINE\x00"],
            "ratings": ["promising"],
            "countries": ["XX", "NL"],
            "leadOrganisation": [gid("Initiative", 1)],
        },
    )
    assert body["data"] is None
    assert sorted(_problems(body)) == sorted(
        [
            (["filter", "harms", "1"], "INVALID_CODE"),
            (["filter", "statuses", "0"], "INVALID_CODE"),
            (["filter", "interventionTypes", "0"], "INVALID_CODE"),
            (["filter", "stakeholderTypes", "0"], "INVALID_CODE"),
            (["filter", "ratings", "0"], "INVALID_CODE"),
            (["filter", "countries", "0"], "INVALID_COUNTRY"),
            (["filter", "leadOrganisation", "0"], "INVALID_ID"),
        ]
    )
    assert "'NOT-A-HARM' is not a code of harm." in body["errors"][0]["message"]


def test_too_many_filter_values_are_refused(client, indexed) -> None:  # noqa: ANN001
    assert _problems(search(client, filter={"harms": ["CSAM-KNOWN"] * 51})) == [(["filter", "harms"], "TOO_MANY")]


@pytest.mark.parametrize(
    ("page", "hits_per_page", "field"),
    [
        (0, 20, "page"),
        (-1, 20, "page"),
        (1, 0, "hitsPerPage"),
        (1, -5, "hitsPerPage"),
        (1, 101, "hitsPerPage"),
        (501, 20, "page"),  # beyond the first 10,000 hits
        (2**31 - 1, 100, "page"),
    ],
)
def test_bad_pages_are_refused(client, indexed, page, hits_per_page, field) -> None:  # noqa: ANN001
    body = search(client, query="hotline", page=page, hitsPerPage=hits_per_page)
    assert body["data"] is None
    assert [f for f, _ in _problems(body)] == [[field]]


def test_a_huge_page_size_is_over_the_node_budget(client, indexed) -> None:  # noqa: ANN001
    """Every hit is a node: a page size beyond any limit is refused before the search runs, as a
    connection's `first` is (docs/api.md, Limits)."""
    body = search(client, query="hotline", hitsPerPage=2**31 - 1)
    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["QUERY_TOO_COSTLY"]


def test_the_last_reachable_page_is_allowed(client, indexed) -> None:  # noqa: ANN001
    result = found(client, page=100, hitsPerPage=100)
    assert (result["hits"], result["totalHits"], result["page"]) == ([], len(PUBLIC), 100)


def test_an_overlong_query_is_refused(client, indexed) -> None:  # noqa: ANN001
    assert _problems(search(client, query="hotline " * 100)) == [(["query"], "TOO_LONG")]


INITIATIVE_FIELDS = """
id title summary visibility status { code label } countries { code }
harms { code } leadOrganisation { name } participations { role { code } organisation { name } }
assessments { findings { proposedRating { code } } } outcomeRatings { rating { code } }
"""


def test_the_hits_initiatives_come_back_with_their_fields(client, indexed, tokens) -> None:  # noqa: ANN001
    result = found(client, tokens["owner"], query="escalation", select=INITIATIVE_FIELDS)
    by_title = {hit["initiative"]["title"]: hit["initiative"] for hit in result["hits"]}
    confidential = by_title["Confidential hotline escalation"]
    row = indexed["initiatives"]["Confidential hotline escalation"]
    assert from_base64(confidential["id"]) == ("Initiative", str(row.id))
    assert confidential == {
        "id": confidential["id"],
        "title": "Confidential hotline escalation",
        "summary": None,
        "visibility": "ORGANISATION",
        "status": {"code": "PIPELINE", "label": confidential["status"]["label"]},
        "countries": [{"code": "NL"}],
        "harms": [{"code": "CSAM-NEW"}],
        "leadOrganisation": {"name": "INHOPE"},
        "participations": [{"role": {"code": "IMPLEMENTING"}, "organisation": {"name": "Internet Watch Foundation"}}],
        "assessments": [],
        "outcomeRatings": [],
    }
    assert confidential["status"]["label"] not in ("", "PIPELINE")
    notice = by_title["Notice and take-down through the hotline network"]
    assert notice["assessments"] == [{"findings": [{"proposedRating": {"code": "PROMISING"}}]}]
    assert notice["outcomeRatings"] == [{"rating": {"code": "PROMISING"}}]


def _statements(client, app, run: Callable[[], dict]) -> tuple[dict, int]:  # noqa: ANN001
    with sql_statements(app) as statements:
        result = run()
    return result, len(statements)


def test_the_hits_initiatives_load_in_one_batch_whatever_the_page_size(client, app, indexed, tokens) -> None:  # noqa: ANN001
    def page(size: int) -> Callable[[], dict]:
        return lambda: found(client, tokens["owner"], query="hotline", hitsPerPage=size, select=INITIATIVE_FIELDS)

    found(client, tokens["owner"])  # warm the per-process caches (vocabulary terms)
    one, one_count = _statements(client, app, page(1))
    four, four_count = _statements(client, app, page(4))
    assert (len(one["hits"]), len(four["hits"])) == (1, 4)
    assert one_count == four_count


def test_a_hit_the_database_no_longer_lets_the_caller_read_is_dropped(client, db, indexed) -> None:  # noqa: ANN001
    # The index has not caught up yet with this change of visibility.
    set_columns(db, indexed["initiatives"]["Notice and take-down through the hotline network"], visibility="ORGANISATION")
    result = found(client, query="hotline")
    assert titles(result) == ["Hash sharing for known material"]


def test_sorting_by_update_time(client, db, indexed) -> None:  # noqa: ANN001
    from datetime import UTC, datetime, timedelta

    base = datetime(2024, 1, 1, tzinfo=UTC)
    for days, title in enumerate(["Grooming classifier", "Notice and take-down through the hotline network", "Hash sharing for known material"]):
        set_columns(db, indexed["initiatives"][title], updated_at=base + timedelta(days=days))
    index_everything(client)
    newest_first = titles(found(client, sort=["UPDATED_AT_DESC"]))
    assert newest_first == ["Hash sharing for known material", "Notice and take-down through the hotline network", "Grooming classifier"]
    assert titles(found(client, sort=["UPDATED_AT_ASC"])) == newest_first[::-1]


EVERY_VALUE = """
query($query: String!, $facets: [SearchFacet!], $all: Boolean!) {
  searchInitiatives(query: $query, facets: $facets, allFacetValues: $all) {
    totalHits facetDistribution { facet values { value label count } }
  }
}
"""


def test_every_facet_value_can_be_listed_with_zero_counts_over_what_the_caller_may_see(client, db, indexed, tokens) -> None:  # noqa: ANN001
    from api.vocabularies.models import VocabularyTerm

    every_harm = set(db.exec(select(VocabularyTerm.code).where(VocabularyTerm.vocabulary == "harm")).all())
    for caller, visible in (("anonymous", PUBLIC), ("owner", INHOPE_SEES)):
        body = graphql(client, EVERY_VALUE, {"query": "hotline", "facets": ["HARMS", "HAS_EVIDENCE", "COUNTRIES"], "all": True}, tokens[caller])
        assert "errors" not in body, body
        result = body["data"]["searchInitiatives"]
        counts = facet_counts(result)
        expected = expected_facets(HOTLINE & visible)["HARMS"]
        # Every harm is listed; the counts are those of the initiatives the caller may see, so a harm only
        # a hidden initiative holds (EXTORTION, for anonymous) is 0 like any harm nobody holds.
        assert set(counts["HARMS"]) == every_harm
        assert counts["HARMS"] == {code: expected.get(code, 0) for code in every_harm}
        assert sum(counts["HAS_EVIDENCE"].values()) == result["totalHits"] == len(HOTLINE & visible)
        assert counts["HAS_EVIDENCE"]["true"] == 1
        labels = {v["value"]: v["label"] for f in result["facetDistribution"] if f["facet"] == "HAS_EVIDENCE" for v in f["values"]}
        assert labels == {"true": "Public evidence", "false": "No public evidence"}
        assert 0 not in counts["COUNTRIES"].values()  # countries list only those found

    without = graphql(client, EVERY_VALUE, {"query": "grooming", "facets": ["HARMS"], "all": False}, None)
    assert facet_counts(without["data"]["searchInitiatives"])["HARMS"] == {"SOLICITATION": 1}
