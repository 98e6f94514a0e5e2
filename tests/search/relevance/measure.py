"""Precision@5 and recall@5 of researchers' queries (queries.yaml) on one engine holding the seeded
registry's documents: what tests/search/relevance/test_relevance.py holds to a floor, and what
`python -m tests.search.relevance.measure` prints per query for docs/search.md."""

from dataclasses import dataclass
from pathlib import Path

import yaml

from api.search.backend import MatchingStrategy, SearchBackend, SearchRequest

QUERIES = yaml.safe_load((Path(__file__).parent / "queries.yaml").read_text(encoding="utf-8"))
TOP = 5


@dataclass(frozen=True)
class Measured:
    query: str
    found: list[str]  # seed keys of the first five hits
    expected: list[str]

    @property
    def relevant(self) -> int:
        return len(set(self.found) & set(self.expected))

    @property
    def precision(self) -> float:
        """Of the hits shown (at most five), the share expected; none shown: 0."""
        return self.relevant / len(self.found) if self.found else 0.0

    @property
    def recall(self) -> float:
        """Of what could fit in five (the expected, at most five), the share shown."""
        return self.relevant / min(TOP, len(self.expected))


def measure(
    engine: SearchBackend, keys: dict[str, str], strategy: MatchingStrategy, *, fallback: bool = False
) -> list[Measured]:
    """Each query's first five hits; `fallback`: `strategy`, then LAST when it finds nothing."""
    measured = []
    for item in QUERIES:
        result = engine.search(SearchRequest(query=item["query"], hits_per_page=TOP, matching_strategy=strategy))
        if fallback and not result.hits:
            result = engine.search(SearchRequest(query=item["query"], hits_per_page=TOP))
        measured.append(Measured(item["query"], [keys[hit.id] for hit in result.hits], item["expect"]))
    return measured


def mean(values: list[float]) -> float:
    return sum(values) / len(values)


def summary(measured: list[Measured]) -> tuple[float, float]:
    """Mean precision@5 and recall@5 over the queries."""
    return mean([m.precision for m in measured]), mean([m.recall for m in measured])


if __name__ == "__main__":  # pragma: no cover - a report for docs/search.md
    import sys

    from api.search.embedded import EmbeddedBackend
    from tests.search.relevance.registry import seeded_documents

    documents, keys = seeded_documents(sys.argv[1])
    engines: list[SearchBackend] = [EmbeddedBackend()]
    engines[0].upsert(documents)
    if len(sys.argv) > 3:
        from api.search.meilisearch_backend import MeilisearchBackend

        meilisearch = MeilisearchBackend(sys.argv[2], sys.argv[3], index_uid="relevance")
        meilisearch.ensure_index()
        meilisearch.upsert(documents)
        meilisearch.wait()
        engines.append(meilisearch)
    for engine in engines:
        for strategy, fallback in ((MatchingStrategy.LAST, False), (MatchingStrategy.ALL, False), (MatchingStrategy.ALL, True)):
            measured = measure(engine, keys, strategy, fallback=fallback)
            precision, recall = summary(measured)
            name = f"{strategy.name}{' then LAST' if fallback else ''}"
            print(f"{engine.name} {name}: precision@5 {precision:.3f} recall@5 {recall:.3f}")
            for m in measured:
                if m.precision < 1 or m.recall < 1:
                    print(f"    {m.query!r}: P {m.precision:.2f} R {m.recall:.2f} {m.found}")
