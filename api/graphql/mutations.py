"""The mutation boundary: the one place that commits, or rolls back into `userErrors`.

A mutation field declares two things, through `mutation(...)`: the scope its caller's token must
hold (a strawberry permission, checked before any input is read) and this boundary (a strawberry
field extension). Its resolver only decodes ids, calls the service and returns the payload."""

import dataclasses
from collections.abc import Callable
from typing import Any

import strawberry
from sqlalchemy.exc import IntegrityError
from strawberry.extensions import FieldExtension
from strawberry.types.base import has_object_definition
from strawberry.types.field import StrawberryField

from api.auth.scopes import Scope
from api.core.errors import DomainError, ErrorCode, Problem
from api.graphql.context import Info
from api.graphql.errors import UserError
from api.graphql.operation_metrics import count_error
from api.graphql.permissions import requires

CONFLICT = Problem((), ErrorCode.CONFLICT, "Another change made at the same time conflicts with this one; nothing was written.")


class MutationBoundary(FieldExtension):
    """Runs the resolver in one transaction: commit on success; on a domain error roll back and
    answer the field's payload with the problems as `userErrors`, so nothing is written."""

    def apply(self, field: StrawberryField) -> None:
        payload = field.type
        if not has_object_definition(payload) or "user_errors" not in {f.name for f in dataclasses.fields(payload)}:
            raise TypeError(f"mutation {field.name} must return a payload type with `user_errors`")
        self.payload = payload

    def _failed(self, problems: list[Problem]) -> Any:  # noqa: ANN401
        """The payload of a change that was not made: every field None but the errors."""
        nothing = {f.name: None for f in dataclasses.fields(self.payload) if f.init and f.name != "user_errors"}
        for problem in problems:
            count_error(problem.code, kind="user_error")
        return self.payload(**nothing, user_errors=[UserError.from_problem(p) for p in problems])

    async def resolve_async(self, next_: Callable, source: Any, info: Info, **kwargs: Any) -> Any:  # noqa: ANN401
        context = info.context
        async with context.loaders.lock:
            try:
                result = await next_(source, info, **kwargs)
                await context.session.commit()
            except DomainError as error:
                await context.session.rollback()
                return self._failed(error.problems)
            except IntegrityError:
                # A unique or foreign key constraint caught what the service's checks could not
                # see: a concurrent request wrote first.
                await context.session.rollback()
                return self._failed([CONFLICT])
            except BaseException:
                await context.session.rollback()
                raise
        context.loaders.clear()
        return result


def mutation(
    *,
    scope: Scope | None,
    description: str,
    name: str | None = None,
    writes: bool = True,
    deprecation_reason: str | None = None,
) -> Any:  # noqa: ANN401
    """A mutation field whose caller's token holds `scope` (None: any signed-in caller, where the
    service decides by scope itself), run inside the mutation boundary unless it `writes` nothing."""
    # Permissions outermost (the last extension wraps the others): no input is read without them.
    extensions: list[FieldExtension] = [MutationBoundary()] if writes else []
    extensions.append(requires(scope))
    return strawberry.mutation(
        name=name, description=description, extensions=extensions, deprecation_reason=deprecation_reason
    )
