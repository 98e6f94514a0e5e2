"""The embedded engine's index: documents, word postings per field and filter values, all as
roaring bitmaps of internal document numbers, so that matching, filtering and facet counting are
set operations done in C.

Memory: the index lives in every API process, so it is kept compact (docs/search.md, "Memory").
The documents' own text is most of it, and a search reads the text of only the page it shows, so
each document is kept packed (pickled, zlib-compressed) and unpacked on demand: for the hits of a
page that asks for snippets, for `get_documents`, and when a document is replaced or removed.
What every search needs of every document is kept unpacked beside it: the values of the sortable
fields. Per-document data is in lists by slot (a tenth of the size of dicts), one dict giving each
internal number its slot; slots freed by removed documents are reused. A document's id is read
from its internal number, which is the id itself for whole-number ids (`_number_for`)."""

import hashlib
import pickle
import zlib
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from pyroaring import BitMap

from api.search.embedded.text import indexed_terms
from api.search.embedded.typos import Vocabulary
from api.search.schema import IndexSchema

# Internal numbers are 32-bit (roaring bitmaps); whole-number ids below this are their own number.
FIRST_OTHER_NUMBER = 2**31

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


def filter_key(value: Any) -> FilterKey:  # noqa: ANN401
    return (type(value).__name__, value)


def _values(value: Any) -> list[Any]:  # noqa: ANN401
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple | set) else [value]


DIGEST_MODULUS = 2**64


def document_digest(document: Mapping[str, Any]) -> int:
    """A 64-bit hash of a whole document: its fields in order, their values with their types."""
    hashed = hashlib.blake2b(pickle.dumps(tuple(document.items()), protocol=5), digest_size=8)
    return int.from_bytes(hashed.digest(), "big")


def _raw(document: Mapping[str, Any], left_out: Mapping[str, Any]) -> tuple[Any, ...]:
    """The values to pack, without those kept unpacked beside (`left_out`)."""
    return tuple(v for name, v in document.items() if name not in left_out)


class Index:
    """One index. Not thread-safe by itself: the engine serialises writes and swaps whole indexes."""

    def __init__(self, schema: IndexSchema, *, dictionary: bytes = b"") -> None:
        self.schema = schema
        self.all = BitMap()
        self.vocabulary = Vocabulary()
        # word → field position → documents, None where the word is in no document's field (most
        # words are in one or two of the fields); the field position is the rank in `schema.searchable`
        self.postings: dict[str, list[BitMap | None]] = {}
        self.filters: defaultdict[str, dict[FilterKey, BitMap]] = defaultdict(dict)
        # internal number → slot, in the order documents were added (a replaced one: when replaced)
        self._slot_of: dict[int, int] = {}
        self._free: list[int] = []  # slots of removed documents, to reuse
        self._packed: list[bytes | None] = []  # slot → the document, packed (`_pack`)
        # sortable field → slot → value (None: the document has none, or the slot is free)
        self.sort_values: dict[str, list[Any]] = {name: [] for name in schema.sortable}
        # Ids that are not their own number's digits: the others' numbers, and their ids by number.
        self._other_numbers: dict[str, int] = {}
        self._other_ids: dict[int, str] = {}
        self._next = FIRST_OTHER_NUMBER
        self._dictionary = dictionary  # zlib's preset dictionary (`dictionary_from`); b"": none
        # A document is packed as its shape's number and its values: the field names, the same
        # for nearly every document, are kept once per shape rather than once per document.
        self._shapes: list[tuple[str, ...]] = []
        self._shape_numbers: dict[tuple[str, ...], int] = {}
        self._sort_orders: dict[tuple[str, bool], list[int]] = {}
        # Documents with two words side by side in a field, (field, first, second) → numbers, as the
        # split query words have asked (embedded/compounds.py): found by reading documents back, so
        # kept until the next write, for the same words typed again.
        self.adjacent_pairs: dict[tuple[str, str, str], BitMap] = {}
        # The sum of every document's digest: the same documents give the same sum whatever the
        # order they came in, the packing or the process, so indexes can be compared by it
        # (`coplab search check --server`).
        self.digest = 0

    # Ids and numbers

    def number(self, document_id: str) -> int | None:
        """The internal number of the document with this id, if the index holds it."""
        if document_id in self._other_numbers:
            return self._other_numbers[document_id]
        if document_id.isdigit() and int(document_id) < FIRST_OTHER_NUMBER:
            number = int(document_id)
            if number in self._slot_of and self.document_id(number) == document_id:
                return number
        return None

    def document_id(self, number: int) -> str:
        other = self._other_ids.get(number)
        return str(number) if other is None else other

    def _number_for(self, document_id: str) -> int:
        """A new document's internal number, which orders ties: its own id where that is a whole number
        (initiatives' ids, which grow with creation), so that every process's index, whether built from
        the database or following the change log, orders the same documents alike. Other ids get
        numbers above every such id, in the order they were first added; a replaced document keeps its
        number either way, as in Meilisearch."""
        if document_id.isdigit() and int(document_id) < FIRST_OTHER_NUMBER:
            number = int(document_id)
            if number in self._slot_of:  # "007" after "7": one number, so the later replaces
                self.remove(self.document_id(number))
            if str(number) != document_id:
                self._other_ids[number] = document_id
            return number
        number = self._next
        self._next += 1
        self._other_numbers[document_id] = number
        self._other_ids[number] = document_id
        return number

    def ids(self) -> Iterator[str]:
        return (self.document_id(number) for number in self._slot_of)

    def numbers(self) -> Iterator[int]:
        """Every document's internal number, in the order documents were added."""
        return iter(self._slot_of)

    def __len__(self) -> int:
        return len(self._slot_of)

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
        slot = self._slot_of[number]
        packed = self._packed[slot]
        assert packed is not None  # a held document's slot is never free
        if self._dictionary:
            raw = zlib.decompressobj(zdict=self._dictionary).decompress(packed)
        else:
            raw = zlib.decompress(packed)
        shape, values = pickle.loads(raw)  # noqa: S301 (written by `_pack`)
        rest = iter(values)
        return {
            name: self.sort_values[name][slot] if name in self.sort_values else next(rest)
            for name in self._shapes[shape]
        }

    # Writes

    def _words_of(self, document: Mapping[str, Any]) -> list[tuple[str, int]]:
        found = set()
        for position, name in enumerate(self.schema.searchable):
            for value in _values(document.get(name)):
                found.update((term, position) for term in indexed_terms(str(value)))
        return sorted(found)

    def put(self, document: Mapping[str, Any]) -> None:
        """Add or replace a whole document."""
        document_id = str(document["id"])
        number = self.number(document_id)
        if number is not None:
            self.remove(document_id)
            # A replaced document keeps its number (`_number_for`).
            if number >= FIRST_OTHER_NUMBER:
                self._other_numbers[document_id] = number
            if str(number) != document_id:
                self._other_ids[number] = document_id
        else:
            number = self._number_for(document_id)
        if self._free:
            slot = self._free.pop()
            self._packed[slot] = self._pack(document)
            for name, values in self.sort_values.items():
                values[slot] = document.get(name)
        else:
            slot = len(self._packed)
            self._packed.append(self._pack(document))
            for name, values in self.sort_values.items():
                values.append(document.get(name))
        self._slot_of[number] = slot
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
        self.adjacent_pairs.clear()
        self.digest = (self.digest + document_digest(document)) % DIGEST_MODULUS

    def remove(self, document_id: str) -> None:
        number = self.number(document_id)
        if number is None:
            return
        document = self.document(number)
        self.digest = (self.digest - document_digest(document)) % DIGEST_MODULUS
        slot = self._slot_of.pop(number)
        self._packed[slot] = None
        for values in self.sort_values.values():
            values[slot] = None
        self._free.append(slot)
        self._other_numbers.pop(document_id, None)
        self._other_ids.pop(number, None)
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
        self._sort_orders.clear()
        self.adjacent_pairs.clear()

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

    def values_of(self, field: str) -> dict[int, Any]:
        """Each document's value of `field` by internal number, for the documents that have one.
        Sortable fields are at hand; any other field means unpacking every document (nothing asks
        for one today)."""
        values = self.sort_values.get(field)
        if values is None:
            return {n: v for n in self.numbers() if (v := self.document(n).get(field)) is not None}
        return {n: v for n, slot in self._slot_of.items() if (v := values[slot]) is not None}

    def value(self, field: str, number: int) -> Any:  # noqa: ANN401
        """One document's value of `field` (None: it has none)."""
        values = self.sort_values.get(field)
        if values is None:
            return self.document(number).get(field)
        return values[self._slot_of[number]]

    def sort_order(self, field: str, *, descending: bool) -> list[int]:
        """Every document in the order of `field`, ties by internal number, documents without the
        field last either way (in the order they were added)."""
        order = self._sort_orders.get((field, descending))
        if order is None:
            values = self.values_of(field)
            # Numbers ascending, then a stable sort (`reverse` included): ties stay by number.
            present = sorted(values)
            present.sort(key=values.__getitem__, reverse=descending)
            absent = [n for n in self.numbers() if n not in values]
            order = present + absent
            self._sort_orders[(field, descending)] = order
        return order
