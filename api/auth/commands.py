"""The new-password prompt of the commands that set one."""

import sys

import typer

from api.auth.passwords import hash_password, password_problems
from api.core.console import print_problems


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
