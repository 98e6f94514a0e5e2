"""Compound words, as Meilisearch treats them: "takedown", "take-down" and "take down" find each other.

The index holds every word and the joined form of hyphenated compounds (text.py). A query word then
also matches, as Meilisearch's n-grams and split words do:
- joined with the query word next to it: "take down" finds "takedown" (no typo);
- split in two words that both are in one field: "takedown" finds "take down" (one typo, as
  Meilisearch counts a split). The index keeps no word positions, so the two halves need only be in
  the same field, not next to each other.
"""

from collections.abc import Sequence

from pyroaring import BitMap

from api.search.embedded.query_words import QueryWord

MIN_HALF = 2  # letters in each half of a split word


def _postings(index: object, term: str) -> list[BitMap | None] | None:
    return index.postings.get(term)  # type: ignore[attr-defined]


def widened(index: object, words: Sequence[QueryWord], query: Sequence[str]) -> list[QueryWord]:
    """`words` (one per query word in `query`), each also matching its joined and split forms."""
    result = []
    for i, word in enumerate(words):
        matched = dict(word.matched)
        by_typos = [BitMap(b) for b in word.by_typos]
        by_field = [BitMap(b) for b in word.by_field]

        def add(per_field: Sequence[BitMap | None], typos: int) -> None:
            for position, documents in enumerate(per_field):
                if documents:
                    by_field[position] |= documents
                    for level in range(typos, 3):
                        by_typos[level] |= documents

        neighbours = [query[i - 1] + query[i]] if i > 0 else []
        neighbours += [query[i] + query[i + 1]] if i + 1 < len(query) else []
        for joined in neighbours:
            found = _postings(index, joined)
            if found is not None:
                matched.setdefault(joined, 0)
                add(found, 0)
        text = query[i]
        for cut in range(MIN_HALF, len(text) - MIN_HALF + 1):
            head, tail = _postings(index, text[:cut]), _postings(index, text[cut:])
            if head is None or tail is None:
                continue
            both = [h & t if h is not None and t is not None else None for h, t in zip(head, tail, strict=True)]
            if any(both):
                matched.setdefault(text[:cut], 1)
                matched.setdefault(text[cut:], 1)
                add(both, 1)
        if matched == word.matched:
            result.append(word)
        else:
            result.append(QueryWord(word.word, word.is_prefix, matched, tuple(by_typos), tuple(by_field)))  # type: ignore[arg-type]
    return result
