"""The production engine: Meilisearch, through the official `meilisearch` client.

The client sends a request and hands back what Meilisearch answered; writes come back as enqueued
tasks that may fail later, and it does not raise for them. This adapter waits for every task it
depends on and turns a failed one into an error, maps unreachable servers and 5xx answers to
`SearchUnavailable`, and builds every filter from the typed tree (`filters.to_meilisearch`).

API reference: https://www.meilisearch.com/docs/reference/api/overview
"""

import datetime
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import meilisearch
import requests
from meilisearch.errors import MeilisearchApiError, MeilisearchCommunicationError, MeilisearchTimeoutError

from api.search.backend import (
    LIST_SEPARATOR,
    Document,
    Hit,
    IndexStats,
    MatchRange,
    SearchRequest,
    SearchResult,
    SearchUnavailable,
    Snippet,
)
from api.search.filters import AnyOf, to_meilisearch
from api.search.schema import INITIATIVES, IndexSchema

PRIMARY_KEY = "id"
SHADOW_SUFFIX = "_shadow"
# Private-use characters cannot occur in registry text we index, so they mark matches unambiguously;
# the adapter removes them and returns plain text with ranges.
HIGHLIGHT_PRE = "\ue000"
HIGHLIGHT_POST = "\ue001"
CROP_MARKER = "…"
# A list field (e.g. several organisations) becomes one snippet, its items joined by this.
# Every ISO 3166 country (249) fits, so the country facet is never truncated.
MAX_VALUES_PER_FACET = 300
BATCH_SIZE = 1000


class MeilisearchRejected(SearchUnavailable):
    """Meilisearch refused a request (HTTP 4xx): `code` is Meilisearch's error code."""

    def __init__(self, message: str, *, status: int, code: str | None) -> None:
        super().__init__(f"Meilisearch refused the request ({status} {code}): {message}")
        self.status = status
        self.code = code


class MeilisearchTaskFailed(SearchUnavailable):
    """An enqueued task ended `failed` (or `canceled`): the write did not happen."""

    def __init__(self, task_uid: int, task_type: str, status: str, error: Mapping[str, Any] | None) -> None:
        error = error or {}
        self.task_uid = task_uid
        self.code = error.get("code")
        self.message = error.get("message") or status
        super().__init__(f"Meilisearch task {task_uid} ({task_type}) {status}: {self.message} [{self.code}]")


# Characters Meilisearch's tokenizer keeps inside a word by default (1.50.0 measured: "alpha<bravo" was
# not found by "bravo"), which separate words in the embedded engine and in what a reader expects:
# "<em>Hotline</em>" must be found by "hotline". Every other ASCII punctuation mark already separates.
SEPARATOR_TOKENS = ("$", "<", "=", ">", "^", "|", "~", "°", "©", "®", "™", "€", "£", "¬", "¦")


def index_settings(schema: IndexSchema = INITIATIVES) -> dict[str, Any]:
    """The body of `PATCH /indexes/{uid}/settings` for `schema`."""
    return {
        "searchableAttributes": list(schema.searchable),  # in priority order
        # `id` is filterable so that deletes and fetches by id (and the filter tree's
        # `id EXISTS` for "everything"/"nothing" inside a larger filter) are valid filters.
        "filterableAttributes": [PRIMARY_KEY, *(f for f in schema.filterable if f != PRIMARY_KEY)],
        "sortableAttributes": list(schema.sortable),
        "faceting": {"maxValuesPerFacet": MAX_VALUES_PER_FACET},
        # Meilisearch's defaults, stated so the embedded engine's contract is pinned here too.
        "typoTolerance": {"enabled": True, "minWordSizeForTypos": {"oneTypo": 5, "twoTypos": 9}},
        "pagination": {"maxTotalHits": schema.max_total_hits},
        "separatorTokens": list(SEPARATOR_TOKENS),
        "stopWords": list(schema.stop_words),
    }


def parse_formatted(value: object) -> Snippet:
    """A `_formatted` value (with our highlight markers) as plain text and match ranges."""
    if isinstance(value, list):
        value = LIST_SEPARATOR.join(str(item) for item in value if item is not None)
    text = "" if value is None else str(value)
    plain: list[str] = []
    matches: list[MatchRange] = []
    start: int | None = None
    length = 0  # characters of plain text so far
    for char in text:
        if char == HIGHLIGHT_PRE:
            start = length
        elif char == HIGHLIGHT_POST:
            if start is not None and length > start:
                matches.append(MatchRange(start, length - start))
            start = None
        else:
            plain.append(char)
            length += 1
    return Snippet("".join(plain), tuple(matches))


def tenant_token(
    *,
    search_rules: Mapping[str, str | None],
    expires_in_seconds: int,
    api_key: str,
    api_key_uid: str,
) -> str:
    """A tenant token (JWT) for the web frontend: searches of the indexes named in `search_rules`
    only, each always with its filter (the caller's access filter for that index), until it expires.
    Signed locally with `api_key` (a search key, never the master key); no request is sent."""
    if expires_in_seconds <= 0:
        raise ValueError("a tenant token must expire in the future")
    if not search_rules:
        raise ValueError("a tenant token must name the indexes it may search")
    rules: dict[str, Any] = {uid: {"filter": rule} if rule else {} for uid, rule in search_rules.items()}
    expires_at = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=expires_in_seconds)
    # The client's signer needs no server: the URL is never used.
    signer = meilisearch.Client("http://unused.invalid", api_key)
    return signer.generate_tenant_token(api_key_uid, rules, expires_at=expires_at, api_key=api_key)


class MeilisearchBackend:
    """`SearchBackend` on a Meilisearch server."""

    name = "meilisearch"

    def __init__(
        self,
        url: str,
        api_key: str | None,
        *,
        index_uid: str = INITIATIVES.uid,
        timeout: float = 10,
        task_timeout: float = 120,
        poll_interval_ms: int = 50,
        schema: IndexSchema = INITIATIVES,
    ) -> None:
        self._client = meilisearch.Client(url.rstrip("/"), api_key, timeout=timeout)
        self.index_uid = index_uid
        self.shadow_uid = index_uid + SHADOW_SUFFIX
        self._schema = schema
        self._task_timeout_ms = int(task_timeout * 1000)
        self._poll_interval_ms = poll_interval_ms
        self._pending: list[int] = []  # writes enqueued and not yet waited for

    # writes

    def ensure_index(self) -> None:
        with _guard():
            self._create(self.index_uid)
            self._wait_for(self._client.index(self.index_uid).update_settings(index_settings(self._schema)).task_uid)

    def upsert(self, documents: Iterable[Document]) -> None:
        self._pending.extend(self._add(self.index_uid, documents))

    def delete(self, ids: Iterable[str]) -> None:
        index = self._client.index(self.index_uid)
        for chunk in _chunks([str(i) for i in ids]):
            with _guard():
                task = index.delete_documents(filter=to_meilisearch(AnyOf(PRIMARY_KEY, tuple(chunk))))
            self._pending.append(task.task_uid)

    def wait(self) -> None:
        pending, self._pending = self._pending, []
        failures: list[SearchUnavailable] = []
        for position, uid in enumerate(pending):
            try:
                self._wait_for(uid)
            except MeilisearchTaskFailed as failure:
                failures.append(failure)  # keep waiting: later tasks still run
            except SearchUnavailable:
                self._pending = pending[position:] + self._pending  # unknown outcome: wait again later
                raise
        if failures:
            raise failures[0]

    def rebuild(self, documents: Iterable[Document]) -> None:
        with _guard():
            self._drop(self.shadow_uid)  # left over from an interrupted rebuild
            self._create(self.shadow_uid)
            self._wait_for(self._client.index(self.shadow_uid).update_settings(index_settings(self._schema)).task_uid)
            for uid in self._add(self.shadow_uid, documents):
                self._wait_for(uid)
            self._create(self.index_uid)  # swapping needs both indexes to exist
            swap = self._client.swap_indexes([{"indexes": [self.index_uid, self.shadow_uid]}]).task_uid
            try:
                self._wait_for(swap)
            except MeilisearchRejected as refused:
                if refused.code != "task_not_found":
                    raise
                # A swap task belongs to no index, so a key limited to some indexes may enqueue it
                # but never see it (measured on 1.50.0): coplab could not know whether it happened.
                unseen = MeilisearchRejected(
                    f"the swap was enqueued as task {swap}, but this API key cannot see it: an index swap "
                    'belongs to no index, so the key needs "indexes": ["*"] (docs/search.md). The swap '
                    "may still take effect; run the rebuild again with such a key",
                    status=refused.status,
                    code=refused.code,
                )
                unseen.live_index_unchanged = False
                raise unseen from refused
            self._drop(self.shadow_uid)  # now the old index

    # reads

    def search(self, request: SearchRequest) -> SearchResult:
        body = self._search_body(request)
        with _guard():
            answer = self._client.index(self.index_uid).search(request.query, body)
        formatted_fields = tuple(dict.fromkeys((*request.highlight, *request.crop)))
        hits = []
        for hit in answer.get("hits", []):
            formatted = hit.get("_formatted") or {}
            snippets = {f: parse_formatted(formatted[f]) for f in formatted_fields if f in formatted}
            hits.append(Hit(id=str(hit[PRIMARY_KEY]), snippets=snippets))
        return SearchResult(
            hits=hits,
            total_hits=answer["totalHits"],
            total_pages=answer["totalPages"],
            page=answer.get("page", request.page),
            hits_per_page=answer.get("hitsPerPage", request.hits_per_page),
            facet_distribution={
                facet: dict(counts) for facet, counts in (answer.get("facetDistribution") or {}).items()
            },
            processing_time_ms=answer.get("processingTimeMs", 0),
        )

    def document_ids(self) -> set[str]:
        ids: set[str] = set()
        index = self._client.index(self.index_uid)
        offset = 0
        while True:
            with _guard():
                page = index.get_documents({"fields": [PRIMARY_KEY], "offset": offset, "limit": BATCH_SIZE})
            ids.update(str(getattr(doc, PRIMARY_KEY)) for doc in page.results)
            offset += len(page.results)
            if not page.results or offset >= page.total:
                return ids

    def get_documents(self, ids: Iterable[str]) -> list[Document]:
        index = self._client.index(self.index_uid)
        found: list[Document] = []
        for chunk in _chunks([str(i) for i in ids]):
            with _guard():
                page = index.get_documents(
                    {"filter": to_meilisearch(AnyOf(PRIMARY_KEY, tuple(chunk))), "limit": len(chunk)}
                )
            found.extend(dict(doc) for doc in page.results)
        return found

    def stats(self) -> IndexStats:
        with _guard():
            stats = self._client.index(self.index_uid).get_stats()
        return IndexStats(documents=stats.number_of_documents, is_indexing=stats.is_indexing)

    def health(self) -> bool:
        try:
            with _guard():
                return self._client.health().get("status") == "available"
        except SearchUnavailable:
            return False

    # helpers

    def _search_body(self, request: SearchRequest) -> dict[str, Any]:
        unknown_facets = set(request.facets) - set(self._schema.facets)
        if unknown_facets:
            raise ValueError(f"not a facet: {sorted(unknown_facets)}")
        unknown_sort = {s.field for s in request.sort} - set(self._schema.sortable)
        if unknown_sort:
            raise ValueError(f"not sortable: {sorted(unknown_sort)}")
        formatted_fields = list(dict.fromkeys((*request.highlight, *request.crop)))
        self._schema.refuse_unshown(formatted_fields)
        body: dict[str, Any] = {
            "page": request.page,
            "hitsPerPage": request.hits_per_page,
            "matchingStrategy": request.matching_strategy.value,
            "attributesToRetrieve": [PRIMARY_KEY, *formatted_fields],
        }
        filter_string = to_meilisearch(request.filter)
        if filter_string is not None:
            body["filter"] = filter_string
        if request.facets:
            body["facets"] = list(request.facets)
        if request.sort:
            body["sort"] = [f"{s.field}:{'desc' if s.descending else 'asc'}" for s in request.sort]
        if formatted_fields:
            # Cropped fields are highlighted too, or their snippets would carry no match ranges.
            body["attributesToHighlight"] = formatted_fields
            body["highlightPreTag"] = HIGHLIGHT_PRE
            body["highlightPostTag"] = HIGHLIGHT_POST
        if request.crop:
            body["attributesToCrop"] = list(request.crop)
            body["cropLength"] = request.crop_length
            body["cropMarker"] = CROP_MARKER
        return body

    def _add(self, index_uid: str, documents: Iterable[Document]) -> list[int]:
        """Enqueue full-document replaces (`POST .../documents`, never the merging `PUT`)."""
        index = self._client.index(index_uid)
        uids = []
        for chunk in _chunks(list(documents)):
            for document in chunk:
                if not isinstance(document.get(PRIMARY_KEY), str):
                    raise ValueError(f"a search document needs a string `id`: {document.get(PRIMARY_KEY)!r}")
            with _guard():
                uids.append(index.add_documents([dict(d) for d in chunk], primary_key=PRIMARY_KEY).task_uid)
        return uids

    def _create(self, uid: str) -> None:
        task = self._client.create_index(uid, {"primaryKey": PRIMARY_KEY})
        self._wait_for(task.task_uid, tolerate="index_already_exists")

    def _drop(self, uid: str) -> None:
        self._wait_for(self._client.delete_index(uid).task_uid, tolerate="index_not_found")

    def _wait_for(self, task_uid: int, *, tolerate: str | None = None) -> None:
        with _guard():
            task = self._client.wait_for_task(
                task_uid, timeout_in_ms=self._task_timeout_ms, interval_in_ms=self._poll_interval_ms
            )
        if task.status == "succeeded":
            return
        if task.status == "failed" and tolerate is not None and (task.error or {}).get("code") == tolerate:
            return
        raise MeilisearchTaskFailed(task.uid, task.type, task.status, task.error)


@contextmanager
def _guard() -> Iterator[None]:
    """Translate the client's exceptions into `SearchUnavailable` (and its refinements)."""
    try:
        yield
    except (MeilisearchCommunicationError, MeilisearchTimeoutError, requests.RequestException) as error:
        raise SearchUnavailable(f"Meilisearch cannot be reached: {error}") from error
    except MeilisearchApiError as error:
        if error.status_code >= 500:
            raise SearchUnavailable(f"Meilisearch failed ({error.status_code}): {error.message}") from error
        raise MeilisearchRejected(error.message, status=error.status_code, code=error.code) from error


def _chunks(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), BATCH_SIZE):
        yield items[start : start + BATCH_SIZE]
