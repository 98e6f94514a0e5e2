"""A process's database connections: the pool options from settings, and PostgreSQL's statement timeout
added to the options the URL already carries (docs/operations.md, "Connections")."""

import asyncio

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from api.core.db import create_engine, pool_options


def test_the_statement_timeout_is_set_and_the_urls_own_options_kept(database_url: str) -> None:
    if make_url(database_url).get_backend_name() != "postgresql":
        pytest.skip("statement_timeout is PostgreSQL's; SQLite has none")

    async def read() -> tuple[str, str]:
        engine = create_engine(database_url, **pool_options(database_url, size=1, overflow=0, statement_timeout_seconds=1.5))
        try:
            async with engine.connect() as connection:
                timeout = (await connection.execute(sa.text("SHOW statement_timeout"))).scalar_one()
                path = (await connection.execute(sa.text("SHOW search_path"))).scalar_one()
                with pytest.raises(sa.exc.OperationalError, match="statement timeout"):
                    await connection.execute(sa.text("SELECT pg_sleep(3)"))
            return timeout, path
        finally:
            await engine.dispose()

    timeout, path = asyncio.run(read())
    assert timeout == "1500ms"
    given = make_url(database_url).query.get("options")
    if given:  # the suite's per-run schema, from the URL, still applies
        assert str(given).split("search_path=")[-1] in path


def test_pool_options_follow_the_settings() -> None:
    options = pool_options("sqlite:///x.db", size=3, overflow=4, statement_timeout_seconds=30)
    assert options == {"pool_size": 3, "max_overflow": 4, "pool_pre_ping": True}  # no timeout option for SQLite
