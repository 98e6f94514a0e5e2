"""Snippets of hits: a field's plain text with the ranges the query words matched, whole or cropped
around the first match.

When the query words match few indexed words (any query but a short prefix), one regular
expression of exactly those words finds them in an ASCII text at C speed; otherwise the text is read
word by word and each word looked up.
"""

import re
from collections.abc import Iterable, Sequence
from itertools import islice

from api.search.backend import MatchRange, Snippet
from api.search.embedded.query_words import QueryWord
from api.search.embedded.text import WORD, Token, tokens

CROP_MARKER = "…"
MAX_PATTERN_WORDS = 200


class Highlighter:
    def __init__(self, words: Sequence[QueryWord]) -> None:
        self.words = words
        matched = {term for word in words for term in word.matched}
        self.pattern = (
            re.compile(r"(?<![^\W_])(?:" + "|".join(map(re.escape, sorted(matched, key=len, reverse=True))) + r")(?![^\W_])")
            if matched and len(matched) <= MAX_PATTERN_WORDS
            else None
        )

    def range_of(self, term: str, start: int, end: int) -> MatchRange | None:
        """Where a query word matched this word: all of it, or for the last query word (a prefix)
        as many letters as were typed, typos or not, as Meilisearch highlights it."""
        for word in self.words:
            if term not in word.matched:
                continue
            if word.is_prefix:
                return MatchRange(start, min(len(word.word), end - start))
            return MatchRange(start, end - start)
        return None

    def ranges(self, text: str, start: int = 0, end: int | None = None) -> tuple[MatchRange, ...]:
        """The matches in `text[start:end]`, with offsets in `text`."""
        end = len(text) if end is None else end
        if self.pattern is not None and text.isascii():
            return tuple(
                r
                for m in self.pattern.finditer(text.lower(), start, end)
                if (r := self.range_of(m.group(), m.start(), m.end())) is not None
            )
        return self._ranges_of(t for t in tokens(text, start) if t[2] <= end)

    def _ranges_of(self, spans: Iterable[Token]) -> tuple[MatchRange, ...]:
        return tuple(r for term, start, end in spans if (r := self.range_of(term, start, end)) is not None)

    def highlighted(self, text: str) -> Snippet:
        return Snippet(text, self.ranges(text))

    def cropped(self, text: str, length: int, *, any_match: bool) -> Snippet:
        """About `length` words around the first match (the first `length` words without one), with
        "…" where text was cut. Reads the text only as far as the window reaches."""
        first = self._first_match(text) if any_match and length > 0 else None
        if first is None:
            spans = [("", m.start(), m.end()) for m in islice(WORD.finditer(text), length)]
        else:
            # Words before the match, read back only as far as the window can reach (generously:
            # a word is rarely over twelve characters with its space).
            reach = max(0, first - 12 * length)
            before = [(m.start(), m.end()) for m in WORD.finditer(text, reach, first)]
            if reach and before and before[0][0] == reach and WORD.match(text, reach - 1):
                before = before[1:]  # began inside a word
            before = before[-(length - 1) :] if length > 1 else []
            after = [(m.start(), m.end()) for m in islice(WORD.finditer(text, first), length)]
            # Centred on the match, shifted back when the text ends soon after it.
            taken_before = min(len(before), length // 2)
            taken_after = min(len(after), length - taken_before)
            taken_before = min(len(before), length - taken_after)
            window = [*before[len(before) - taken_before :], *after[:taken_after]]
            spans = [("", start, end) for start, end in window]
        if not spans:
            return Snippet(text, ())
        start_char, end_char = spans[0][1], spans[-1][2]
        prefix = CROP_MARKER if WORD.search(text, 0, start_char) else ""
        suffix = CROP_MARKER if WORD.search(text, end_char) else ""
        # Where nothing was cut, the text keeps its own beginning or end (punctuation included).
        start_char = start_char if prefix else 0
        end_char = end_char if suffix else len(text)
        shift = len(prefix) - start_char
        matches = tuple(
            MatchRange(r.start + shift, r.length) for r in self.ranges(text, start_char, end_char)
        ) if any_match else ()
        return Snippet(prefix + text[start_char:end_char] + suffix, matches)

    def _first_match(self, text: str) -> int | None:
        if self.pattern is not None and text.isascii():
            found = self.pattern.search(text.lower())
            return found.start() if found else None
        return next((start for term, start, end in tokens(text) if self.range_of(term, start, end)), None)
