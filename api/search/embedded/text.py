"""Words as the embedded engine sees them: case and diacritics folded, with their place in the
original text so matches can be shown where they are."""

import re
import unicodedata
from collections.abc import Iterator
from functools import lru_cache

# Letters and digits; the underscore separates words, as in Meilisearch ("alpha_bravo" is two words).
WORD = re.compile(r"[^\W_]+", re.UNICODE)


@lru_cache(maxsize=200_000)
def fold(word: str) -> str:
    """Lower case, without diacritics: "Protección" → "proteccion"."""
    if word.isascii():
        return word.lower()
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


# A word of a text: (folded word, start, end), offsets in the original text. A plain tuple: snippets
# make thousands of them per search.
Token = tuple[str, int, int]


def tokens(text: str, start: int = 0) -> Iterator[Token]:
    """The words of `text` from `start` on, lazily: a snippet stops reading once it has enough."""
    if text.isascii():  # lower-casing ASCII keeps every offset: fold the whole text at once
        for match in WORD.finditer(text.lower(), start):
            yield match.group(), match.start(), match.end()
    else:
        for match in WORD.finditer(text, start):
            yield fold(match.group()), match.start(), match.end()


def terms(text: str) -> list[str]:
    if text.isascii():  # as in `tokens`; and `fold`'s cache keeps only the words that need it
        return WORD.findall(text.lower())
    return [fold(word) for word in WORD.findall(text)]


# Words joined by hyphens ("take-down", "e-mail"): indexed whole too, so that "takedown" finds them.
COMPOUND = re.compile(r"[^\W_]+(?:-[^\W_]+)+", re.UNICODE)


def compounds(text: str) -> list[str]:
    """The joined form of every hyphenated compound in `text`: "notice and take-down" → ["takedown"]."""
    if "-" not in text:
        return []
    return [fold(match.group().replace("-", "")) for match in COMPOUND.finditer(text)]


def indexed_terms(text: str) -> list[str]:
    """What the index holds of a text: its words and the joined form of its hyphenated compounds
    (the query side splits and joins query words: engine.py)."""
    return [*terms(text), *compounds(text)]
