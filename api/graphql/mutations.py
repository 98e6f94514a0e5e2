"""The mutation boundary: the one place that commits, or rolls back into `userErrors`."""

from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.exc import IntegrityError

from api.auth.checks import require_scope
from api.auth.scopes import Scope
from api.graphql.context import Info
from api.core.errors import DomainError, ErrorCode, Problem
from api.graphql.errors import UserError

T = TypeVar("T")


CONFLICT = Problem((), ErrorCode.CONFLICT, "Another change made at the same time conflicts with this one; nothing was written.")


async def run(
    info: Info, work: Callable[[], Awaitable[T]], *, scope: Scope | None = None
) -> tuple[T | None, list[UserError]]:
    """Run a service call in one transaction: commit on success; on a domain error roll back and
    return its problems, so nothing is written. With `scope`, the token must hold it before any
    input is even looked at (top-level UNAUTHENTICATED / FORBIDDEN)."""
    context = info.context
    if scope is not None:
        require_scope(context.principal, scope)
    async with context.loaders.lock:
        try:
            result = await work()
            await context.session.commit()
        except DomainError as error:
            await context.session.rollback()
            return None, [UserError.from_problem(p) for p in error.problems]
        except IntegrityError:
            # A unique or foreign key constraint caught what the service's checks could not see:
            # a concurrent request wrote first.
            await context.session.rollback()
            return None, [UserError.from_problem(CONFLICT)]
        except BaseException:
            await context.session.rollback()
            raise
    context.loaders.clear()
    return result, []
