"""The embedded engine's index: documents, word postings per field and filter values, all as
roaring bitmaps of internal document numbers, so that matching, filtering and facet counting are
set operations done in C.

Memory: the index lives in every API process, so it is kept compact (docs/search.md, "Memory").
The documents' own text is most of it, and a search reads the text of only the page it shows, so
each document is kept packed (pickled, zlib-compressed) and unpacked on demand: for the hits of a
page that asks for snippets, for `get_documents`, and when a document is replaced or removed.
What every search needs of every document is kept unpacked beside it: its id, and the values of
the sortable fields."""

import pickle
import zlib
from collections import defaultdict
from collections.abc import Iterator, Mapping
from typing import Any

from pyroaring import BitMap

from api.search.embedded.text import terms
from api.search.embedded.typos import Vocabulary
from api.search.schema import IndexSchema

FilterKey = tuple[str, Any]  # (type name, value): `True` and `1` are different filter values

# zlib's fastest level: on search documents it packs within 2% of the default level's size.
COMPRESSION_LEVEL = 1


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
        self.number_of: dict[str, int] = {}  # document id → internal number
        self.id_of: dict[int, str] = {}  # internal number → document id, in the order documents were added
        self.all = BitMap()
        self.vocabulary = Vocabulary()
        # word → field position → documents, None where the word is in no document's field (most
        # words are in one or two of the fields); the field position is the rank in `schema.searchable`
        self.postings: dict[str, list[BitMap | None]] = {}
        self.filters: defaultdict[str, dict[FilterKey, BitMap]] = defaultdict(dict)
        # sortable field → internal number → value, for the documents that have one (not None)
        self.sort_values: dict[str, dict[int, Any]] = {name: {} for name in schema.sortable}
        self._next = 0
        self._packed: dict[int, bytes] = {}  # internal number → the document, packed (`_pack`)
        # A document is packed as its shape's number and its values: the field names, the same
        # for nearly every document, are kept once per shape rather than once per document.
        self._shapes: list[tuple[str, ...]] = []
        self._shape_numbers: dict[tuple[str, ...], int] = {}
        self._sort_orders: dict[tuple[str, bool], list[int]] = {}

    # Documents, packed

    def _pack(self, document: Mapping[str, Any]) -> bytes:
        names = tuple(document)
        shape = self._shape_numbers.get(names)
        if shape is None:
            shape = self._shape_numbers[names] = len(self._shapes)
            self._shapes.append(names)
        # pickle keeps every value's type exactly (an int stays an int, a tuple a tuple), and it
        # only ever reads back what this process wrote.
        return zlib.compress(pickle.dumps((shape, tuple(document.values())), protocol=5), COMPRESSION_LEVEL)

    def document(self, number: int) -> dict[str, Any]:
        """The document as it was put: a fresh dict, the caller's to keep."""
        shape, values = pickle.loads(zlib.decompress(self._packed[number]))  # noqa: S301 (written by `_pack`)
        return dict(zip(self._shapes[shape], values, strict=True))

    def __len__(self) -> int:
        return len(self._packed)

    def numbers(self) -> Iterator[int]:
        """Every document's internal number, in the order documents were added."""
        return iter(self.id_of)

    # Writes

    def _words_of(self, document: Mapping[str, Any]) -> list[tuple[str, int]]:
        found = set()
        for position, name in enumerate(self.schema.searchable):
            for value in _values(document.get(name)):
                found.update((term, position) for term in terms(str(value)))
        return sorted(found)

    def put(self, document: Mapping[str, Any]) -> None:
        """Add or replace a whole document."""
        document_id = str(document["id"])
        if document_id in self.number_of:
            self.remove(document_id)
        number = self._next
        self._next += 1
        self.number_of[document_id] = number
        self.id_of[number] = document_id
        self._packed[number] = self._pack(document)
        self.all.add(number)
        fields = len(self.schema.searchable)
        for term, position in self._words_of(document):
            per_field = self.postings.get(term)
            if per_field is None:
                per_field = self.postings[term] = [None] * fields
                self.vocabulary.add(term)
            documents = per_field[position]
            if documents is None:
                documents = per_field[position] = BitMap()
            documents.add(number)
        for name in self.schema.filterable:
            for value in _values(document.get(name)):
                self.filters[name].setdefault(filter_key(value), BitMap()).add(number)
        for name, values in self.sort_values.items():
            value = document.get(name)
            if value is not None:
                values[number] = value
        self._sort_orders.clear()

    def remove(self, document_id: str) -> None:
        number = self.number_of.pop(document_id, None)
        if number is None:
            return
        document = self.document(number)
        del self._packed[number], self.id_of[number]
        self.all.discard(number)
        for term, position in self._words_of(document):
            per_field = self.postings[term]
            documents = per_field[position]
            assert documents is not None  # the document's own words are posted
            documents.discard(number)
            if not documents:
                per_field[position] = None
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
        for values in self.sort_values.values():
            values.pop(number, None)
        self._sort_orders.clear()

    def compact(self) -> None:
        """Give back the bitmaps' spare capacity, once a rebuild has put every document."""
        for per_field in self.postings.values():
            for documents in per_field:
                if documents is not None:
                    documents.shrink_to_fit()
        for by_value in self.filters.values():
            for documents in by_value.values():
                documents.shrink_to_fit()

    # Reads

    def containing(self, term: str) -> BitMap:
        per_field = self.postings.get(term)
        return BitMap.union(BitMap(), *[d for d in per_field if d is not None]) if per_field else BitMap()

    def values_of(self, field: str) -> Mapping[int, Any]:
        """Each document's value of `field`, for the documents that have one. Sortable fields are at
        hand; any other field means unpacking every document (nothing asks for one today)."""
        values = self.sort_values.get(field)
        if values is None:
            values = {n: v for n in self.numbers() if (v := self.document(n).get(field)) is not None}
        return values

    def sort_order(self, field: str, *, descending: bool) -> list[int]:
        """Every document in the order of `field`, ties in the order they were added, documents
        without the field last either way."""
        order = self._sort_orders.get((field, descending))
        if order is None:
            values = self.values_of(field)
            present = [n for n in self.numbers() if n in values]
            # A stable sort, `reverse` included: ties keep the order they were added in.
            present.sort(key=values.__getitem__, reverse=descending)
            absent = [n for n in self.numbers() if n not in values]
            order = present + absent
            self._sort_orders[(field, descending)] = order
        return order
