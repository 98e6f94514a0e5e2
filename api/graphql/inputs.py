"""The create and update inputs of a record, made from the `writable` fields of its domain's data class
(api/core/writable.py), so that a field is declared once (docs/architecture.md, "One list of writable
fields")."""

from collections.abc import Callable, Mapping
from dataclasses import fields
from types import NoneType
from typing import Any, TypeVar, get_args, get_origin, get_type_hints

import strawberry
from strawberry import UNSET, relay
from strawberry.types.unset import UnsetType

from api.core.writable import WRITABLE, Writable

Data = TypeVar("Data")


def create_input(data: type, *, name: str, description: str, nested: Mapping[type, type] = {}) -> type:  # noqa: B006
    """The input that creates a record: a required field (or one with a default) is non-null, every other
    one is nullable with a null default."""
    annotations: dict[str, Any] = {}
    defaults: dict[str, Any] = {}
    for field_name, value, spec in _writable(data, nested):
        annotations[field_name] = value | None if spec.clearable else value
        defaults[field_name] = (
            strawberry.field(description=spec.description)
            if spec.required
            else strawberry.field(default=spec.default, description=spec.description)
        )
    return _input(name, description, annotations, defaults)


def update_input(
    data: type, *, name: str, description: str, id_description: str, nested: Mapping[type, type] = {}  # noqa: B006
) -> type:
    """The input that changes a record: its `id`, then every field nullable and UNSET when omitted
    (omitted stays, null clears, a list replaces the stored one)."""
    annotations: dict[str, Any] = {"id": relay.GlobalID}
    defaults: dict[str, Any] = {"id": strawberry.field(description=id_description)}
    for field_name, value, spec in _writable(data, nested):
        annotations[field_name] = value | None
        defaults[field_name] = strawberry.field(default=UNSET, description=_on_update(spec, value))
    return _input(name, description, annotations, defaults)


def to_data(data: type[Data], source: object, **convert: Callable[[Any], Any]) -> Data:
    """The domain's data class for an input: each field the input has, as sent (UNSET when omitted), and
    `convert[name]` applied to a value that is neither omitted nor null (global ids decoded, nested inputs
    made domain objects). Fields the input lacks keep the data class's default."""
    values: dict[str, Any] = {}
    for f in fields(data):  # type: ignore[arg-type]
        if not hasattr(source, f.name):
            continue
        value = getattr(source, f.name)
        if f.name in convert and value is not None and value is not UNSET:
            value = convert[f.name](value)
        values[f.name] = value
    return data(**values)


def _on_update(spec: Writable, value: Any) -> str:
    """The update input's description of a field: what clearing it does."""
    short = spec.on_update or spec.description.removesuffix(".")
    if not spec.clearable:
        return f"{short} (cannot be cleared)."
    if get_origin(value) is list:
        return f"{short} (replace the list; null clears it)."
    return f"{short}; null clears it."


def _writable(data: type, nested: Mapping[type, type]) -> list[tuple[str, Any, Writable]]:
    """The data class's writable fields in order: name, GraphQL value type, declaration. `nested` maps a
    domain class held in a field (a link) to the strawberry input clients send for it."""
    hints = get_type_hints(data)
    found = []
    for f in fields(data):
        if WRITABLE in f.metadata:
            (value,) = (t for t in get_args(hints[f.name]) if t not in (NoneType, UnsetType))
            if get_origin(value) is list:
                (item,) = get_args(value)
                value = list[nested.get(item, item)]
            found.append((f.name, nested.get(value, value), f.metadata[WRITABLE]))
    return found


def _input(name: str, description: str, annotations: dict[str, Any], defaults: dict[str, Any]) -> type:
    return strawberry.input(description=description)(type(name, (), {"__annotations__": annotations, **defaults}))
