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
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
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
    is_composite_type,
    value_from_ast_untyped,
)
from strawberry.extensions import SchemaExtension

from api.graphql.pagination import DEFAULT_PAGE_SIZE

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

# Fields returning one page of items, the list field in it that holds the items, and the argument
# giving the page size. Every connection pages its `edges` by `first` (or `last`, where it offers it).
PAGES = {
    "SearchInitiativesResult": ("hits", "hitsPerPage"),
    "SearchEvidenceResult": ("hits", "hitsPerPage"),
    "SearchBestPracticesResult": ("hits", "hitsPerPage"),
}
CONNECTION_PAGE = ("edges", "first")

# How many items a list field without a page argument can hold, where something bounds it: an
# input limit enforced on every write, a schema enum, an engine limit. A list of objects named in
# neither table (participations, assessments, parts, members, endorsements, provenance, the terms of
# a vocabulary, user errors) counts as a full page, `max_page_size` items.
CLASSIFICATION_CODES = 50  # `validation.codes_list`: at most 50 codes per classification
LIST_BOUNDS = {
    "Initiative.links": 20,  # initiatives.service.MAX_LINKS
    "EvidenceAssessment.findings": 50,  # evidence.service.MAX_FINDINGS
    "BestPractice.evidence": 50,  # practices.service.MAX_EVIDENCE
    "Study.countries": 50,  # evidence.studies.MAX_COUNTRIES
    # One rating per outcome: the `outcome` vocabulary has 16 terms.
    "Initiative.outcomeRatings": 20,
    "BestPractice.outcomeRatings": 20,
    # A start and one row per GRADE domain the rule set may move (seed/ratings).
    "OutcomeRating.certaintyTrace": 10,
    "Figure.initiatives": 50,  # figures.service.MAX_INITIATIVES
    **{
        f"{owner}.{name}": CLASSIFICATION_CODES
        for owner, names in {
            "Initiative": ("interventionTypes", "harms", "mnrCapabilities", "targetGroups", "regions", "countries",
                           "languages"),
            "BestPractice": ("harms", "interventionTypes"),
            "Figure": ("harms", "regions", "countries"),
        }.items()
        for name in names
    },
}
# The lists of a search result, each item a node as a page's items are (the engine builds every one).
SEARCH_LISTS = {
    "SearchInitiativesResult.facetDistribution": 6,  # one per `SearchFacet`, each counted once
    "FacetDistribution.values": 300,  # Meilisearch's maxValuesPerFacet (the embedded engine: 100)
    "SearchHit.highlights": 5,  # title, summary, organisations, description, classifications
    "SearchEvidenceResult.facetDistribution": 5,  # one per `EvidenceSearchFacet`
    "SearchBestPracticesResult.facetDistribution": 3,  # one per `BestPracticeSearchFacet`
    "EvidenceFacetDistribution.values": 300,
    "BestPracticeFacetDistribution.values": 300,
    "EvidenceSearchHit.highlights": 6,  # api/search/record_queries.py, EVIDENCE_HIGHLIGHTED
    "BestPracticeSearchHit.highlights": 6,  # PRACTICE_HIGHLIGHTED and PRACTICE_CROPPED
    "Highlight.matches": 20,  # search.queries.MAX_MATCHES_PER_HIGHLIGHT
}


class NodeBudget(SchemaExtension):
    """Worst case = the items of every page (a connection's `first`, search hits' `hitsPerPage`) and
    of a search result's lists (`SEARCH_LISTS`), each multiplied by how many items every list on
    its path can hold: pages by their size, `nodes(ids:)` by its ids, other lists by their bound
    (`LIST_BOUNDS`, or a full page). A page counts its size even when no item is selected (the
    resolver loads it)."""

    def __init__(self, *, max_nodes: int, max_page_size: int) -> None:
        self.max_nodes = max_nodes
        self.max_page_size = max_page_size

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
            counter = _NodeCounter(schema, variables, max_page_size=self.max_page_size)
            measures = _measure_fragments(fragments, counter.fragment_cost)
            cost = counter.cost(operation.selection_set, schema.get_root_type(operation.operation), measures).total
            if cost > self.max_nodes:
                shown = cost if cost < 10**12 else f"more than {10**12}"
                raise GraphQLError(
                    f"This query could return up to {shown} nodes; the limit is {self.max_nodes}.",
                    extensions={"code": "QUERY_TOO_COSTLY", "cost": min(cost, 10**12), "limit": self.max_nodes},
                )


@dataclass(frozen=True)
class _Cost:
    """Nodes a selection set could return per instance of its parent type: `fixed`, plus `per_item`
    for each item of the page when the parent is a page type (what is selected inside its items)."""

    fixed: int = 0
    per_item: int = 0

    def __add__(self, other: "_Cost") -> "_Cost":
        return _Cost(self.fixed + other.fixed, self.per_item + other.per_item)

    @property
    def total(self) -> int:
        return self.fixed


def _page_of(child: GraphQLNamedType) -> tuple[str, str] | None:
    """(item list field, page size argument) when `child` is a page type."""
    if child.name.endswith("Connection"):
        return CONNECTION_PAGE
    return PAGES.get(child.name)


def _is_list(definition) -> bool:  # noqa: ANN001
    kind = definition.type
    while isinstance(kind, GraphQLNonNull):
        kind = kind.of_type
    return isinstance(kind, GraphQLList)


class _NodeCounter:
    """Nodes a selection could return per instance of its parent type."""

    def __init__(self, schema: GraphQLSchema, variables: Mapping[str, Any], *, max_page_size: int) -> None:
        self.schema = schema
        self.variables = variables
        self.max_page_size = max_page_size

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

    def _page_size(self, field: FieldNode, definition, argument: str) -> int:  # noqa: ANN001
        given, size = self._argument(field, argument)
        if not given or size is None:
            default = definition.args[argument].default_value if argument in definition.args else None
            size = default if isinstance(default, int) else DEFAULT_PAGE_SIZE
        # A value the resolver will refuse anyway counts as the largest page it could mean.
        return max(size, 0) if isinstance(size, int) else self.max_page_size

    def _list_bound(self, field: FieldNode, parent: GraphQLNamedType, definition) -> tuple[int, bool]:  # noqa: ANN001
        """How many items the list can hold, and whether each is a node itself."""
        if "ids" in definition.args:  # `nodes(ids:)`: one subtree per id
            given, ids = self._argument(field, "ids")
            return (len(ids) if given and isinstance(ids, list) else self.max_page_size), False
        key = f"{parent.name}.{field.name.value}"
        if key in SEARCH_LISTS:
            return SEARCH_LISTS[key], True
        return LIST_BOUNDS.get(key, self.max_page_size), False

    def fragment_cost(self, fragment: FragmentDefinitionNode, measures: Mapping[str, _Cost]) -> _Cost:
        return self.cost(fragment.selection_set, self.schema.get_type(fragment.type_condition.name.value), measures)

    def cost(
        self, selection_set: SelectionSetNode | None, parent: GraphQLNamedType | None, measures: Mapping[str, _Cost]
    ) -> _Cost:
        if selection_set is None or not isinstance(parent, (GraphQLObjectType, GraphQLInterfaceType, GraphQLUnionType)):
            return _Cost()
        fields = parent.fields if not isinstance(parent, GraphQLUnionType) else {}
        page_items = (_page_of(parent) or (None, None))[0]
        total = _Cost()
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                definition = fields.get(selection.name.value)
                if definition is None:
                    continue
                child = get_named_type(definition.type)
                below = self.cost(selection.selection_set, child, measures)
                page = _page_of(child)
                if selection.name.value == page_items:
                    # The items of the page this type is: the page field multiplies them by its size.
                    total += _Cost(per_item=below.total)
                elif page is not None:
                    size = self._page_size(selection, definition, page[1])
                    if page == CONNECTION_PAGE and self._argument(selection, "last")[0] and "last" in definition.args:
                        # A page read backwards holds `last` items (`first` beside it is refused anyway).
                        size = self._page_size(selection, definition, "last")
                    total += _Cost(fixed=size + below.fixed + size * below.per_item)
                elif _is_list(definition) and is_composite_type(child):
                    bound, nodes = self._list_bound(selection, parent, definition)
                    total += _Cost(fixed=(bound if nodes else 0) + bound * below.total)
                else:
                    total += _Cost(fixed=below.total)
            elif isinstance(selection, InlineFragmentNode):
                target = parent
                if selection.type_condition is not None:
                    target = self.schema.get_type(selection.type_condition.name.value) or parent
                total += self.cost(selection.selection_set, target, measures)
            else:
                total += measures.get(selection.name.value, _Cost())
        return total
