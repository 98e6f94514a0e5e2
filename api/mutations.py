"""The mutation boundary: the one place that commits, or rolls back into `userErrors`."""

from collections.abc import Awaitable, Callable
from typing import TypeVar

from api.context import Info
from api.errors import DomainError, UserError

T = TypeVar("T")


async def run(info: Info, work: Callable[[], Awaitable[T]]) -> tuple[T | None, list[UserError]]:
    """Run a service call in one transaction: commit on success; on a domain error roll back and
    return its problems, so nothing is written."""
    context = info.context
    async with context.loaders.lock:
        try:
            result = await work()
            await context.session.commit()
        except DomainError as error:
            await context.session.rollback()
            return None, [UserError.from_problem(p) for p in error.problems]
        except BaseException:
            await context.session.rollback()
            raise
    context.loaders.clear()
    return result, []
