"""Words as the embedded engine sees them: case and diacritics folded, with their place in the
original text so matches can be shown where they are."""

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

_WORD = re.compile(r"\w+", re.UNICODE)


def fold(word: str) -> str:
    """Lower case, without diacritics: "Protección" → "proteccion"."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@dataclass(frozen=True)
class Token:
    term: str  # folded
    start: int  # in the original text
    end: int


def tokens(text: str) -> Iterator[Token]:
    for match in _WORD.finditer(text):
        yield Token(fold(match.group()), match.start(), match.end())


def terms(text: str) -> list[str]:
    return [t.term for t in tokens(text)]
