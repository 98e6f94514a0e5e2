"""HTTP-level tests of the Meilisearch adapter: derived from the Meilisearch API reference (not run
against a live server).

Each test fixes the exact requests `MeilisearchBackend` sends (method, path, JSON body) and feeds it
responses shaped as the reference documents them:
- tasks (summarized task on 202, task object on GET /tasks/{uid}):
  https://www.meilisearch.com/docs/reference/api/tasks
- settings: https://www.meilisearch.com/docs/reference/api/settings
- documents (add or replace, delete by filter, fetch): https://www.meilisearch.com/docs/reference/api/documents
- search (page/hitsPerPage, _formatted, facetDistribution): https://www.meilisearch.com/docs/reference/api/search
- swap indexes: https://www.meilisearch.com/docs/reference/api/indexes#swap-indexes
- errors: https://www.meilisearch.com/docs/reference/errors/overview
- tenant tokens: https://www.meilisearch.com/docs/learn/security/tenant_token_reference
"""

import base64
import hashlib
import hmac
import json
import time
from urllib.parse import urlsplit

import pytest
import requests
import responses

from api.search import meilisearch_backend
from api.search.stop_words import STOP_WORDS
from api.search.backend import (
    MatchRange,
    MatchingStrategy,
    SearchRequest,
    SearchUnavailable,
    SortField,
)
from api.search.filters import AnyOf, Equals, all_of
from api.search.meilisearch_backend import (
    MeilisearchBackend,
    MeilisearchRejected,
    MeilisearchTaskFailed,
    tenant_token,
)

URL = "http://meili.test:7700"
KEY = "search-master-key-for-tests"
ENQUEUED_AT = "2024-05-02T10:00:00.000000Z"


@pytest.fixture
def mock():
    # Every registered response must be used, and any unregistered request fails the test.
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        yield rsps


@pytest.fixture
def backend():
    return MeilisearchBackend(URL, KEY, poll_interval_ms=1)


def enqueued(mock, method, path, uid, task_type, index_uid="initiatives", **kwargs):
    """Register `method path` answering the summarized task object (202 Accepted)."""
    body = {"taskUid": uid, "indexUid": index_uid, "status": "enqueued", "type": task_type, "enqueuedAt": ENQUEUED_AT}
    mock.add(method, URL + path, json=body, status=202, **kwargs)


def finished(mock, uid, task_type, status="succeeded", error=None, index_uid="initiatives"):
    """Register GET /tasks/{uid} answering a finished task object, as in the reference's example."""
    body = {
        "uid": uid,
        "indexUid": index_uid,
        "status": status,
        "type": task_type,
        "canceledBy": None,
        "details": {},
        "error": error,
        "duration": "PT0.001192S",
        "enqueuedAt": ENQUEUED_AT,
        "startedAt": "2024-05-02T10:00:00.100000Z",
        "finishedAt": "2024-05-02T10:00:00.200000Z",
    }
    mock.add(responses.GET, f"{URL}/tasks/{uid}", json=body, status=200)


def error(message, code, error_type="invalid_request"):
    return {"message": message, "code": code, "type": error_type, "link": f"https://docs.meilisearch.com/errors#{code}"}


def sent(mock):
    """The requests the adapter sent, as (method, path?query, parsed JSON body or None)."""
    out = []
    for call in mock.calls:
        parts = urlsplit(call.request.url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        body = call.request.body
        out.append((call.request.method, path, json.loads(body) if body else None))
    return out


EXPECTED_SETTINGS = {
    "searchableAttributes": ["title", "classifications", "summary", "organisations", "misspellings", "description"],
    "filterableAttributes": [
        "id",
        "status",
        "harms",
        "intervention_types",
        "countries",
        "stakeholder_types",
        "ratings",
        "has_evidence",
        "lead_organisation",
        "visibility",
        "owners",
        "lead_listed",
    ],
    "sortableAttributes": ["title_sort", "updated_at"],
    "faceting": {"maxValuesPerFacet": 300},
    "typoTolerance": {"enabled": True, "minWordSizeForTypos": {"oneTypo": 5, "twoTypos": 9}},
    "pagination": {"maxTotalHits": 10000},
    "separatorTokens": ["$", "<", "=", ">", "^", "|", "~", "°", "©", "®", "™", "€", "£", "¬", "¦"],
    "stopWords": list(STOP_WORDS),
}


# ensure_index and settings


def test_ensure_index_creates_the_index_with_id_as_primary_key_and_applies_settings(mock, backend):
    """Derived from the Meilisearch API reference (not run against a live server): POST /indexes
    with primaryKey "id", then PATCH /indexes/initiatives/settings, each task waited for."""
    enqueued(mock, responses.POST, "/indexes", 1, "indexCreation")
    finished(mock, 1, "indexCreation")
    enqueued(mock, responses.PATCH, "/indexes/initiatives/settings", 2, "settingsUpdate")
    finished(mock, 2, "settingsUpdate")

    backend.ensure_index()

    assert sent(mock) == [
        ("POST", "/indexes", {"uid": "initiatives", "primaryKey": "id"}),
        ("GET", "/tasks/1", None),
        ("PATCH", "/indexes/initiatives/settings", EXPECTED_SETTINGS),
        ("GET", "/tasks/2", None),
    ]
    assert mock.calls[0].request.headers["Authorization"] == f"Bearer {KEY}"


def test_ensure_index_on_an_existing_index_still_applies_settings(mock, backend):
    """Derived from the Meilisearch API reference (not run against a live server): creating an
    existing index gives a failed task with code index_already_exists, which is not an error here."""
    enqueued(mock, responses.POST, "/indexes", 1, "indexCreation")
    finished(mock, 1, "indexCreation", "failed", error("Index `initiatives` already exists.", "index_already_exists"))
    enqueued(mock, responses.PATCH, "/indexes/initiatives/settings", 2, "settingsUpdate")
    finished(mock, 2, "settingsUpdate")

    backend.ensure_index()

    assert [(m, p) for m, p, _ in sent(mock)][-2:] == [("PATCH", "/indexes/initiatives/settings"), ("GET", "/tasks/2")]


def test_a_failed_settings_task_raises_with_the_task_error_message(mock, backend):
    """Derived from the Meilisearch API reference (not run against a live server): a task whose
    status is "failed" carries an error object; the adapter raises with its message and code."""
    enqueued(mock, responses.POST, "/indexes", 1, "indexCreation")
    finished(mock, 1, "indexCreation")
    enqueued(mock, responses.PATCH, "/indexes/initiatives/settings", 2, "settingsUpdate")
    message = "Invalid value type at `.pagination.maxTotalHits`: expected a positive integer."
    finished(mock, 2, "settingsUpdate", "failed", error(message, "invalid_settings_pagination"))

    with pytest.raises(MeilisearchTaskFailed) as raised:
        backend.ensure_index()

    assert isinstance(raised.value, SearchUnavailable)
    assert raised.value.task_uid == 2
    assert raised.value.code == "invalid_settings_pagination"
    assert message in str(raised.value)


# writes


def test_upsert_replaces_whole_documents_with_string_ids(mock, backend):
    """Derived from the Meilisearch API reference (not run against a live server): "add or replace
    documents" is POST /indexes/{uid}/documents (PUT would merge fields into the stored document)."""
    documents = [
        {"id": "17", "title": "Hotline reporting", "harms": ["csam"], "lead_listed": True},
        {"id": "42", "title": "Safer design code", "harms": [], "lead_listed": False},
    ]
    enqueued(mock, responses.POST, "/indexes/initiatives/documents", 5, "documentAdditionOrUpdate")
    finished(mock, 5, "documentAdditionOrUpdate")

    backend.upsert(documents)
    backend.wait()

    (method, path, body), task_poll = sent(mock)
    assert (method, path) == ("POST", "/indexes/initiatives/documents?primaryKey=id")
    assert body == documents
    assert all(isinstance(d["id"], str) for d in body)
    assert task_poll[:2] == ("GET", "/tasks/5")


def test_upsert_refuses_a_document_without_a_string_id_before_sending_anything(mock, backend):
    """Derived from the Meilisearch API reference (not run against a live server): document ids are
    strings in coplab; an integer id is a bug in the caller and nothing is sent."""
    with pytest.raises(ValueError, match="string `id`"):
        backend.upsert([{"id": 17, "title": "Hotline reporting"}])
    assert len(mock.calls) == 0


def test_upsert_of_nothing_sends_nothing(mock, backend):
    """Derived from the Meilisearch API reference (not run against a live server): no empty payloads."""
    backend.upsert([])
    backend.delete([])
    backend.wait()
    assert len(mock.calls) == 0


def test_wait_raises_a_failed_document_task_with_its_message(mock, backend):
    """Derived from the Meilisearch API reference (not run against a live server): the 202 answer
    only says "enqueued"; the failure shows in GET /tasks/{uid}, and wait() raises it."""
    enqueued(mock, responses.POST, "/indexes/initiatives/documents", 7, "documentAdditionOrUpdate")
    message = "Document identifier `\"a b\"` is invalid."
    finished(mock, 7, "documentAdditionOrUpdate", "failed", error(message, "invalid_document_id"))

    backend.upsert([{"id": "a b", "title": "x"}])  # does not raise: the task is only enqueued
    with pytest.raises(MeilisearchTaskFailed, match="invalid_document_id") as raised:
        backend.wait()

    assert raised.value.message == message
    calls = len(mock.calls)
    backend.wait()  # the failure was reported once; nothing is left pending
    assert len(mock.calls) == calls


def test_wait_waits_for_every_pending_task_even_after_a_failure(mock, backend):
    """Derived from the Meilisearch API reference (not run against a live server): tasks run in
    order, so a later task may succeed after an earlier one failed; both are polled."""
    enqueued(mock, responses.POST, "/indexes/initiatives/documents", 8, "documentAdditionOrUpdate")
    enqueued(mock, responses.POST, "/indexes/initiatives/documents/delete", 9, "documentDeletion")
    finished(mock, 8, "documentAdditionOrUpdate", "failed", error("The payload is malformed.", "malformed_payload"))
    finished(mock, 9, "documentDeletion")

    backend.upsert([{"id": "1", "title": "x"}])
    backend.delete(["2"])
    with pytest.raises(MeilisearchTaskFailed) as raised:
        backend.wait()

    assert raised.value.task_uid == 8
    assert [p for m, p, _ in sent(mock) if m == "GET"] == ["/tasks/8", "/tasks/9"]


def test_delete_sends_an_id_filter_built_from_the_filter_tree(mock, backend):
    """Derived from the Meilisearch API reference (not run against a live server): "delete documents
    by filter" is POST /indexes/{uid}/documents/delete with {"filter": ...}; ids are quoted."""
    enqueued(mock, responses.POST, "/indexes/initiatives/documents/delete", 3, "documentDeletion")
    finished(mock, 3, "documentDeletion")

    backend.delete(["17", 'odd"id'])
    backend.wait()

    assert sent(mock)[0] == ("POST", "/indexes/initiatives/documents/delete", {"filter": 'id IN ["17", "odd\\"id"]'})


# errors


@pytest.mark.parametrize("status", [500, 502, 503])
def test_a_5xx_answer_is_search_unavailable(mock, backend, status):
    """Derived from the Meilisearch API reference (not run against a live server): errors of type
    "internal"/"system" come with a 5xx status."""
    mock.add(
        responses.POST,
        f"{URL}/indexes/initiatives/search",
        json=error("Meilisearch ran out of resources.", "internal", "internal"),
        status=status,
    )
    with pytest.raises(SearchUnavailable) as raised:
        backend.search(SearchRequest(query="hotline"))
    assert not isinstance(raised.value, MeilisearchRejected)
    assert str(status) in str(raised.value)


def test_a_5xx_answer_to_a_write_is_search_unavailable(mock, backend):
    """Derived from the Meilisearch API reference (not run against a live server)."""
    mock.add(responses.POST, f"{URL}/indexes/initiatives/documents", json=error("I/O error", "io_error", "system"), status=500)
    with pytest.raises(SearchUnavailable, match="500"):
        backend.upsert([{"id": "1", "title": "x"}])


@pytest.mark.parametrize(
    ("method", "path", "call"),
    [
        (responses.POST, "/indexes/initiatives/search", lambda b: b.search(SearchRequest(query="hotline"))),
        (responses.POST, "/indexes/initiatives/documents", lambda b: b.upsert([{"id": "1", "title": "x"}])),
        (responses.POST, "/indexes/initiatives/documents/delete", lambda b: b.delete(["1"])),
        (responses.GET, "/indexes/initiatives/stats", lambda b: b.stats()),
        (responses.GET, "/tasks/4", lambda b: b._wait_for(4)),
    ],
    ids=["search", "upsert", "delete", "stats", "wait"],
)
def test_a_connection_error_is_search_unavailable(mock, backend, method, path, call):
    """Derived from the Meilisearch API reference (not run against a live server): the server does
    not answer at all."""
    mock.add(method, URL + path, body=requests.exceptions.ConnectionError("Connection refused"))
    with pytest.raises(SearchUnavailable, match="cannot be reached.*Connection refused"):
        call(backend)
    sent_method, sent_path, _ = sent(mock)[0]
    assert (sent_method, sent_path.split("?")[0]) == (method, path)


def test_a_4xx_answer_is_refused_with_the_meilisearch_code(mock, backend):
    """Derived from the Meilisearch API reference (not run against a live server): a 4xx answer
    carries {message, code, type, link}."""
    mock.add(
        responses.POST,
        f"{URL}/indexes/initiatives/search",
        json=error("The provided API key is invalid.", "invalid_api_key", "auth"),
        status=403,
    )
    with pytest.raises(MeilisearchRejected) as raised:
        backend.search(SearchRequest(query="hotline"))
    assert (raised.value.status, raised.value.code) == (403, "invalid_api_key")
    assert "The provided API key is invalid." in str(raised.value)


# search


def search_answer(hits, **extra):
    """A search response with exhaustive pagination, as documented for page/hitsPerPage."""
    return {
        "hits": hits,
        "query": "hotline",
        "processingTimeMs": 4,
        "hitsPerPage": 20,
        "page": 1,
        "totalPages": 1,
        "totalHits": len(hits),
        **extra,
    }


def test_search_sends_filter_facets_sort_pagination_strategy_and_marker_tags(mock, backend):
    """Derived from the Meilisearch API reference (not run against a live server): the POST
    /indexes/{uid}/search body, with the filter string rendered from the typed tree."""
    mock.add(responses.POST, f"{URL}/indexes/initiatives/search", json=search_answer([]))
    request = SearchRequest(
        query='hotline "reporting',
        filter=all_of(Equals("visibility", "public"), AnyOf("harms", ("csam", 'say "no"'))),
        facets=("harms", "countries"),
        sort=(SortField("updated_at", descending=True), SortField("title_sort")),
        page=2,
        hits_per_page=10,
        matching_strategy=MatchingStrategy.ALL,
        highlight=("title",),
        crop=("summary",),
        crop_length=12,
    )

    backend.search(request)

    assert sent(mock) == [
        (
            "POST",
            "/indexes/initiatives/search",
            {
                "q": 'hotline "reporting',
                "page": 2,
                "hitsPerPage": 10,
                "matchingStrategy": "all",
                "attributesToRetrieve": ["id", "title", "summary"],
                "filter": '(visibility = "public") AND (harms IN ["csam", "say \\"no\\""])',
                "facets": ["harms", "countries"],
                "sort": ["updated_at:desc", "title_sort:asc"],
                "attributesToHighlight": ["title", "summary"],
                "highlightPreTag": "\ue000",
                "highlightPostTag": "\ue001",
                "attributesToCrop": ["summary"],
                "cropLength": 12,
                "cropMarker": "…",
            },
        )
    ]


def test_a_search_with_no_words_and_no_filter_sends_neither(mock, backend):
    """Derived from the Meilisearch API reference (not run against a live server): a placeholder
    search is q "" without a filter; no highlight parameters when no field is highlighted."""
    mock.add(responses.POST, f"{URL}/indexes/initiatives/search", json=search_answer([]))
    backend.search(SearchRequest())
    assert sent(mock)[0][2] == {
        "q": "",
        "page": 1,
        "hitsPerPage": 20,
        "matchingStrategy": "last",
        "attributesToRetrieve": ["id"],
    }


def test_search_reads_hits_totals_and_facets_and_turns_formatted_into_ranges(mock, backend):
    """Derived from the Meilisearch API reference (not run against a live server): `_formatted`
    holds the highlighted (and cropped) values with our tags; snippets are plain text + ranges."""
    hits = [
        {
            "id": "17",
            "title": "Hotline reporting",
            "_formatted": {
                "id": "17",
                # a match at the very start
                "title": "\ue000Hotline\ue001 reporting",
                # two matches
                "summary": "A national \ue000hotline\ue001 for \ue000reporting\ue001 abuse",
                # cropped on both sides, with the crop marker
                "description": "…where the \ue000hotline\ue001 analysts review…",
                "organisations": ["INHOPE", "\ue000Hotline\ue001 Foundation"],
            },
        },
        {"id": "42", "title": "No formatted fields"},
    ]
    facets = {"harms": {"csam": 2, "grooming": 1}, "countries": {"NL": 2}}
    answer = search_answer(hits, totalHits=27, totalPages=3, page=1, hitsPerPage=20, facetDistribution=facets)
    answer["processingTimeMs"] = 11
    mock.add(responses.POST, f"{URL}/indexes/initiatives/search", json=answer)

    result = backend.search(
        SearchRequest(query="hotline reporting", highlight=("title", "summary", "organisations"), crop=("description",))
    )

    assert [h.id for h in result.hits] == ["17", "42"]
    snippets = result.hits[0].snippets
    assert snippets["title"].text == "Hotline reporting"
    assert snippets["title"].matches == (MatchRange(0, 7),)
    assert snippets["summary"].text == "A national hotline for reporting abuse"
    assert snippets["summary"].matches == (MatchRange(11, 7), MatchRange(23, 9))
    assert snippets["description"].text == "…where the hotline analysts review…"
    assert snippets["description"].matches == (MatchRange(11, 7),)
    assert snippets["organisations"].text == "INHOPE; Hotline Foundation"
    assert snippets["organisations"].matches == (MatchRange(8, 7),)
    for snippet in snippets.values():  # every range points at the matched word in the plain text
        for m in snippet.matches:
            assert snippet.text[m.start : m.start + m.length].lower() in {"hotline", "reporting"}
    assert "id" not in snippets
    assert result.hits[1].snippets == {}
    assert (result.total_hits, result.total_pages, result.page, result.hits_per_page) == (27, 3, 1, 20)
    assert result.facet_distribution == facets
    assert result.processing_time_ms == 11


def test_search_refuses_a_facet_or_sort_the_index_does_not_offer(mock, backend):
    """Derived from the Meilisearch API reference (not run against a live server): Meilisearch would
    silently ignore an unknown facet; the adapter refuses it before sending."""
    with pytest.raises(ValueError, match="not a facet"):
        backend.search(SearchRequest(facets=("owners",)))
    with pytest.raises(ValueError, match="not sortable"):
        backend.search(SearchRequest(sort=(SortField("summary"),)))
    assert len(mock.calls) == 0


def test_search_never_asks_for_misspellings_to_be_highlighted_cropped_or_returned(mock, backend):
    """Misspellings are in `searchableAttributes` (above) so that they match, but no request may
    show them: the adapter refuses to highlight or crop them, and retrieves only the shown fields."""
    for request in (SearchRequest(highlight=("organisations", "misspellings")), SearchRequest(crop=("misspellings",))):
        with pytest.raises(ValueError, match="never shown"):
            backend.search(request)
    assert len(mock.calls) == 0
    mock.add(responses.POST, f"{URL}/indexes/initiatives/search", json=search_answer([]))
    backend.search(SearchRequest(query="ihnope", highlight=("title", "organisations"), crop=("description",)))
    body = sent(mock)[0][2]
    assert body["attributesToRetrieve"] == ["id", "title", "organisations", "description"]
    assert body["attributesToHighlight"] == ["title", "organisations", "description"]


# rebuild


def test_rebuild_fills_a_shadow_index_then_swaps_and_deletes_the_old_one(mock, backend):
    """Derived from the Meilisearch API reference (not run against a live server): the zero-downtime
    flow: build `initiatives_shadow`, POST /swap-indexes, delete the shadow (now the old index)."""
    shadow = "initiatives_shadow"
    enqueued(mock, responses.DELETE, f"/indexes/{shadow}", 1, "indexDeletion", shadow)
    finished(mock, 1, "indexDeletion", "failed", error(f"Index `{shadow}` not found.", "index_not_found"), shadow)
    enqueued(mock, responses.POST, "/indexes", 2, "indexCreation", shadow)
    finished(mock, 2, "indexCreation", index_uid=shadow)
    enqueued(mock, responses.PATCH, f"/indexes/{shadow}/settings", 3, "settingsUpdate", shadow)
    finished(mock, 3, "settingsUpdate", index_uid=shadow)
    enqueued(mock, responses.POST, f"/indexes/{shadow}/documents", 4, "documentAdditionOrUpdate", shadow)
    finished(mock, 4, "documentAdditionOrUpdate", index_uid=shadow)
    enqueued(mock, responses.POST, "/indexes", 5, "indexCreation")
    finished(mock, 5, "indexCreation", "failed", error("Index `initiatives` already exists.", "index_already_exists"))
    enqueued(mock, responses.POST, "/swap-indexes", 6, "indexSwap", None)
    finished(mock, 6, "indexSwap", index_uid=None)
    enqueued(mock, responses.DELETE, f"/indexes/{shadow}", 7, "indexDeletion", shadow)
    finished(mock, 7, "indexDeletion", index_uid=shadow)

    backend.rebuild([{"id": "1", "title": "Hotline"}, {"id": "2", "title": "Helpline"}])

    assert sent(mock) == [
        ("DELETE", f"/indexes/{shadow}", None),
        ("GET", "/tasks/1", None),
        ("POST", "/indexes", {"uid": shadow, "primaryKey": "id"}),
        ("GET", "/tasks/2", None),
        ("PATCH", f"/indexes/{shadow}/settings", EXPECTED_SETTINGS),
        ("GET", "/tasks/3", None),
        ("POST", f"/indexes/{shadow}/documents?primaryKey=id", [{"id": "1", "title": "Hotline"}, {"id": "2", "title": "Helpline"}]),
        ("GET", "/tasks/4", None),
        ("POST", "/indexes", {"uid": "initiatives", "primaryKey": "id"}),
        ("GET", "/tasks/5", None),
        ("POST", "/swap-indexes", [{"indexes": ["initiatives", shadow]}]),
        ("GET", "/tasks/6", None),
        ("DELETE", f"/indexes/{shadow}", None),
        ("GET", "/tasks/7", None),
    ]


def test_a_failed_rebuild_never_swaps(mock, backend):
    """Derived from the Meilisearch API reference (not run against a live server): if the shadow's
    documents fail, the live index is left alone."""
    shadow = "initiatives_shadow"
    enqueued(mock, responses.DELETE, f"/indexes/{shadow}", 1, "indexDeletion", shadow)
    finished(mock, 1, "indexDeletion", index_uid=shadow)
    enqueued(mock, responses.POST, "/indexes", 2, "indexCreation", shadow)
    finished(mock, 2, "indexCreation", index_uid=shadow)
    enqueued(mock, responses.PATCH, f"/indexes/{shadow}/settings", 3, "settingsUpdate", shadow)
    finished(mock, 3, "settingsUpdate", index_uid=shadow)
    enqueued(mock, responses.POST, f"/indexes/{shadow}/documents", 4, "documentAdditionOrUpdate", shadow)
    finished(mock, 4, "documentAdditionOrUpdate", "failed", error("No space left on device.", "no_space_left_on_device", "system"), shadow)

    with pytest.raises(MeilisearchTaskFailed, match="No space left on device"):
        backend.rebuild([{"id": "1", "title": "Hotline"}])

    assert not any(p == "/swap-indexes" for _, p, _ in sent(mock))


# reads for `coplab search check`, stats, health


def test_document_ids_pages_through_the_fetch_route(mock, backend, monkeypatch):
    """Derived from the Meilisearch API reference (not run against a live server): POST
    /indexes/{uid}/documents/fetch with fields/offset/limit answers {results, offset, limit, total}."""
    monkeypatch.setattr(meilisearch_backend, "BATCH_SIZE", 2)
    path = f"{URL}/indexes/initiatives/documents/fetch"
    mock.add(responses.POST, path, json={"results": [{"id": "a"}, {"id": "b"}], "offset": 0, "limit": 2, "total": 3})
    mock.add(responses.POST, path, json={"results": [{"id": "c"}], "offset": 2, "limit": 2, "total": 3})

    assert backend.document_ids() == {"a", "b", "c"}
    assert [body for _, _, body in sent(mock)] == [
        {"fields": ["id"], "offset": 0, "limit": 2},
        {"fields": ["id"], "offset": 2, "limit": 2},
    ]


def test_get_documents_fetches_by_an_id_filter(mock, backend):
    """Derived from the Meilisearch API reference (not run against a live server)."""
    stored = [{"id": "17", "title": "Hotline reporting", "harms": ["csam"]}]
    mock.add(
        responses.POST,
        f"{URL}/indexes/initiatives/documents/fetch",
        json={"results": stored, "offset": 0, "limit": 2, "total": 1},
    )
    assert backend.get_documents(["17", "99"]) == stored
    assert sent(mock)[0][2] == {"filter": 'id IN ["17", "99"]', "limit": 2}


def test_stats_reads_the_index_stats(mock, backend):
    """Derived from the Meilisearch API reference (not run against a live server): GET
    /indexes/{uid}/stats answers numberOfDocuments, isIndexing, fieldDistribution."""
    mock.add(
        responses.GET,
        f"{URL}/indexes/initiatives/stats",
        json={"numberOfDocuments": 3, "isIndexing": True, "fieldDistribution": {"id": 3, "title": 3}},
    )
    stats = backend.stats()
    assert (stats.documents, stats.is_indexing) == (3, True)


@pytest.mark.parametrize(
    ("answer", "healthy"),
    [
        ({"json": {"status": "available"}, "status": 200}, True),
        ({"json": error("Service unavailable", "internal", "internal"), "status": 503}, False),
        ({"body": requests.exceptions.ConnectionError("Connection refused")}, False),
    ],
    ids=["available", "503", "unreachable"],
)
def test_health_asks_the_health_route(mock, backend, answer, healthy):
    """Derived from the Meilisearch API reference (not run against a live server): GET /health
    answers {"status": "available"}."""
    mock.add(responses.GET, f"{URL}/health", **answer)
    assert backend.health() is healthy
    assert sent(mock)[0][:2] == ("GET", "/health")


# tenant tokens


def _b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def test_tenant_token_carries_each_index_filter_and_no_other_index():
    """Derived from the Meilisearch API reference (not run against a live server): an HS256 JWT
    whose payload is {apiKeyUid, searchRules: {index: {filter}}, exp}, signed with the API key."""
    key_uid = "6062abda-a5aa-4414-ac91-ecd7944c0f8d"
    access = '(lead_listed = true) AND ((visibility = "public") OR (owners = 12))'
    evidence = '(assessor_listed = true) AND (visibility = "PUBLIC")'
    before = int(time.time())

    token = tenant_token(
        search_rules={"initiatives": access, "initiatives-evidence": evidence},
        expires_in_seconds=600,
        api_key=KEY,
        api_key_uid=key_uid,
    )

    header, payload, signature = token.split(".")
    claims = json.loads(_b64decode(payload))
    assert json.loads(_b64decode(header))["alg"] == "HS256"
    assert claims["apiKeyUid"] == key_uid
    assert claims["searchRules"] == {"initiatives": {"filter": access}, "initiatives-evidence": {"filter": evidence}}
    assert before + 600 <= claims["exp"] <= int(time.time()) + 600
    expected = hmac.new(KEY.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    assert _b64decode(signature) == expected


def test_tenant_token_must_expire():
    """Derived from the Meilisearch API reference (not run against a live server): `exp` is optional
    in the reference, but coplab's tokens are always short-lived."""
    with pytest.raises(ValueError, match="expire"):
        tenant_token(
            search_rules={"initiatives": "lead_listed = true"},
            expires_in_seconds=0,
            api_key=KEY,
            api_key_uid="6062abda-a5aa-4414-ac91-ecd7944c0f8d",
        )


def test_wait_keeps_tasks_it_could_not_check_for_the_next_wait(mock, backend):
    """Derived from the Meilisearch API reference (not run against a live server): when the server
    stops answering while tasks are pending, their outcome is unknown; the next wait() asks again."""
    enqueued(mock, responses.POST, "/indexes/initiatives/documents", 12, "documentAdditionOrUpdate")
    mock.add(responses.GET, f"{URL}/tasks/12", body=requests.exceptions.ConnectionError("Connection refused"))
    finished(mock, 12, "documentAdditionOrUpdate")

    backend.upsert([{"id": "1", "title": "x"}])
    with pytest.raises(SearchUnavailable):
        backend.wait()
    backend.wait()  # the server is back: the task is found succeeded

    assert [p for m, p, _ in sent(mock) if m == "GET"] == ["/tasks/12", "/tasks/12"]
