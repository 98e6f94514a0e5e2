"""`searchToken` against a live Meilisearch: the tenant token a caller gets searches the index
directly (with the official `meilisearch` client, as a frontend would) and finds exactly what
`searchInitiatives` shows that caller, in hits, totals and facet counts; Meilisearch itself refuses
an expired token and one whose search rules were altered."""

import base64
import json
import time
from collections.abc import Iterator

import httpx
import meilisearch
import pytest
from fastapi.testclient import TestClient
from meilisearch.errors import MeilisearchApiError

from api.auth.principal import Role
from api.main import create_app
from api.organisations.models import OrganisationStatus
from api.core.settings import Settings
from tests.factories import graphql
from tests.meilisearch_server import MeilisearchServer, on_meilisearch
from tests.server import HTTP_TIMEOUT

SEARCH_TOKEN = "mutation { searchToken { token url indexUid expiresAt } }"
SEARCH_TOKEN_ALL = "mutation { searchToken { token url indexUid evidenceIndexUid bestPracticesIndexUid expiresAt } }"
SEARCH = """query($q: String!) { searchInitiatives(query: $q, facets: [STATUS], hitsPerPage: 50) {
  totalHits facetDistribution { facet values { value count } } hits { initiative { title } } } }"""


@pytest.fixture
def live(settings: Settings, meilisearch_server: MeilisearchServer) -> Iterator[Settings]:
    with on_meilisearch(settings, meilisearch_server, "token") as live_settings:
        yield live_settings


def _indexed(live: Settings, total: int) -> None:
    """Wait until the in-process indexer has written `total` documents (searched with the master key)."""
    client = meilisearch.Client(live.meilisearch_url, live.meilisearch_api_key)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if client.index(live.search_index_uid).search("", {"limit": 0})["estimatedTotalHits"] == total:
                return
        except MeilisearchApiError:
            pass  # the index does not exist yet
        time.sleep(0.05)
    raise AssertionError(f"the indexer did not index {total} documents in time")


def _direct(token_answer: dict, query: str = "grooming") -> dict:
    """Search Meilisearch with the tenant token, as a browser would."""
    client = meilisearch.Client(token_answer["url"], token_answer["token"])
    return client.index(token_answer["indexUid"]).search(query, {"facets": ["status"], "limit": 50})


def _titles(answer: dict) -> list[str]:
    return sorted(hit["title"] for hit in answer["hits"])


@pytest.fixture
def registry(make):  # noqa: ANN001, ANN201
    """Two member organisations, an observer and a pending organisation, each with initiatives
    about grooming of every visibility."""
    hotline, ministry = make.organisation("hotline"), make.organisation("ministry")
    observer = make.organisation("observer", status=OrganisationStatus.OBSERVER)
    pending = make.organisation("newcomer", status=OrganisationStatus.PENDING)
    make.initiative(hotline, "Grooming helpline", visibility="PUBLIC", status="IMPLEMENTATION")
    make.initiative(hotline, "Grooming casework", visibility="ORGANISATION", status="PIPELINE")
    make.initiative(ministry, "Grooming prosecution", visibility="ORGANISATION", status="IMPLEMENTATION")
    make.initiative(ministry, "Grooming awareness", visibility="MEMBERS", status="CLOSED")
    make.initiative(pending, "Grooming pilot", visibility="PUBLIC", status="PIPELINE")  # its lead is not listed
    return hotline, ministry, observer, pending


@pytest.mark.parametrize(
    ("caller", "expected"),
    [
        # An observer is not a member: it sees what an anonymous reader sees.
        ("observer", ["Grooming helpline"]),
        ("hotline", ["Grooming awareness", "Grooming casework", "Grooming helpline"]),
        ("ministry", ["Grooming awareness", "Grooming helpline", "Grooming prosecution"]),
        ("newcomer", ["Grooming helpline", "Grooming pilot"]),
    ],
)
def test_a_token_finds_what_the_caller_may_see_and_nothing_else(live, make, registry, caller, expected) -> None:  # noqa: ANN001
    organisation = next(o for o in registry if o.slug == caller)
    user = make.member(organisation, f"someone@{caller}.example", Role.VIEWER)
    token = make.token(organisation, user=user)
    with TestClient(create_app(live)) as client:
        _indexed(live, total=5)
        answer = graphql(client, SEARCH_TOKEN, token=token)["data"]["searchToken"]
        through_api = graphql(client, SEARCH, {"q": "grooming"}, token=token)["data"]["searchInitiatives"]

    direct = _direct(answer)

    assert _titles(direct) == expected
    assert direct["estimatedTotalHits"] == len(expected)
    # The same as searchInitiatives shows the caller: hits, total and facet counts.
    assert sorted(h["initiative"]["title"] for h in through_api["hits"]) == expected
    assert through_api["totalHits"] == len(expected)
    api_counts = {v["value"]: v["count"] for v in through_api["facetDistribution"][0]["values"]}
    assert direct["facetDistribution"]["status"] == api_counts
    # Asking for more than the token allows does not widen it: the token's filter is added to the caller's.
    widened = meilisearch.Client(answer["url"], answer["token"]).index(answer["indexUid"]).search(
        "grooming", {"filter": 'visibility = "ORGANISATION" OR visibility = "MEMBERS" OR visibility = "PUBLIC"'}
    )
    assert _titles(widened) == expected


def test_anonymous_callers_get_no_token_and_meilisearch_refuses_a_search_without_one(live, registry) -> None:  # noqa: ANN001
    with TestClient(create_app(live)) as client:
        _indexed(live, total=5)
        refused = graphql(client, SEARCH_TOKEN)
        anonymous = graphql(client, SEARCH, {"q": "grooming"})["data"]["searchInitiatives"]
    assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert [h["initiative"]["title"] for h in anonymous["hits"]] == ["Grooming helpline"]
    # No Authorization header at all: the server holds a master key, so it answers 401.
    without_key = httpx.post(f"{live.meilisearch_url}/indexes/{live.search_index_uid}/search", json={"q": "grooming"}, timeout=HTTP_TIMEOUT)
    assert (without_key.status_code, without_key.json()["code"]) == (401, "missing_authorization_header")


def test_meilisearch_refuses_an_expired_token(live, make, registry) -> None:  # noqa: ANN001
    hotline = registry[0]
    token = make.token(hotline)
    with TestClient(create_app(live.model_copy(update={"search_token_seconds": 1}))) as client:
        _indexed(live, total=5)
        answer = graphql(client, SEARCH_TOKEN, token=token)["data"]["searchToken"]
    assert len(_direct(answer)["hits"]) == 3  # valid while it lasts

    time.sleep(2.2)  # `exp` has whole seconds

    with pytest.raises(MeilisearchApiError) as raised:
        _direct(answer)
    assert raised.value.status_code == 403
    assert raised.value.code == "invalid_api_key"


def _with_claims(token: str, change) -> str:  # noqa: ANN001
    """The token with its claims changed and the original signature kept."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    change(claims)
    encoded = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{encoded}.{signature}"


def test_meilisearch_refuses_a_token_whose_search_rules_were_altered(live, make, registry) -> None:  # noqa: ANN001
    hotline = registry[0]
    token = make.token(hotline)
    with TestClient(create_app(live)) as client:
        _indexed(live, total=5)
        answer = graphql(client, SEARCH_TOKEN, token=token)["data"]["searchToken"]
    assert len(_direct(answer)["hits"]) == 3  # the token as issued works

    unfiltered = _with_claims(answer["token"], lambda claims: claims["searchRules"][answer["indexUid"]].pop("filter"))
    everything = _with_claims(answer["token"], lambda claims: claims.update(searchRules=["*"]))
    for tampered in (unfiltered, everything):
        with pytest.raises(MeilisearchApiError) as raised:
            _direct({**answer, "token": tampered})
        assert raised.value.status_code == 403
        assert raised.value.code == "invalid_api_key"


# --- the evidence and best-practice indexes -----------------------------------------------------------

EVIDENCE_AND_PRACTICES = """query {
  searchEvidence(query: "trial", facets: [STUDY_DESIGN], hitsPerPage: 50) {
    totalHits facetDistribution { facet values { value count } } hits { evidenceAssessment { study { title } } } }
  searchBestPractices(query: "guidance", facets: [HARMS], hitsPerPage: 50) {
    totalHits facetDistribution { facet values { value count } } hits { bestPractice { title } } }
}"""


def _indexed_in(live: Settings, uid: str, total: int) -> None:
    """Wait until index `uid` holds `total` documents (searched with the API key)."""
    client = meilisearch.Client(live.meilisearch_url, live.meilisearch_api_key)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if client.index(uid).search("", {"limit": 0})["estimatedTotalHits"] == total:
                return
        except MeilisearchApiError:
            pass  # the index does not exist yet
        time.sleep(0.05)
    raise AssertionError(f"the indexer did not index {total} documents into {uid} in time")


@pytest.fixture
def records(make):  # noqa: ANN001, ANN201
    """Two member organisations; the hotline's assessments and practices of every visibility, the
    ministry's public ones."""
    hotline, ministry = make.organisation("hotline"), make.organisation("ministry")
    network = make.initiative(hotline, "Hotline network", visibility="PUBLIC")
    make.assessment(network, hotline, "Public trial", study_design="RCT")
    make.assessment(network, hotline, "Members trial", visibility="MEMBERS", study_design="QED")
    make.assessment(network, hotline, "Own trial", visibility="ORGANISATION", study_design="QED")
    make.assessment(network, ministry, "Ministry trial", study_design="RCT")
    make.practice(hotline, "Public guidance", harms=["CSAM-KNOWN"])
    make.practice(hotline, "Members guidance", visibility="MEMBERS", harms=["SOLICITATION"])
    make.practice(hotline, "Own guidance", visibility="ORGANISATION", harms=["CSAM-KNOWN"])
    make.practice(ministry, "Ministry guidance", harms=["SOLICITATION"])
    return hotline, ministry


@pytest.mark.parametrize(
    ("caller", "studies", "practices"),
    [
        (
            "hotline",
            ["Members trial", "Ministry trial", "Own trial", "Public trial"],
            ["Members guidance", "Ministry guidance", "Own guidance", "Public guidance"],
        ),
        # Another member: the hotline's members-only records, not its organisation-only ones.
        ("ministry", ["Members trial", "Ministry trial", "Public trial"], ["Members guidance", "Ministry guidance", "Public guidance"]),
    ],
)
def test_a_token_searches_the_evidence_and_practice_indexes_as_the_api_does(
    live, make, records, caller, studies, practices  # noqa: ANN001
) -> None:
    organisation = next(o for o in records if o.slug == caller)
    token = make.token(organisation, user=make.member(organisation, f"someone@{caller}.example", Role.VIEWER))
    with TestClient(create_app(live)) as client:
        _indexed(live, total=1)
        answer = graphql(client, SEARCH_TOKEN_ALL, token=token)["data"]["searchToken"]
        _indexed_in(live, answer["evidenceIndexUid"], total=4)
        _indexed_in(live, answer["bestPracticesIndexUid"], total=4)
        through_api = graphql(client, EVIDENCE_AND_PRACTICES, token=token)["data"]

    assert answer["evidenceIndexUid"] == f"{live.search_index_uid}-evidence"
    assert answer["bestPracticesIndexUid"] == f"{live.search_index_uid}-best-practices"
    direct = meilisearch.Client(answer["url"], answer["token"])
    found_evidence = direct.index(answer["evidenceIndexUid"]).search("trial", {"facets": ["study_design"], "limit": 50})
    found_practices = direct.index(answer["bestPracticesIndexUid"]).search("guidance", {"facets": ["harms"], "limit": 50})

    assert sorted(h["study_title"] for h in found_evidence["hits"]) == studies
    assert sorted(h["title"] for h in found_practices["hits"]) == practices
    # The same as the API shows the caller: hits, totals and facet counts.
    evidence, best = through_api["searchEvidence"], through_api["searchBestPractices"]
    assert sorted(h["evidenceAssessment"]["study"]["title"] for h in evidence["hits"]) == studies
    assert sorted(h["bestPractice"]["title"] for h in best["hits"]) == practices
    assert (evidence["totalHits"], best["totalHits"]) == (found_evidence["estimatedTotalHits"], found_practices["estimatedTotalHits"])
    assert found_evidence["facetDistribution"]["study_design"] == {
        v["value"]: v["count"] for v in evidence["facetDistribution"][0]["values"] if v["count"]
    }
    assert found_practices["facetDistribution"]["harms"] == {
        v["value"]: v["count"] for v in best["facetDistribution"][0]["values"] if v["count"]
    }
    # A wider filter sent with the token does not widen it.
    widened = direct.index(answer["bestPracticesIndexUid"]).search(
        "guidance", {"filter": 'visibility = "ORGANISATION" OR visibility = "MEMBERS" OR visibility = "PUBLIC"'}
    )
    assert sorted(h["title"] for h in widened["hits"]) == practices
