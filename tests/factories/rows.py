"""Stored rows as tests arrange and compare them: who wrote them, setting columns, the registry's contents."""

from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, SQLModel

ACTOR = "test"  # created_by / updated_by of every row the factories write

REGISTRY_TABLES = (
    "organisation", "network_membership", "user_account", "membership", "initiative", "initiative_classification",
    "participation",
)


def stored(db: Session) -> dict[str, list[dict[str, Any]]]:
    """Every row of the registry's tables, read on a fresh connection (equal before and after: nothing changed)."""
    db.expire_all()
    tables = [SQLModel.metadata.tables[name] for name in REGISTRY_TABLES]
    with db.get_bind().connect() as connection:
        return {
            table.name: [
                dict(row._mapping) for row in connection.execute(sa.select(table).order_by(*table.primary_key.columns))
            ]
            for table in tables
        }


def set_columns(db: Session, row: Any, **values: Any) -> Any:
    """Set columns of a stored row directly (timestamps, deleted_at …) and commit."""
    for key, value in values.items():
        setattr(row, key, value)
    db.add(row)
    db.commit()
    return row
