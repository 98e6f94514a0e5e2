"""Compound words, as Meilisearch treats them: "takedown", "take-down" and "take down" find each other.

The index holds every word and the joined form of hyphenated compounds (text.py). A query word then
also matches, as Meilisearch's n-grams and split words do:
- joined with the query word next to it: "take down" finds "takedown" (no typo);
- split in two words next to each other in one field: "takedown" finds "take down" (one typo, as
  Meilisearch counts a split), not "take the case down". The index keeps no word positions, so the
  documents holding both halves in one field are read back and checked for the two words side by
  side (Meilisearch matches a split as a phrase, the same).
"""

import re
from collections.abc import Sequence, Set as AbstractSet

from pyroaring import BitMap

from api.search.embedded.query_words import QueryWord
from api.search.embedded.text import terms

# Letters in each half of a split word: shorter halves ("in" + "form") would mean reading back many
# documents to find them apart, and are rarely meant. Neither half may be a stop word either.
MIN_HALF = 3


def _side_by_side(index: object, documents: BitMap, field: str, head: str, tail: str) -> BitMap:
    """Of `documents` (every one holding both words in `field`), those whose `field` has `head`
    immediately followed by `tail`. The index keeps no positions, so the documents are read back
    (unpacked): about 25 µs each, which is why splits are tried only with halves of 3 letters or
    more; the answer is kept until the next write (`Index.adjacent_pairs`; searches and writes hold
    the engine's lock, so it is never stale)."""
    cached = index.adjacent_pairs.get((field, head, tail))  # type: ignore[attr-defined]
    if cached is None:
        cached = _read_back(index, documents, field, head, tail)
        index.adjacent_pairs[(field, head, tail)] = cached  # type: ignore[attr-defined]
    return cached


def _read_back(index: object, documents: BitMap, field: str, head: str, tail: str) -> BitMap:
    kept = BitMap()
    # ASCII text (most of it) is searched for the pair as lower-cased text, without listing its words:
    # the two words with only separators between (as `text.WORD` splits), neither part of a longer word.
    pair = re.compile(rf"(?<![^\W_]){re.escape(head)}[\W_]+{re.escape(tail)}(?![^\W_])")
    for number in documents:
        values = index.document(number).get(field)  # type: ignore[attr-defined]
        for value in values if isinstance(values, (list, tuple)) else [values]:
            text = "" if value is None else str(value)
            if text.isascii():
                found = pair.search(text.lower()) is not None
            else:
                words = terms(text)
                found = any(a == head and b == tail for a, b in zip(words, words[1:]))
            if found:
                kept.add(number)
                break
    return kept


def _postings(index: object, term: str) -> list[BitMap | None] | None:
    return index.postings.get(term)  # type: ignore[attr-defined]


def _forms(index: object, query: Sequence[str], i: int, stop_words: AbstractSet[str]) -> list[tuple[dict[str, int], list[BitMap | None], int]]:
    """The joined and split forms of query word `i` the index has: (words matched, documents per
    field, typos)."""
    forms = []
    neighbours = [query[i - 1] + query[i]] if i > 0 else []
    neighbours += [query[i] + query[i + 1]] if i + 1 < len(query) else []
    for joined in neighbours:
        found = _postings(index, joined)
        if found is not None:
            forms.append(({joined: 0}, found, 0))
    text = query[i]
    for cut in range(MIN_HALF, len(text) - MIN_HALF + 1):
        if text[:cut] in stop_words or text[cut:] in stop_words:
            continue
        head, tail = _postings(index, text[:cut]), _postings(index, text[cut:])
        if head is None or tail is None:
            continue
        fields = index.schema.searchable  # type: ignore[attr-defined]
        both = [
            _side_by_side(index, h & t, fields[p], text[:cut], text[cut:]) if h is not None and t is not None else None
            for p, (h, t) in enumerate(zip(head, tail, strict=True))
        ]
        if any(both):
            forms.append(({text[:cut]: 1, text[cut:]: 1}, both, 1))
    return forms


def widened(
    index: object, words: Sequence[QueryWord], query: Sequence[str], stop_words: AbstractSet[str] = frozenset()
) -> list[QueryWord]:
    """`words` (one per query word in `query`), each also matching its joined and split forms."""
    result = []
    for i, word in enumerate(words):
        forms = _forms(index, query, i, stop_words)
        if not forms:  # the common case: nothing copied
            result.append(word)
            continue
        matched = dict(word.matched)
        by_typos = [BitMap(b) for b in word.by_typos]
        by_field = [BitMap(b) for b in word.by_field]
        for terms, per_field, typos in forms:
            for term, cost in terms.items():
                matched.setdefault(term, cost)
            for position, documents in enumerate(per_field):
                if documents:
                    by_field[position] |= documents
                    for level in range(typos, 3):
                        by_typos[level] |= documents
        result.append(QueryWord(word.word, word.is_prefix, matched, tuple(by_typos), tuple(by_field)))  # type: ignore[arg-type]
    return result
