"""What one query word matched in the index: ranking (engine.py) reads its documents, highlighting
(snippets.py) the indexed words it matched."""

from dataclasses import dataclass

from pyroaring import BitMap


@dataclass(frozen=True)
class QueryWord:
    """A query word, the indexed words it matches (with their typo counts), and the documents
    that contain it: with at most `t` typos in `by_typos[t]`, in field `f` in `by_field[f]`."""

    word: str
    is_prefix: bool
    matched: dict[str, int]
    by_typos: tuple[BitMap, BitMap, BitMap]
    by_field: tuple[BitMap, ...]

    @property
    def documents(self) -> BitMap:
        return self.by_typos[2]
