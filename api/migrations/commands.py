"""`coplab db`: the database schema (registered in api/cli.py)."""

import typer

from api import migrations
from api.core.console import console
from api.core.settings import get_settings

db_app = typer.Typer(help="Database schema.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply migrations up to REVISION (default: the latest)."""
    migrations.upgrade(get_settings().database_url, revision)
    console.print(f"database at {revision}")
