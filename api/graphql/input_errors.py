"""Input the schema cannot take, reported with a stable `extensions.code` and the field's path.

graphql-core rejects an input field its type does not define with prose only ("Expected value of
type 'X' not to include unknown field 'y', found: …"). Clients setting a server-owned field (the
lead organisation, audit columns, an organisation's standing) need to learn that it is theirs to
leave out, and machine clients need a code and a path rather than a sentence:

    {"code": "SERVER_OWNED_FIELD" | "UNKNOWN_INPUT_FIELD", "field": ["input", "createdBy"]}

Paths start at the argument for literals written in the document, and at the variable for values
sent in `variables` or given as a variable's default (there, the path names the key the client sent).
Development adds graphql-core's "Did you mean" to unknown fields; production never does.

Strings holding an unpaired surrogate (a JSON `\ud800` escape without its pair) are not text at
all: no database stores them and no response can echo them, so they are refused the same way with
`INVALID_UNICODE` before any resolver runs. (NUL is left to the services, which report it as a
control character in the field it was found in.)
"""

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    ArgumentNode,
    ExecutionResult,
    GraphQLError,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLSchema,
    ListValueNode,
    Node,
    ObjectFieldNode,
    ObjectValueNode,
    TypeInfo,
    TypeInfoVisitor,
    VariableDefinitionNode,
    Visitor,
    get_nullable_type,
    is_input_object_type,
    is_list_type,
    visit,
)
from graphql.execution.values import get_variable_values
from graphql.pyutils import did_you_mean, suggestion_list
from graphql.utilities import get_operation_ast, type_from_ast
from strawberry.extensions import SchemaExtension

SERVER_OWNED_FIELD = "SERVER_OWNED_FIELD"
UNKNOWN_INPUT_FIELD = "UNKNOWN_INPUT_FIELD"
INVALID_UNICODE = "INVALID_UNICODE"

# Names the server sets itself on every input, on every create input, and on particular inputs.
SERVER_OWNED = frozenset(
    {
        "leadOrganisation",
        "leadOrganisationId",
        "assessingOrganisation",
        "assessingOrganisationId",
        "recordingOrganisation",
        "recordingOrganisationId",
        "createdBy",
        "updatedBy",
        "createdAt",
        "updatedAt",
        "deletedAt",
        "isSecretariat",
    }
)
SERVER_OWNED_ON_CREATE = frozenset({"id", "organisation", "organisationId"})
# An organisation's standing is the secretariat's to set, through setOrganisationStatus only.
SERVER_OWNED_BY_TYPE = {
    "CreateOrganisationInput": frozenset({"status"}),
    "UpdateOrganisationInput": frozenset({"status"}),
}

_SURROGATE = re.compile(r"[\ud800-\udfff]")
_SNAKE = re.compile(r"_([a-z])")


def field_code(type_name: str, field_name: str) -> str:
    """SERVER_OWNED_FIELD if the server sets `field_name` of `type_name` itself, else UNKNOWN_INPUT_FIELD."""
    name = _SNAKE.sub(lambda m: m.group(1).upper(), field_name)
    owned = SERVER_OWNED | SERVER_OWNED_BY_TYPE.get(type_name, frozenset())
    if type_name.startswith("Create"):
        owned |= SERVER_OWNED_ON_CREATE
    return SERVER_OWNED_FIELD if name in owned else UNKNOWN_INPUT_FIELD


def unknown_field_error(
    type_: GraphQLInputObjectType, field_name: str, path: list[str], nodes: list[Node], *, suggest: bool
) -> GraphQLError:
    """The error for an input field that `type_` does not define."""
    code = field_code(type_.name, field_name)
    if code == SERVER_OWNED_FIELD:
        message = f"{type_.name}.{field_name} is set by the server; leave it out."
    else:
        hint = did_you_mean(suggestion_list(field_name, list(type_.fields))) if suggest else ""
        message = f"{type_.name} has no input field {field_name}.{hint}"
    return GraphQLError(message, nodes=nodes, extensions={"code": code, "field": path})


def invalid_unicode_error(path: list[str], nodes: list[Node]) -> GraphQLError:
    """The error for a string holding an unpaired surrogate."""
    return GraphQLError(
        "Not valid Unicode text: it holds an unpaired surrogate.",
        nodes=nodes,
        extensions={"code": INVALID_UNICODE, "field": path},
    )


@dataclass
class _Walk:
    """Errors found in input values (JSON or literals) walked along their declared types."""

    suggest: bool
    errors: list[GraphQLError] = field(default_factory=list)
    # Literal object fields reported as unknown, so graphql-core's prose for them can be replaced.
    unknown_nodes: dict[int, GraphQLError] = field(default_factory=dict)

    def value(self, value: Any, type_: GraphQLInputType, path: list[str]) -> Any:
        """`value` without unknown fields and invalid text, recording an error for each."""
        type_ = get_nullable_type(type_)
        items = _items(value)
        if is_list_type(type_):
            if items is None:  # a single value stands for a list of one
                return self.value(value, type_.of_type, path)
            return [self.value(item, type_.of_type, [*path, str(i)]) for i, item in enumerate(items)]
        entries = _entries(value)
        if is_input_object_type(type_) and entries is not None:
            return self._object(entries, type_, path)
        return self._leaf(value, path)

    def _object(
        self, entries: list[tuple[str, Any, Node | None]], type_: GraphQLInputObjectType, path: list[str]
    ) -> dict[str, Any]:
        """The defined fields of an input object, each walked along its own type."""
        kept: dict[str, Any] = {}
        for name, item, node in entries:
            if self._invalid_text(name, [*path, name], node):
                continue
            defined = type_.fields.get(name)
            if defined is None:
                error = unknown_field_error(type_, name, [*path, name], [node] if node else [], suggest=self.suggest)
                self.errors.append(error)
                if node is not None:
                    self.unknown_nodes[id(node)] = error
                continue
            kept[name] = self.value(item, defined.type, [*path, name])
        return kept

    def _leaf(self, value: Any, path: list[str]) -> Any:
        # The lexer refuses unpaired surrogates in literals; only JSON variables can carry them.
        if isinstance(value, str) and self._invalid_text(value, path, None):
            return ""
        return value

    def _invalid_text(self, text: str, path: list[str], node: Node | None) -> bool:
        if _SURROGATE.search(text) is None:
            return False
        self.errors.append(invalid_unicode_error(path, [node] if node else []))
        return True


def _items(value: Any) -> list[Any] | None:
    if isinstance(value, ListValueNode):
        return list(value.values)
    return value if isinstance(value, list) else None


def _entries(value: Any) -> list[tuple[str, Any, Node | None]] | None:
    if isinstance(value, ObjectValueNode):
        return [(f.name.value, f.value, f) for f in value.fields]
    if isinstance(value, dict):
        return [(name, item, None) for name, item in value.items()]
    return None


class _Arguments(Visitor):
    """Walks every argument literal of a document along the argument's type."""

    def __init__(self, type_info: TypeInfo, walk: _Walk) -> None:
        super().__init__()
        self.type_info = type_info
        self.walk = walk

    def enter_argument(self, node: ArgumentNode, *_args: Any) -> None:
        argument = self.type_info.get_argument()
        if argument is not None:
            self.walk.value(node.value, argument.type, [node.name.value])

    def enter_variable_definition(self, node: VariableDefinitionNode, *_args: Any) -> None:
        type_ = self.type_info.get_input_type()
        if node.default_value is not None and type_ is not None:
            self.walk.value(node.default_value, type_, [node.variable.name.value])


def walk_literals(schema: GraphQLSchema, definitions: Sequence[Node], *, suggest: bool) -> _Walk:
    """Unknown input fields written literally in `definitions`."""
    walk = _Walk(suggest=suggest)
    type_info = TypeInfo(schema)
    for definition in definitions:
        visit(definition, TypeInfoVisitor(type_info, _Arguments(type_info, walk)))
    return walk


def walk_variables(
    schema: GraphQLSchema, definitions: Sequence[VariableDefinitionNode], variables: dict[str, Any], *, suggest: bool
) -> tuple[_Walk, dict[str, Any]]:
    """Unknown input fields and invalid text in `variables`, and the variables without them."""
    walk = _Walk(suggest=suggest)
    cleaned = dict(variables)
    for definition in definitions:
        name = definition.variable.name.value
        type_ = type_from_ast(schema, definition.type)
        if name in variables and type_ is not None:
            cleaned[name] = walk.value(variables[name], type_, [name])
    return walk, cleaned


class InputErrors(SchemaExtension):
    """Unknown and server-owned input fields, and invalid Unicode, as coded errors with a path."""

    def on_validate(self) -> Iterator[None]:
        yield
        errors = self.execution_context.pre_execution_errors
        document = self.execution_context.graphql_document
        if not errors or document is None:
            return
        walk = walk_literals(_graphql_schema(self), document.definitions, suggest=_suggests(self))
        # In place: strawberry already holds this list as the operation's result.
        errors[:] = [_replacement(error, walk.unknown_nodes) for error in errors]

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        operation = get_operation_ast(document, context.operation_name) if document else None
        if operation is not None and context.variables:
            definitions = operation.variable_definitions or ()
            walk, cleaned = walk_variables(_graphql_schema(self), definitions, context.variables, suggest=_suggests(self))
            if walk.errors:
                # A result set before execution is returned instead of executing.
                context.result = ExecutionResult(data=None, errors=walk.errors + self._other_errors(definitions, cleaned))
        yield

    def _other_errors(self, definitions: Sequence[VariableDefinitionNode], cleaned: dict[str, Any]) -> list[GraphQLError]:
        """graphql-core's errors for whatever else is wrong with the variables, so all are reported at once."""
        coerced = get_variable_values(_graphql_schema(self), definitions, cleaned, hide_suggestions=not _suggests(self))
        return coerced if isinstance(coerced, list) else []


def _suggests(extension: SchemaExtension) -> bool:
    return not extension.execution_context.schema.config.disable_field_suggestions


def _graphql_schema(extension: SchemaExtension) -> GraphQLSchema:
    # strawberry keeps graphql-core's schema here; its own ValidationCache extension reads it too.
    return extension.execution_context.schema._schema


def _replacement(error: GraphQLError, replacements: dict[int, GraphQLError]) -> GraphQLError:
    nodes = error.nodes or []
    found = replacements.get(id(nodes[0])) if len(nodes) == 1 and isinstance(nodes[0], ObjectFieldNode) else None
    return found or error
