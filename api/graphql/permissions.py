"""Who may call a field: the scope is a property of the API edge, declared once on the field."""

from typing import Any, NoReturn

from strawberry.permission import BasePermission, PermissionExtension

from api.auth.scopes import Scope
from api.graphql.context import Info
from api.graphql.errors import missing_scope, unauthenticated


class SignedIn(BasePermission):
    """Any caller with a token: top-level UNAUTHENTICATED without one. For the few fields whose
    service decides by scope itself (`updateOrganisation`: `org:admin` or `lab:admin`) or that
    only read what the caller may see (`searchToken`)."""

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:  # noqa: ANN401
        if not info.context.principal.is_authenticated:
            raise unauthenticated()
        return True


class HasScope(SignedIn):
    """A token holding `scope`: top-level UNAUTHENTICATED without a token, FORBIDDEN without the
    scope, before any input is looked at."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:  # noqa: ANN401
        return super().has_permission(source, info, **kwargs) and info.context.principal.has_scope(self.scope)

    def on_unauthorized(self) -> NoReturn:
        raise missing_scope(self.scope)


def requires(scope: Scope | None) -> PermissionExtension:
    """The field extension that checks a field's scope (None: any signed-in caller) before its
    resolver runs; no schema directive, so the published schema does not show it."""
    return PermissionExtension([HasScope(scope) if scope is not None else SignedIn()], use_directives=False)
