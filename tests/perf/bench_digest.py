"""What the embedded index's digest costs (docs/search-indexing.md, `coplab search check --server`):
the digest of one document against putting that document into an index, in the same run.

    .venv/bin/python -m tests.perf.bench_digest [--documents 20000] [--runs 5]

Documents are random (tests/search/test_embedded_index_rules.py's) with a description of 150 words,
about 1.5 KB each, like the synthetic registry's.
"""

import argparse
import random
import statistics
import time

from api.search.embedded.index import Index, document_digest
from api.search.schema import INITIATIVES
from tests.search.test_embedded_index_rules import random_document

WORDS = "online child protection hotline reporting removal grooming education helpline platform detection".split()


def documents(count: int) -> list[dict]:
    rng = random.Random(1)
    made = []
    for number in range(1, count + 1):
        document = random_document(rng, number)
        document["description"] = " ".join(rng.choices(WORDS, k=150))
        made.append(document)
    return made


def microseconds_each(work, items: list[dict]) -> float:  # noqa: ANN001
    started = time.perf_counter()
    for item in items:
        work(item)
    return (time.perf_counter() - started) / len(items) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    made = documents(args.documents)
    size = statistics.mean(len(repr(d)) for d in made)
    digest = [microseconds_each(document_digest, made) for _ in range(args.runs)]
    put = [microseconds_each(Index(INITIATIVES).put, made) for _ in range(args.runs)]
    print(f"{len(made)} documents of about {size:.0f} characters, {args.runs} runs; µs per document, median (min):")
    print(f"  digest          {statistics.median(digest):7.2f} ({min(digest):.2f})")
    print(f"  Index.put       {statistics.median(put):7.2f} ({min(put):.2f})   (the digest included)")
    print(f"  digest's share  {statistics.median(digest) / statistics.median(put):7.1%}")


if __name__ == "__main__":
    main()
