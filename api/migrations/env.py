"""Alembic environment: runs migrations with a synchronous engine."""

from alembic import context
from sqlmodel import SQLModel

import api.models  # noqa: F401  (registers every table)
from api.core.db import UTCDateTime, create_sync_engine

config = context.config
target_metadata = SQLModel.metadata


def render_item(type_: str, obj: object, autogen_context: object) -> str | bool:
    """Render our column types as the plain SQLAlchemy types they store, so migrations need no app imports."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_migrations_online() -> None:
    engine = create_sync_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch operations rebuild a SQLite table (copy, drop, rename); with foreign keys on, the
            # drop fails as soon as another table's rows refer to it. SQLite only reads this pragma
            # outside a transaction, so it is set before the migrations' one, and the references are
            # checked once they have run.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=sqlite,
            compare_type=True,
            render_item=render_item,
        )
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"the migrations left rows whose references are broken: {broken[:5]}")
    engine.dispose()


run_migrations_online()
