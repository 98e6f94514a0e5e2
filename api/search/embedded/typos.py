"""Which indexed words a query word matches, and with how many typos, by Meilisearch's rules:
no typo in words under 5 letters, one up to 8 letters, two from 9; a typo on the first letter
counts as two; the last query word matches as a prefix, typos included: a word matches when one of
its prefixes is within the typos allowed ("grommi" matches "grooming" with one typo, as "groomi")."""

from bisect import bisect_left
from collections import defaultdict

from rapidfuzz import process
from rapidfuzz.distance import OSA

ONE_TYPO_FROM = 5
TWO_TYPOS_FROM = 9


def allowed_typos(word: str) -> int:
    if len(word) >= TWO_TYPOS_FROM:
        return 2
    return 1 if len(word) >= ONE_TYPO_FROM else 0


class Vocabulary:
    """Every indexed word, by first letter and length (typo candidates) and sorted (prefixes)."""

    def __init__(self) -> None:
        self._by_first_and_length: defaultdict[tuple[str, int], set[str]] = defaultdict(set)
        self._sorted: list[str] | None = []
        self._all: set[str] = set()
        # The distinct prefixes of a length among the words of a first letter, for typos in a prefix:
        # built when a search needs them, dropped when a word comes or goes.
        self._heads: dict[tuple[str, int], list[str]] = {}

    def add(self, term: str) -> None:
        if term in self._all:
            return
        self._all.add(term)
        self._by_first_and_length[(term[0], len(term))].add(term)
        self._sorted = None
        self._heads = {}

    def discard(self, term: str) -> None:
        if term not in self._all:
            return
        self._all.discard(term)
        self._by_first_and_length[(term[0], len(term))].discard(term)
        self._sorted = None
        self._heads = {}

    def __contains__(self, term: str) -> bool:
        return term in self._all

    def with_prefix(self, prefix: str) -> list[str]:
        if self._sorted is None:
            self._sorted = sorted(self._all)
        found = []
        at = bisect_left(self._sorted, prefix)
        while at < len(self._sorted) and self._sorted[at].startswith(prefix):
            found.append(self._sorted[at])
            at += 1
        return found

    def matches(self, word: str, *, prefix: bool) -> dict[str, int]:
        """Indexed words `word` matches, each with its typo count (0, 1 or 2)."""
        found: dict[str, int] = {}
        if prefix:
            found.update((term, 0) for term in self.with_prefix(word))
        elif word in self._all:
            found[word] = 0
        budget = allowed_typos(word)
        if budget == 0:
            return found
        if prefix:
            self._add_prefix_typos(word, budget, found)
        else:
            for length in range(len(word) - budget, len(word) + budget + 1):
                for term in self._by_first_and_length.get((word[0], length), ()):
                    if term not in found:
                        typos = OSA.distance(word, term, score_cutoff=budget)
                        if typos <= budget:
                            found[term] = typos
        if budget == 2:
            # A different first letter spends both typos: the rest must match exactly.
            tail = word[1:]
            # The vocabulary's first letters, from its buckets' keys rather than every word; each
            # looked up with the rest of the word (an index of words by their tail would cost a set
            # per word, in every API process).
            for first in {first for first, _ in self._by_first_and_length} - {word[0]}:
                if prefix:
                    for term in self.with_prefix(first + tail):
                        found.setdefault(term, 2)
                elif first + tail in self._all:
                    found.setdefault(first + tail, 2)
        return found

    def _add_prefix_typos(self, word: str, budget: int, found: dict[str, int]) -> None:
        """Words one of whose prefixes (as long as `word`, give or take the typos) is within
        `budget` typos of `word`, with the fewest typos any such prefix needs."""
        for length in range(max(1, len(word) - budget), len(word) + budget + 1):
            for head, typos, _ in process.extract(
                word, self._heads_of(word[0], length), scorer=OSA.distance, score_cutoff=budget, limit=None
            ):
                for term in self.with_prefix(head):
                    if typos < found.get(term, budget + 1):
                        found[term] = typos

    def _heads_of(self, first: str, length: int) -> list[str]:
        key = (first, length)
        heads = self._heads.get(key)
        if heads is None:
            heads = self._heads[key] = sorted({term[:length] for term in self.with_prefix(first) if len(term) >= length})
        return heads
