"""The class of a GraphQL type from a domain above the caller's own, which its module names but never imports.

Types point both ways (an initiative's assessments, an assessment's initiative), imports only
downwards: a type module declares a field of a type from a domain above it as
`Annotated["Name", strawberry.lazy("module")]`, and its resolver builds that type's objects with the
class the schema found there, by the same name (as strawberry's relay resolves a node's type)."""

from typing import Any

from strawberry.types.base import StrawberryObjectDefinition

from api.graphql.context import Info


def schema_type(info: Info, name: str) -> Any:  # noqa: ANN401  (the class: its methods are the caller's to know)
    """The class behind the schema's object type `name`."""
    definition = info.schema.get_type_by_name(name)
    if not isinstance(definition, StrawberryObjectDefinition):
        raise TypeError(f"the schema has no object type {name!r}")
    return definition.origin
