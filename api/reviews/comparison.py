"""Comparing two reviewers' codings of any kind of record: each kind flattens a stored coding into the
fields it is compared on (JSON Pointers, `RecordKind.fields_of`); notes are never compared. Agreement is
the share of compared fields on which the two reviewers agree."""

from collections.abc import Callable, Sequence

Fields = Callable[[dict], dict[str, str | None]]


def disagreements(fields_of: Fields, first: dict, second: dict) -> list[tuple[str, str | None, str | None]]:
    """The fields on which two codings differ, with each reviewer's value."""
    a, b = fields_of(first), fields_of(second)
    return [(path, a.get(path), b.get(path)) for path in sorted(a.keys() | b.keys()) if a.get(path) != b.get(path)]


def agreement(fields_of: Fields, pairs: Sequence[tuple[dict, dict]]) -> tuple[int, int]:
    """(fields agreed, fields compared) over pairs of codings."""
    agreed = compared = 0
    for first, second in pairs:
        a, b = fields_of(first), fields_of(second)
        paths = a.keys() | b.keys()
        compared += len(paths)
        agreed += sum(1 for path in paths if a.get(path) == b.get(path))
    return agreed, compared


def reconciled(fields_of: Fields, first: dict, resolutions: dict[str, str | None]) -> dict[str, str | None]:
    """The agreed value of every field: where the two agreed, theirs; where not, the resolution."""
    return {**fields_of(first), **resolutions}


def coded_pairs(assignments: Sequence) -> list[tuple[dict, dict]]:  # noqa: ANN001
    """The two coders' codings of every round both submitted, oldest round first."""
    rounds: dict[int, dict[int, dict]] = {}
    for assignment in assignments:
        if assignment.coding is not None and assignment.position <= 2:
            rounds.setdefault(assignment.round, {})[assignment.position] = assignment.coding
    return [(codings[1], codings[2]) for _, codings in sorted(rounds.items()) if len(codings) == 2]
