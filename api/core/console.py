"""What every `coplab` command shares: the console it reports on, how it runs database work, and how it
reports problems. Each domain's `commands.py` uses this; none imports `api/cli.py`, which only
assembles them."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from typing import NoReturn, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import Progress
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from api.core.db import create_engine, session_factory, transaction
from api.core.errors import DomainError, Problem
from api.core.settings import exit_with, get_settings, problems

# Reports and progress go to standard error, so standard output carries only what scripts read
# (a client id and secret, a token).
console = Console(stderr=True)
T = TypeVar("T")


def progress(*, transient: bool = False) -> Progress:
    """Progress bars on the commands' console (`transient`: gone once done)."""
    return Progress(console=console, transient=transient)


def print_problems(problems: Iterable[Problem]) -> None:
    for problem in problems:
        console.print(f"[red]{'.'.join(problem.field)}: {problem.code} — {problem.message}")


def exit_on_invalid_settings(error: ValidationError) -> NoReturn:
    """Print why the settings were refused, one line a problem (`settings.problems`), and exit 1."""
    exit_with(problems(error))


@asynccontextmanager
async def database_engine() -> AsyncIterator[AsyncEngine]:
    """An engine on the configured database, disposed of when the command's work is done."""
    engine = create_engine(get_settings().database_url)
    try:
        yield engine
    finally:
        await engine.dispose()


def in_transaction(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run `work` in one committed transaction on the configured database; a domain error's problems
    are printed and the command exits 1."""

    async def main() -> T:
        async with database_engine() as engine, transaction(session_factory(engine)) as session:
            return await work(session)

    try:
        return asyncio.run(main())
    except DomainError as error:
        print_problems(error.problems)
        raise typer.Exit(1) from None
