"""What a query selects below the current field, for resolvers that load ahead of graphql-core."""

from collections.abc import Iterable

from strawberry.types.nodes import SelectedField, Selection

from api.graphql.context import Info


def selected_paths(info: Info) -> frozenset[str]:
    """Dotted paths of every field selected below the current one, fragments flattened.

    For `initiatives { edges { node { title } } }` resolved at `initiatives`, this is
    {"edges", "edges.node", "edges.node.title"}. `@skip`/`@include` are not evaluated, so a path may be
    reported that graphql-core then skips: callers use it to load ahead, never to decide what is shown.
    """
    paths: set[str] = set()

    def walk(selections: Iterable[Selection], prefix: str) -> None:
        for selection in selections:
            if isinstance(selection, SelectedField):
                path = prefix + selection.name
                paths.add(path)
                walk(selection.selections, path + ".")
            else:  # a fragment spread or inline fragment: its fields belong to the same level
                walk(selection.selections, prefix)

    for field in info.selected_fields:
        walk(field.selections, "")
    return frozenset(paths)
