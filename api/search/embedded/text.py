"""Words as the embedded engine sees them: case and diacritics folded, with their place in the
original text so matches can be shown where they are."""

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

_WORD = re.compile(r"\w+", re.UNICODE)


@lru_cache(maxsize=200_000)
def fold(word: str) -> str:
    """Lower case, without diacritics: "Protección" → "proteccion"."""
    if word.isascii():
        return word.lower()
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@dataclass(frozen=True)
class Token:
    term: str  # folded
    start: int  # in the original text
    end: int


def tokens(text: str) -> list[Token]:
    return [Token(fold(match.group()), match.start(), match.end()) for match in _WORD.finditer(text)]


def terms(text: str) -> list[str]:
    return [t.term for t in tokens(text)]
