"""`coplab keys` (registered in api/cli.py), and the new-password prompt of the commands that set one."""

import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlmodel.ext.asyncio.session import AsyncSession

from api.auth import keys
from api.auth.passwords import hash_password, password_problems
from api.auth.principal import OPERATOR
from api.core.console import console, in_transaction, print_problems
from api.core.settings import get_settings

keys_app = typer.Typer(help="The keys that sign access tokens.", no_args_is_help=True)


def new_password() -> str:
    """A new password: prompted for twice (hidden) on a terminal, else the first line of stdin, so
    scripts can pipe it. Exits with the problems when it is not acceptable."""
    if sys.stdin.isatty():
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().removesuffix("\n").removesuffix("\r")
    problems = password_problems(password)
    if problems:
        print_problems(problems)
        raise typer.Exit(1)
    return hash_password(password)


@keys_app.command("rotate")
def keys_rotate(
    activate_in: Annotated[
        int | None,
        typer.Option(min=0, help="Seconds the next key is published before it signs (default COPLAB_KEY_PUBLISH_SECONDS)."),
    ] = None,
) -> None:
    """Publish the next signing key, and retire keys whose tokens have all expired."""
    settings = get_settings()
    activate_in_seconds = settings.key_publish_seconds if activate_in is None else activate_in

    async def work(session: AsyncSession) -> keys.Rotation:
        return await keys.rotate(
            session=session,
            principal=OPERATOR,
            activate_in_seconds=activate_in_seconds,
            # A superseded key verifies until the last token it signed has expired, with the leeway of `verify`.
            retire_after_seconds=settings.access_token_lifetime_seconds + 60,
        )

    rotation = in_transaction(work)
    for kid in rotation.retired:
        console.print(f"retired key {kid}: every token it signed has expired", soft_wrap=True)
    console.print(
        f"published key {rotation.next_kid}; it signs from {rotation.activates_at.isoformat(timespec='seconds')}",
        soft_wrap=True,
    )


@keys_app.command("list")
def keys_list() -> None:
    """Every signing key and its state: next, active, verifying-only or retired."""

    async def work(session: AsyncSession) -> list[keys.KeyStatus]:
        return await keys.statuses(session=session)

    statuses = in_transaction(work)
    if not statuses:
        console.print("no signing keys yet: the first token request creates one")
        return
    table = Table("kid", "state", "created", "signs from", "retired")
    for key in statuses:
        table.add_row(
            key.kid,
            key.state.value,
            key.created_at.isoformat(timespec="seconds"),
            key.activates_at.isoformat(timespec="seconds"),
            key.retired_at.isoformat(timespec="seconds") if key.retired_at else "",
        )
    Console(width=200).print(table)
