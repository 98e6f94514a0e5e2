"""Rejects queries whose nested connections could return more nodes than the budget (SECURITY.md 37)."""

from collections.abc import Iterator, Mapping
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLInterfaceType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
)
from strawberry.extensions import SchemaExtension

from api.pagination import DEFAULT_PAGE_SIZE


class NodeBudget(SchemaExtension):
    """Worst case = sum over every connection of the product of `first` along its path."""

    def __init__(self, *, max_nodes: int) -> None:
        self.max_nodes = max_nodes

    def on_execute(self) -> Iterator[None]:
        # Runs after parsing and validation, before any resolver: raising here stops execution.
        ctx = self.execution_context
        if ctx.graphql_document is not None:
            self._check(ctx)
        yield

    def _check(self, ctx) -> None:  # noqa: ANN001
        schema: GraphQLSchema = ctx.schema._schema
        fragments = {
            d.name.value: d for d in ctx.graphql_document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        variables = ctx.variables or {}
        for definition in ctx.graphql_document.definitions:
            if not isinstance(definition, OperationDefinitionNode):
                continue
            root = schema.get_root_type(definition.operation)
            cost = _cost(schema, definition.selection_set, root, 1, fragments, variables, frozenset())
            if cost > self.max_nodes:
                raise GraphQLError(
                    f"This query could return up to {cost} nodes; the limit is {self.max_nodes}.",
                    extensions={"code": "QUERY_TOO_COSTLY", "cost": cost, "limit": self.max_nodes},
                )


def _page_size(field: FieldNode, variables: Mapping[str, Any]) -> int:
    for argument in field.arguments or ():
        if argument.name.value != "first":
            continue
        value = argument.value
        if isinstance(value, IntValueNode):
            return int(value.value)
        if isinstance(value, VariableNode):
            given = variables.get(value.name.value)
            return int(given) if isinstance(given, int) else DEFAULT_PAGE_SIZE
    return DEFAULT_PAGE_SIZE


def _cost(
    schema: GraphQLSchema,
    selection_set: SelectionSetNode | None,
    parent: GraphQLNamedType | None,
    multiplier: int,
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: Mapping[str, Any],
    seen_fragments: frozenset[str],
) -> int:
    if selection_set is None or not isinstance(parent, (GraphQLObjectType, GraphQLInterfaceType)):
        return 0
    total = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            definition = parent.fields.get(selection.name.value)
            if definition is None:
                continue
            child = get_named_type(definition.type)
            factor = multiplier
            if child.name.endswith("Connection"):
                factor = multiplier * max(_page_size(selection, variables), 0)
                total += factor
            total += _cost(schema, selection.selection_set, child, factor, fragments, variables, seen_fragments)
        elif isinstance(selection, InlineFragmentNode):
            target = parent
            if selection.type_condition is not None:
                target = schema.get_type(selection.type_condition.name.value) or parent
            total += _cost(schema, selection.selection_set, target, multiplier, fragments, variables, seen_fragments)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            if name in seen_fragments or name not in fragments:
                continue  # cycles are reported by the standard validation rules
            fragment = fragments[name]
            target = schema.get_type(fragment.type_condition.name.value) or parent
            total += _cost(
                schema, fragment.selection_set, target, multiplier, fragments, variables, seen_fragments | {name}
            )
    return total
