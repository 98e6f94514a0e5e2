"""Query cost limits checked before any resolver runs (SECURITY.md 31-33, 37): nesting depth,
aliases and repeated fields before validation, the worst-case node count of nested connections
before execution.

Both walk the document in time linear in its size: every fragment is measured once, in dependency
order, and its measure reused wherever it is spread. (strawberry's QueryDepthLimiter and
MaxAliasesLimiter re-walk a fragment at every spread, so a "fragment bomb" of a few hundred
tokens, each fragment spreading the previous one twice, kept a worker busy for hours.)
"""

from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    value_from_ast_untyped,
)
from strawberry.extensions import SchemaExtension

from api.pagination import DEFAULT_PAGE_SIZE

T = TypeVar("T")


def _spread_names(selection_set: SelectionSetNode | None) -> list[str]:
    """Names of the fragments spread anywhere inside `selection_set`."""
    names: list[str] = []
    stack = [selection_set] if selection_set is not None else []
    while stack:
        for selection in stack.pop().selections:
            if isinstance(selection, FragmentSpreadNode):
                names.append(selection.name.value)
            elif selection.selection_set is not None:
                stack.append(selection.selection_set)
    return names


def _dependency_order(fragments: Mapping[str, FragmentDefinitionNode]) -> list[str]:
    """Fragment names, each after the fragments it spreads (cycles are cut; validation reports them)."""
    spreads = {name: [s for s in _spread_names(f.selection_set) if s in fragments] for name, f in fragments.items()}
    order: list[str] = []
    seen: set[str] = set()
    for root in fragments:
        if root in seen:
            continue
        seen.add(root)
        stack: list[tuple[str, Iterator[str]]] = [(root, iter(spreads[root]))]
        while stack:
            name, pending = stack[-1]
            following = next((s for s in pending if s not in seen), None)
            if following is None:
                order.append(name)
                stack.pop()
            else:
                seen.add(following)
                stack.append((following, iter(spreads[following])))
    return order


def _measure_fragments(
    fragments: Mapping[str, FragmentDefinitionNode], measure: Callable[[FragmentDefinitionNode, dict[str, T]], T]
) -> dict[str, T]:
    """`measure` of every fragment, each computed once and given the measures of those it spreads."""
    measures: dict[str, T] = {}
    for name in _dependency_order(fragments):
        measures[name] = measure(fragments[name], measures)
    return measures


def _fragments(document) -> dict[str, FragmentDefinitionNode]:  # noqa: ANN001
    return {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}


def _operations(document) -> list[OperationDefinitionNode]:  # noqa: ANN001
    return [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]


# --- depth, aliases and repeated fields -------------------------------------------------------------


@dataclass(frozen=True)
class _Shape:
    """What a selection set costs to validate: its nesting depth, its aliases (every fragment counted
    where it is spread) and how often each response name occurs in it (inline fragments and spread
    fragments merged in, as graphql-core merges them)."""

    depth: int = 0
    aliases: int = 0
    names: Counter[str] = field(default_factory=Counter)
    most_repeated: int = 0


def _shape(selection_set: SelectionSetNode | None, fragments: Mapping[str, _Shape]) -> _Shape:
    """The shape of `selection_set`, given the shapes of the fragments it spreads. Introspection
    fields do not count towards depth (production refuses them anyway)."""
    depth = aliases = most_repeated = 0
    names: Counter[str] = Counter()
    spread: set[str] = set()
    for selection in selection_set.selections if selection_set is not None else ():
        if isinstance(selection, FieldNode):
            below = _shape(selection.selection_set, fragments)
            aliases += below.aliases + (1 if selection.alias else 0)
            most_repeated = max(most_repeated, below.most_repeated)
            names[(selection.alias or selection.name).value] += 1
            if not selection.name.value.startswith("__"):
                depth = max(depth, 1 + below.depth)
            continue
        if isinstance(selection, InlineFragmentNode):
            below = _shape(selection.selection_set, fragments)
        else:
            below = fragments.get(selection.name.value, _Shape())
            if selection.name.value in spread:  # graphql-core compares a fragment with itself once
                below = _Shape(below.depth, below.aliases, Counter(), below.most_repeated)
            spread.add(selection.name.value)
        depth, aliases = max(depth, below.depth), aliases + below.aliases
        most_repeated = max(most_repeated, below.most_repeated)
        names.update(below.names)
    most_repeated = max(most_repeated, *names.values(), 0)
    return _Shape(depth, aliases, names, most_repeated)


class QueryShape(SchemaExtension):
    """Rejects, before graphql-core validates it, a document nested deeper than `max_depth` fields,
    with more than `max_aliases` aliases once every fragment spread is expanded, or repeating one
    field more than `max_repeats` times in a selection set (graphql-core compares the repeats pair
    by pair: a few hundred of them took seconds)."""

    def __init__(self, *, max_depth: int, max_aliases: int, max_repeats: int) -> None:
        self.max_depth = max_depth
        self.max_aliases = max_aliases
        self.max_repeats = max_repeats

    def on_validate(self) -> Iterator[None]:
        ctx = self.execution_context
        if ctx.graphql_document is not None and ctx.pre_execution_errors is None:
            errors = self._check(ctx.graphql_document)
            if errors:
                # Errors set before validation replace it (strawberry then skips the rules).
                ctx.pre_execution_errors = errors
        yield

    def _check(self, document) -> list[GraphQLError]:  # noqa: ANN001
        fragments = _measure_fragments(_fragments(document), lambda f, known: _shape(f.selection_set, known))
        errors = []
        aliases = 0
        for operation in _operations(document):
            shape = _shape(operation.selection_set, fragments)
            aliases += shape.aliases
            if shape.depth > self.max_depth:
                errors.append(
                    GraphQLError(
                        f"This operation is nested {shape.depth} fields deep; the limit is {self.max_depth}.",
                        operation,
                        extensions={"code": "QUERY_TOO_DEEP", "limit": self.max_depth},
                    )
                )
            if shape.most_repeated > self.max_repeats:
                errors.append(
                    GraphQLError(
                        f"A field is selected {shape.most_repeated} times in one selection set; "
                        f"the limit is {self.max_repeats}.",
                        operation,
                        extensions={"code": "FIELD_REPEATED", "limit": self.max_repeats},
                    )
                )
        if aliases > self.max_aliases:
            errors.append(
                GraphQLError(
                    f"This document uses more than {self.max_aliases} aliases (counting each fragment where it is spread).",
                    extensions={"code": "TOO_MANY_ALIASES", "limit": self.max_aliases},
                )
            )
        return errors


# --- node budget ---------------------------------------------------------------------------------


class NodeBudget(SchemaExtension):
    """Worst case = sum over every connection of the product of `first` along its path (and of the
    number of ids along `nodes(ids:)`)."""

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
        fragments = _fragments(ctx.graphql_document)
        for operation in _operations(ctx.graphql_document):
            # Defaults declared on the operation count as much as values the client sends.
            variables = {
                d.variable.name.value: value_from_ast_untyped(d.default_value)
                for d in operation.variable_definitions or ()
                if d.default_value is not None
            }
            variables.update(ctx.variables or {})
            counter = _NodeCounter(schema, variables)
            measures = _measure_fragments(fragments, counter.fragment_cost)
            cost = counter.cost(operation.selection_set, schema.get_root_type(operation.operation), measures)
            if cost > self.max_nodes:
                shown = cost if cost < 10**12 else f"more than {10**12}"
                raise GraphQLError(
                    f"This query could return up to {shown} nodes; the limit is {self.max_nodes}.",
                    extensions={"code": "QUERY_TOO_COSTLY", "cost": min(cost, 10**12), "limit": self.max_nodes},
                )


class _NodeCounter:
    """Nodes a selection could return per instance of its parent type."""

    def __init__(self, schema: GraphQLSchema, variables: Mapping[str, Any]) -> None:
        self.schema = schema
        self.variables = variables

    def _argument(self, field: FieldNode, name: str) -> tuple[bool, Any]:
        for argument in field.arguments or ():
            if argument.name.value == name:
                value = argument.value
                if isinstance(value, VariableNode):
                    return True, self.variables.get(value.name.value)
                if isinstance(value, IntValueNode):
                    return True, int(value.value)
                if isinstance(value, ListValueNode):
                    return True, list(value.values)
                return True, value
        return False, None

    def _multiplier(self, field: FieldNode, definition, child: GraphQLNamedType) -> int:  # noqa: ANN001
        if child.name.endswith("Connection"):
            given, first = self._argument(field, "first")
            if not given:
                default = definition.args["first"].default_value if "first" in definition.args else None
                first = default if isinstance(default, int) else DEFAULT_PAGE_SIZE
            return max(first, 0) if isinstance(first, int) else DEFAULT_PAGE_SIZE
        given, ids = self._argument(field, "ids")
        if given:  # `nodes(ids:)`: one subtree per id
            return len(ids) if isinstance(ids, list) else 1
        return 1

    def fragment_cost(self, fragment: FragmentDefinitionNode, measures: Mapping[str, int]) -> int:
        return self.cost(fragment.selection_set, self.schema.get_type(fragment.type_condition.name.value), measures)

    def cost(
        self, selection_set: SelectionSetNode | None, parent: GraphQLNamedType | None, measures: Mapping[str, int]
    ) -> int:
        if selection_set is None or not isinstance(parent, (GraphQLObjectType, GraphQLInterfaceType, GraphQLUnionType)):
            return 0
        fields = parent.fields if not isinstance(parent, GraphQLUnionType) else {}
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                definition = fields.get(selection.name.value)
                if definition is None:
                    continue
                child = get_named_type(definition.type)
                factor = self._multiplier(selection, definition, child)
                if child.name.endswith("Connection"):
                    total += factor
                total += factor * self.cost(selection.selection_set, child, measures)
            elif isinstance(selection, InlineFragmentNode):
                target = parent
                if selection.type_condition is not None:
                    target = self.schema.get_type(selection.type_condition.name.value) or parent
                total += self.cost(selection.selection_set, target, measures)
            else:
                total += measures.get(selection.name.value, 0)
        return total
