"""The embedded search engine: in-process, no server, and held to the same contract as Meilisearch.

Ranking follows Meilisearch's rules, in its order, as a bucket sort over bitmaps:
1. words: documents matching more of the query words first (with `last`, words are dropped from
   the end of the query; with `all`, every word is required);
2. typo: fewer typos first;
3. attribute: a match in an earlier searchable field first (title, classifications, summary,
   organisations, misspellings, description);
4. sort, when asked for; then the order documents were added.
Proximity and exactness, which Meilisearch also applies, are not implemented (docs/search.md).
"""

import math
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import chain, islice

from pyroaring import BitMap

from api.search.backend import (
    LIST_SEPARATOR,
    Document,
    Hit,
    IndexStats,
    MatchingStrategy,
    SearchRequest,
    SearchResult,
    SearchUnavailable,
    Snippet,
    SortField,
)
from api.search.embedded.compounds import widened
from api.search.embedded.index import DICTIONARY_SAMPLE, Index, filter_key
from api.search.embedded.query_words import QueryWord
from api.search.embedded.snippets import Highlighter
from api.search.embedded.text import terms
from api.search.filters import AnyOf, All, Either, Equals, Filter, Not
from api.search.schema import INITIATIVES, IndexSchema

MAX_VALUES_PER_FACET = 100


@dataclass(frozen=True)
class SnippetPlan:
    """What every hit of one search shows, worked out once: each field, the documents with a query
    word in it (None: not a searched field, so look), and whether it is cropped."""

    fields: tuple[tuple[str, BitMap | None, bool], ...]
    highlighter: Highlighter
    crop_length: int

    @classmethod
    def of(cls, schema: IndexSchema, words: Sequence[QueryWord], request: SearchRequest) -> "SnippetPlan":
        fields = []
        for name in dict.fromkeys((*request.highlight, *request.crop)):
            if not words:
                matched: BitMap | None = BitMap()
            elif name in schema.searchable:
                position = schema.searchable.index(name)
                matched = BitMap.union(*[w.by_field[position] for w in words])
            else:
                matched = None
            fields.append((name, matched, name in request.crop))
        return cls(tuple(fields), Highlighter(words), request.crop_length)


class EmbeddedBackend:
    """The default engine: everything in memory, rebuilt from the database when the process starts."""

    name = "embedded"

    def __init__(self, schema: IndexSchema = INITIATIVES, *, built: bool = True) -> None:
        self.schema = schema
        self._index = Index(schema)
        self._lock = threading.RLock()
        # A server's index starts empty and is built from the database: until then a search would
        # answer from part of the registry (or none of it) as if that were all, so it is refused.
        self._built = built
        self._stop_words = frozenset(terms(" ".join(schema.stop_words)))

    # Writes

    def ensure_index(self) -> None:
        """Nothing to create: the index exists from the start."""

    def upsert(self, documents: Iterable[Document]) -> None:
        with self._lock:
            for document in documents:
                self._index.put(document)

    def delete(self, ids: Iterable[str]) -> None:
        with self._lock:
            for document_id in ids:
                self._index.remove(str(document_id))

    def wait(self) -> None:
        """Writes are searchable as soon as `upsert` returns."""

    def rebuild(self, documents: Iterable[Document]) -> None:
        documents = iter(documents)
        # The first documents, as a sample of all, give the compression dictionary (index.py).
        sample = list(islice(documents, DICTIONARY_SAMPLE))
        fresh = Index(self.schema, dictionary=Index.dictionary_from(sample, self.schema))
        for document in chain(sample, documents):
            fresh.put(document)
        fresh.compact()
        with self._lock:
            self._index = fresh  # searches see the old index or the new one, never a partial one
            self._built = True

    # Reads

    def document_ids(self) -> set[str]:
        with self._lock:
            return set(self._index.ids())

    def get_documents(self, ids: Iterable[str]) -> list[Document]:
        with self._lock:
            index = self._index
            return [index.document(n) for i in ids if (n := index.number(i)) is not None]

    def stats(self) -> IndexStats:
        with self._lock:
            index = self._index
            return IndexStats(documents=len(index), is_indexing=not self._built, digest=f"{index.digest:016x}")

    def health(self) -> bool:
        return True

    def search(self, request: SearchRequest) -> SearchResult:
        if not self._built:
            raise SearchUnavailable("the search index is being built from the database")
        started = time.perf_counter()
        self.schema.refuse_unshown((*request.highlight, *request.crop))
        with self._lock:
            index = self._index
            allowed = self._evaluate(index, request.filter)
            query = _without_stop_words(terms(request.query), self._stop_words)
            words = [self._query_word(index, w, is_prefix=i == len(query) - 1) for i, w in enumerate(query)]
            words = widened(index, words, query, self._stop_words)
            candidates, buckets = self._rank(index, words, allowed, request)
            total = len(candidates)
            offset = (request.page - 1) * request.hits_per_page
            page = _take(buckets, offset, request.hits_per_page)
            facets = {name: self._facet_counts(index, name, candidates) for name in request.facets}
            plan = SnippetPlan.of(self.schema, words, request)
            hits = [self._hit(index, number, plan) for number in page]
        return SearchResult(
            hits=hits,
            total_hits=total,
            total_pages=math.ceil(total / request.hits_per_page) if request.hits_per_page else 0,
            page=request.page,
            hits_per_page=request.hits_per_page,
            facet_distribution=facets,
            processing_time_ms=round((time.perf_counter() - started) * 1000),
        )

    # Filtering

    def _evaluate(self, index: Index, tree: Filter) -> BitMap:
        match tree:
            case Equals(field, value):
                return BitMap(index.filters[field].get(filter_key(value), BitMap()))
            case AnyOf(field, values):
                found = [index.filters[field].get(filter_key(v)) for v in values]
                return BitMap.union(BitMap(), *[b for b in found if b is not None])
            case All(parts):
                result = BitMap(index.all)
                for part in parts:
                    result &= self._evaluate(index, part)
                return result
            case Either(parts):
                return BitMap.union(BitMap(), *[self._evaluate(index, p) for p in parts])
            case Not(part):
                return index.all - self._evaluate(index, part)
        raise TypeError(f"not a filter: {tree!r}")

    # Matching and ranking

    def _query_word(self, index: Index, word: str, *, is_prefix: bool) -> QueryWord:
        matched = index.vocabulary.matches(word, prefix=is_prefix)
        fields = len(self.schema.searchable)
        by_typos = [BitMap(), BitMap(), BitMap()]
        by_field = [BitMap() for _ in range(fields)]
        for term, typos in matched.items():
            per_field = index.postings[term]
            for position, documents in enumerate(per_field):
                if documents is None:
                    continue
                by_field[position] |= documents
                for level in range(typos, 3):
                    by_typos[level] |= documents
        return QueryWord(word, is_prefix, matched, tuple(by_typos), tuple(by_field))

    def _rank(
        self, index: Index, words: Sequence[QueryWord], allowed: BitMap, request: SearchRequest
    ) -> tuple[BitMap, Iterator[BitMap | list[int]]]:
        """Every matching document, and the buckets that order them, best first."""
        if not words:  # no words: everything the filter lets through
            return allowed, iter([self._sorted(index, allowed, request.sort)])
        required = len(words) if request.matching_strategy is MatchingStrategy.ALL else 1
        levels = []  # documents matching the first n words, for n from all of them down to `required`
        seen = BitMap()
        for n in range(len(words), required - 1, -1):
            having = BitMap(allowed)
            for word in words[:n]:
                having &= word.documents
            levels.append((n, having - seen))
            seen |= having
        candidates = seen

        def buckets() -> Iterator[BitMap | list[int]]:
            for n, documents in levels:
                if not documents:
                    continue
                for by_typos in _typo_buckets(words[:n], documents):
                    for by_field in _field_buckets(words[:n], by_typos):
                        yield self._sorted(index, by_field, request.sort) if request.sort else by_field

        return candidates, buckets()

    def _sorted(self, index: Index, documents: BitMap, sort: Sequence[SortField]) -> "BitMap | list[int] | Ordered":
        if not sort:
            return documents
        if len(sort) == 1 and len(documents) * 16 > len(index):
            # Most documents: walk the field's global order and keep ours, instead of sorting them.
            return Ordered(documents, index.sort_order(sort[0].field, descending=sort[0].descending))
        # Few documents: rank their values of each field among themselves (the same order as among
        # all documents), so that descending fields sort as negated ranks.
        ranks = []
        for field in sort:
            values = {n: index.value(field.field, n) for n in documents}
            ours = sorted({v for v in values.values() if v is not None})
            ranks.append((values, {v: i for i, v in enumerate(ours)}, field.descending))

        def key(number: int) -> tuple:
            parts = []
            for values, rank_of, descending in ranks:
                value = values[number]
                if value is None:  # documents without the field come last either way
                    parts.append((True, 0))
                else:
                    rank = rank_of[value]
                    parts.append((False, -rank if descending else rank))
            return (*parts, number)

        return sorted(documents, key=key)

    def _facet_counts(self, index: Index, name: str, candidates: BitMap) -> dict[str, int]:
        counts = {}
        for (_, value), documents in index.filters[name].items():
            count = documents.intersection_cardinality(candidates)
            if count:
                counts[str(value).lower() if isinstance(value, bool) else str(value)] = count
        return dict(sorted(counts.items())[:MAX_VALUES_PER_FACET])

    # Showing matches

    def _hit(self, index: Index, number: int, plan: "SnippetPlan") -> Hit:
        document_id = index.document_id(number)
        if not plan.fields:  # unpack the document only when its text is shown
            return Hit(id=document_id, snippets={})
        document = index.document(number)
        snippets = {}
        for name, matched_here, crop in plan.fields:
            value = document.get(name)
            if value is None:
                continue
            text = LIST_SEPARATOR.join(map(str, value)) if isinstance(value, list) else str(value)
            # The postings say whether any query word is in this field: if none is, nothing to find.
            found_here = matched_here is None or number in matched_here
            if crop:
                snippets[name] = plan.highlighter.cropped(text, plan.crop_length, any_match=found_here)
            else:
                snippets[name] = plan.highlighter.highlighted(text) if found_here else Snippet(text, ())
        return Hit(id=document_id, snippets=snippets)


def _without_stop_words(query: list[str], stop_words: frozenset[str]) -> list[str]:
    """The query without its stop words, unless it has nothing else (then it is searched as typed)."""
    kept = [word for word in query if word not in stop_words]
    return kept or query


def _typo_buckets(words: Sequence[QueryWord], documents: BitMap) -> Iterator[BitMap]:
    """`documents` split by their total number of typos over `words`, fewest first."""
    by_cost = {0: documents}
    for word in words:
        exact, one, two = word.by_typos
        next_cost: dict[int, BitMap] = {}
        for cost, having in by_cost.items():
            for extra, level in ((0, exact), (1, one - exact), (2, two - one)):
                part = having & level
                if part:
                    next_cost[cost + extra] = next_cost.get(cost + extra, BitMap()) | part
        by_cost = next_cost
    for cost in sorted(by_cost):
        yield by_cost[cost]


def _field_buckets(words: Sequence[QueryWord], documents: BitMap) -> Iterator[BitMap]:
    """`documents` by the earliest searchable field any query word is found in."""
    left = BitMap(documents)
    fields = len(words[0].by_field)
    for position in range(fields):
        here = BitMap.union(BitMap(), *[w.by_field[position] for w in words]) & left
        if here:
            yield here
            left -= here
    if left:
        yield left


class Ordered:
    """A set of documents in the order of a precomputed sequence of all documents."""

    def __init__(self, members: BitMap, order: Sequence[int]) -> None:
        self.members = members
        self.order = order

    def __len__(self) -> int:
        return len(self.members)

    def __getitem__(self, window: slice) -> list[int]:
        wanted, skip, found = window.stop - window.start, window.start, []
        for number in self.order:
            if number in self.members:
                if skip:
                    skip -= 1
                    continue
                found.append(number)
                if len(found) == wanted:
                    break
        return found


def _take(buckets: Iterator[BitMap | list[int] | Ordered], offset: int, limit: int) -> list[int]:
    """The `limit` documents after the first `offset`, walking the buckets in order."""
    page: list[int] = []
    for bucket in buckets:
        if offset >= len(bucket):
            offset -= len(bucket)
            continue
        wanted = bucket[offset : offset + limit - len(page)]
        page.extend(wanted)
        offset = 0
        if len(page) >= limit:
            break
    return page
