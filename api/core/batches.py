"""A batch loader's answer from the rows of one query: one entry per requested key, in the keys' order.

The services' batch functions return these; api/graphql/loaders.py runs them as DataLoaders."""

from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any


def grouped(keys: Sequence[Hashable], rows: Iterable[Any], key: Callable[[Any], Hashable]) -> list[list[Any]]:
    """`rows` split by `key(row)`, one list per requested key in the keys' order (a batch loader's answer)."""
    groups: dict[Hashable, list[Any]] = {k: [] for k in keys}
    for row in rows:
        groups[key(row)].append(row)
    return [groups[k] for k in keys]


def codes_by_scheme(keys: Sequence[Hashable], rows: Iterable[Any], owner: Callable[[Any], Hashable]) -> list[dict[str, list[str]]]:
    """Classification rows (scheme, code) as sorted codes per scheme, one dict per requested key."""
    result = []
    for group in grouped(keys, rows, owner):
        schemes: dict[str, list[str]] = {}
        for row in group:
            schemes.setdefault(row.scheme, []).append(row.code)
        result.append({scheme: sorted(codes) for scheme, codes in schemes.items()})
    return result
