"""Alembic migrations, configured in code so the top level stays as it is."""

from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import AsyncEngine

from api.core.db import sync_url

HERE = Path(__file__).resolve().parent


def alembic_config(database_url: str) -> Config:
    """An Alembic configuration for one database."""
    config = Config()
    config.set_main_option("script_location", str(HERE))
    config.set_main_option("sqlalchemy.url", sync_url(database_url).replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the database schema to `revision`."""
    command.upgrade(alembic_config(database_url), revision)


def check(database_url: str) -> None:
    """Raise if the models and the migrations disagree."""
    command.check(alembic_config(database_url))


def _database_heads(connection: sa.Connection) -> list[str]:
    # Read directly: Alembic's MigrationContext would log two INFO lines at every probe.
    if not sa.inspect(connection).has_table("alembic_version"):
        return []
    return list(connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalars())


@cache
def script_heads() -> frozenset[str]:
    """The head revisions of the migration scripts this code carries."""
    return frozenset(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads())


async def at_head(engine: AsyncEngine) -> tuple[bool, str]:
    """Whether the database's schema is at the scripts' head, with the revisions compared (a
    readiness check: the code may rely on every migration it carries)."""
    async with engine.connect() as connection:
        current = set(await connection.run_sync(_database_heads))
    heads = script_heads()
    if current == heads:
        return True, f"at head {', '.join(sorted(heads))}"
    database = ", ".join(sorted(current)) or "none (not migrated)"
    return False, f"database at {database}, code expects {', '.join(sorted(heads))}: run `coplab db upgrade`"
