"""GraphQL record types built from their database rows.

Most fields of a record type show a column of the same name as it is; only the rest (vocabulary terms,
enums, lists copied out of JSON columns) need a rule. `from_row` takes just those rules, so a type's
`from_model` says what is special about it and a new column needs no second line here.
"""

import dataclasses
from typing import Any, TypeVar

RecordType = TypeVar("RecordType")


def from_row(cls: type[RecordType], row: object, **derived: Any) -> RecordType:  # noqa: ANN401
    """An instance of `cls` for `row`: each field is `derived[name]` when given, else the row's attribute of
    the same name; a private `_row` field keeps the row itself, for the fields resolved from it later."""
    values: dict[str, Any] = {}
    for field in dataclasses.fields(cls):  # type: ignore[arg-type]
        if not field.init:  # fields with a resolver of their own
            continue
        if field.name in derived:
            values[field.name] = derived[field.name]
        elif field.name == "_row":
            values[field.name] = row
        else:
            values[field.name] = getattr(row, field.name)
    unknown = derived.keys() - values.keys()
    if unknown:  # a misspelt rule would otherwise be ignored while the column shows through
        raise TypeError(f"{cls.__name__} has no field {', '.join(sorted(unknown))}")
    return cls(**values)
