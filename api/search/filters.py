"""A typed filter tree for search: built from GraphQL input and the caller's access, never from raw
user text. Each engine reads the same tree: Meilisearch as a filter string (quoted and escaped
here), the embedded engine by evaluating it."""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

Value = str | int | bool


@dataclass(frozen=True)
class Equals:
    """`field` equals `value`; for a list field, the list contains it."""

    field: str
    value: Value


@dataclass(frozen=True)
class AnyOf:
    """`field` equals (or, for a list field, contains) one of `values`; nothing when `values` is empty."""

    field: str
    values: tuple[Value, ...]


@dataclass(frozen=True)
class All:
    parts: tuple["Filter", ...]


@dataclass(frozen=True)
class Either:
    parts: tuple["Filter", ...]


@dataclass(frozen=True)
class Not:
    part: "Filter"


Filter = Equals | AnyOf | All | Either | Not

EVERYTHING = All(())
NOTHING = Either(())


def all_of(*parts: Filter | None) -> Filter:
    kept = tuple(p for p in parts if p is not None and p != EVERYTHING)
    if NOTHING in kept:
        return NOTHING
    return kept[0] if len(kept) == 1 else All(kept)


def any_of(*parts: Filter) -> Filter:
    kept = tuple(p for p in parts if p != NOTHING)
    if EVERYTHING in kept:
        return EVERYTHING
    return kept[0] if len(kept) == 1 else Either(kept)


# Meilisearch's filter expression syntax (https://www.meilisearch.com/docs/learn/filtering_and_sorting/filter_expression_reference)


def _literal(value: Value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    # A double-quoted string; a backslash escapes `"` and `\` inside it.
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _field(name: str) -> str:
    if not name.replace("_", "").isalnum():
        raise ValueError(f"not a field name: {name!r}")  # field names come from code, never from users
    return name


def to_meilisearch(tree: Filter) -> str | None:
    """The filter string Meilisearch reads, or None for no filter at all."""
    if tree == EVERYTHING:
        return None
    return _render(tree)


def _render(tree: Filter) -> str:
    match tree:
        case Equals(field, value):
            return f"{_field(field)} = {_literal(value)}"
        case AnyOf(field, values):
            if not values:
                return _render(NOTHING)
            return f"{_field(field)} IN [{', '.join(_literal(v) for v in values)}]"
        case All(parts):
            return " AND ".join(f"({_render(p)})" for p in parts) if parts else "id EXISTS"
        case Either(parts):
            # Meilisearch has no literal for "false": no document lacks its id.
            return " OR ".join(f"({_render(p)})" for p in parts) if parts else "NOT id EXISTS"
        case Not(part):
            return f"NOT ({_render(part)})"
    raise TypeError(f"not a filter: {tree!r}")


def matches(tree: Filter, document: Mapping[str, object]) -> bool:
    """Whether `document` passes the filter (the embedded engine's reading, and the tests' oracle)."""
    match tree:
        case Equals(field, value):
            return _has(document.get(field), value)
        case AnyOf(field, values):
            return any(_has(document.get(field), v) for v in values)
        case All(parts):
            return all(matches(p, document) for p in parts)
        case Either(parts):
            return any(matches(p, document) for p in parts)
        case Not(part):
            return not matches(part, document)
    raise TypeError(f"not a filter: {tree!r}")


def _has(stored: object, value: Value) -> bool:
    if isinstance(stored, Sequence) and not isinstance(stored, str):
        return any(_same(item, value) for item in stored)
    return _same(stored, value)


def _same(stored: object, value: Value) -> bool:
    # Meilisearch compares filter values as strings or numbers, never bool against int.
    return type(stored) is type(value) and stored == value


def describe(tree: Filter) -> str:
    """For logs and error messages."""
    return json.dumps(to_meilisearch(tree))
