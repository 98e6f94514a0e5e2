"""The embedded engine's index: documents, word postings per field and filter values, all as
roaring bitmaps of internal document numbers, so that matching, filtering and facet counting are
set operations done in C."""

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from pyroaring import BitMap

from api.search.embedded.text import terms
from api.search.embedded.typos import Vocabulary
from api.search.schema import IndexSchema

# Internal numbers are 32-bit (roaring bitmaps); whole-number ids below this are their own number.
FIRST_OTHER_NUMBER = 2**31

FilterKey = tuple[str, Any]  # (type name, value): `True` and `1` are different filter values


def filter_key(value: Any) -> FilterKey:  # noqa: ANN401
    return (type(value).__name__, value)


def _values(value: Any) -> list[Any]:  # noqa: ANN401
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple | set) else [value]


class Index:
    """One index. Not thread-safe by itself: the engine serialises writes and swaps whole indexes."""

    def __init__(self, schema: IndexSchema) -> None:
        self.schema = schema
        self.documents: dict[int, Mapping[str, Any]] = {}
        self.number_of: dict[str, int] = {}  # document id → internal number
        self.all = BitMap()
        self.vocabulary = Vocabulary()
        # word → field position → documents; the field position is the rank in `schema.searchable`
        self.postings: dict[str, list[BitMap]] = {}
        self.filters: defaultdict[str, dict[FilterKey, BitMap]] = defaultdict(dict)
        self._next = FIRST_OTHER_NUMBER
        self._sort_ranks: dict[str, dict[int, int]] = {}
        self._sort_orders: dict[tuple[str, bool], list[int]] = {}

    def _words_of(self, document: Mapping[str, Any]) -> list[tuple[str, int]]:
        found = set()
        for position, name in enumerate(self.schema.searchable):
            for value in _values(document.get(name)):
                found.update((term, position) for term in terms(str(value)))
        return sorted(found)

    def put(self, document: Mapping[str, Any]) -> None:
        """Add or replace a whole document."""
        document_id = str(document["id"])
        number = self.number_of.get(document_id)
        if number is not None:
            self.remove(document_id)
        else:
            number = self._number_for(document_id)
        self.number_of[document_id] = number
        self.documents[number] = dict(document)
        self.all.add(number)
        fields = len(self.schema.searchable)
        for term, position in self._words_of(document):
            per_field = self.postings.get(term)
            if per_field is None:
                per_field = self.postings[term] = [BitMap() for _ in range(fields)]
                self.vocabulary.add(term)
            per_field[position].add(number)
        for name in self.schema.filterable:
            for value in _values(document.get(name)):
                self.filters[name].setdefault(filter_key(value), BitMap()).add(number)
        self._sort_ranks.clear()
        self._sort_orders.clear()

    def _number_for(self, document_id: str) -> int:
        """A new document's internal number, which orders ties: its own id where that is a whole number
        (initiatives' ids, which grow with creation), so that every process's index, whether built from
        the database or following the change log, orders the same documents alike. Other ids get
        numbers above every such id, in the order they were first added; a replaced document keeps its
        number either way, as in Meilisearch."""
        if document_id.isdigit() and int(document_id) < FIRST_OTHER_NUMBER:
            return int(document_id)
        number = self._next
        self._next += 1
        return number

    def remove(self, document_id: str) -> None:
        number = self.number_of.pop(document_id, None)
        if number is None:
            return
        document = self.documents.pop(number)
        self.all.discard(number)
        for term, position in self._words_of(document):
            per_field = self.postings[term]
            per_field[position].discard(number)
            if not any(per_field):
                del self.postings[term]
                self.vocabulary.discard(term)
        for name in self.schema.filterable:
            for value in _values(document.get(name)):
                key = filter_key(value)
                bitmap = self.filters[name].get(key)
                if bitmap is not None:
                    bitmap.discard(number)
                    if not bitmap:
                        del self.filters[name][key]
        self._sort_ranks.clear()
        self._sort_orders.clear()

    def containing(self, term: str) -> BitMap:
        per_field = self.postings.get(term)
        return BitMap.union(*per_field) if per_field else BitMap()

    def sort_rank(self, field: str) -> dict[int, int]:
        """Each document's rank by `field`, equal values sharing one (documents without it: after all)."""
        ranks = self._sort_ranks.get(field)
        if ranks is None:
            values = sorted({v for d in self.documents.values() if (v := d.get(field)) is not None})
            position = {v: i for i, v in enumerate(values)}
            ranks = {n: position.get(d.get(field), len(values)) for n, d in self.documents.items()}
            self._sort_ranks[field] = ranks
        return ranks

    def sort_order(self, field: str, *, descending: bool) -> list[int]:
        """Every document in the order of `field`, ties in the order they were added, documents
        without the field last either way."""
        order = self._sort_orders.get((field, descending))
        if order is None:
            ranks = self.sort_rank(field)
            present = [n for n, d in self.documents.items() if d.get(field) is not None]
            present.sort(key=lambda n: (-ranks[n] if descending else ranks[n], n))
            absent = [n for n, d in self.documents.items() if d.get(field) is None]
            order = present + absent
            self._sort_orders[(field, descending)] = order
        return order
