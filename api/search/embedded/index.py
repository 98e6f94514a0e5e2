"""The embedded engine's index: documents, word postings per field and filter values, all as
roaring bitmaps of internal document numbers, so that matching, filtering and facet counting are
set operations done in C.

Memory: the index lives in every API process, so it is kept compact (docs/search.md, "Memory").
The documents' own text is most of it, and a search reads the text of only the page it shows, so
each document is kept packed (pickled, zlib-compressed) and unpacked on demand: for the hits of a
page that asks for snippets, for `get_documents`, and when a document is replaced or removed.
What every search needs of every document is kept unpacked beside it: its id, and the values of
the sortable fields. Per-document data is in lists indexed by internal number rather than dicts
(a tenth of the size); a replaced or removed document leaves a None behind, until the next rebuild
numbers the documents afresh."""

import pickle
import zlib
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from pyroaring import BitMap

from api.search.embedded.text import terms
from api.search.embedded.typos import Vocabulary
from api.search.schema import IndexSchema

FilterKey = tuple[str, Any]  # (type name, value): `True` and `1` are different filter values

# zlib's default level: against a dictionary it packs search documents a fifth smaller than the
# fastest level, and unpacks them as fast.
COMPRESSION_LEVEL = 6
# A rebuilt index compresses every document against a preset dictionary: the packed values of its
# first documents, up to this size. Documents share words, phrases and field values that a single
# short document cannot compress by itself. A larger dictionary packs a little smaller but makes
# unpacking slower (zlib loads the whole dictionary for each document).
DICTIONARY_BYTES = 16 * 1024
DICTIONARY_SAMPLE = 100  # documents


def _raw(document: Mapping[str, Any], left_out: Mapping[str, Any]) -> tuple[Any, ...]:
    """The values to pack, without those kept unpacked beside (`left_out`)."""
    return tuple(v for name, v in document.items() if name not in left_out)


def filter_key(value: Any) -> FilterKey:  # noqa: ANN401
    return (type(value).__name__, value)


def _values(value: Any) -> list[Any]:  # noqa: ANN401
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple | set) else [value]


class Index:
    """One index. Not thread-safe by itself: the engine serialises writes and swaps whole indexes."""

    def __init__(self, schema: IndexSchema, *, dictionary: bytes = b"") -> None:
        self.schema = schema
        self.number_of: dict[str, int] = {}  # document id → internal number
        self.id_of: list[str | None] = []  # internal number → document id (None: replaced or removed)
        self.all = BitMap()
        self.vocabulary = Vocabulary()
        # word → field position → documents, None where the word is in no document's field (most
        # words are in one or two of the fields); the field position is the rank in `schema.searchable`
        self.postings: dict[str, list[BitMap | None]] = {}
        self.filters: defaultdict[str, dict[FilterKey, BitMap]] = defaultdict(dict)
        # sortable field → internal number → value (None: the document has none, or is gone)
        self.sort_values: dict[str, list[Any]] = {name: [] for name in schema.sortable}
        self._packed: list[bytes | None] = []  # internal number → the document, packed (`_pack`)
        self._dictionary = dictionary  # zlib's preset dictionary (`dictionary_from`); b"": none
        # A document is packed as its shape's number and its values: the field names, the same
        # for nearly every document, are kept once per shape rather than once per document.
        self._shapes: list[tuple[str, ...]] = []
        self._shape_numbers: dict[tuple[str, ...], int] = {}
        self._sort_orders: dict[tuple[str, bool], list[int]] = {}

    # Documents, packed

    @classmethod
    def dictionary_from(cls, documents: Iterable[Mapping[str, Any]], schema: IndexSchema) -> bytes:
        """A preset dictionary for packing documents like these: their packed values, end to end."""
        left_out = dict.fromkeys(schema.sortable)
        return b"".join(pickle.dumps(_raw(d, left_out), protocol=5) for d in documents)[-DICTIONARY_BYTES:]

    def _pack(self, document: Mapping[str, Any]) -> bytes:
        names = tuple(document)
        shape = self._shape_numbers.get(names)
        if shape is None:
            shape = self._shape_numbers[names] = len(self._shapes)
            self._shapes.append(names)
        # pickle keeps every value's type exactly (an int stays an int, a tuple a tuple), and it
        # only ever reads back what this process wrote. The sortable fields are kept beside.
        raw = pickle.dumps((shape, _raw(document, self.sort_values)), protocol=5)
        if not self._dictionary:
            return zlib.compress(raw, COMPRESSION_LEVEL)
        packer = zlib.compressobj(COMPRESSION_LEVEL, zdict=self._dictionary)
        return packer.compress(raw) + packer.flush()

    def document(self, number: int) -> dict[str, Any]:
        """The document as it was put: a fresh dict, the caller's to keep."""
        packed = self._packed[number]
        if packed is None:
            raise KeyError(number)
        if self._dictionary:
            raw = zlib.decompressobj(zdict=self._dictionary).decompress(packed)
        else:
            raw = zlib.decompress(packed)
        shape, values = pickle.loads(raw)  # noqa: S301 (written by `_pack`)
        rest = iter(values)
        return {
            name: self.sort_values[name][number] if name in self.sort_values else next(rest)
            for name in self._shapes[shape]
        }

    def __len__(self) -> int:
        return len(self.number_of)

    def numbers(self) -> Iterator[int]:
        """Every document's internal number, in the order documents were added."""
        return (number for number, document_id in enumerate(self.id_of) if document_id is not None)

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
        number = len(self.id_of)
        self.number_of[document_id] = number
        self.id_of.append(document_id)
        for name, values in self.sort_values.items():
            values.append(document.get(name))
        self._packed.append(self._pack(document))
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
        self._sort_orders.clear()

    def remove(self, document_id: str) -> None:
        number = self.number_of.pop(document_id, None)
        if number is None:
            return
        document = self.document(number)
        self._packed[number] = self.id_of[number] = None
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
            values[number] = None
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

    def values_of(self, field: str) -> Sequence[Any]:
        """Each document's value of `field` by internal number, None where it has none. Sortable
        fields are at hand; any other field means unpacking every document (nothing asks for one)."""
        values = self.sort_values.get(field)
        if values is None:
            values = [None] * len(self.id_of)
            for number in self.numbers():
                values[number] = self.document(number).get(field)
        return values

    def sort_order(self, field: str, *, descending: bool) -> list[int]:
        """Every document in the order of `field`, ties in the order they were added, documents
        without the field last either way."""
        order = self._sort_orders.get((field, descending))
        if order is None:
            values = self.values_of(field)
            present = [n for n in self.numbers() if values[n] is not None]
            # A stable sort, `reverse` included: ties keep the order they were added in.
            present.sort(key=values.__getitem__, reverse=descending)
            absent = [n for n in self.numbers() if values[n] is None]
            order = present + absent
            self._sort_orders[(field, descending)] = order
        return order
